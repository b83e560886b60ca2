"""The bundled evaluation sets and evaluate_all: every set read, scored as gensim scores it."""

import json

import numpy as np
import pytest
from scipy import stats

from embeddings.benchmarks import MORE_ANALOGIES, WORD_PAIR_SETS, evaluate_all, pair_sets
from embeddings.cli import main
from embeddings.formats import DATA_DIR, save_vectors
from embeddings.similarity import read_analogies, read_word_pairs
from embeddings.vectors import WordVectors

SIZES = {"WordSim-353": 353, "SimLex-999": 999, "MEN-3000": 3000, "MTurk-287": 287, "RG-65": 65,
         "RareWords": 2034}


@pytest.fixture(scope="module")
def wv():
    """Random vectors for every word of every bundled set but a few, plus the analogy words."""
    words = sorted({w for path in pair_sets().values() for a, b, _ in read_word_pairs(path) for w in (a, b)})
    words = [w for i, w in enumerate(words) if i % 50]  # leave some out: out-of-vocabulary pairs
    rng = np.random.default_rng(0)
    return WordVectors(words, rng.normal(size=(len(words), 16)).astype(np.float32))


def test_every_bundled_set_is_read_whole():
    assert set(WORD_PAIR_SETS) == set(SIZES)
    for name, path in pair_sets().items():
        pairs = read_word_pairs(path)
        assert len(pairs) == SIZES[name], name
        assert all(a and b and np.isfinite(s) for a, b, s in pairs)


def test_each_set_scores_as_a_plain_spearman(wv):
    report = evaluate_all(wv)
    index = wv.word_to_index
    for name, path in pair_sets().items():
        known = [(a, b, s) for a, b, s in read_word_pairs(path) if a in index and b in index]
        model = [float(wv.unit[index[a]] @ wv.unit[index[b]]) for a, b, _ in known]
        r = report.pairs[name]
        assert r.pairs == len(known)
        assert r.spearman == pytest.approx(stats.spearmanr(model, [s for *_, s in known])[0], abs=1e-6)
    summary = report.summary()
    assert list(summary) == ["analogies", "semantic", "syntactic", *MORE_ANALOGIES, *WORD_PAIR_SETS, "typos"]
    assert summary["typos"] is None                      # word-only vectors have none for a typo


def test_each_set_scores_as_gensim_scores_it(wv):
    gensim = pytest.importorskip("gensim")
    kv = gensim.models.KeyedVectors(wv.dim)
    kv.add_vectors(list(wv.index_to_word), wv.vectors)
    report = evaluate_all(wv)
    for name, path in pair_sets().items():
        pearson, spearman, oov = kv.evaluate_word_pairs(str(path))  # both fold case
        assert report.pairs[name].spearman == pytest.approx(spearman[0], abs=1e-6), name
        assert report.pairs[name].pearson == pytest.approx(pearson[0], abs=1e-6), name
        assert 100 * report.pairs[name].oov_ratio == pytest.approx(oov), name


