"""Subwords: fastText's n-grams and hash, the subword input's gradients and update, OOV vectors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from embeddings.subwords import (SubwordVectors, compose, fnv1a, ngram_hashes, ngrams, parse_range,
                                 subword_rows)
from embeddings.errors import EmbeddingsError

WORDS = ["king", "a", "été", "naïve", "日本語", "banana", "x" * 20, "café-au-lait", "</s>", "ab"]


def test_ngrams_follow_fasttexts_definition():
    # by start, then length; the markers belong to the word; the lone markers are never n-grams
    assert ngrams("king", 3, 4) == ["<ki", "<kin", "kin", "king", "ing", "ing>", "ng>"]
    assert ngrams("a", 1, 3) == ["<a", "<a>", "a", "a>"]
    assert ngrams("été", 2, 2) == ["<é", "ét", "té", "é>"]      # characters, not bytes


def test_hash_is_fnv1a_with_sign_extended_bytes():
    assert fnv1a(b"") == 2166136261
    assert fnv1a(b"a") == 0xE40C292C                              # the published FNV-1a test vector
    # a byte >= 0x80 is sign-extended (C's int8_t), which plain FNV-1a would not do
    plain = ((2166136261 ^ 0xC3) * 16777619) & 0xFFFFFFFF
    assert fnv1a(b"\xc3") != plain
    assert fnv1a(b"\xc3") == ((2166136261 ^ 0xFFFFFFC3) * 16777619) & 0xFFFFFFFF


def test_ngrams_and_hashes_agree_with_gensim():
    from gensim.models.fasttext import compute_ngrams, ft_hash_bytes
    from gensim.models.fasttext_inner import compute_ngrams_bytes
    for minn, maxn in ((3, 6), (2, 4), (2, 2)):  # (gensim keeps the lone markers at n = 1; fastText does not)
        hashes, offsets = ngram_hashes(WORDS, minn, maxn)
        for i, word in enumerate(WORDS):
            if word == "</s>":                                  # fastText's end of line: no n-grams (gensim differs)
                assert offsets[i] == offsets[i + 1]
                continue
            assert sorted(ngrams(word, minn, maxn)) == sorted(compute_ngrams(word, minn, maxn))
            ours = hashes[offsets[i]: offsets[i + 1]].tolist()
            assert ours == [fnv1a(g.encode()) for g in ngrams(word, minn, maxn)]  # batched == one by one
            assert sorted(ours) == sorted(ft_hash_bytes(b) for b in compute_ngrams_bytes(word, minn, maxn))


def test_the_fasttext_package_computes_the_same_ngrams_rows_and_vectors(tmp_path):
    """Our .bin loaded by Facebook's fastText: its n-grams, row ids and word vectors (known and
    unseen words) are ours (minn 1 exercises the lone-marker rule)."""
    fasttext = pytest.importorskip("fasttext")
    from embeddings.fasttext_bin import save_fasttext
    rng = np.random.default_rng(0)
    vocab = ["the", "king", "queen", "été", "naïve", "日本語", "banana", "a"]
    sv = SubwordVectors(vocab, rng.normal(size=(len(vocab), 8)), rng.normal(size=(1000, 8)), 1, 5,
                        counts=range(100, 100 - len(vocab), -1))
    save_fasttext(sv, tmp_path / "m.bin")
    model = fasttext.load_model(str(tmp_path / "m.bin"))
    assert model.words == vocab
    for word in WORDS + ["king", "queen"]:
        subs, ids = model.get_subwords(word)
        known = word in vocab
        assert list(subs[1:] if known else subs) == ngrams(word, 1, 5)
        rows, _ = subword_rows([word], 1, 5, 1000, len(vocab))
        assert list(ids[1:] if known else ids) == rows.tolist()
        if not known and not rows.size:                      # fastText answers zeros; we say why
            with pytest.raises(KeyError, match="not in the vocabulary"):
                sv[word]
            continue
        assert np.allclose(sv[word], model.get_word_vector(word), atol=1e-6)


def test_parse_range():
    assert parse_range("3-6") == (3, 6) and parse_range("4") == (4, 4)
    for bad in ("6-3", "x", "0-2", "3-"):
        with pytest.raises(EmbeddingsError):
            parse_range(bad)


def test_subword_vectors_compose_unseen_words():
    rng = np.random.default_rng(0)
    words = ["king", "queen"]
    sv = SubwordVectors(words, rng.normal(size=(2, 4)), rng.normal(size=(50, 4)), 3, 4)
    rows, _ = subword_rows(["king"], 3, 4, 50, 0)
    assert np.allclose(sv["king"], (sv.word_rows[0] + sv.ngram_rows[rows].sum(0)) / (1 + len(rows)), atol=1e-6)
    kingz, _ = subword_rows(["kingz"], 3, 4, 50, 0)
    assert not sv.composed("king") and sv.composed("kingz")
    assert np.allclose(sv["kingz"], sv.ngram_rows[kingz].mean(0), atol=1e-6)
    assert sv.ngram_count("kingz") == len(kingz)


# --- training: the subword input's gradient and update ---------------------------------------------

def _model(arch="skipgram", vocab=("the", "king", "queen", "kings", "a", "banana"), buckets=40):
    from embeddings.training.model import build_model
    sub = subword_rows(list(vocab), 2, 4, buckets, len(vocab))
    torch.manual_seed(0)
    model = build_model(arch, len(vocab), 6, 2, 5, 0.5, sub, buckets)
    torch.nn.init.normal_(model.out_embed.weight)
    return model, sub


@pytest.mark.parametrize("table_dtype", [torch.int32, torch.int64])  # int64: a table past 2**31 entries
def test_subword_input_is_the_mean_and_each_row_gets_the_whole_gradient(table_dtype):
    model, (rows, offsets) = _model()
    model.sub_table = model.sub_table.to(table_dtype)
    tokens = torch.tensor([1, 2, 1, 5, 0, 1, 3])
    h = model.inputs(tokens)
    weight = model.in_embed.weight.detach()
    g = torch.randn_like(h)
    (h * g).sum().backward()
    expected = torch.zeros_like(weight)
    for i, t in enumerate(tokens.tolist()):
        ids = [t] + rows[offsets[t]: offsets[t + 1]].tolist()
        assert torch.allclose(h[i], weight[ids].mean(0), atol=1e-6)
        for r in ids:                                      # fastText: the full gradient of the mean
            expected[r] += g[i]
    assert model.in_embed.weight.grad.is_sparse
    assert torch.allclose(model.in_embed.weight.grad.to_dense(), expected, atol=1e-5)


@pytest.mark.parametrize("arch", ["skipgram", "cbow"])
def test_subword_loss_backward_matches_autograd(arch):
    """The fused loss over composed inputs: every row's gradient equals plain autograd's through
    the same mean (scaled back by each word's row count, fastText's full-gradient rule)."""
    from embeddings.training.pairs import window_mask
    model, (rows, offsets) = _model(arch)
    g = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, 6, (10,), generator=g)                # a span: 6 centres, window 2
    mask = window_mask(torch.zeros(6, dtype=torch.long), torch.randint(1, 3, (6,), generator=g), 2)
    negatives = torch.randint(0, 6, (2, 4), generator=g)
    model(tokens, mask, negatives).backward()
    ours = model.in_embed.weight.grad.to_dense()
    # reference: a dense copy, inputs composed by plain indexing, autograd all the way
    weight = model.in_embed.weight.detach().clone().requires_grad_()
    count = torch.from_numpy(np.diff(offsets) + 1)
    h = torch.stack([weight[[t] + rows[offsets[t]: offsets[t + 1]].tolist()].sum(0) for t in tokens.tolist()])
    h = h / count[tokens].unsqueeze(1).float()
    ref_model = type(model)(6, 6, 2, 5)
    with torch.no_grad():
        ref_model.out_embed.weight.copy_(model.out_embed.weight)
    h.retain_grad()
    loss = ref_model.loss_function.apply(h, ref_model.out_embed(torch.cat([tokens[2:2 + mask.shape[0]],
                                         negatives.reshape(-1)])), mask.float(), 5, negatives.shape[0])
    loss.backward()
    expected = torch.zeros_like(weight)
    for i, t in enumerate(tokens.tolist()):
        for r in [t] + rows[offsets[t]: offsets[t + 1]].tolist():
            expected[r] += h.grad[i]
    assert torch.allclose(ours, expected, atol=1e-5)


def _kept_ngrams(model, tokens, seed):
    """Each distinct word's rows that n-gram dropout keeps for `seed`, read off the gradient of
    the word's input alone (rows that left it get none), as {word: set of rows}."""
    kept = {}
    for t in sorted(set(tokens.tolist())):
        model.zero_grad(set_to_none=True)
        h = model.inputs(tokens, seed)
        h[tokens == t].sum().backward()
        dense = model.in_embed.weight.grad.to_dense()              # the other words' rows: zero rows
        kept[t] = set(dense.abs().sum(1).nonzero().squeeze(1).tolist())
    return kept


