#!/usr/bin/env bash
# Screenshots of the three pages at 1920×1080 and 3840×2160 in headless Chromium, written to
# test-artifacts/ (git-ignored). Needs the map services running (e.g. `iocgis serve`, or the
# demo) and `npm install` done; Debian's chromium is the browser.
#   scripts/screenshots.sh                 # http://127.0.0.1:8000
#   scripts/screenshots.sh http://127.0.0.1:8080 [--only wall] [--query '?province=79']
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:-${IOC_BASE_URL:-http://127.0.0.1:8000}}
shift || true
ONLY=""; QUERY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --only) ONLY=$2; shift 2 ;;
    --query) QUERY=$2; shift 2 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done
OUT=test-artifacts
command -v node >/dev/null || { echo "node is needed (Debian package nodejs)" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "Debian's chromium is needed: apt-get install chromium" >&2; exit 1; }
[ -d node_modules/playwright-core ] || { echo "run npm install first" >&2; exit 1; }
curl -fsS -o /dev/null "$BASE/healthz" || { echo "nothing answers at $BASE (start: iocgis serve)" >&2; exit 1; }
ARGS=$(python3 -c 'import json,sys; o,q=sys.argv[1],sys.argv[2]; d={"wait":4000}
if o: d["only"]=o.split(",")
if q: d["query"]=q
print(json.dumps(d))' "$ONLY" "$QUERY")
line=$(node tests/browser/run.mjs screenshots "$BASE" "$OUT" "$ARGS" | grep '^RESULT ')
python3 - "$line" <<'PY'
import json, sys
r = json.loads(sys.argv[1][len("RESULT "):])
for path in r["screenshots"]:
    print("wrote", path)
for e in r["errors"] + [f"left localhost: {u}" for u in r["external"]]:
    print("problem:", e, file=sys.stderr)
sys.exit(0 if r["ok"] else 1)
PY