@pytest.fixture(scope="module")
def msr_wv():
    """Random vectors for the MSR questions' words (a few left out), with some answers planted:
    d's vector set to b - a + c, so that both scorers have right answers to count."""
    questions = [q for _, qs in read_analogies(DATA_DIR / MORE_ANALOGIES["MSR"]) for q in qs]
    words = sorted({w for q in questions for w in q})
    words = [w for i, w in enumerate(words) if i % 40]
    index = {w: i for i, w in enumerate(words)}
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(len(words), 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    planted = set()
    for i, (a, b, c, d) in enumerate(questions):
        if i % 3 == 0 and all(w in index for w in (a, b, c, d)) and not {a, b, c, d} & planted:
            vectors[index[d]] = vectors[index[b]] - vectors[index[a]] + vectors[index[c]]
            planted.add(d)
    return WordVectors(words, vectors)


def test_msr_analogies_are_fourteen_syntactic_relations():
    sections = read_analogies(DATA_DIR / MORE_ANALOGIES["MSR"])
    assert len(sections) == 14 and all(name.startswith("gram") for name, _ in sections)  # all syntactic
    assert sum(len(qs) for _, qs in sections) == 7000
    assert not any("'" in w for _, qs in sections for q in qs for w in q)  # possessives left out


def test_msr_analogies_score_as_gensim_scores_them(msr_wv):
    gensim = pytest.importorskip("gensim")
    kv = gensim.models.KeyedVectors(msr_wv.dim)
    kv.add_vectors(list(msr_wv.index_to_word), msr_wv.vectors)
    msr = evaluate_all(msr_wv).more_analogies["MSR"]
    score, sections = kv.evaluate_word_analogies(str(DATA_DIR / MORE_ANALOGIES["MSR"]))
    ours = {s.name: (s.correct, s.total) for s in msr.sections}
    theirs = {s["section"]: (len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in sections[:-1]}
    assert ours == theirs
    assert msr.overall.correct > 100 and msr.accuracy == pytest.approx(score)
    assert msr.semantic.total == 0 and msr.syntactic.total == msr.overall.total
    assert evaluate_all(msr_wv, analogies=DATA_DIR / "questions-words.txt").more_analogies == {}  # a file given: it alone


def test_a_set_the_vocabulary_misses_scores_none():
    wv = WordVectors(["zzz", "yyy"], np.eye(2, dtype=np.float32))
    report = evaluate_all(wv)
    assert all(p is None for p in report.pairs.values())
    assert report.analogies.overall.total == 0


def test_cli_reports_every_set(wv, tmp_path, capsys):
    save_vectors(wv, tmp_path / "v.txt")
    assert main(["evaluate", "--model", str(tmp_path / "v.txt")]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in WORD_PAIR_SETS) and "semantic" in out and "syntactic" in out
    assert "MSR analogies (msr-syntactic.txt, 3CosAdd)" in out
    assert main(["evaluate", "--model", str(tmp_path / "v.txt"), "--json",
                 "--pairs", str(DATA_DIR / "rg65.tsv"), "--pairs", str(DATA_DIR / "men3000.tsv")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["more_analogies"]["MSR"]["add"]["accuracy"] == evaluate_all(wv).more_analogies["MSR"].accuracy
    assert list(report["pairs"]) == ["rg65.tsv", "men3000.tsv"]
    assert report["pairs"]["rg65.tsv"]["spearman"] == pytest.approx(evaluate_all(wv).pairs["RG-65"].spearman)


def test_training_with_eval_keeps_each_sets_score(small_corpus, tmp_path):
    from embeddings.training.callbacks import Evaluate
    from embeddings.training.config import TrainConfig
    from embeddings.training.train import train

    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("king\tqueen\t9\nking\tfarm\t1\ndog\tcat\t8\ndog\tpalace\t1\ncrown\tpalace\t7\n")
    log = tmp_path / "log.txt"
    with open(log, "w") as f:
        r = train(TrainConfig(epochs=2, min_count=1, dim=16, device="cpu"), [small_corpus], progress=False,
                  callbacks=[Evaluate(pairs=[pairs], file=f)])
    assert [sorted(k for k in h if k.startswith(("pairs:", "analogies"))) for h in r.history] == \
        [["analogies", "analogies:MSR", "analogies_semantic", "analogies_syntactic", "pairs:pairs.tsv"]] * 2
    assert "pairs.tsv" in log.read_text()


def test_typo_breakdown_names_each_kind_of_edit_the_misspellings_script_makes():
    import random
    import sys
    sys.path.insert(0, str(DATA_DIR.parent / "scripts"))
    from make_misspellings import typo
    from typo_breakdown import typo_kind
    names = {"drop": "dropped", "swap": "swapped", "double": "doubled", "neighbour": "replaced"}
    seen = set()
    for seed in range(200):
        for word in ("abdomen", "possible", "keyboard"):
            rng = random.Random(seed)
            rng.randrange(1, len(word) - 1)                    # typo's first draw: the position
            kind = names[rng.choice(list(names))]              # its second: the kind
            made = typo(word, random.Random(seed))
            if made != word:                                   # (a letter swapped with its twin)
                assert typo_kind(made, word) == kind, (made, word)
                seen.add(kind)
    assert seen == set(names.values())


def test_bench_train_table_adds_a_column_for_each_word_pair_file_of_the_users():
    import sys
    sys.path.insert(0, str(DATA_DIR.parent / "scripts"))
    from bench_train import pair_name, table
    from embeddings.benchmarks import MORE_ANALOGIES, WORD_PAIR_SETS
    run = {"seconds": 2.0, "epochs": 1, "peak_mb": 100.0, "analogies": 0.5, "semantic": 0.25, "syntactic": 0.75,
           **{k: 0.5 for k in MORE_ANALOGIES}, **{k: 0.5 for k in WORD_PAIR_SETS}, "typos": None,
           "EN-MTurk-771": 0.625, "yp130": None}
    extra = [pair_name("/held/out/EN-MTurk-771.txt"), pair_name("yp130.tsv")]
    lines = table([("cbow", "gensim", [run]), ("cbow", "ours", [dict(run, seconds=1.0)])], 1000, 1, extra).splitlines()
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    assert head[-3:] == ["EN-MTurk-771", "yp130", "peak MB"]
    ours = [c.strip() for c in lines[3].strip("|").split("|")]
    assert ours[1] == "ours" and ours[4] == "2.00" and ours[-3:-1] == ["0.625", "nan"]


def test_bench_train_table_gives_a_speed_ratio_to_each_peer_that_ran():
    import sys
    sys.path.insert(0, str(DATA_DIR.parent / "scripts"))
    from bench_train import table
    from embeddings.benchmarks import MORE_ANALOGIES, WORD_PAIR_SETS
    run = {"seconds": 4.0, "epochs": 1, "peak_mb": 100.0, "analogies": 0.5, "semantic": 0.25, "syntactic": 0.75,
           **{k: 0.5 for k in MORE_ANALOGIES}, **{k: 0.5 for k in WORD_PAIR_SETS}, "typos": None}

    def parse(text):
        return [[c.strip() for c in line.strip("|").split("|")] for line in text.splitlines()]

    both = parse(table([("cbow", "ours", [dict(run, seconds=1.0)]), ("cbow", "gensim", [dict(run, seconds=2.0)]),
                        ("cbow", "fasttext", [run])], 1000, 1))
    assert both[0][4:6] == ["x gensim", "x fastText"]
    assert both[2][4:6] == ["2.00", "4.00"] and both[3][4:6] == ["1.00", "2.00"] and both[4][4:6] == ["0.50", "1.00"]
    alone = parse(table([("skipgram", "ours", [dict(run, seconds=1.0)]), ("skipgram", "fasttext", [run])], 1000, 1))
    assert alone[0][4] == "x fastText" and "x gensim" not in alone[0] and alone[2][4] == "4.00"
    assert "nan" not in "".join(c for row in alone for c in row)
    # a peer that ran for one architecture only: the other's rows say "-", not a number
    mixed = parse(table([("skipgram", "ours", [run]), ("cbow", "ours", [run]), ("cbow", "gensim", [run])], 1000, 1))
    assert mixed[2][4] == "-" and mixed[3][4] == "1.00"
