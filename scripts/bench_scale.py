"""Scaling with processes: words/s and accuracy for 1, 2, 4 ... processes, launched by torchrun.

    python scripts/bench_scale.py                          # bundled corpus; 1 and 2 processes
    python scripts/bench_scale.py --procs 1,2,4 --threads 1 --device cuda
    python scripts/bench_scale.py --procs 2,4 --train "--sync-rows 0"   # other `embeddings train` options

Each configuration trains the default model on the same corpus and epochs in its own processes
(1 process: plain `embeddings train`; N > 1: `torchrun --nproc-per-node N -m embeddings train`),
then the vectors are scored by the same code: Google analogies (3CosAdd), WordSim-353, SimLex-999
and MEN-3000.
words/s is the corpus words of all processes over the training seconds rank 0 reports.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from embeddings.formats import DATA_DIR, load_vectors  # noqa: E402
from embeddings.similarity import evaluate_analogies, evaluate_word_pairs  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(procs: int, threads: int, args: list[str], out: Path) -> dict:
    train = ["-m", "embeddings", "train", *args, "--output", str(out), "--quiet"]
    if procs > 1:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(procs),
               "--master-addr", "127.0.0.1", "--master-port", str(free_port()), *train]
    else:
        cmd = [sys.executable, *train]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    if r.returncode != 0:
        raise SystemExit(f"{procs} process(es) failed:\n{r.stderr[-2000:]}")
    m = re.search(r"trained ([\d,]+) words.* in ([\d.]+) s", r.stdout)
    wv = load_vectors(out / "vectors.bin")
    a = evaluate_analogies(wv, DATA_DIR / "questions-words.txt")
    pairs = {name: evaluate_word_pairs(wv, DATA_DIR / f"{name}.tsv").spearman
             for name in ("wordsim353", "simlex999", "men3000")}
    words, seconds = int(m.group(1).replace(",", "")), float(m.group(2))
    return {"words/s": words / seconds, "seconds": seconds, "analogies": a.accuracy, "ws353": pairs["wordsim353"],
            "simlex": pairs["simlex999"], "men": pairs["men3000"]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--procs", default="1,2", help="process counts to try (1,2)")
    ap.add_argument("--threads", type=int, default=0, help="threads per process (0: cores / processes)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--train", default="", help="more `embeddings train` options for every run, quoted")
    ap.add_argument("corpus", nargs="*", help="corpus files (default: the bundled corpus)")
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    extra = shlex.split(args.train)
    print(f"{cores} CPUs; device {args.device}; {args.epochs} epochs; {args.train or 'defaults'} otherwise\n")
    print("| processes | threads each | seconds | words/s | speed-up | analogies | WordSim-353 | SimLex-999 | MEN-3000 |")
    print("|---|---|---|---|---|---|---|---|---|")
    base = None
    for n in (int(x) for x in args.procs.split(",")):
        threads = args.threads or max(1, cores // n)
        with tempfile.TemporaryDirectory() as tmp:
            r = run(n, threads, [*args.corpus, "--epochs", str(args.epochs), "--device", args.device, *extra],
                    Path(tmp) / "m")
        base = base or r["words/s"]
        print(f"| {n} | {threads} | {r['seconds']:.1f} | {r['words/s']:,.0f} | {r['words/s'] / base:.2f} | "
              f"{r['analogies']:.2%} | {r['ws353']:.3f} | {r['simlex']:.3f} | {r['men']:.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
