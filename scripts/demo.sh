#!/usr/bin/env bash
# The ioc-gis demo on this machine: set up what is missing, load the sample data, start the broker,
# the ingester, a station simulator and the web app, then print the URLs.
# Idempotent: a second run reloads nothing that is already there and restarts the processes.
#   scripts/demo.sh          start (or restart) the demo
#   scripts/demo.sh stop     stop the demo's processes
set -euo pipefail
cd "$(dirname "$0")/.."
IOC=.venv/bin/iocgis
RUN=var/demo
PORT=${IOC_DEMO_PORT:-8000}
HOST=${IOC_DEMO_HOST:-127.0.0.1}
mkdir -p "$RUN"
say() { printf '\033[1m[demo]\033[0m %s\n' "$*"; }

stop_process() {  # stop_process NAME: the demo process recorded in var/demo/NAME.pid
  local pidfile="$RUN/$1.pid"
  [ -f "$pidfile" ] || return 0
  local pid; pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
  rm -f "$pidfile"
}

start_process() {  # start_process NAME COMMAND...: in its own process group, log in var/demo
  local name=$1; shift
  setsid "$@" >"$RUN/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN/$name.pid"
}

if [ "${1:-}" = stop ]; then
  for p in datalogger ftp simulator web notifier mailbox ingester; do stop_process "$p"; done
  bash scripts/broker.sh stop || true
  say "stopped"
  exit 0
fi

bash scripts/setup.sh

say "administrative units (34 provinces, 3,321 communes, former units and mappings)"
$IOC admin load
say "land-use planning sample"
$IOC layers load-planning
say "sample parcels in four Hà Nội communes (synthetic, generated inside the real boundaries)"
$IOC data synth-parcels --commune 00070 --commune 00004 --commune 00082 --commune 00097 \
  --count 6000 --seed 1 --out "$RUN/sample_parcels.gpkg" --import
say "monitoring stations"
$IOC stations import data/stations/demo_stations.csv
say "facilities and their monitoring points (synthetic: data/facilities/SOURCES.md)"
$IOC facilities import data/facilities/demo_facilities.csv

say "demo users: a fresh API key each run (sign in on /login; older demo keys stay valid)"
demo_key() {  # demo_key NAME ROLE FULL_NAME: a new API key of demo user NAME (created if missing)
  $IOC users add "$1" --role "$2" --full-name "$3" 2>/dev/null || $IOC users key "$1" 2>/dev/null
}
LAND_KEY=$(demo_key demo.land land "Cán bộ địa chính (demo)")
ENV_KEY=$(demo_key demo.env environment "Cán bộ môi trường (demo)")
ADMIN_KEY=$(demo_key demo.admin admin "Quản trị (demo)")

for p in datalogger ftp simulator web notifier mailbox ingester; do stop_process "$p"; done
say "broker (our Mosquitto config) on 127.0.0.1:${IOC_MQTT_PORT:-1884}"
bash scripts/broker.sh
INGEST_URL=$($IOC broker url ingester)
SIM_URL=$($IOC broker url simulator)

say "ingester"
IOC_MQTT_URL=$INGEST_URL start_process ingester "$IOC" ingest
SMTP_PORT=${IOC_DEMO_SMTP_PORT:-8025}
say "notifier (alerts to e-mail; the demo's mailbox on 127.0.0.1:$SMTP_PORT prints them to $RUN/mailbox.log)"
start_process mailbox .venv/bin/python -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" -c aiosmtpd.handlers.Debugging
if [ "$($IOC notify list --user demo.env --json)" = "[]" ]; then
  for area in 01 79; do
    $IOC notify subscribe demo.env --email demo.env@example.vn --kind exceedance --area "$area" >/dev/null
  done
fi
IOC_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT" start_process notifier "$IOC" notify run
say "30 days of hourly readings for every station (published through the broker)"
IOC_MQTT_URL=$SIM_URL $IOC simulate --stations 11 --rate 250 --duration 32 --step-minutes 60
say "live readings every minute (simulator in the background)"
IOC_MQTT_URL=$SIM_URL start_process simulator bash -c \
  "while true; do \"$IOC\" simulate --stations 11 --rate 11 --duration 5 --step-minutes 5; sleep 55; done"
