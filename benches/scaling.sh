#!/bin/bash
# Thread scaling and single-thread times of the release binary, as quoted in the README's
# Performance section (issue 18). Run from the repository root after `cargo build --release`:
#
#   bash benches/scaling.sh [THREADS...]        # default: 1 2 4 and every core
#
# Prints, per thread count, the wall-clock seconds of three runs of 2,000 replications of the
# built-in reference scenario (3 policies) and their median, then checks that the files agree
# whatever the thread count. Not part of `cargo test`: timings belong to benchmarks.
set -u
bin=${FLOWSIM:-target/release/flowsim}
[ -x "$bin" ] || { echo "no $bin: run cargo build --release first" >&2; exit 2; }
threads=${*:-"1 2 4 $(nproc)"}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
TIMEFORMAT=%R
one=""
for n in $threads; do
  times=()
  for i in 1 2 3; do
    t=$( { time "$bin" run --reps 2000 --threads "$n" -q --no-charts --out "$tmp/t$n-$i" >/dev/null 2>&1; } 2>&1 )
    times+=("$t")
  done
  median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 2p)
  [ -z "$one" ] && one=$median
  printf 'threads %3s  runs %s  median %s s  speed-up %.2fx\n' "$n" "${times[*]}" "$median" \
    "$(awk -v a="$one" -v b="$median" 'BEGIN { print a / b }')"
done
first=$(echo $threads | cut -d' ' -f1); last=${threads##* }
cmp -s "$tmp/t$first-1/summary.csv" "$tmp/t$last-1/summary.csv" &&
  echo "summary.csv identical for $first and $last threads" ||
  { echo "summary.csv differs between $first and $last threads" >&2; exit 1; }