def test_ngram_dropout_keeps_the_own_row_and_means_only_the_rows_kept():
    """With a seed, each distinct word's input is the mean of its own row and the n-grams kept;
    only those rows get its gradient; the same seed keeps the same rows; no seed (or no gradient,
    as when vectors are saved) keeps every row."""
    vocab = ("the", "king", "queen", "kings", "a", "bread", "breads", "kingdom")  # no n-gram twice in a word
    model, (rows, offsets) = _model(vocab=vocab, buckets=100_000)
    assert all(len(set(rows[offsets[t]: offsets[t + 1]])) == offsets[t + 1] - offsets[t] for t in range(len(vocab)))
    model.ngram_dropout = 0.5
    tokens = torch.tensor([1, 2, 1, 5, 0, 1, 3, 6, 7, 6])
    weight = model.in_embed.weight.detach()
    kept = _kept_ngrams(model, tokens, seed=7)
    assert kept == _kept_ngrams(model, tokens, seed=7)             # the seed decides
    assert kept != _kept_ngrams(model, tokens, seed=8)
    h = model.inputs(tokens, 7).detach()
    left_out = 0
    for t, ids in kept.items():
        every = {t, *rows[offsets[t]: offsets[t + 1]].tolist()}
        assert t in ids and ids <= every                           # the own row stays
        left_out += len(every - ids)
        assert torch.allclose(h[tokens == t], weight[sorted(ids)].mean(0), atol=1e-6)
    assert left_out > 0
    with torch.no_grad():                                          # saving vectors: every n-gram
        full = model.inputs(tokens, 7)
    for i, t in enumerate(tokens.tolist()):
        assert torch.allclose(full[i], weight[[t] + rows[offsets[t]: offsets[t + 1]].tolist()].mean(0), atol=1e-6)
    assert torch.allclose(model.inputs(tokens).detach(), full)     # no seed: every n-gram


