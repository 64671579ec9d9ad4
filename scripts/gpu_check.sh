#!/usr/bin/env bash
# The GPU check of the mjwarp engine (scripts/gpu_check.py says what it prints), as one command on
# a machine with an NVIDIA GPU, from a trackbench checkout installed with its gpu extra:
#     make setup && .venv/bin/python -m pip install -e '.[gpu]' && bash scripts/gpu_check.sh
# Exits 2 at once where there is no CUDA device; stops after 10 minutes whatever it has printed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
exec timeout 600 env PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" scripts/gpu_check.py "$@"
