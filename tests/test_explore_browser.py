"""The explorer page in a real headless Chromium (Debian's), driven by Playwright as a user would.

Needs /usr/bin/chromium (`apt-get install -y chromium`, as .ci/run does) and the playwright package;
without them these tests are skipped with a message saying so. Playwright's own browser download
is never used (`playwright install` needs a host these machines cannot reach).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from test_explore_api import XSS, make_vectors

CHROMIUM = os.environ.get("EMBEDDINGS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("browser tests need Chromium: apt-get install -y chromium (or set EMBEDDINGS_CHROMIUM)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need playwright: pip install playwright")
uvicorn = pytest.importorskip("uvicorn")

from embeddings.explore.api import create_app  # noqa: E402
from embeddings.explore.projections import ProjectionStore  # noqa: E402
from embeddings.similarity import analogy, most_similar  # noqa: E402

ARGS = ["--no-sandbox", "--headless=new", "--disable-gpu", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def wv():
    v = make_vectors(n=600)
    # the untrusted word among the most frequent, so the map labels it too
    words = list(v.index_to_word)
    i = words.index(XSS)
    words[4], words[i] = words[i], words[4]
    from embeddings import WordVectors
    vecs = v.vectors.copy()
    vecs[[4, i]] = vecs[[i, 4]]
    return WordVectors(words, vecs, v.counts)


@pytest.fixture(scope="module")
def server(wv, tmp_path_factory):
    yield from _serve(wv, tmp_path_factory)


def _serve(wv, tmp_path_factory):
    store = ProjectionStore(wv.vectors, wv.index_to_word, tmp_path_factory.mktemp("cache"))
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(wv, store, name="browser-test"), host="127.0.0.1", port=port,
                                        log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)
    store.shutdown()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server, tmp_path):
    yield from _page(browser, server)


def _page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    pg = context.new_page()
    pg.dialogs, pg.errors, pg.outside = [], [], []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.on("request", lambda r: None if r.url.startswith((server, "blob:", "data:")) else pg.outside.append(r.url))
    yield pg
    assert not pg.errors, pg.errors
    assert not pg.outside, f"requests left the machine: {pg.outside}"
    context.close()


def open_page(page, server, query=""):
    page.goto(f"{server}/{query}")
    page.wait_for_selector("body[data-ready='1']", timeout=30_000)


def listed(page, selector):
    return page.locator(f"{selector} li .word").all_text_contents()


def state(page):
    return page.evaluate("() => ({...window.embeddingsExplorer.state})")


def test_search_lists_neighbours_and_draws_them(page, server, wv, tmp_path):
    open_page(page, server)
    assert page.evaluate("() => window.embeddingsExplorer.map.words.length") == len(wv)
    page.get_by_label("Search words", exact=True).fill("kin")
    page.wait_for_selector("#suggestions [role=option]")
    assert page.locator("#suggestions [role=option]").all_text_contents()[:3] == ["king", "kingdom", "kind"]
    page.locator("#suggestions [role=option]", has_text="king").first.dispatch_event("mousedown")
    page.wait_for_function("() => document.querySelectorAll('#neighbors li').length === 10")
    assert listed(page, "#neighbors") == [w for w, _ in most_similar(wv, "king", topn=10)]
    roles = page.evaluate("() => Object.fromEntries([...window.embeddingsExplorer.map.roles].map(([i, r]) => "
                          "[window.embeddingsExplorer.map.words[i], r]))")
    assert roles["king"] == "selected" and sum(r == "neighbor" for r in roles.values()) == 10
    assert parse_qs(urlparse(page.url).query)["word"] == ["king"]
    page.get_by_label("Score", exact=True).select_option("dot")
    page.wait_for_function("() => document.querySelector('#neighbors li .word').textContent !== ''")
    page.wait_for_timeout(300)
    assert listed(page, "#neighbors") == [w for w, _ in most_similar(wv, "king", topn=10, metric="dot")]
    page.get_by_role("button", name="Isolate").click()
    page.wait_for_function("() => window.embeddingsExplorer.map.words.length === 11")
    # the isolated map is drawn with the word and its neighbours highlighted, and no error
    page.wait_for_function("() => window.embeddingsExplorer.map.roles.size === 11")
    assert not page.text_content("#error")
    page.screenshot(path=str(tmp_path / "search.png"))


def test_switch_pca_to_umap_and_3d(page, server, wv):
    open_page(page, server)
    page.get_by_label("Projection", exact=True).select_option("umap")
    page.wait_for_function("() => document.querySelector('#status').textContent.startsWith('UMAP 2D')", timeout=240_000)
    assert page.evaluate("() => window.embeddingsExplorer.map.words.length") == len(wv)
    assert state(page)["method"] == "umap" and "method=umap" in page.url
    page.get_by_label("Projection", exact=True).select_option("pca")
    page.get_by_label("Dimensions", exact=True).select_option("3")
    page.wait_for_function("() => document.querySelector('#status').textContent.startsWith('PCA 3D')")
    assert page.evaluate("() => window.embeddingsExplorer.map.camera.isPerspectiveCamera")


def test_analogy_answers_and_arrows(page, server, wv):
    open_page(page, server)
    page.get_by_label("Analogy a", exact=True).fill("man")
    page.get_by_label("Analogy b", exact=True).fill("king")
    page.get_by_label("Analogy c", exact=True).fill("woman")
    page.get_by_role("button", name="Solve").click()
    page.wait_for_function("() => document.querySelectorAll('#analogy-results li').length === 10")
    expected = [w for w, _ in analogy(wv, "man", "king", "woman", topn=10)]
    assert listed(page, "#analogy-results") == expected
    assert page.evaluate("() => window.embeddingsExplorer.map.arrows.length") == 2
    assert page.locator("#analogy-expr").text_content() == "king − man + woman = ?"
    page.get_by_role("button", name="Show alone").click()       # re-project the analogy's words alone
    page.wait_for_function("() => window.embeddingsExplorer.map.words.length === 8")
    assert set(page.evaluate("() => window.embeddingsExplorer.map.words")) == {"man", "king", "woman", *expected[:5]}
    assert "isolate=analogy" in page.url


def test_custom_axes(page, server, wv):
    open_page(page, server)
    for label, word in (("X axis from", "man"), ("X axis to", "woman"), ("Y axis from", "poor"), ("Y axis to", "rich")):
        page.get_by_label(label, exact=True).fill(word)
    page.get_by_role("button", name="Apply axes").click()
    page.wait_for_function("() => document.querySelector('#status').textContent.includes('words on custom axes')")
    assert page.get_by_label("Projection", exact=True).input_value() == "custom"
    assert page.evaluate("() => window.embeddingsExplorer.map.axisTitles.x").endswith("woman")
    query = parse_qs(urlparse(page.url).query)
    assert query["x"] == ["man,woman"] and query["y"] == ["poor,rich"]


def test_shared_url_restores_the_view(page, server, wv):
    open_page(page, server, "?word=queen&k=5&method=pca&dim=3&a=man&b=king&c=woman&am=mul&sa=dog&sb=cat&scale=3")
    page.wait_for_function("() => document.querySelectorAll('#neighbors li').length === 5")
    assert page.get_by_label("Search words", exact=True).input_value() == "queen"
    assert listed(page, "#neighbors") == [w for w, _ in most_similar(wv, "queen", topn=5)]
    assert page.get_by_label("Dimensions", exact=True).input_value() == "3"
    assert page.get_by_label("Analogy method", exact=True).input_value() == "mul"
    assert listed(page, "#analogy-results") == [w for w, _ in analogy(wv, "man", "king", "woman", 10, "mul")]
    # the lesson: scaling dog by 3 triples the dot product and leaves the cosine alone
    a, b = wv["dog"].astype(float), wv["cat"].astype(float)
    assert float(page.locator("#sim-dot").text_content()) == pytest.approx(a @ b, abs=1e-3)
    assert float(page.locator("#sim-dot2").text_content()) == pytest.approx(3 * (a @ b), abs=2e-3)
    assert page.locator("#sim-cos").text_content() == page.locator("#sim-cos2").text_content()


def test_untrusted_word_is_text(page, server):
    open_page(page, server)
    page.get_by_label("Search words", exact=True).fill("<img")
    page.wait_for_selector("#suggestions [role=option]")
    assert page.locator("#suggestions [role=option]").first.text_content() == XSS
    page.get_by_label("Search words", exact=True).press("ArrowDown")
    page.get_by_label("Search words", exact=True).press("Enter")
    page.wait_for_function("() => document.querySelectorAll('#neighbors li').length === 10")
    page.wait_for_timeout(500)
    assert page.dialogs == []
    assert page.locator("img").count() == 0 and page.get_by_label("Search words", exact=True).input_value() == XSS
    assert page.evaluate("() => window.embeddingsExplorer.map.placed.some(l => "
                         "window.embeddingsExplorer.map.words[l.i] === '<img src=x onerror=alert(1)>')")


def test_export_svg_and_png(page, server):
    open_page(page, server, "?word=king")
    page.wait_for_function("() => document.querySelectorAll('#neighbors li').length === 10")
    with page.expect_download() as dl:
        page.get_by_role("button", name="Save as SVG").click()
    svg = Path(dl.value.path()).read_text()
    assert svg.startswith("<svg") and ">king</text>" in svg and svg.count("<circle") > 100
    with page.expect_download() as dl:
        page.get_by_role("button", name="Save as PNG").click()
    assert Path(dl.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_control_is_labelled(page, server):
    open_page(page, server)
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select, button, textarea')]
        .filter(e => !(e.getAttribute('aria-label') || (e.labels && e.labels.length) || e.textContent.trim()))
        .map(e => e.outerHTML)""")
    assert unlabelled == []