def test_ngram_dropout_and_lone_rate_are_subword_skipgram_defaults(small_corpus, tmp_path):
    """Subword skip-gram drops n-grams and slows lone n-gram rows by default (CBOW and word-only
    models do not); the batches carry the dropout's seeds, so a run is the same for the same seed
    (and resumes alike: test_resume_with_subwords_equals_an_uninterrupted_run)."""
    from embeddings.training.config import LONE_NGRAM_RATE, NGRAM_DROPOUT, TrainConfig
    from embeddings.training.train import train
    assert TrainConfig(minn=3, maxn=6).validate().ngram_dropout == NGRAM_DROPOUT > 0
    assert TrainConfig(minn=3, maxn=6).validate().lone_ngram_rate == LONE_NGRAM_RATE < 1
    assert TrainConfig(arch="cbow", minn=3, maxn=6).validate().lone_ngram_rate == 1
    assert TrainConfig(arch="cbow", minn=3, maxn=6).validate().ngram_dropout == 0
    assert TrainConfig().validate().ngram_dropout == 0
    config = dict(dim=8, epochs=1, min_count=1, minn=3, maxn=4, buckets=300, batch_size=64, window=2)
    whole = train(TrainConfig(**config), [small_corpus], progress=False)
    again = train(TrainConfig(**config), [small_corpus], progress=False)
    np.testing.assert_array_equal(whole.vectors.vectors, again.vectors.vectors)
    none = train(TrainConfig(**config, ngram_dropout=0.0), [small_corpus], progress=False)
    assert not np.allclose(whole.vectors.vectors, none.vectors.vectors)


