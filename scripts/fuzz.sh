#!/usr/bin/env bash
# Run every cargo-fuzz target for a bounded time: FUZZ_SECONDS each (default 60).
#
#   scripts/fuzz.sh                  # what CI runs: a minute per target
#   FUZZ_SECONDS=3600 scripts/fuzz.sh  # longer; new inputs accumulate in fuzz/corpus/
#   scripts/fuzz.sh wasm             # one target
#
# Targets (fuzz/fuzz_targets): wheel (zip, WHEEL, METADATA, RECORD, binaries, then audit,
# check and a rewrite read back), wasm (the inspector, and rewriting what it accepts),
# dylink (dylink.0 parse -> rewrite unchanged -> identical bytes). Seeds are in fuzz/seeds/;
# a failure leaves its input in fuzz/artifacts/<target>/ and fails the script.
#
# cargo-fuzz passes nightly-only flags; RUSTC_BOOTSTRAP lets the stable toolchain take them.
# The code under test is safe Rust, so no sanitizer is needed: panics, aborts, timeouts and
# memory blow-ups are what libFuzzer catches here.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${FUZZ_SECONDS:-60}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(wheel wasm dylink)
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz@0.13.2
export RUSTC_BOOTSTRAP=1
cargo fuzz build -s none
for target in "${targets[@]}"; do
  mkdir -p "corpus/$target"
  echo "fuzz.sh: $target for ${seconds}s"
  cargo fuzz run -s none "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 2>&1 | grep -E "^(stat::number_of_executed_units|Done|==|SUMMARY)|panicked" || true
  if ls "artifacts/$target"/* >/dev/null 2>&1; then
    echo "fuzz.sh: $target found a failure: $(ls artifacts/$target)" >&2
    exit 1
  fi
done
echo "fuzz.sh: no failures"
