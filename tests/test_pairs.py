import numpy as np
import pytest
import torch

from embeddings.training.encoded import SENTENCE_END
from embeddings.training.pairs import BatchMaker, alias_table, mask_to_pairs, window_mask, window_offsets


def reference_pairs(ids, sentence, reach):
    """word2vec's loop, in plain Python: centre i pairs with j when 0 < |i - j| <= reach[i]."""
    pairs = []
    for i in range(len(ids)):
        for j in range(i - reach[i], i + reach[i] + 1):
            if j != i and 0 <= j < len(ids) and sentence[j] == sentence[i]:
                pairs.append((ids[i], ids[j]))
    return sorted(pairs)


def test_window_mask_matches_reference():
    rng = np.random.default_rng(0)
    for window in (1, 2, 5):
        ids = rng.integers(0, 50, 40).tolist()
        sentence = np.sort(rng.integers(0, 4, 40)).tolist()
        reach = rng.integers(1, window + 1, 40).tolist()
        mask = window_mask(torch.tensor(sentence), torch.tensor(reach), window)
        tokens = torch.tensor([0] * window + ids + [0] * window)
        assert sorted(mask_to_pairs(tokens, mask, window)) == reference_pairs(ids, sentence, reach)


def test_dynamic_window_shrinks():
    ids = list(range(11))
    mask = window_mask(torch.zeros(11, dtype=torch.long), torch.tensor([1] * 5 + [3] + [1] * 5), 3)
    tokens = torch.tensor([0] * 3 + ids + [0] * 3)
    pairs = mask_to_pairs(tokens, mask, 3)
    assert sorted(c for w, c in pairs if w == 5) == [2, 3, 4, 6, 7, 8]   # reach 3
    assert sorted(c for w, c in pairs if w == 4) == [3, 5]               # reach 1
    assert window_offsets(2) == [-2, -1, 0, 1, 2]


def _maker(vocab_size=20, window=2, batch_size=7, keep=None, seed=0):
    keep = np.ones(vocab_size) if keep is None else keep
    gen = torch.Generator().manual_seed(seed)
    return BatchMaker(keep, np.ones(vocab_size) / vocab_size, window, batch_size, 4, 3, torch.device("cpu"), gen)


def test_batches_cover_every_pair_once_and_never_cross_lines():
    window = 2
    text = [[1, 2, 3, 4, 5, 6], [7, 8, 9], [10, 11, 12, 13, 14, 15, 16, 17]]
    chunk = np.array(sum([s + [SENTENCE_END] for s in text], []))
    maker = _maker(window=window)
    gen_copy = torch.Generator().manual_seed(0)
    batches = list(maker.batches(chunk))
    got = sorted(p for b in batches for p in mask_to_pairs(b.tokens, b.mask, window))
    # replay the same draws: subsampling keeps everything, then the reach of each position
    torch.rand(17, generator=gen_copy)
    reach = torch.randint(1, window + 1, (17,), generator=gen_copy).tolist()
    ids = sum(text, [])
    sentence = [0] * 6 + [1] * 3 + [2] * 8
    assert got == reference_pairs(ids, sentence, reach)
    assert sum(b.words for b in batches) == 17
    assert all(b.negatives.shape[1] == 4 and b.negatives.shape[0] * 3 >= len(b.tokens) for b in batches)


def test_subsampling_keeps_words_at_their_probability():
    keep = np.array([0.1, 0.5, 1.0])
    maker = _maker(vocab_size=3, keep=keep)
    ids = torch.tensor([0, 1, 2] * 20000)
    kept, sentence, before = maker.subsample(ids)
    assert before == 60000
    rates = np.bincount(kept.numpy(), minlength=3) / 20000
    assert np.allclose(rates, keep, atol=0.015)


def test_noise_follows_distribution():
    noise = np.array([0.5, 0.3, 0.2, 0.0])
    gen = torch.Generator().manual_seed(1)
    maker = BatchMaker(np.ones(4), noise, 2, 8, 4, 4, torch.device("cpu"), gen)
    draws = maker.noise(100_000).numpy()
    assert np.allclose(np.bincount(draws, minlength=4) / 100_000, noise, atol=0.01)


@pytest.mark.parametrize("probabilities", [[0.5, 0.3, 0.2, 0.0], [1.0], [3, 1, 1, 1, 0, 2],
                                           list(np.random.default_rng(2).zipf(1.3, 5000) ** 0.6)])
def test_alias_table_gives_each_word_its_probability_exactly(probabilities):
    p = np.asarray(probabilities, dtype=float)
    accept, alias = alias_table(p)
    implied = accept / len(p)                       # slot i keeps its own word ...
    np.add.at(implied, alias, (1 - accept) / len(p))  # ... or hands the rest of its share to alias[i]
    assert np.allclose(implied, p / p.sum(), rtol=0, atol=1e-12)
    assert ((accept >= 0) & (accept <= 1)).all()


