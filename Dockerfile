# ioc-gis application image: the `iocgis` command (migrate, ingest, serve).
# Front-end packages are installed from the npm registry at build time and served by the app.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package*.json ./
RUN if [ -f package.json ]; then npm ci --omit=dev --no-audit --no-fund; else mkdir node_modules; fi

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client mosquitto mosquitto-clients curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY gis gis
COPY sensors sensors
COPY layers layers
COPY maps maps
COPY cli cli
RUN pip install .
COPY data data
COPY --from=assets /app/node_modules node_modules
RUN useradd --system --home /app iocgis && chown -R iocgis /app
USER iocgis
EXPOSE 8000
ENTRYPOINT ["iocgis"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
