#!/usr/bin/env bash
# CUDA check and benchmark on one GPU: first the tests that compare the GPU's steps with the CPU's
# (tests/test_cuda.py), then our trainer on the bundled corpus, 5 epochs, skip-gram and CBOW,
# word-only at each batch size in $BATCHES and with subwords (3-6) at the default batch; prints
# words/s and the accuracy each reached. A few minutes in all.
#   bash scripts/bench_gpu.sh                      (needs a CUDA build of torch and one GPU)
#   BATCHES="8192 65536 262144" bash scripts/bench_gpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import torch, sys; ok = torch.cuda.is_available(); print(torch.__version__, torch.cuda.get_device_name() if ok else 'no CUDA device'); sys.exit(0 if ok else 1)"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
python3 -m pytest -q tests/test_cuda.py
for arch in skipgram cbow; do
  for batch in ${BATCHES:-8192 65536}; do
    python3 scripts/bench_train.py --arch "$arch" --device cuda --peers none --repeats 1 --batch-size "$batch" | tail -1
  done
  python3 scripts/bench_train.py --arch "$arch" --device cuda --peers none --repeats 1 --subwords 3-6 | tail -1
done
