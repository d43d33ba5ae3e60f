#!/usr/bin/env bash
# Prepare this machine for ioc-gis: system packages, PostgreSQL + PostGIS running, the Python
# environment, the database migrated. Idempotent: a second run changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
PG_VERSION=${PG_VERSION:-15}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- system packages (Debian) ---------------------------------------------------------------
need=()
[ -f "/usr/share/postgresql/$PG_VERSION/extension/postgis.control" ] || need+=("postgresql-$PG_VERSION-postgis-3")
command -v ogr2ogr >/dev/null || need+=(gdal-bin)
command -v mosquitto >/dev/null || need+=(mosquitto)
command -v psql >/dev/null || need+=("postgresql-$PG_VERSION")
[ -x /usr/bin/chromium ] || need+=(chromium)            # browser tests and screenshots
command -v npm >/dev/null || need+=(nodejs npm)          # front-end packages for the pages
[ -d /usr/lib/python3/dist-packages/qgis ] || need+=(python3-qgis)   # QGIS client tests (PyQGIS)
[ -f /usr/lib/qgis/plugins/libprovider_wfs.so ] || need+=(qgis-providers)   # QGIS's OAPIF/WFS provider
command -v pdftoppm >/dev/null || need+=(poppler-utils)  # PDF reports and extracts rendered to PNG
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)  # Vietnamese text in PDFs
command -v wrk >/dev/null || need+=(wrk)                  # HTTP load generator of the benchmarks (bench/)
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}" >/dev/null
fi

# --- PostgreSQL running ----------------------------------------------------------------------
if command -v pg_lsclusters >/dev/null; then
  if ! pg_lsclusters -h | awk -v v="$PG_VERSION" '$1==v && $2=="main" && $4=="online"' | grep -q .; then
    say "starting PostgreSQL $PG_VERSION"
    as_root pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main start
  fi
fi
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
pg_isready -q -h 127.0.0.1 || { echo "PostgreSQL is not accepting connections on 127.0.0.1" >&2; exit 1; }

# --- Python environment ----------------------------------------------------------------------
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.iocgis-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing ioc-gis and its dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".[dev]" > .venv/pip-install.log 2>&1 \
    || { cat .venv/pip-install.log >&2; echo "pip install failed" >&2; exit 1; }
  echo "$want" > "$stamp"
fi

# --- front-end assets (served by the app, never from a CDN) ----------------------------------
if [ -f package.json ] && { [ ! -d node_modules ] || [ package.json -nt node_modules ]; }; then
  say "installing front-end packages from the npm registry"
  npm install --no-audit --no-fund --silent
  touch node_modules
fi

# --- database ------------------------------------------------------------------------------------
say "migrating the database"
.venv/bin/iocgis db upgrade