def test_steady_ngram_rows_are_the_subword_default(small_corpus, tmp_path):
    """Both subword architectures cap n-gram rows against the starting rate by default (a word-only
    model has none, and a checkpoint from before the setting trained without it); it changes the
    training, and `--no-steady-ngrams` turns it off."""
    from embeddings.cli import main
    from embeddings.formats import load_checkpoint
    from embeddings.training.config import TrainConfig
    from embeddings.training.train import train
    assert TrainConfig(minn=3, maxn=6).validate().steady_ngrams is True
    assert TrainConfig(arch="cbow", minn=3, maxn=6).validate().steady_ngrams is True
    assert TrainConfig().validate().steady_ngrams is False
    assert TrainConfig.from_dict({"minn": 3, "maxn": 6}).validate().steady_ngrams is False
    config = dict(dim=8, epochs=2, min_count=1, minn=3, maxn=4, buckets=300, batch_size=64, window=2)
    steady = train(TrainConfig(**config), [small_corpus], progress=False)
    plain = train(TrainConfig(**config, steady_ngrams=False), [small_corpus], progress=False)
    assert not np.allclose(steady.vectors.ngram_rows, plain.vectors.ngram_rows)
    assert main(["train", str(small_corpus), "--subwords", "3-4", "--buckets", "300", "--dim", "8", "--epochs", "1",
                 "--min-count", "1", "--no-steady-ngrams", "--quiet", "--output", str(tmp_path / "m")]) == 0
    assert load_checkpoint(tmp_path / "m" / "checkpoint.npz").config["steady_ngrams"] is False


@pytest.mark.parametrize("lone_rate, steady", [(1.0, False), (0.5, False), (1.0, True), (0.5, True)])
def test_optimizer_caps_a_shared_row_per_word(lone_rate, steady):
    """Each word's gradient counts at most `cap` occurrences' worth (as its own row does), and a
    row then moves by f = min(1, cap / words that used it) of the sum, times lone_ngram_rate for an
    n-gram row one word alone used; at a rate decayed from 0.1 to 0.04, an n-gram row takes
    lr * f, or with steady_ngrams min(lr, 0.1 * f): checked against a plain loop over every
    occurrence's gradient."""
    from embeddings.training.optim import RowCappedSGD
    model, (rows, offsets) = _model()
    model.row_cap, model.lone_ngram_rate, model.steady_ngrams = 2.0, lone_rate, steady
    tokens = torch.tensor([1] * 9 + [2, 3, 1, 0, 5, 5])
    before = model.in_embed.weight.detach().clone()
    opt = RowCappedSGD(model.parameters(), lr=0.1, cap=2.0, lookups=model.lookup_weights, steady=model.steady_rows)
    opt.param_groups[0]["lr"] = lr = 0.04                            # as the loop sets it, decayed
    g = torch.randn(len(tokens), 6)
    (model.inputs(tokens) * g).sum().backward()
    opt.step()
    # reference: each word's summed gradient, capped by its occurrences; each row's (word, row) entries
    occurrences = np.bincount(tokens.numpy(), minlength=6)
    word_grad = {t: min(1.0, 2.0 / occurrences[t]) * g[tokens == t].sum(0) for t in set(tokens.tolist())}
    entries = [(r, t) for t in word_grad for r in [t] + rows[offsets[t]: offsets[t + 1]].tolist()]
    words_per_row = np.bincount([r for r, _ in entries], minlength=before.shape[0])
    expected = before.clone()
    for r, t in entries:
        ngram = r >= 6                                               # not a word's own row
        f = min(1.0, 2.0 / words_per_row[r]) * (lone_rate if ngram and words_per_row[r] == 1 else 1.0)
        expected[r] -= (min(lr, 0.1 * f) if ngram and steady else lr * f) * word_grad[t]
    assert torch.allclose(model.in_embed.weight.detach(), expected, atol=1e-5)
    assert occurrences[1] == 10 and not torch.allclose(before[1], expected[1])  # the capped word moved
    assert any(r >= 6 and words_per_row[r] == 1 for r, _ in entries)         # lone n-gram rows were there
    assert any(words_per_row[r] > 2 for r, _ in entries)                      # and rows the cap held
    grad = model.in_embed.weight.grad               # one gradient row per distinct row, as the optimizer assumes
    assert len(torch.unique(grad._indices()[0])) == grad._indices().shape[1]


