"""Screenshots of the explorer for the README, taken in headless Chromium from a running server.

    embeddings explore --no-browser &            # serves model/ on 127.0.0.1:8000
    python scripts/explorer_screenshots.py --url http://127.0.0.1:8000 --out docs/figures

Each view is opened by its shareable URL, so every picture can be reproduced by pasting the URL.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("EMBEDDINGS_CHROMIUM", "/usr/bin/chromium")
VIEWS = {
    "explorer_tsne_king": "?method=tsne&word=king&sa=dog&sb=cat",
    "explorer_analogy": "?a=man&b=king&c=woman&isolate=analogy&sa=king&sb=queen",
    "explorer_axes": "?method=custom&x=man,woman&y=poor,rich&n=1000&word=king",
    "explorer_umap_3d": "?method=umap&dim=3&word=computer",
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--out", default="docs/figures")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--headless=new", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        for name, query in VIEWS.items():
            page.goto(args.url.rstrip("/") + "/" + query)
            page.wait_for_selector("body[data-ready='1']", timeout=600_000)
            # t-SNE / UMAP may still be computing: wait until the status names the projection asked for
            page.wait_for_function("() => !document.querySelector('#status').textContent.includes('meanwhile')",
                                   timeout=600_000)
            page.wait_for_timeout(600)
            page.screenshot(path=str(out / f"{name}.png"))
            print(out / f"{name}.png")
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
