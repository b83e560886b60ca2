import numpy as np
import pytest

from embeddings.cli import main
from embeddings.training.config import TrainConfig
from embeddings.formats import load_checkpoint
from embeddings.training.train import train



def _small(arch="skipgram", **kw):
    # the CPU: same seed, same vectors is promised there (CUDA's atomics may reorder sums)
    return TrainConfig(arch=arch, dim=16, epochs=3, min_count=1, batch_size=256, sample=0, seed=3, device="cpu", **kw)


def test_cli_train_writes_files_gensim_loads(small_corpus, tmp_path, capsys):
    out = tmp_path / "model"
    code = main(["train", str(small_corpus), "--output", str(out), "--epochs", "2", "--dim", "12",
                 "--min-count", "1", "--quiet"])
    assert code == 0
    summary = capsys.readouterr().out
    assert "trained" in summary and "words/s" in summary and "loss" in summary
    assert "502 positions per step" in summary           # a small corpus: the smallest automatic batch, 512
    ours = load_checkpoint(out / "checkpoint.npz").vectors
    KeyedVectors = pytest.importorskip("gensim.models").KeyedVectors
    for name, binary in (("vectors.txt", False), ("vectors.bin", True)):
        kv = KeyedVectors.load_word2vec_format(str(out / name), binary=binary)
        assert kv.index_to_key == list(ours.index_to_word)
        np.testing.assert_allclose(kv.vectors, ours.vectors, rtol=1e-6, atol=1e-7)
    ck = load_checkpoint(out / "checkpoint.npz")
    assert ck.config["dim"] == 12 and ck.state["complete"] and ck.config["batch_size"] == 512
    assert ck.counts.sum() == 600 * 8 and ck.out_vectors.shape == ck.in_vectors.shape


@pytest.mark.parametrize("arch", ["skipgram", "cbow"])
def test_same_seed_same_vectors(small_corpus, arch):
    a = train(_small(arch), [small_corpus], progress=False).vectors.vectors
    b = train(_small(arch), [small_corpus], progress=False).vectors.vectors
    c = train(_small(arch, ), [small_corpus], progress=False).vectors.vectors
    assert np.array_equal(a, b) and np.array_equal(a, c)
    d = train(TrainConfig(**{**_small(arch).to_dict(), "seed": 4}), [small_corpus], progress=False)
    assert not np.array_equal(a, d.vectors.vectors)


@pytest.mark.parametrize("arch", ["skipgram", "cbow"])
def test_training_learns_the_topics(small_corpus, arch):
    config = TrainConfig(arch=arch, dim=16, epochs=10, min_count=1, batch_size=128, sample=0, lr=0.05)
    wv = train(config, [small_corpus], progress=False).vectors
    from embeddings.similarity import cosine
    assert cosine(wv, "dog", "cat") > cosine(wv, "dog", "queen")
    assert cosine(wv, "king", "queen") > cosine(wv, "king", "horse")


def test_result_counts_words(small_corpus):
    r = train(_small(), [small_corpus], progress=False)
    assert r.words == 3 * 600 * 8 and r.words_per_second > 0 and np.isfinite(r.loss)


@pytest.mark.parametrize("weight", [1.0, 0.5])
def test_input_plus_weighted_output_vectors_are_saved_as_their_sum(small_corpus, tmp_path, weight):
    r = train(_small(output_weight=weight), [small_corpus], output=tmp_path, progress=False)
    ck = load_checkpoint(tmp_path / "checkpoint.npz")
    np.testing.assert_allclose(r.vectors.vectors, ck.in_vectors + weight * ck.out_vectors, rtol=1e-6)
    from embeddings.formats import find_model, load_vectors
    np.testing.assert_allclose(load_vectors(tmp_path / "vectors.bin").vectors, r.vectors.vectors, rtol=1e-6)
    # queries that read the checkpoint (a model folder's first choice) get the same vectors
    np.testing.assert_allclose(load_vectors(find_model(tmp_path)).vectors, r.vectors.vectors, rtol=1e-6)
    plain = train(_small(output_weight=0.0), [small_corpus], progress=False).vectors.vectors
    np.testing.assert_array_equal(plain, ck.in_vectors)  # the same training; only what is kept differs


def test_the_saved_vectors_hold_half_the_output_vectors_by_default_but_with_subwords():
    assert TrainConfig(arch="cbow").validate().output_weight == 0.5
    assert TrainConfig(arch="skipgram").validate().output_weight == 0.5
    assert TrainConfig(arch="cbow", minn=3, maxn=6).validate().output_weight == 0.0  # subwords: input rows
    assert TrainConfig(arch="skipgram", minn=3, maxn=6).validate().output_weight == 0.0