def test_train_with_subwords_writes_a_fasttext_model(small_corpus, tmp_path):
    from embeddings.formats import find_model, load_vectors
    from embeddings.training.config import TrainConfig
    from embeddings.training.train import train
    config = TrainConfig(dim=16, epochs=2, min_count=1, minn=3, maxn=5, buckets=5000, batch_size=256, window=2)
    result = train(config, [small_corpus], output=tmp_path / "m", progress=False)
    sv = result.vectors
    assert isinstance(sv, SubwordVectors) and (sv.minn, sv.maxn, sv.buckets) == (3, 5, 5000)
    assert result.files["fasttext"].is_file()
    for path in (find_model(tmp_path / "m"), result.files["fasttext"]):  # checkpoint first, then the .bin
        loaded = load_vectors(path)
        assert isinstance(loaded, SubwordVectors)
        assert np.allclose(loaded.vectors, sv.vectors, atol=1e-5)
        assert np.allclose(loaded["kingz"], sv["kingz"], atol=1e-6)


def test_resume_with_subwords_equals_an_uninterrupted_run(small_corpus, tmp_path):
    from embeddings.training.config import TrainConfig
    from embeddings.training.train import train
    config = dict(dim=8, epochs=2, min_count=1, minn=3, maxn=4, buckets=300, batch_size=64, window=2)
    whole = train(TrainConfig(**config), [small_corpus], output=tmp_path / "a", progress=False)
    first = train(TrainConfig(**config), [small_corpus], output=tmp_path / "b", progress=False, stop_after_batches=7)
    assert first.interrupted
    rest = train(resume=first.files["checkpoint"], progress=False)
    assert np.allclose(rest.vectors.vectors, whole.vectors.vectors, atol=1e-6)
    assert np.allclose(rest.vectors.ngram_rows, whole.vectors.ngram_rows, atol=1e-6)


def test_config_refuses_bad_subword_settings():
    from embeddings.training.config import TrainConfig
    with pytest.raises(ValueError, match="minn <= maxn"):
        TrainConfig(minn=5, maxn=3).validate()
    with pytest.raises(ValueError, match="bucket"):
        TrainConfig(minn=3, maxn=6, buckets=0).validate()
    with pytest.raises(ValueError, match="word-only"):
        TrainConfig(minn=3, maxn=6, output_weight=1.0).validate()
    with pytest.raises(ValueError, match="ngram_dropout must be"):
        TrainConfig(minn=3, maxn=6, ngram_dropout=1.0).validate()
    with pytest.raises(ValueError, match="needs subwords"):
        TrainConfig(ngram_dropout=0.2).validate()
    with pytest.raises(ValueError, match="lone_ngram_rate must be"):
        TrainConfig(minn=3, maxn=6, lone_ngram_rate=0).validate()
    with pytest.raises(ValueError, match="needs subwords"):
        TrainConfig(lone_ngram_rate=0.5).validate()
    with pytest.raises(ValueError, match="needs subwords"):
        TrainConfig(steady_ngrams=True).validate()


# --- fastText's .bin: round trips through gensim and our reader's refusals -----------------------

def _subword_vectors(vocab=("the", "king", "queen", "kings", "banana", "naïve"), buckets=500, seed=0):
    rng = np.random.default_rng(seed)
    return SubwordVectors(list(vocab), rng.normal(size=(len(vocab), 10)), rng.normal(size=(buckets, 10)), 3, 6,
                          counts=range(50, 50 - len(vocab), -1))


def test_gensim_loads_our_fasttext_bin(tmp_path):
    from gensim.models.fasttext import load_facebook_model, load_facebook_vectors
    from embeddings.fasttext_bin import save_fasttext
    sv = _subword_vectors()
    out = np.random.default_rng(1).normal(size=(len(sv), 10)).astype(np.float32)
    save_fasttext(sv, tmp_path / "ours.bin", output_rows=out)
    kv = load_facebook_vectors(str(tmp_path / "ours.bin"))
    assert kv.index_to_key == list(sv.index_to_word)
    for word in list(sv.index_to_word) + ["kingz", "bananas", "queenly"]:
        assert np.allclose(kv[word], sv[word], atol=1e-5), word
    model = load_facebook_model(str(tmp_path / "ours.bin"))   # the whole model, output vectors too
    assert np.allclose(model.syn1neg, out)
    assert (model.wv.min_n, model.wv.max_n, model.wv.bucket) == (3, 6, 500)


