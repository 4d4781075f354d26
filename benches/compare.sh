#!/bin/bash
# Two (or more) flowsim binaries timed in alternating rounds on one scenario, as issue 18's
# before/after figures in the README were measured: on a shared, noisy machine only times
# taken side by side compare. Each round runs every binary once under `perf stat -r 3` (or
# `time` where perf is missing); prints each binary's median and the ratio of the first to
# each other.
#
#   bash benches/compare.sh [-n ROUNDS] SCENARIO "FLOWSIM ARGS" BIN1 BIN2 [BIN...]
#   e.g. bash benches/compare.sh -n 11 tk-pull.toml "--reps 400 --threads 1" old/flowsim target/release/flowsim
set -u
rounds=9
if [ "${1:-}" = "-n" ]; then rounds=$2; shift 2; fi
[ $# -ge 4 ] || { sed -n 2,10p "$0" >&2; exit 2; }
scenario=$1; args=$2; shift 2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
one() {
  if command -v perf >/dev/null; then
    perf stat -r 3 "$1" run "$scenario" $args -q --no-charts --out "$tmp/o" --force 2>&1 |
      awk '/time elapsed/ { print $1 }'
  else
    TIMEFORMAT=%R; { time "$1" run "$scenario" $args -q --no-charts --out "$tmp/o" --force >/dev/null 2>&1; } 2>&1
  fi
}
for r in $(seq "$rounds"); do
  for i in $(seq $#); do
    echo "${!i}" "$(one "${!i}")" >>"$tmp/times"
  done
done
first=""
for i in $(seq $#); do
  m=$(awk -v b="${!i}" '$1 == b { print $2 }' "$tmp/times" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  [ -z "$first" ] && first=$m
  printf '%-40s median %s s  %.2fx\n' "${!i}" "$m" "$(awk -v a="$first" -v b="$m" 'BEGIN { print a / b }')"
done