@pytest.fixture(scope="module")
def subword_server(wv, tmp_path_factory):
    """The same words with fastText-style n-gram rows: any word typed has a vector."""
    import numpy as np
    from embeddings import SubwordVectors
    rng = np.random.default_rng(0)
    sv = SubwordVectors(wv.index_to_word, wv.vectors, rng.normal(scale=0.1, size=(2000, wv.dim)), 3, 6, wv.counts)
    yield from _serve(sv, tmp_path_factory)


def test_unseen_word_gets_neighbours_from_its_ngrams_and_a_note(browser, subword_server):
    for page in _page(browser, subword_server):
        open_page(page, subword_server, "?word=kingz")
        page.wait_for_function("() => document.querySelectorAll('#neighbors li').length === 10")
        assert "“kingz” is not in the vocabulary" in page.text_content("#unseen-note")
        # Isolate re-projects the unseen word with its neighbours, labelled in italics, and says so
        page.get_by_role("button", name="Isolate").click()
        page.wait_for_function("() => window.embeddingsExplorer.map.words.length === 11")
        words = page.evaluate("() => window.embeddingsExplorer.map.words")
        italic = page.evaluate("() => [...window.embeddingsExplorer.map.fromNgrams]"
                               ".map((i) => window.embeddingsExplorer.map.words[i])")
        assert "kingz" in words and italic == ["kingz"] and not page.text_content("#error")
        assert "not in the vocabulary, placed by character n-grams" in page.text_content("#map-caption")
        page.get_by_role("button", name="Show all").click()
        page.wait_for_function("() => window.embeddingsExplorer.map.fromNgrams.size === 0")
        page.get_by_label("Search words", exact=True).fill("king")
        page.get_by_label("Search words", exact=True).press("Enter")
        page.wait_for_function("() => document.querySelector('#unseen-note').textContent === ''")