def test_we_load_a_gensim_fasttext_model(tmp_path):
    from gensim.models import FastText
    from gensim.models.fasttext import save_facebook_model
    from embeddings.formats import load_vectors
    sentences = [["the", "king", "rules", "the", "kingdom"], ["the", "queen", "rules", "too"]] * 50
    model = FastText(sentences, vector_size=12, min_count=1, min_n=2, max_n=5, bucket=300, epochs=2, seed=1,
                     workers=1)
    save_facebook_model(model, str(tmp_path / "gensim.bin"))
    sv = load_vectors(tmp_path / "gensim.bin")
    assert isinstance(sv, SubwordVectors) and (sv.minn, sv.maxn, sv.buckets) == (2, 5, 300)
    assert list(sv.index_to_word) == model.wv.index_to_key
    for word in model.wv.index_to_key + ["kingly", "queens", "ruler"]:
        assert np.allclose(sv[word], model.wv[word], atol=1e-5), word


def test_vec_text_file_round_trip(tmp_path):
    from embeddings.formats import load_vectors, save_vectors
    sv = _subword_vectors()
    save_vectors(sv, tmp_path / "m.vec", "text")
    back = load_vectors(tmp_path / "m.vec")
    assert back.index_to_word == sv.index_to_word and np.allclose(back.vectors, sv.vectors, atol=1e-6)


def test_reader_refuses_what_holds_no_word_vectors(tmp_path):
    import struct
    from embeddings.errors import FormatError
    from embeddings.fasttext_bin import load_fasttext, save_fasttext
    save_fasttext(_subword_vectors(), tmp_path / "ok.bin")
    data = (tmp_path / "ok.bin").read_bytes()
    (tmp_path / "cut.bin").write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match="truncated"):
        load_fasttext(tmp_path / "cut.bin")
    dict_at = 8 + 56                                           # magic, version, args
    labels = data[:dict_at + 8] + struct.pack("<i", 3) + data[dict_at + 12:]
    (tmp_path / "sup.bin").write_bytes(labels)
    with pytest.raises(FormatError, match="supervised"):
        load_fasttext(tmp_path / "sup.bin")
    (tmp_path / "w2v.bin").write_bytes(b"2 3\n")
    with pytest.raises(FormatError, match="not a fastText"):
        load_fasttext(tmp_path / "w2v.bin")


# --- queries for words never seen -----------------------------------------------------------------

def test_queries_give_unseen_words_their_ngram_vector():
    from embeddings import similarity as sim
    from embeddings.benchmarks import evaluate_misspellings
    sv = _subword_vectors()
    q = sv.get_vector("kingz", norm=True)
    expected = [w for w, _ in sim.most_similar(sv, [q], topn=3)]
    assert [w for w, _ in sim.most_similar(sv, "kingz", topn=3)] == expected   # not excluded: not in vocab
    assert [w for w, _ in sim.most_similar_many(sv, ["kingz"], topn=3)["kingz"]] == expected
    assert sim.cosine(sv, "kingz", "king") == pytest.approx(float(q @ sv.unit[1]), abs=1e-6)
    assert sim.most_similar_cosmul(sv, ["kingz", "queen"], ["the"], topn=2)
    assert sim.doesnt_match(sv, ["kingz", "king", "banana"]) in ("kingz", "king", "banana")
    with pytest.raises(KeyError, match="not in the vocabulary"):   # no n-grams at all: still an error
        sim.most_similar(sv, "</s>")
    typos = evaluate_misspellings(sv)                                     # bundled typos: words not in this vocab
    assert typos is not None and 0 <= typos.correct <= typos.total <= 1


def test_word_pairs_with_unseen_words_are_composed_when_asked(tmp_path):
    from embeddings.similarity import evaluate_word_pairs
    sv = _subword_vectors()
    pairs = tmp_path / "p.tsv"
    pairs.write_text("king\tqueen\t9\nkingz\tqueen\t8\nbanana\tthe\t1\nkings\tbananas\t2\n")
    plain = evaluate_word_pairs(sv, pairs)
    composed = evaluate_word_pairs(sv, pairs, compose=True)
    assert (plain.pairs, plain.composed) == (2, 0) and (composed.pairs, composed.composed) == (4, 2)


def test_cli_says_when_a_vector_comes_from_ngrams(tmp_path, capsys):
    from embeddings.cli import main
    from embeddings.fasttext_bin import save_fasttext
    save_fasttext(_subword_vectors(), tmp_path / "m.bin")
    assert main(["similar", "kingz", "--model", str(tmp_path / "m.bin"), "--topn", "2"]) == 0
    out, err = capsys.readouterr()
    assert "nearest to 'kingz'" in out
    assert "'kingz' is not in the vocabulary; its vector is the mean of its 14 character n-grams" in err
    assert main(["analogy", "kingz", "the", "queen", "--model", str(tmp_path / "m.bin")]) == 0


