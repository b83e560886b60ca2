import numpy as np
import pytest
import torch
import torch.nn.functional as F

from embeddings.training.model import CBOW, SkipGram
from embeddings.training.optim import RowCappedSGD
from embeddings.training.pairs import window_mask, window_offsets


def _batch(window=2, m=6, vocab=10, seed=0):
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, vocab, (m + 2 * window,), generator=g)
    reach = torch.randint(1, window + 1, (m,), generator=g)
    sentence = torch.zeros(m, dtype=torch.long)
    mask = window_mask(sentence, reach, window)
    negatives = torch.randint(0, vocab, (3, 4), generator=g)  # 3 groups of 4 noise words
    return tokens, mask, negatives


def _skipgram_formula(W_in, W_out, tokens, mask, negatives, window, k):
    rows = -(-len(tokens) // negatives.shape[0])
    expected = 0.0
    for i in range(mask.shape[0]):
        for c, d in enumerate(window_offsets(window)):
            if mask[i, c]:
                j = window + i + d                     # the context word predicts the centre
                h = W_in[tokens[j]]
                expected += F.softplus(-(h @ W_out[tokens[window + i]]))
                for n in negatives[j // rows]:         # its group's noise words, weight K/N
                    expected += k / negatives.shape[1] * F.softplus(h @ W_out[n])
    return expected


def _cbow_formula(W_in, W_out, tokens, mask, negatives, window, k):
    rows = -(-mask.shape[0] // negatives.shape[0])
    expected = 0.0
    for i in range(mask.shape[0]):
        ctx = torch.stack([W_in[tokens[window + i + d]] for c, d in enumerate(window_offsets(window)) if mask[i, c]])
        # the mean's value, with the sum's gradient: word2vec gives each context word the mean's whole gradient
        h = ctx.sum(0) - (ctx.sum(0) - ctx.mean(0)).detach()
        expected += F.softplus(-(h @ W_out[tokens[window + i]]))
        for n in negatives[i // rows]:
            expected += k / negatives.shape[1] * F.softplus(h @ W_out[n])
    return expected


@pytest.mark.parametrize("arch, formula", [(SkipGram, _skipgram_formula), (CBOW, _cbow_formula)])
def test_loss_matches_pairwise_formula(arch, formula):
    window, k = 2, 5
    model = arch(10, 8, window, k)
    torch.nn.init.normal_(model.out_embed.weight)
    tokens, mask, negatives = _batch(window)
    loss = model(tokens, mask, negatives)
    W_in, W_out = model.in_embed.weight.detach(), model.out_embed.weight.detach()
    assert torch.allclose(loss, formula(W_in, W_out, tokens, mask, negatives, window, k), rtol=1e-5)


@pytest.mark.parametrize("arch, formula", [(SkipGram, _skipgram_formula), (CBOW, _cbow_formula)])
def test_model_gradients_match_autograd_of_the_formula(arch, formula):
    # the model gathers rows into storage it keeps and writes the output rows' gradient over them:
    # its sparse gradients must still be autograd's through the plain formula
    window, k = 2, 5
    model = arch(10, 8, window, k)
    torch.nn.init.normal_(model.out_embed.weight)
    for seed in (0, 1):                                # twice: the second step reuses the kept storage
        tokens, mask, negatives = _batch(window, seed=seed)
        model.zero_grad(set_to_none=True)
        model(tokens, mask, negatives).backward()
        W_in = model.in_embed.weight.detach().clone().requires_grad_()
        W_out = model.out_embed.weight.detach().clone().requires_grad_()
        formula(W_in, W_out, tokens, mask, negatives, window, k).backward()
        assert torch.allclose(model.in_embed.weight.grad.to_dense(), W_in.grad, atol=1e-5)
        assert torch.allclose(model.out_embed.weight.grad.to_dense(), W_out.grad, atol=1e-5)


@pytest.mark.parametrize("arch", [SkipGram, CBOW])
def test_a_graph_whose_gathered_rows_were_overwritten_fails_loudly(arch):
    model = arch(10, 8, 2, 5)
    first = model(*_batch(seed=0))
    model(*_batch(seed=1))                             # overwrites the rows the first graph saved
    with pytest.raises(RuntimeError, match="modified inplace"):
        first.backward()


def test_gradients_are_sparse_rows():
    model = SkipGram(10, 8, 2, 5)
    tokens, mask, negatives = _batch()
    model(tokens, mask, negatives).backward()
    assert model.in_embed.weight.grad.is_sparse and model.out_embed.weight.grad.is_sparse


def test_row_capped_sgd_equals_plain_sgd_below_the_cap():
    torch.manual_seed(0)
    a, b = SkipGram(10, 8, 2, 5), SkipGram(10, 8, 2, 5)
    b.load_state_dict(a.state_dict())
    tokens, mask, negatives = _batch()
    for model in (a, b):
        model(tokens, mask, negatives).backward()
    RowCappedSGD(a.parameters(), lr=0.1, cap=1000).step()
    torch.optim.SGD(b.parameters(), lr=0.1).step()
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.allclose(p, q, atol=1e-6)


def test_row_capped_sgd_averages_frequent_rows():
    w = torch.nn.Parameter(torch.zeros(3, 2))
    rows = torch.tensor([0, 0, 0, 0, 1])
    grad = torch.sparse_coo_tensor(rows[None], torch.ones(5, 2), (3, 2))
    w.grad = grad
    RowCappedSGD([w], lr=1.0, cap=2).step()
    # row 0: 4 lookups summed (4) scaled by cap/4 -> step 2; row 1: one lookup, full step
    assert w.detach().tolist() == [[-2.0, -2.0], [-1.0, -1.0], [0.0, 0.0]]


def test_loss_falls_on_a_tiny_corpus():
    torch.manual_seed(0)
    from embeddings.training.pairs import BatchMaker
    rng = np.random.default_rng(0)
    # two topics: words 0-4 co-occur, words 5-9 co-occur
    chunk = np.concatenate([np.append(rng.integers(0, 5, 8) + 5 * (s % 2), -1) for s in range(400)])
    gen = torch.Generator().manual_seed(0)
    maker = BatchMaker(np.ones(10), np.ones(10) / 10, 2, 64, 8, 8, torch.device("cpu"), gen)
    for arch in (SkipGram, CBOW):
        model = arch(10, 16, 2, 5)
        opt = RowCappedSGD(model.parameters(), lr=0.05, cap=4.0)
        losses = []
        for epoch in range(15):
            total = 0.0
            for batch in maker.batches(chunk):
                loss = model(**batch.as_kwargs())
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item()
            losses.append(total)
        assert losses[-1] < 0.95 * losses[0], arch.__name__
        unit = F.normalize(model.in_embed.weight.detach(), dim=1)
        sims = unit @ unit.T
        same = sims[:5, :5].mean() + sims[5:, 5:].mean()
        cross = sims[:5, 5:].mean() * 2
        assert same > cross, arch.__name__


def test_skipgram_gradient_is_exact():
    from embeddings.training.ops import SkipGramLoss
    tokens, mask, negatives = _batch()
    h = torch.randn(len(tokens), 5, dtype=torch.double, requires_grad=True)
    out = torch.randn(mask.shape[0] + negatives.numel(), 5, dtype=torch.double, requires_grad=True)
    assert torch.autograd.gradcheck(lambda h, o: SkipGramLoss.apply(h, o, mask.double(), 5, 3), (h, out))


@pytest.mark.parametrize("bags", [True, False], ids=["window bags (CPU)", "batched products (GPU)"])
def test_cbow_gradient_is_word2vecs(bags, monkeypatch):
    """Output vectors get the exact gradient; each context word gets the full gradient of its
    mean: the CPU's embedding_bags and the GPU's batched products alike."""
    from embeddings.training import ops
    from embeddings.training.ops import CBOWLoss
    monkeypatch.setattr(ops, "window_bags", lambda device: bags)
    window = 2
    tokens, mask, negatives = _batch(window)
    m = mask.shape[0]
    torch.manual_seed(1)
    h = torch.randn(len(tokens), 5, dtype=torch.double, requires_grad=True)
    out = torch.randn(m + negatives.numel(), 5, dtype=torch.double, requires_grad=True)
    CBOWLoss.apply(h, out, mask.double(), 5, 3).backward()
    # reference: plain autograd through the mean, with c as an intermediate we can read
    h2, out2 = h.detach().clone().requires_grad_(), out.detach().clone().requires_grad_()
    rows = -(-m // 3)
    c = torch.stack([h2[i:i + 2 * window + 1][mask[i]].mean(0) for i in range(m)])
    c.retain_grad()
    loss = 0
    for i in range(m):
        loss = loss + F.softplus(-(c[i] @ out2[i]))
        for n in range(4):
            loss = loss + 5 / 4 * F.softplus(c[i] @ out2[m + (i // rows) * 4 + n])
    loss.backward()
    assert torch.allclose(out.grad, out2.grad)
    expected = torch.zeros_like(h)
    for i in range(m):
        for k in range(2 * window + 1):
            if mask[i, k]:
                expected[i + k] += c.grad[i]
    assert torch.allclose(h.grad, expected)


def test_window_bags_list_each_windows_rows_and_each_rows_centres():
    """CBOW's embedding_bag indices against a loop over the mask, empty windows included."""
    from embeddings.training.ops import _window_bags
    window, m = 3, 9
    mask = torch.rand(m, 2 * window + 1, generator=torch.Generator().manual_seed(3)) < 0.4
    mask[:, window] = False
    mask[4] = False                                  # a centre with an empty window
    n = m + 2 * window
    rows, offsets, count, centres, row_offsets = _window_bags(mask.double(), n)
    ends = torch.cat([offsets[1:], torch.tensor([len(rows)])])
    row_ends = torch.cat([row_offsets[1:], torch.tensor([len(centres)])])
    for i in range(m):
        assert rows[offsets[i]:ends[i]].tolist() == [i + k for k in range(2 * window + 1) if mask[i, k]]
        assert count[i] == mask[i].sum()
    for j in range(n):
        assert sorted(centres[row_offsets[j]:row_ends[j]].tolist()) == [
            i for i in range(m) if 0 <= j - i < 2 * window + 1 and mask[i, j - i]]


def test_embedding_matrices_start_as_word2vec_and_ask_for_huge_pages():
    from pathlib import Path
    from embeddings.training.memory import advise_huge_pages
    model = SkipGram(50, 8, window=2, negative=3, init=0.5)
    assert model.in_embed.weight.requires_grad and model.out_embed.weight.requires_grad
    w_in, w_out = model.in_embed.weight.detach(), model.out_embed.weight.detach()
    assert w_in.shape == (50, 8) and float(w_in.abs().max()) <= 0.5 / 8
    assert float(w_in.abs().max()) > 0.9 * 0.5 / 8 and float(w_in.std()) > 0.01  # filled across the range
    assert not w_out.any()
    assert not advise_huge_pages(torch.empty(10, 8))                   # too small to hold a huge page
    big = torch.empty(5 << 20, dtype=torch.uint8)                       # holds at least one whole 2 MB page
    thp = Path("/sys/kernel/mm/transparent_hugepage/enabled")
    assert advise_huge_pages(big) == (thp.exists() and "[never]" not in thp.read_text())


@pytest.mark.parametrize("n", [100, 5000, 30000, 40000])
def test_group_by_row_pads_short_sorts_without_changing_them(n):
    """_sort_rows pads a vector of 4K-32K rows to the radix sort's length: at every length the
    rows and order it gives are a plain stable sort's, and so are _group_by_row's runs."""
    from embeddings.training.model import _group_by_row, _sort_rows
    rows = torch.randint(0, 2_000, (n,), generator=torch.Generator().manual_seed(n), dtype=torch.int32)
    sorted_rows, order = _sort_rows(rows, 2_000)
    expected_rows, expected_order = torch.sort(rows, stable=True)
    assert torch.equal(sorted_rows, expected_rows) and torch.equal(order, expected_order)
    distinct, slot, order, starts = _group_by_row(rows, 2_000)
    assert torch.equal(distinct, torch.unique(rows))
    assert torch.equal(distinct[slot], rows[order]) and torch.equal(rows[order], expected_rows)
    assert torch.equal(starts, torch.searchsorted(expected_rows, distinct, right=False))
