#!/usr/bin/env bash
# The Python package's tests: builds the wheel from this crate with maturin into a fresh virtual
# environment, then runs python/tests/ with pytest against the command line's CSV bytes.
# Needs python3 with venv and its headers (Debian: python3-venv, python3-dev) and PyPI.
# VENV=DIR reuses a folder (default: a fresh temporary one, removed afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
if [ -n "${VENV:-}" ]; then
    venv=$VENV
else
    venv=$(mktemp -d)/venv
    trap 'rm -rf "$(dirname "$venv")"' EXIT
fi
python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade "maturin>=1.16,<2" "pytest>=8" "pandas>=2"
wheels=$(mktemp -d)
start=$(date +%s)
"$venv/bin/maturin" build --release --locked --quiet -i "$venv/bin/python" -o "$wheels"
echo "python: wheel built in $(( $(date +%s) - start )) s"
"$venv/bin/pip" install -q --force-reinstall --no-deps "$wheels"/flowsim-*.whl
rm -rf "$wheels"
cargo build --release --locked --bin flowsim
# From outside the checkout, so `import flowsim` is the installed wheel, not python/flowsim.
cd "$(dirname "$venv")"
FLOWSIM_BIN="$root/target/release/flowsim" "$venv/bin/python" -m pytest -q -p no:cacheprovider "$root/python/tests"
