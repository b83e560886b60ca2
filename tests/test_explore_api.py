"""The explorer's JSON API through FastAPI's test client: answers against the library, every error."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
from fastapi.testclient import TestClient  # noqa: E402

from embeddings import WordVectors, save_vectors  # noqa: E402
from embeddings.explore.api import create_app  # noqa: E402
from embeddings.explore.projections import ProjectionStore  # noqa: E402
from embeddings.similarity import analogy, most_similar, project_on_axes  # noqa: E402

XSS = "<img src=x onerror=alert(1)>"


def make_vectors(n: int = 400, dim: int = 16, seed: int = 0) -> WordVectors:
    rng = np.random.default_rng(seed)
    words = ["king", "queen", "man", "woman", "dog", "cat", "poor", "rich", "kingdom", "kind", XSS, "ünïcode"]
    words += [f"w{i}" for i in range(n - len(words))]
    return WordVectors(words, rng.standard_normal((n, dim)).astype(np.float32), counts=np.arange(n, 0, -1) * 10)


@pytest.fixture(scope="module")
def wv():
    return make_vectors()


@pytest.fixture(scope="module")
def client(wv, tmp_path_factory):
    store = ProjectionStore(wv.vectors, wv.index_to_word, tmp_path_factory.mktemp("cache"))
    with TestClient(create_app(wv, store, name="test"), base_url="http://127.0.0.1") as c:
        yield c
    store.shutdown()


def ok(client, url):
    r = client.get(url)
    assert r.status_code == 200, r.text
    return r.json()


def test_info(client, wv):
    body = ok(client, "/api/info")
    assert body["words"] == len(wv) and body["dim"] == wv.dim and body["name"] == "test"


@pytest.mark.parametrize("metric", ["cosine", "dot"])
def test_neighbors_equal_library(client, wv, metric):
    body = ok(client, f"/api/neighbors?word=king&k=7&metric={metric}")
    expected = most_similar(wv, "king", topn=7, metric=metric)
    assert [r["word"] for r in body["neighbors"]] == [w for w, _ in expected]
    assert np.allclose([r["score"] for r in body["neighbors"]], [s for _, s in expected])
    assert all(wv.index_to_word[r["row"]] == r["word"] for r in body["neighbors"])


@pytest.mark.parametrize("method", ["add", "mul"])
def test_analogy_equals_library(client, wv, method):
    body = ok(client, f"/api/analogy?a=man&b=king&c=woman&k=5&method={method}")
    expected = analogy(wv, "man", "king", "woman", topn=5, method=method)
    assert [(r["word"], pytest.approx(r["score"])) for r in body["results"]] == [(w, pytest.approx(s)) for w, s in expected]
    assert not {"man", "king", "woman"} & {r["word"] for r in body["results"]}


def test_similarity_against_numpy(client, wv):
    body = ok(client, "/api/similarity?a=dog&b=cat")
    a, b = wv["dog"].astype(np.float64), wv["cat"].astype(np.float64)
    assert body["dot"] == pytest.approx(a @ b)
    assert body["norm_a"] == pytest.approx(np.linalg.norm(a)) and body["norm_b"] == pytest.approx(np.linalg.norm(b))
    assert body["cosine"] == pytest.approx(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_words_prefix_by_frequency_and_suggestions(client, wv):
    body = ok(client, "/api/words?prefix=kin&limit=20")
    plain = [w for w in wv.index_to_word if w.startswith("kin")]           # rows are in frequency order
    assert [r["word"] for r in body["words"]] == plain == ["king", "kingdom", "kind"]
    assert body["words"][0]["count"] == int(wv.counts[0])
    assert [r["word"] for r in ok(client, "/api/words?prefix=w1&limit=3")["words"]] == ["w1", "w10", "w11"]
    typo = ok(client, "/api/words?prefix=qeeun")
    assert typo["words"] == [] and "queen" in typo["suggestions"]
    assert len(ok(client, "/api/words?prefix=&limit=5")["words"]) == 5


def test_untrusted_word_round_trips_as_data(client):
    body = ok(client, "/api/words?prefix=%3Cimg&limit=5")
    assert [r["word"] for r in body["words"]] == [XSS]
    assert ok(client, "/api/similarity?a=" + XSS.replace(" ", "%20") + "&b=dog")["a"] == XSS


def test_pca_projection_and_cache(client, wv):
    body = ok(client, "/api/projection?method=pca&n=100&dim=3")
    assert body["status"] == "ready" and body["words"] == list(wv.index_to_word[:100])
    coords = np.array(body["coords"])
    assert coords.shape == (100, 3) and len(body["explained_variance_ratio"]) == 3
    from sklearn.decomposition import PCA
    ref = PCA(3, random_state=0).fit_transform(wv.vectors[:100])
    for j in range(3):  # the same axes, up to sign
        assert abs(np.corrcoef(coords[:, j], ref[:, j])[0, 1]) > 0.999
    again = ok(client, "/api/projection?method=pca&n=100&dim=3")
    assert again["coords"] == body["coords"] and again["seconds"] == body["seconds"]   # read from the cache


def test_isolate_projects_only_the_given_words(client, wv):
    words = ["king"] + [w for w, _ in most_similar(wv, "king", topn=8)]
    body = ok(client, "/api/projection?method=pca&dim=2&words=" + ",".join(words))
    assert body["words"] == words and np.array(body["coords"]).shape == (9, 2)


def test_tsne_computes_in_background_then_is_cached(client, wv):
    import time
    url = "/api/projection?method=tsne&n=60&dim=2"
    first = client.get(url)
    assert first.status_code == 202 and first.json()["status"] in ("computing", "queued")
    deadline = time.time() + 120
    while True:
        r = client.get(url)
        if r.status_code == 200 or time.time() > deadline:
            break
        assert 0.0 <= r.json()["progress"] <= 1.0
        time.sleep(0.3)
    assert r.status_code == 200, r.text
    body = r.json()
    assert np.array(body["coords"]).shape == (60, 2) and np.isfinite(body["coords"]).all()
    # a new store on the same folder (a server restarted) answers at once from the disk cache
    store = client.app.state.explorer.store
    fresh = ProjectionStore(wv.vectors, wv.index_to_word, store.cache_dir)
    assert fresh.get("tsne", 2, np.arange(60))["status"] == "ready"


def test_custom_axes_equal_library(client, wv):
    body = ok(client, "/api/axes?x=man,woman&y=poor,rich&words=king,queen,dog")
    expected = project_on_axes(wv, ["king", "queen", "dog", "man", "woman", "poor", "rich"], ("man", "woman"), ("poor", "rich"))
    assert np.allclose(body["coords"], expected, atol=1e-4)
    assert body["x"] == ["man", "woman"] and body["words"] == ["king", "queen", "dog", "man", "woman", "poor", "rich"]
    assert len(ok(client, "/api/axes?x=man,woman&y=poor,rich&n=50")["coords"]) == 50
    few = ok(client, "/api/axes?x=man,woman&y=w300,rich&n=3")                 # axis words always answered
    assert few["words"] == ["king", "queen", "man", "woman", "w300", "rich"]


@pytest.mark.parametrize("url, status, needle", [
    ("/api/neighbors?word=kign", 404, "'kign'"),
    ("/api/neighbors?word=king&k=0", 422, "k"),
    ("/api/neighbors?word=king&k=100000", 422, "k"),
    ("/api/neighbors?word=king&k=ten", 422, "k"),
    ("/api/neighbors?word=king&metric=euclid", 422, "metric"),
    ("/api/neighbors", 422, "word"),
    ("/api/analogy?a=man&b=king", 422, "c"),
    ("/api/analogy?a=man&b=kingg&c=woman", 404, "b: word 'kingg'"),
    ("/api/analogy?a=man&b=king&c=woman&method=sub", 422, "method"),
    ("/api/similarity?a=dog&b=zzzz", 404, "b: word 'zzzz'"),
    ("/api/words?limit=0", 422, "limit"),
    ("/api/words?limit=5000", 422, "limit"),
    ("/api/projection?method=mds", 422, "method"),
    ("/api/projection?n=2", 422, "n"),
    ("/api/projection?n=999999", 400, "n must be at most 400"),
    ("/api/projection?dim=4", 422, "dim"),
    ("/api/projection?words=king,nope", 404, "'nope'"),
    ("/api/projection?words=king,queen", 400, "more than 2 words"),
    ("/api/projection?words=,,,", 400, "no words given"),
    ("/api/axes?x=man,woman&y=poor,rich&words=", 400, "no words given"),
    ("/api/axes?x=man&y=poor,rich", 400, "x must be two words"),
    ("/api/axes?x=man,man&y=poor,rich", 400, "no direction"),
    ("/api/axes?x=man,woman&y=poor,riches", 404, "'riches'"),
    ("/api/nothing", 404, "no such"),
])
def test_errors_are_json_naming_the_problem(client, url, status, needle):
    r = client.get(url)
    assert r.status_code == status, r.text
    body = r.json()
    assert needle in body["error"]
    assert "Traceback" not in r.text


def test_unknown_word_suggests(client):
    body = client.get("/api/neighbors?word=qeen").json()
    assert "queen" in body["suggestions"] and body["word"] == "qeen"


def test_foreign_host_refused(wv):
    with TestClient(create_app(wv, None), base_url="http://evil.example") as c:
        assert c.get("/api/info").status_code == 400


def test_page_and_docs_are_local(client):
    page = client.get("/")
    assert page.status_code == 200 and 'aria-label="Search words"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for url in ("/static/app.js", "/static/map.js", "/static/style.css", "/static/vendor/three.module.js",
                "/static/vendor/OrbitControls.js", "/docs", "/openapi.json"):
        assert client.get(url).status_code == 200, url
    docs = client.get("/docs").text
    assert "cdn" not in docs.lower() and "/static/vendor/swagger-ui-bundle.js" in docs
    spec = client.get("/openapi.json").json()
    for path in ("/api/neighbors", "/api/analogy", "/api/similarity", "/api/words", "/api/projection", "/api/axes"):
        assert path in spec["paths"]


def test_projector_export(client, wv):
    vectors = client.get("/api/export/vectors.tsv").text.splitlines()
    assert len(vectors) == len(wv)
    assert np.allclose(np.array([row.split("\t") for row in vectors], dtype=np.float32), wv.vectors, atol=1e-5)
    meta = client.get("/api/export/metadata.tsv").text.split("\n")
    assert meta[0] == "word\tcount" and meta[1] == f"king\t{wv.counts[0]}" and len(meta) == len(wv) + 2
    config = json.loads(client.get("/api/export/projector_config.json").text)
    assert config["embeddings"][0]["tensorShape"] == [len(wv), wv.dim]


def test_concurrent_requests_agree(client, wv):
    words = list(wv.index_to_word[:40])
    expected = {w: [x for x, _ in most_similar(wv, w, topn=5)] for w in words}
    errors = []

    def ask(word):
        r = client.get(f"/api/neighbors?word={word}&k=5")
        if [x["word"] for x in r.json()["neighbors"]] != expected[word]:
            errors.append(word)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(ask, words * 4))
    assert not errors and threading.active_count() < 50


def test_cli_export_projector(tmp_path, wv):
    from embeddings.cli import main
    model = tmp_path / "vectors.txt"
    wv_plain = WordVectors([w for w in wv.index_to_word if " " not in w], wv.vectors[[i for i, w in enumerate(wv.index_to_word) if " " not in w]])
    save_vectors(wv_plain, model)
    assert main(["export", "--projector", str(tmp_path / "proj"), "--model", str(model)]) == 0
    rows = (tmp_path / "proj" / "vectors.tsv").read_text().splitlines()
    assert np.allclose(np.array([r.split("\t") for r in rows], dtype=np.float32), wv_plain.vectors, atol=1e-5)
    meta = (tmp_path / "proj" / "metadata.tsv").read_text().splitlines()
    assert meta[1:] == [f"{w}\t" for w in wv_plain.index_to_word]
    config = json.loads((tmp_path / "proj" / "projector_config.json").read_text())
    assert config["embeddings"][0]["tensorPath"] == "vectors.tsv"


def test_cli_explore_errors(tmp_path, monkeypatch, capsys):
    from embeddings.cli import main
    monkeypatch.chdir(tmp_path)
    assert main(["explore", "--no-browser"]) == 1
    assert "embeddings train" in capsys.readouterr().err           # no model yet: says how to make one
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        save_vectors(WordVectors(["a", "b", "c", "d"], np.eye(4)), tmp_path / "v.txt")
        assert main(["explore", "--no-browser", "--model", "v.txt", "--port", str(port)]) == 1
        assert f"port {port}" in capsys.readouterr().err


def test_batcher_scores_equal_a_plain_product():
    from embeddings.explore.batching import ScoreBatcher
    rng = np.random.default_rng(3)
    table = rng.standard_normal((500, 12)).astype(np.float32)
    queries = rng.standard_normal((64, 12)).astype(np.float32)
    batcher = ScoreBatcher(table)
    with ThreadPoolExecutor(16) as pool:                     # many at once: batched together
        got = list(pool.map(batcher.scores, queries))
    for q, s in zip(queries, got):
        assert np.allclose(s, table @ q, atol=1e-5)
    with pytest.raises(ValueError):                           # a bad query fails its caller, not the thread
        batcher.scores(np.ones(5, dtype=np.float32))
    assert np.allclose(batcher.scores(queries[0]), table @ queries[0], atol=1e-5)


def test_api_agrees_with_gensim_on_a_file_gensim_wrote(tmp_path):
    gensim_models = pytest.importorskip("gensim.models")
    rng = np.random.default_rng(5)
    words = ["king", "queen", "man", "woman", "dog", "cat"] + [f"w{i}" for i in range(194)]
    kv = gensim_models.KeyedVectors(vector_size=20)
    kv.add_vectors(words, rng.standard_normal((len(words), 20)).astype(np.float32))
    path = tmp_path / "gensim.bin"
    kv.save_word2vec_format(str(path), binary=True)
    from embeddings import load_vectors
    with TestClient(create_app(load_vectors(path), None), base_url="http://127.0.0.1") as c:
        got = c.get("/api/neighbors?word=dog&k=8").json()["neighbors"]
        assert [(r["word"], pytest.approx(r["score"], abs=1e-5)) for r in got] == kv.most_similar("dog", topn=8)
        got = c.get("/api/analogy?a=man&b=king&c=woman&k=8").json()["results"]
        expected = kv.most_similar(positive=["king", "woman"], negative=["man"], topn=8)
        assert [(r["word"], pytest.approx(r["score"], abs=1e-5)) for r in got] == expected
        got = c.get("/api/analogy?a=man&b=king&c=woman&k=8&method=mul").json()["results"]
        expected = kv.most_similar_cosmul(positive=["king", "woman"], negative=["man"], topn=8)
        assert [(r["word"], pytest.approx(r["score"], abs=1e-5)) for r in got] == expected


def test_is_loopback():
    from embeddings.explore import is_loopback
    assert all(map(is_loopback, ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"]))
    assert not any(map(is_loopback, ["0.0.0.0", "192.168.1.4", "::", "example.com"]))


def test_failed_projection_is_one_line_then_retried(tmp_path):
    import time
    bad = np.full((40, 4), np.nan, dtype=np.float32)          # t-SNE cannot place NaNs: the worker fails
    store = ProjectionStore(bad, [f"w{i}" for i in range(40)], tmp_path)
    deadline = time.time() + 120
    while (answer := store.get("tsne", 2, np.arange(40)))["status"] != "error" and time.time() < deadline:
        time.sleep(0.2)
    assert answer["status"] == "error" and answer["error"].startswith("tsne failed") and "\n" not in answer["error"]
    assert store.get("tsne", 2, np.arange(40))["status"] in ("queued", "computing")   # asked again: tried again
    store.shutdown()


def test_damaged_cache_file_is_recomputed(tmp_path, wv):
    store = ProjectionStore(wv.vectors, wv.index_to_word, tmp_path)
    first = store.get("pca", 2, np.arange(50))
    key = store.key("pca", 2, np.arange(50))
    (tmp_path / f"{key}.npy").write_bytes(b"not an array")
    again = store.get("pca", 2, np.arange(50))
    assert again["status"] == "ready" and np.allclose(again["coords"], first["coords"])