def test_fixed_window_pairs_every_word_within_the_window():
    window = 2
    text = [[1, 2, 3, 4, 5, 6], [7, 8, 9]]
    chunk = np.array(sum([s + [SENTENCE_END] for s in text], []))
    gen = torch.Generator().manual_seed(0)
    maker = BatchMaker(np.ones(20), np.ones(20) / 20, window, 7, 4, 3, torch.device("cpu"), gen,
                       dynamic_window=False)
    got = sorted(p for b in maker.batches(chunk) for p in mask_to_pairs(b.tokens, b.mask, window))
    assert got == reference_pairs(sum(text, []), [0] * 6 + [1] * 3, [window] * 9)


def test_window_mask_of_a_batch_is_the_slice_of_the_whole():
    g = torch.Generator().manual_seed(5)
    sentence = torch.cumsum((torch.rand(60, generator=g) < 0.1).long(), 0)
    reach = torch.randint(1, 4, (60,), generator=g)
    whole = window_mask(sentence, reach, 3)
    for start, stop in ((0, 7), (2, 5), (10, 60), (57, 60), (0, 60), (30, 31)):
        assert torch.equal(window_mask(sentence, reach, 3, start, stop), whole[start:stop])


def _subsample_sequence(maker, chunks):
    return [tuple(x.tolist() if torch.is_tensor(x) else x for x in maker.subsample(torch.as_tensor(c)))
            for c in chunks]


def test_subsampling_in_pieces_draws_what_all_at_once_draws():
    rng = np.random.default_rng(3)
    keep = rng.uniform(0.2, 1.0, 30)
    chunks = []
    for n in (200, 57, 300):
        ids = rng.integers(0, 30, n)
        ids[rng.uniform(size=n) < 0.1] = SENTENCE_END
        chunks.append(ids)
    whole = _maker(vocab_size=30, keep=keep)
    whole.piece = None
    pieces = _maker(vocab_size=30, keep=keep)
    pieces.piece = 7                             # pieces that cut sentences anywhere
    assert _subsample_sequence(pieces, chunks) == _subsample_sequence(whole, chunks)
    words, sentence, before = _subsample_sequence(whole, chunks[:1])[0]
    assert before == int((chunks[0] != SENTENCE_END).sum())
    ends = np.cumsum(chunks[0] == SENTENCE_END)[chunks[0] != SENTENCE_END]   # sentence of every word
    assert set(sentence) <= set(ends.tolist()) and sentence == sorted(sentence)


def test_a_chunks_storage_is_reused_and_batches_keep_their_own_tokens():
    text = [list(range(1, 15)), list(range(3, 19))]
    chunk = np.array(sum([s + [SENTENCE_END] for s in text], []))
    maker = _maker(window=2)
    first = list(maker.batches(chunk))
    storage = {name: t.data_ptr() for name, t in maker._kept.blocks.items()}
    tokens = [b.tokens.clone() for b in first]
    second = list(maker.batches(chunk[:15]))                                    # a shorter chunk
    assert {name: t.data_ptr() for name, t in maker._kept.blocks.items()} == storage  # no new allocation
    assert all(torch.equal(b.tokens, t) for b, t in zip(first, tokens))         # not overwritten by the second
    assert second and sum(b.words for b in second) == 14


def test_shuffled_sentences_keep_every_pair_and_change_their_order():
    rng = np.random.default_rng(4)
    text = [list(range(10 * k + 1, 10 * k + 1 + rng.integers(1, 9))) for k in range(40)]  # a sentence's own words
    chunk = np.array(sum([s + [SENTENCE_END] for s in text], []))
    shuffled = _maker(vocab_size=400, window=3, batch_size=16)
    ids, sentence, _ = shuffled.subsample(torch.as_tensor(chunk))
    before = [tuple(ids[sentence == s].tolist()) for s in sentence.unique()]
    shuffled.shuffle_sentences(ids, sentence)
    after = [tuple(ids[sentence == s].tolist()) for s in sentence.unique()]
    assert sentence.tolist() == sorted(sentence.tolist())       # each sentence is one run again
    assert sorted(after) == sorted(before) and after != before  # the same sentences, in another order
    assert torch.equal(shuffled._kept.blocks["ids"][3: 3 + len(ids)], ids)  # the spans read the shuffled words

    maker = BatchMaker(np.ones(400), np.ones(400) / 400, 3, 16, 4, 3, torch.device("cpu"),
                       torch.Generator().manual_seed(0), shuffle=True)
    batches = list(maker.batches(chunk))               # every pair still lies within one sentence
    assert sum(b.words for b in batches) == len(ids)
    in_a_sentence = {(a, b) for s in text for i, a in enumerate(s) for j, b in enumerate(s) if i != j}
    assert all(p in in_a_sentence for b in batches for p in mask_to_pairs(b.tokens, b.mask, 3))
