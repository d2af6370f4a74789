#!/bin/sh
# Regenerate every reference file under tests/ref/data with Debian's torch 1.13.1.
# Deterministic: `make ref && git diff --exit-code` shows the committed data is current.
set -e
cd "$(dirname "$0")"
PY=/usr/bin/python3
if ! $PY -c 'import torch' 2>/dev/null; then
    echo "make ref: needs Debian's python3-torch (apt-get install python3-torch)" >&2
    exit 1
fi
export OMP_NUM_THREADS=1
# torch's matmuls go through Debian's OpenBLAS, whose kernel choice changes the last bits:
# the committed data was made with the Haswell kernel (this machine's default), so pin it.
export OPENBLAS_CORETYPE=Haswell
for g in gen_*.py; do
    echo "== $g"
    $PY "$g"
done
