#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang with ASan + UBSan) in build-fuzz/ and runs
# each for the given seconds (default 60), one after the other, printing one line per target.
# Each runs on a working corpus in build-fuzz/corpus/<target>/ that starts from the committed
# seeds (tests/fuzz/corpus/, never written to) and keeps what earlier runs on this machine found;
# `rm -rf build-fuzz/corpus` starts over. A crashing input is saved in build-fuzz/artifacts/ and
# its log in build-fuzz/logs/; the script exits non-zero when any target crashed.
#   scripts/fuzz.sh [seconds] [target...]     e.g. scripts/fuzz.sh 600 call_differential
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(call_text call_tree call_differential json_text times segment)

# Seeds and longest input per target: the three call targets share the calls' seeds.
corpus_of() { case $1 in call_*) echo calls ;; *) echo "$1" ;; esac; }
max_len_of() { case $1 in times) echo 128 ;; segment) echo 8192 ;; *) echo 4096 ;; esac; }

CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRUDDER_FUZZ=ON \
  -DRUDDER_BUILD_TESTS=OFF -DRUDDER_BUILD_TOOLS=OFF > /dev/null
cmake --build build-fuzz -j2 --target fuzzers > build-fuzz/build.log 2>&1 || {
  tail -30 build-fuzz/build.log >&2
  exit 1
}

failed=0
for target in "${targets[@]}"; do
  corpus=build-fuzz/corpus/$target
  artifacts=build-fuzz/artifacts/$target
  log=build-fuzz/logs/$target.log
  mkdir -p "$corpus" "$artifacts" build-fuzz/logs
  cp -n tests/fuzz/corpus/"$(corpus_of "$target")"/* "$corpus"/
  status=0
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a leak or a blow-up is a crash.
  build-fuzz/tests/fuzz/fuzz_"$target" "$corpus" -max_total_time="$seconds" \
    -max_len="$(max_len_of "$target")" -dict=tests/fuzz/calls.dict -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="$artifacts/" -print_final_stats=1 > "$log" 2>&1 || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$( (grep -o 'cov: [0-9]*' "$log" || true) | tail -1 | cut -d' ' -f2)
  size=$(find "$corpus" -type f | wc -l)
  if [ "$status" -eq 0 ]; then
    echo "fuzz $target: ok, ${runs:-?} inputs in ${seconds} s (${rate:-?}/s), ${cov:-?} edges, corpus $size"
  else
    failed=1
    crash=$( (ls -t "$artifacts" || true) | head -1)
    echo "fuzz $target: FAILED after ${runs:-?} inputs: $(grep -m1 -E '^(fuzz check failed|==[0-9]+==ERROR|SUMMARY)' "$log" || echo "exit $status")"
    echo "  input: $artifacts/${crash:-?}  log: $log"
    echo "  replay: build-fuzz/tests/fuzz/fuzz_$target $artifacts/${crash:-?}"
  fi
done
exit "$failed"
