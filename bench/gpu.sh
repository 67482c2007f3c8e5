#!/usr/bin/env bash
# `make bench-gpu`: every benchmark on a GPU machine that has Python 3.12, torch and torchvision but none of the
# web stack. The wheels in bench/wheels/ (`make bench-wheels` fetches them where PyPI is reachable; ~32 MB,
# not in git) are unpacked into .bench-site/ and put first on PYTHONPATH, for this script's processes only;
# nothing is installed into the machine's Python. Then `python -m bench --device cuda` prints every table,
# within 5 minutes on an H200.
#   bench/gpu.sh                   all benchmarks on the GPU
#   bench/gpu.sh --device cpu --quick     the same code paths on a CPU, short (a smoke test of this script)
#   bench/gpu.sh throughput api    some of them
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
WHEELS=${WHEELS:-bench/wheels}
SITE=${SITE:-.bench-site}

"$PYTHON" - <<'PY'
import sys
import torch, torchvision
print(f"python {sys.version.split()[0]}, torch {torch.__version__}, torchvision {torchvision.__version__}, "
      f"CUDA: {torch.cuda.get_device_name() if torch.cuda.is_available() else 'none'}", flush=True)
PY

if [ ! -f "$SITE/.complete" ]; then
  shopt -s nullglob
  wheels=("$WHEELS"/*.whl)
  if [ ${#wheels[@]} -eq 0 ]; then
    echo "bench/gpu.sh: no wheels in $WHEELS; run 'make bench-wheels' where PyPI is reachable" >&2
    exit 1
  fi
  rm -rf "$SITE" && mkdir -p "$SITE"
  # A wheel is installed by unpacking it; this needs no pip and touches nothing outside $SITE.
  for wheel in "${wheels[@]}"; do
    "$PYTHON" -m zipfile -e "$wheel" "$SITE"
  done
  touch "$SITE/.complete"
  echo "unpacked ${#wheels[@]} wheels into $SITE"
fi
export PYTHONPATH="$PWD/$SITE${PYTHONPATH:+:$PYTHONPATH}"
"$PYTHON" -c "import fastapi, uvicorn, pydantic_settings, multipart, plotly, babel, app.main" || {
  echo "bench/gpu.sh: the app does not import with the unpacked wheels (see above)" >&2; exit 1; }
# No benchmark named: the GPU set (python -m bench's GPU_SET), whatever the device.
named=0 skip=0
for arg in "$@"; do
  if [ $skip = 1 ]; then skip=0; continue; fi
  case "$arg" in --device) skip=1 ;; --*) ;; *) named=1 ;; esac
done
[ $named = 1 ] || set -- "$@" throughput api activations serving
exec timeout --kill-after=10 340 "$PYTHON" -m bench "$@"