def test_a_config_saved_before_output_weight_keeps_its_vectors():
    # `vectors` named them then; a CBOW config without either field saved its input vectors alone
    assert TrainConfig.from_dict({"arch": "cbow", "vectors": "input+output"}).validate().output_weight == 1.0
    assert TrainConfig.from_dict({"arch": "cbow", "vectors": "input"}).validate().output_weight == 0.0
    assert TrainConfig.from_dict({"arch": "cbow"}).validate().output_weight == 0.0
    assert TrainConfig.from_dict({"arch": "cbow", "output_weight": 0.5}).validate().output_weight == 0.5


def test_cli_vectors_is_output_weight_zero_or_one(small_corpus, tmp_path, capsys):
    args = ["train", str(small_corpus), "--epochs", "1", "--dim", "8", "--min-count", "1", "--quiet"]
    assert main(args + ["--output", str(tmp_path / "a"), "--vectors", "input+output"]) == 0
    assert load_checkpoint(tmp_path / "a" / "checkpoint.npz").config["output_weight"] == 1.0
    assert main(args + ["--output", str(tmp_path / "b"), "--vectors", "input", "--output-weight", "0.5"]) == 1
    assert "--vectors input means --output-weight 0, not 0.5" in capsys.readouterr().err


@pytest.mark.parametrize("field, value", [("row_cap", 0), ("row_cap", float("nan")), ("output_weight", -1.0),
                                          ("output_weight", float("nan"))])
def test_new_options_are_validated(field, value):
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{field: value}).validate()


def test_vectors_copy_the_weights_while_training_and_adopt_them_at_the_end():
    # kept_vectors hands WordVectors a view of the weights; mid-training (an --eval callback)
    # WordVectors must copy it, or training on would change a user's vectors; at the end it
    # takes the finished weights as they are, so the run does not hold them twice
    import torch
    from embeddings.training.model import build_model
    from embeddings.training.train import trained_vectors
    config = TrainConfig(dim=4).validate()
    model = build_model("skipgram", 3, 4, 2, 2)
    wv = trained_vectors(model, config, ["a", "b", "c"])
    before = wv.vectors.copy()
    with torch.no_grad():
        model.in_embed.weight.add_(1.0)
    assert np.array_equal(wv.vectors, before)
    final = trained_vectors(model, config, ["a", "b", "c"], final=True)
    assert np.shares_memory(final.vectors, model.in_embed.weight.detach().numpy())
    assert not final.vectors.flags.writeable
    np.testing.assert_array_equal(final.vectors, model.in_embed.weight.detach().numpy())


