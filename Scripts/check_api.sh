#!/usr/bin/env bash
# schemathesis (PyPI) against `clip serve`'s own /openapi.json for API_CHECK_SECONDS (default 60):
# generated and mutated requests to every route, checking that none gets a 5xx, that statuses,
# content types and JSON bodies are the documented ones, and that the server still answers after.
# The server runs the thumbnail CLIP of the search fixtures over an index of the fixture images. Then
# OpenAI's SDK and clip-retrieval's ClipClient, unchanged, against it (Scripts/check_clients.py).
# Usage: Scripts/check_api.sh [clip binary, default .build/debug/clip]
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-.build/debug/clip}"
seconds="${API_CHECK_SECONDS:-60}"
python3 -c "import schemathesis" 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore schemathesis
work="$(mktemp -d)"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
"$binary" index --model Tests/CLIPSearchTests/Fixtures/thumbnail-clip --index "$work/index" Tests/CLIPImageTests/Fixtures/images > /dev/null
CLIP_CACHE_DIR="$work/cache" "$binary" serve --index "photos=$work/index" --port 0 --log-level warning 2> "$work/server.log" &
server=$!
port=""
for _ in $(seq 1 100); do
  port="$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/server.log")"
  [ -n "$port" ] && break
  sleep 0.2
done
[ -n "$port" ] || { echo "clip serve did not start:"; cat "$work/server.log"; exit 1; }
python3 -m schemathesis.cli run "http://127.0.0.1:$port/openapi.json" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-time "$seconds" --request-timeout 30 --no-color
curl_status="$(python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$port/health').status)")"
[ "$curl_status" = 200 ] || { echo "the server stopped answering"; exit 1; }
kill -0 "$server" || { echo "the server is gone"; cat "$work/server.log"; exit 1; }
echo "schemathesis: no server errors, every response as documented, and the server still answers"
python3 Scripts/check_clients.py "$port" photos thumbnail-clip Tests/CLIPImageTests/Fixtures/images/odd_97x61.png
