#!/usr/bin/env bash
# Runs the browser test suite (test/browser) N times in a row to check that it is stable, and
# prints one line per run (result, wall time) and a summary. Builds once first; the logs of
# each run are kept under test-output/browser-runs/.
#   scripts/repeat-browser-tests.sh [N=10]
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
out=test-output/browser-runs
rm -rf "$out" && mkdir -p "$out"
npm run build >"$out/build.log" 2>&1 || { echo "build failed: $out/build.log"; exit 1; }
passed=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  if npx jest -c jest.browser.config.js >"$out/run-$i.log" 2>&1; then
    result=pass
    passed=$((passed + 1))
  else
    result=FAIL
  fi
  tests=$(grep -E '^Tests:' "$out/run-$i.log" | tail -n 1)
  echo "run $i: $result in $(($(date +%s) - start)) s ($tests)"
done
echo "$passed of $runs runs passed"
[ "$passed" -eq "$runs" ]
