"""On a GPU: the CUDA paths compute what the CPU's do (skipped where there is no CUDA device).

The GPU takes other code paths than the CPU: CBOW's windows are batched products there, not
embedding_bags over the windows' entries (ops.window_bags), the subword input sorts its rows
without the CPU's radix padding (model._sort_rows), and the batch maker subsamples a chunk at
once. Each test runs the same steps on both devices and compares. `scripts/bench_gpu.sh` runs
this file first. EMBEDDINGS_TEST_DEVICE=cpu runs it against the CPU itself, a check of the tests.
"""

import os

import numpy as np
import pytest
import torch

from embeddings.subwords import subword_rows
from embeddings.training.config import TrainConfig
from embeddings.training.model import build_model
from embeddings.training.optim import RowCappedSGD
from embeddings.training.pairs import window_mask
from embeddings.training.train import train

DEVICE = os.environ.get("EMBEDDINGS_TEST_DEVICE", "cuda")
pytestmark = pytest.mark.skipif(DEVICE.startswith("cuda") and not torch.cuda.is_available(),
                                reason="no CUDA device here")

VOCAB = ["the", "king", "queen", "kings", "a", "banana", "crown", "palace", "crowned", "queens"]
BUCKETS = 64


def _model(arch: str, subwords: bool, device: str):
    """The same model (same first weights) on `device`: output vectors drawn too, so that the
    first steps already move every row."""
    sub = subword_rows(VOCAB, 2, 4, BUCKETS, len(VOCAB)) if subwords else None
    torch.manual_seed(0)
    model = build_model(arch, len(VOCAB), 16, 2, 5, 0.5, sub, BUCKETS if subwords else 0, row_cap=2.0,
                        steady_ngrams=subwords)
    torch.nn.init.normal_(model.out_embed.weight, std=0.1)
    return model.to(device)


def _batches(n: int, m: int = 64, window: int = 2, groups: int = 4, noise: int = 8):
    """n batches (tokens, mask, negatives) on the CPU: a span of m centres, frequent words repeated
    past the row cap, sentence breaks inside the span."""
    g = torch.Generator().manual_seed(1)
    out = []
    for _ in range(n):
        tokens = torch.randint(0, len(VOCAB), (m + 2 * window,), generator=g)
        tokens[::5] = 1                                                  # "king", many times a step
        sentence = torch.repeat_interleave(torch.arange(4), m // 4)     # (m,) four sentences
        mask = window_mask(sentence, torch.randint(1, window + 1, (m,), generator=g), window)
        out.append((tokens, mask, torch.randint(0, len(VOCAB), (groups, noise), generator=g)))
    return out


@pytest.mark.parametrize("subwords", [False, True], ids=["words", "subwords"])
@pytest.mark.parametrize("arch", ["skipgram", "cbow"])
def test_steps_on_the_device_equal_the_cpus(arch, subwords):
    cpu, dev = _model(arch, subwords, "cpu"), _model(arch, subwords, DEVICE)
    opts = [RowCappedSGD(m.parameters(), lr=0.05, cap=2.0, lookups=m.lookup_weights, steady=m.steady_rows)
            for m in (cpu, dev)]
    for step, (tokens, mask, negatives) in enumerate(_batches(4)):
        losses = []
        for model, opt in zip((cpu, dev), opts):
            opt.param_groups[0]["lr"] = 0.05 * (1 - step / 8)            # decaying, as in the loop
            loss = model(tokens.to(model.in_embed.weight.device), mask.to(model.in_embed.weight.device),
                         negatives.to(model.in_embed.weight.device))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert losses[1] == pytest.approx(losses[0], rel=1e-4), step
        for a, b in ((cpu.in_embed.weight, dev.in_embed.weight), (cpu.out_embed.weight, dev.out_embed.weight)):
            assert torch.allclose(a.detach(), b.detach().cpu(), atol=1e-5), step
    assert not torch.allclose(cpu.in_embed.weight.detach(), _model(arch, subwords, "cpu").in_embed.weight.detach())


@pytest.mark.parametrize("arch", ["skipgram", "cbow"])
def test_subword_input_on_the_device_equals_the_cpus(arch):
    cpu, dev = _model(arch, True, "cpu"), _model(arch, True, DEVICE)
    tokens = torch.tensor([1, 2, 1, 9, 0, 1, 3, 8, 8, 5])
    h_cpu, h_dev = cpu.inputs(tokens), dev.inputs(tokens.to(DEVICE))
    assert torch.allclose(h_cpu, h_dev.cpu(), atol=1e-6)
    g = torch.randn_like(h_cpu)
    (h_cpu * g).sum().backward()
    (h_dev * g.to(DEVICE)).sum().backward()
    assert torch.allclose(cpu.in_embed.weight.grad.to_dense(), dev.in_embed.weight.grad.to_dense().cpu(), atol=1e-5)
    assert torch.equal(cpu.lookup_weights()[cpu.in_embed.weight], dev.lookup_weights()[dev.in_embed.weight].cpu())


@pytest.mark.parametrize("subwords", ["", "2-4"])
@pytest.mark.parametrize("arch", ["skipgram", "cbow"])
def test_training_on_the_device_learns_and_saves(arch, subwords, small_corpus, tmp_path):
    """The whole loop on the device (n-gram dropout drawn there too, for subword skip-gram): the
    loss falls, every vector is finite, the files load."""
    from embeddings import formats
    from embeddings.subwords import parse_range
    minn, maxn = parse_range(subwords) if subwords else (0, 0)
    config = TrainConfig(arch=arch, device=DEVICE, epochs=3, dim=16, min_count=1, minn=minn, maxn=maxn,
                         buckets=2000 if subwords else TrainConfig().buckets)
    r = train(config, [small_corpus], tmp_path / "m", progress=False)
    losses = [h["loss_per_pair"] for h in r.history]
    assert losses[-1] < losses[0] and all(np.isfinite(losses))
    v = r.vectors
    assert np.isfinite(v.vectors).all()
    loaded = formats.load_vectors(tmp_path / "m" / "vectors.bin")
    assert np.allclose(loaded.vectors, v.vectors, atol=1e-6)
    if subwords:                                          # a word never seen gets its n-grams' mean
        assert v.composed("kingz") and np.isfinite(v.get_vector("kingz")).all()
