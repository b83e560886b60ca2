#!/usr/bin/env bash
# CUDA benchmark: our trainer on one GPU, skip-gram and CBOW, 5 epochs on the bundled corpus,
# for a few batch sizes; prints words/s and the accuracy each reached. Runs in a few minutes.
#   bash scripts/bench_gpu.sh            (needs a CUDA build of torch and one GPU)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import torch, sys; ok = torch.cuda.is_available(); print(torch.cuda.get_device_name() if ok else 'no CUDA device'); sys.exit(0 if ok else 1)"
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true
for arch in skipgram cbow; do
  for batch in 8192 65536 262144; do
    python3 scripts/bench_train.py --arch "$arch" --device cuda --no-gensim --repeats 1 --batch-size "$batch" | tail -1
  done
done