FTP_PORT=${IOC_FTP_PORT:-2121}
say "FTP receiver for station files (Circular 10/2021) on $HOST:$FTP_PORT"
IOC_FTP_ROOT="$RUN/ftp" start_process ftp "$IOC" ftp serve --host "$HOST" --port "$FTP_PORT"
for _ in $(seq 1 60); do (exec 3<>"/dev/tcp/$HOST/$FTP_PORT") 2>/dev/null && break; sleep 0.5; done
say "facility dataloggers: a day of 5-minute files (some late, re-sent or broken), then live"
FTP_URLS=()
for code in DEMO-F1-NT1 DEMO-F1-KT1 DEMO-F3-KT1; do
  pw=$($IOC ftp account "$code" --json | .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["password"])')
  FTP_URLS+=("ftp://$code:$pw@$HOST:$FTP_PORT")
  $IOC datalogger simulate --url "ftp://$code:$pw@$HOST:$FTP_PORT" --files 288 --late-days 1 \
    --bad-share 0.02 --resend-share 0.02 >/dev/null
done
start_process datalogger bash -c \
  "while true; do for u in ${FTP_URLS[*]}; do \"$IOC\" datalogger simulate --url \"\$u\" --files 1 --seed \$RANDOM; done; sleep 300; done"
say "web app (logs in as iocgis_web: every request runs as its caller's database role)"
WEB_DB_URL=$(.venv/bin/python -c 'from gis.access.roles import web_url; from gis.settings import get_settings; print(web_url(get_settings().database_url))')
IOC_DATABASE_URL=$WEB_DB_URL IOC_MQTT_URL=$INGEST_URL start_process web "$IOC" serve --host "$HOST" --port "$PORT"
for _ in $(seq 1 60); do
  curl -fsS "http://$HOST:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.5
done
curl -fsS "http://$HOST:$PORT/healthz" >/dev/null || { echo "the web app did not start: see $RUN/web.log" >&2; exit 1; }

say "what is loaded:"
psql_url=$(.venv/bin/python -c 'from gis.settings import get_settings, to_libpq_url; print(to_libpq_url(get_settings().database_url))')
psql "$psql_url" -qAt -F ' ' -c "
  SELECT what, n FROM (VALUES
    (1, 'provinces', (SELECT count(*) FROM admin.provinces)),
    (2, 'communes', (SELECT count(*) FROM admin.communes)),
    (3, 'parcels (current)', (SELECT count(*) FROM land.parcels WHERE valid_to IS NULL)),
    (4, 'planning zones', (SELECT count(*) FROM land.planning_zones)),
    (5, 'stations', (SELECT count(*) FROM sensor.stations)),
    (6, 'observations', (SELECT count(*) FROM sensor.observations)),
    (7, 'hourly AQI values', (SELECT count(*) FROM sensor.aqi_hourly))
  ) AS t(k, what, n) ORDER BY k" | sed 's/^/    /'
say "a station's latest PM2.5 readings (iocgis observations export):"
$IOC observations export --station HCM-HA-1 --parameter pm25 \
  --from "$(date -u -d '-3 hours' +%Y-%m-%dT%H:%M:%SZ)" --to "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" | tail -n 4 | sed 's/^/    /'
cat <<MSG

ioc-gis is running:
  Land officials (parcels):   http://$HOST:$PORT/maps/parcels
  Environmental staff:        http://$HOST:$PORT/maps/environment
  IOC wall:                   http://$HOST:$PORT/wall?province=01
  OGC API Features:           http://$HOST:$PORT/collections    (OpenAPI: /api)
  QGIS project (province 01): http://$HOST:$PORT/qgis/project.qgs?province=01   (README: QGIS)
  Reports (environment staff): http://$HOST:$PORT/reports
  Station files (FTP, Circular 10/2021): ftp://$HOST:$FTP_PORT   (accounts: iocgis ftp account CODE; iocgis ftp status)
  Sign in (land users' data is shown to land officials only): http://$HOST:$PORT/login
    land official   demo.land   $LAND_KEY
    environment     demo.env    $ENV_KEY
    administrator   demo.admin  $ADMIN_KEY
  Alert e-mails (demo.env, exceedances in 01 and 79): $RUN/mailbox.log
  Logs: $RUN/*.log        Stop: scripts/demo.sh stop
MSG
