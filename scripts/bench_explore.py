"""Benchmark the explorer as a user meets it: a real server process, real HTTP, a real browser.

    python scripts/bench_explore.py [--model model/] [--clients 8] [--requests 2000]

Measures, in one run:
  1. neighbours and analogy latency with N concurrent keep-alive clients on localhost (a fixed
     number of requests, then it stops): median and p99 per endpoint;
  2. t-SNE and UMAP of the 10,000 most frequent words the first time (an empty cache) and cached;
  3. in headless Chromium: seconds from navigation to a drawn 10,000-word map with the
     projection cached, and the time one frame of the whole vocabulary takes to draw while
     panning (labels, picking and WebGL; software GL in a machine without a GPU);
  4. the server's resident memory against the issue's budget (2 x the vectors + 300 MB); the
     projection worker is a separate process and is reported apart.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from embeddings.formats import find_model  # noqa: E402
from embeddings.formats import load_vectors  # noqa: E402
from embeddings.similarity import read_analogies  # noqa: E402

CHROMIUM = os.environ.get("EMBEDDINGS_CHROMIUM", "/usr/bin/chromium")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: Path, cache: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "embeddings", "explore", "--model", str(model), "--port", str(port),
                             "--no-browser", "--cache", str(cache)], stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            httpx.get(url + "/api/info", timeout=1)
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start: " + (proc.stderr.read() if proc.stderr else ""))


def percentile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))]


def latency(url: str, wv, clients: int, total: int) -> dict[str, list[float]]:
    index = {w: i for i, w in enumerate(wv.index_to_word)}
    questions = [q for _, qs in read_analogies(ROOT / "data" / "questions-words.txt") for q in qs
                 if all(w in index for w in q)]
    words = list(wv.index_to_word[:20000])
    rng = random.Random(0)
    jobs = [("neighbors", {"word": rng.choice(words), "k": 10}) if i % 2 == 0 else
            ("analogy", dict(zip("abc", rng.choice(questions)[:3]), k=10)) for i in range(total)]
    times: dict[str, list[float]] = {"neighbors": [], "analogy": []}
    lock = threading.Lock()
    position = iter(range(total))

    def client():
        with httpx.Client(base_url=url, timeout=30) as c:
            c.get("/api/info")
            while True:
                with lock:
                    i = next(position, None)
                if i is None:
                    return
                kind, params = jobs[i]
                t = time.perf_counter()
                r = c.get(f"/api/{kind}", params=params)
                dt = time.perf_counter() - t
                r.raise_for_status()
                with lock:
                    times[kind].append(dt * 1000)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


def projection_time(url: str, method: str, n: int) -> tuple[float, float]:
    """(seconds until ready from an empty cache, seconds of a cached request)."""
    t = time.perf_counter()
    while True:
        r = httpx.get(url + "/api/projection", params={"method": method, "n": n}, timeout=120)
        if r.status_code == 200:
            break
        r.raise_for_status()
        time.sleep(0.5)
    first = time.perf_counter() - t
    t = time.perf_counter()
    httpx.get(url + "/api/projection", params={"method": method, "n": n}, timeout=120).raise_for_status()
    return first, time.perf_counter() - t


def browser(url: str, vocab: int) -> dict:
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless=new",
                              "--disable-background-networking", "--disable-component-update", "--disable-sync",
                              "--use-angle=swiftshader", "--enable-unsafe-swiftshader"])
        page = b.new_page(viewport={"width": 1400, "height": 860})
        loads = []
        for _ in range(3):
            t = time.perf_counter()
            page.goto(url + "/?method=tsne&n=10000")
            page.wait_for_selector("body[data-ready='1']", timeout=60_000)
            loads.append(time.perf_counter() - t)
        out["load_10k_tsne_cached_s"] = statistics.median(loads)
        page.goto(url + f"/?method=pca&n={vocab}")
        page.wait_for_selector("body[data-ready='1']", timeout=120_000)
        out["frame_ms"] = page.evaluate("""() => {
            const m = window.embeddingsExplorer.map, times = [];
            for (let k = 0; k < 40; k++) {
              m.camera.position.x += 0.01; m.camera.zoom = 1 + k * 0.05; m.camera.updateProjectionMatrix();
              const t = performance.now(); m.draw(); m.renderer.getContext().finish(); times.push(performance.now() - t);
            }
            times.sort((a, b) => a - b);
            return {median: times[20], p90: times[36]};
        }""")
        out["labels_drawn"] = page.evaluate("() => window.embeddingsExplorer.map.placed.length")
        b.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--skip-projections", action="store_true", help="skip the t-SNE/UMAP timings")
    args = ap.parse_args()
    model = find_model(args.model)
    wv = load_vectors(model)
    vec_mb = wv.vectors.nbytes / 2**20
    print(f"model {model}: {len(wv):,} words x {wv.dim}, vectors {vec_mb:.0f} MB; "
          f"{os.cpu_count()} CPUs; {args.clients} clients, {args.requests} requests")
    with tempfile.TemporaryDirectory() as cache:
        proc, url = start_server(model, Path(cache))
        try:
            server = psutil.Process(proc.pid)
            times = latency(url, wv, args.clients, args.requests)
            print("\n| endpoint | requests | median ms | p99 ms |\n|---|---|---|---|")
            for kind, xs in times.items():
                print(f"| {kind} | {len(xs)} | {statistics.median(xs):.1f} | {percentile(xs, 99):.1f} |")
            if not args.skip_projections:
                print("\n| projection (10,000 words) | first time s | cached s |\n|---|---|---|")
                for method in ("pca", "tsne", "umap"):
                    first, cached = projection_time(url, method, 10_000)
                    print(f"| {method} | {first:.1f} | {cached:.2f} |")
            if Path(CHROMIUM).exists():
                if args.skip_projections:
                    projection_time(url, "tsne", 10_000)
                b = browser(url, len(wv))
                print(f"\nbrowser: 10,000-word t-SNE map drawn {b['load_10k_tsne_cached_s']:.2f} s after navigation "
                      f"(cached, median of 3); a frame of all {len(wv):,} words: median {b['frame_ms']['median']:.1f} ms, "
                      f"p90 {b['frame_ms']['p90']:.1f} ms ({b['labels_drawn']} labels)")
            rss = server.memory_info().rss / 2**20
            budget = 2 * vec_mb + 300
            print(f"\nserver memory: {rss:.0f} MB resident (budget 2 x {vec_mb:.0f} + 300 = {budget:.0f} MB): "
                  f"{'within' if rss <= budget else 'OVER'}")
        finally:
            proc.terminate()
            proc.wait(10)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
