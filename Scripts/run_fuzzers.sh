#!/usr/bin/env bash
# Runs every fuzz target of Fuzz/ for FUZZ_SECONDS (default 60) each, on the seed corpus
# (Fuzz/corpus, from Scripts/make_fuzz_corpus.py) and the committed regression inputs
# (Fuzz/regressions/<target>). A crash, a sanitizer report, a timeout (FUZZ_TIMEOUT seconds for one
# input, default 10) or memory past FUZZ_RSS_MB (default 2048) fails the run; the input is kept in
# Fuzz/crashes/. FUZZ_BINARIES names another folder of built targets. Usage: Scripts/run_fuzzers.sh [target ...]
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-60}"
binaries="${FUZZ_BINARIES:-Fuzz/.build-fuzz/debug}"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=($(sed -n 's/.*fuzzTarget("\(Fuzz[A-Za-z]*\)".*/\1/p' Fuzz/Package.swift))
fi
mkdir -p Fuzz/crashes
failed=()
for target in "${targets[@]}"; do
  corpus=(Fuzz/corpus/"$target")
  [ -d Fuzz/regressions/"$target" ] && corpus+=(Fuzz/regressions/"$target")
  mkdir -p "${corpus[0]}"
  log=Fuzz/crashes/"$target".log
  # Swift's own backtracer would wait on the crashed process; libFuzzer reports the crash itself.
  LSAN_OPTIONS="suppressions=Fuzz/lsan-suppressions.txt" SWIFT_BACKTRACE=enable=no "$binaries/$target" -max_total_time="$seconds" -timeout="${FUZZ_TIMEOUT:-10}" \
    -rss_limit_mb="${FUZZ_RSS_MB:-2048}" -max_len=65536 -print_final_stats=1 \
    -artifact_prefix=Fuzz/crashes/"$target"- "${corpus[@]}" > "$log" 2>&1
  status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  coverage=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
  if [ $status -eq 0 ]; then
    echo "$target: ${runs:-?} inputs in ${seconds} s, ${coverage:-cov: ?}, no findings"
  else
    echo "$target: FAILED (exit $status) after ${runs:-?} inputs; see $log"
    grep -E "^==[0-9]+==ERROR|Fatal error|deadly signal|SUMMARY|Test unit written" "$log" | head -5 | sed 's/^/  /'
    failed+=("$target")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "${#failed[@]} fuzz targets failed: ${failed[*]}"
  exit 1
fi
echo "${#targets[@]} fuzz targets ran without findings"