def test_explorer_api_answers_unseen_words(tmp_path):
    from fastapi.testclient import TestClient
    from embeddings.explore.api import create_app
    client = TestClient(create_app(_subword_vectors()), base_url="http://127.0.0.1")
    body = client.get("/api/neighbors", params={"word": "kingz", "k": 2}).json()
    assert body["from_ngrams"] is True and len(body["neighbors"]) == 2
    assert client.get("/api/neighbors", params={"word": "king", "k": 2}).json()["from_ngrams"] is False
    body = client.get("/api/analogy", params={"a": "the", "b": "kingz", "c": "queen", "k": 2}).json()
    assert body["from_ngrams"] == ["kingz"]
    assert client.get("/api/similarity", params={"a": "kingz", "b": "king"}).json()["from_ngrams"] == ["kingz"]
    assert client.get("/api/info").json()["subwords"] == {"minn": 3, "maxn": 6, "buckets": 500}


def test_we_load_a_file_the_fasttext_package_wrote(tmp_path):
    """A .bin written by fastText's own saveModel (of a model it loaded), explored by ours.
    (Training one here instead is flaky: fastText 0.9.3 stops with "Encountered NaN" at random on
    a corpus this small, and once it has in a process, retries in that process fail too.)"""
    fasttext = pytest.importorskip("fasttext")
    from embeddings.fasttext_bin import save_fasttext
    from embeddings.formats import load_vectors
    save_fasttext(_subword_vectors(), tmp_path / "ours.bin")
    model = fasttext.load_model(str(tmp_path / "ours.bin"))
    model.save_model(str(tmp_path / "theirs.bin"))
    sv = load_vectors(tmp_path / "theirs.bin")
    assert isinstance(sv, SubwordVectors) and list(sv.index_to_word) == model.words
    assert (sv.minn, sv.maxn, sv.buckets) == (3, 6, 500)
    for word in model.words + ["kingdom", "queens", "bananas"]:
        assert np.allclose(sv[word], model.get_word_vector(word), atol=1e-5), word


def test_explorer_projects_and_places_unseen_words(tmp_path):
    """Isolating an unseen word (its neighbours' map, an analogy's) projects it from its n-grams."""
    from fastapi.testclient import TestClient
    from embeddings.explore.api import create_app
    from embeddings.explore.projections import ProjectionStore
    from embeddings.reduce import PCA
    sv = _subword_vectors()
    client = TestClient(create_app(sv, ProjectionStore(sv.vectors, sv.index_to_word, tmp_path)),
                        base_url="http://127.0.0.1")
    body = client.get("/api/projection", params={"method": "pca", "words": "kingz,king,queen,banana"}).json()
    assert body["words"] == ["king", "queen", "banana", "kingz"] and body["rows"][-1] == -1
    assert body["from_ngrams"] == ["kingz"] and body["counts"][-1] == 0
    X = np.stack([sv["king"], sv["queen"], sv["banana"], sv["kingz"]])   # kingz: its n-grams' mean
    expected = PCA(2).fit_transform(X)
    got = np.array(body["coords"])
    signs = np.sign((got * expected).sum(0))                              # a component's sign is arbitrary
    assert np.allclose(got, expected * signs, atol=1e-3)
    again = client.get("/api/projection", params={"method": "pca", "words": "king,queen,banana,the"}).json()
    assert again["from_ngrams"] == [] and -1 not in again["rows"]      # a different key: not kingz's cached map
    axes = client.get("/api/axes", params={"x": "king,queen", "y": "the,banana", "words": "kingz,naïve"}).json()
    assert axes["words"][-1] == "kingz" and axes["from_ngrams"] == ["kingz"]
    # a word-only model still says the word is unknown
    from embeddings.vectors import WordVectors
    wv = WordVectors(list(sv.index_to_word), sv.vectors)
    plain = TestClient(create_app(wv, ProjectionStore(wv.vectors, wv.index_to_word, tmp_path / "w")),
                       base_url="http://127.0.0.1")
    answer = plain.get("/api/projection", params={"method": "pca", "words": "kingz,king,queen,banana"})
    assert answer.status_code == 404 and "kingz" in answer.json()["error"]