def test_training_does_not_import_torch_dynamo(small_corpus):
    # torch.optim.Optimizer's constructor imports torch._dynamo (~800 modules, 35-70 MB of peak
    # memory); the loop's optimizer must not pay that (a fresh process: pytest may import it)
    import subprocess
    import sys
    code = ("import sys; from embeddings.training.config import TrainConfig; "
            "from embeddings.training.train import train; "
            f"train(TrainConfig(dim=8, epochs=1, min_count=1, device='cpu'), [{str(small_corpus)!r}], progress=False); "
            "print('torch._dynamo' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


def test_noise_exponent_defaults_to_fasttexts_and_can_be_set(small_corpus, tmp_path):
    from embeddings.training.config import NS_EXPONENT
    assert TrainConfig().validate().ns_exponent == NS_EXPONENT == 0.5
    assert TrainConfig(minn=3, maxn=6).validate().ns_exponent == 0.6                # subword skip-gram's own
    assert TrainConfig(arch="cbow", minn=3, maxn=6).validate().ns_exponent == 0.5
    assert TrainConfig(ns_exponent=0.75).validate().ns_exponent == 0.75          # a choice is kept
    base = ["train", str(small_corpus), "--epochs", "1", "--dim", "8", "--min-count", "1", "--quiet"]
    assert main(base + ["--output", str(tmp_path / "a"), "--ns-exponent", "0.75"]) == 0
    assert load_checkpoint(tmp_path / "a" / "checkpoint.npz").config["ns_exponent"] == 0.75
    assert main(base + ["--output", str(tmp_path / "b")]) == 0
    assert load_checkpoint(tmp_path / "b" / "checkpoint.npz").config["ns_exponent"] == 0.5
    # and the exponent is used: the noise distribution flattens as it falls
    from embeddings.training.vocab import Vocab
    v = Vocab(("a", "b"), np.array([100, 1]))
    assert v.noise_distribution(0.5)[1] > v.noise_distribution(0.75)[1]


def test_group_size_from_the_cli_reaches_the_noise_draws(small_corpus, tmp_path):
    from embeddings.training.config import ARCH_DEFAULTS
    base = ["train", str(small_corpus), "--epochs", "1", "--dim", "8", "--min-count", "1", "--quiet"]
    assert main(base + ["--output", str(tmp_path / "a"), "--group-size", "16"]) == 0
    assert load_checkpoint(tmp_path / "a" / "checkpoint.npz").config["group_size"] == 16
    assert main(base + ["--output", str(tmp_path / "b")]) == 0
    assert load_checkpoint(tmp_path / "b" / "checkpoint.npz").config["group_size"] == ARCH_DEFAULTS["skipgram"]["group_size"]
    assert TrainConfig(minn=3, maxn=6).validate().group_size == 32                  # subword skip-gram: the same
    assert TrainConfig(minn=3, maxn=6, group_size=16).validate().group_size == 16    # a choice is kept
    assert TrainConfig(arch="cbow", minn=3, maxn=6).validate().group_size == ARCH_DEFAULTS["cbow"]["group_size"]
    assert main(base + ["--output", str(tmp_path / "c"), "--group-size", "0"]) == 1     # refused in one line
    # and it is used: half the rows per group, twice the groups of noise words per batch
    import torch
    from embeddings.training.train import build
    from embeddings.training.vocab import Vocab
    vocab = Vocab(tuple(f"w{i}" for i in range(500)), np.arange(500, 0, -1))
    chunk = np.arange(1, 500).repeat(40) % 500
    groups = {}
    for size in (16, 32):
        config = TrainConfig(group_size=size, dim=8, device="cpu", batch_size=1024).validate()
        maker = build(config, vocab, torch.device("cpu"), None).batches
        batch = next(iter(maker.batches(chunk)))
        groups[size] = batch.negatives.shape[0]
        assert groups[size] * size == len(batch.tokens)       # skip-gram's groups cover the span's rows
    assert groups[16] in (2 * groups[32] - 1, 2 * groups[32], 2 * groups[32] + 1)  # (batch rounded to whole groups)


def test_shared_negatives_default_per_model_and_reach_the_noise_draws(small_corpus, tmp_path):
    assert TrainConfig().validate().shared_negatives == 40
    assert TrainConfig(arch="cbow").validate().shared_negatives == 32
    assert TrainConfig(arch="cbow", minn=3, maxn=6).validate().shared_negatives == 32
    assert TrainConfig(minn=3, maxn=6).validate().shared_negatives == 48            # subword skip-gram's own
    assert TrainConfig(minn=3, maxn=6, shared_negatives=32).validate().shared_negatives == 32  # a choice is kept
    base = ["train", str(small_corpus), "--epochs", "1", "--dim", "8", "--min-count", "1", "--quiet"]
    assert main(base + ["--output", str(tmp_path / "a"), "--shared-negatives", "40"]) == 0
    assert load_checkpoint(tmp_path / "a" / "checkpoint.npz").config["shared_negatives"] == 40
    assert main(base + ["--output", str(tmp_path / "b"), "--shared-negatives", "0"]) == 1  # refused in one line
    import torch
    from embeddings.training.train import build
    from embeddings.training.vocab import Vocab
    vocab = Vocab(tuple(f"w{i}" for i in range(500)), np.arange(500, 0, -1))
    chunk = np.arange(1, 500).repeat(40) % 500
    for n in (32, 48):
        config = TrainConfig(shared_negatives=n, dim=8, device="cpu", batch_size=1024).validate()
        batch = next(iter(build(config, vocab, torch.device("cpu"), None).batches.batches(chunk)))
        assert batch.negatives.shape[1] == n                  # each group draws n noise words


def test_init_defaults_per_arch_and_is_used(small_corpus, tmp_path):
    assert TrainConfig().validate().init == 0.5                      # skip-gram: word2vec's
    assert TrainConfig(arch="cbow").validate().init == 5.0           # CBOW: 10x wider (docs/performance.md, "Quality")
    assert TrainConfig(arch="cbow", init=0.5).validate().init == 0.5  # a choice is kept
    assert TrainConfig(arch="cbow", minn=3, maxn=6).validate().init == 1.0          # subword CBOW: fastText's
    assert TrainConfig(arch="skipgram", minn=3, maxn=6).validate().init == 0.5
    assert TrainConfig(arch="cbow", minn=3, maxn=6, init=5.0).validate().init == 5.0
    import torch
    from embeddings.training.train import build
    from embeddings.training.vocab import Vocab
    vocab = Vocab(tuple(f"w{i}" for i in range(500)), np.arange(500, 0, -1))
    for arch, chosen, init in (("skipgram", None, 0.5), ("cbow", None, 5.0), ("cbow", 2.0, 2.0)):
        config = TrainConfig(arch=arch, dim=50, device="cpu", init=chosen).validate()
        weight = build(config, vocab, torch.device("cpu"), None).model.in_embed.weight
        assert 0.95 * init / 50 < float(weight.abs().max()) <= init / 50
    base = ["train", str(small_corpus), "--epochs", "1", "--dim", "8", "--min-count", "1", "--quiet", "--arch", "cbow"]
    assert main(base + ["--output", str(tmp_path / "c"), "--init", "1.5"]) == 0
    assert load_checkpoint(tmp_path / "c" / "checkpoint.npz").config["init"] == 1.5
