"""The command line: thin argparse subcommands over the library; results on stdout, bars on stderr."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from .errors import EmbeddingsError

from .formats import DEFAULT_MODEL_DIR, find_model
from .similarity import parse_analogy

TRAIN_EXAMPLES = """examples:
  embeddings train                                # bundled corpus, defaults, into ./model/
  torchrun --nproc-per-node 2 -m embeddings train # two processes, one model (gloo; NCCL on GPUs)
  embeddings train my.txt.gz more/ --epochs 10 --output run2
  embeddings train --arch cbow --dim 200 --device cuda
  embeddings train --subwords 3-6 --output sub    # fastText-style: vectors for unseen words too
  embeddings train --subwords 3-6 --shared-negatives 32   # skip-gram 1.1x as fast, 0.7 fewer analogy points
  embeddings train --resume model/checkpoint.npz  # continue an interrupted run"""
SIMILAR_EXAMPLES = """examples:
  embeddings similar king
  embeddings similar dog cat computer --topn 5 --metric dot
  embeddings similar paris --model run2/vectors.bin --json"""
ANALOGY_EXAMPLES = """examples:
  embeddings analogy king man woman        # king - man + woman
  embeddings analogy "paris - france + italy"
  embeddings analogy man:king::woman:?     # man is to king as woman is to ?
  embeddings analogy king man woman --method mul"""
EVALUATE_EXAMPLES = """examples:
  embeddings evaluate                      # bundled Google and MSR analogies, six word-pair sets
  embeddings evaluate --method both --restrict-vocab 30000
  embeddings evaluate --analogies my-questions.txt --pairs my-pairs.tsv --json"""


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1 (e.g. --topn), refused with a clear line otherwise."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _load(args) -> "WordVectors":  # noqa: F821
    from .formats import load_vectors
    return load_vectors(find_model(args.model), getattr(args, "format", None))


def _note_unseen(wv, words) -> None:
    """Say on stderr which words got their vector from their character n-grams (subword models)."""
    for word in dict.fromkeys(w for w in words if isinstance(w, str)):
        if wv.composed(word):
            print(f"note: {word!r} is not in the vocabulary; its vector is the mean of its "
                  f"{wv.ngram_count(word)} character n-grams", file=sys.stderr)


def _print_table(title: str, rows: list[tuple[str, float]]) -> None:
    print(title)
    width = max([len(w) for w, _ in rows] + [4])
    for rank, (word, score) in enumerate(rows, 1):
        print(f"  {rank:>3}  {word:<{width}}  {score:8.4f}")


def cmd_train(args) -> int:
    from .training.callbacks import Evaluate
    from .training.config import TrainConfig
    from .training.train import train

    config = None
    if args.vectors is not None:  # --vectors input|input+output: --output-weight 0 or 1
        weight = 1.0 if args.vectors == "input+output" else 0.0
        if args.output_weight is not None and args.output_weight != weight:
            raise EmbeddingsError(f"--vectors {args.vectors} means --output-weight {weight:g}, "
                                  f"not {args.output_weight:g}: give one of them")
        args.output_weight = weight
    if args.resume is None:
        fields = ("arch", "dim", "window", "negative", "min_count", "max_vocab", "sample", "epochs",
                  "batch_size", "lr", "device", "seed", "chunk_tokens", "row_cap", "output_weight", "min_lr_ratio",
                  "ns_exponent", "init", "group_size", "shared_negatives", "sync_rows", "sync_ngrams", "shuffle",
                  "ngram_dropout", "lone_ngram_rate", "steady_ngrams")
        config = TrainConfig(**{f: getattr(args, f) for f in fields if getattr(args, f) is not None})
        if args.subwords is not None:
            from .subwords import parse_range
            config.minn, config.maxn = parse_range(args.subwords) if args.subwords != "0" else (0, 0)
        if args.buckets is not None:
            config.buckets = args.buckets
        try:
            config.validate()
        except ValueError as e:
            raise EmbeddingsError(str(e)) from None
    lead = int(os.environ.get("RANK", "0")) == 0  # under torchrun, rank 0 alone speaks (and writes)
    if lead and config is not None and args.batch_size is not None and config.centres_per_batch() != config.batch_size:
        print(f"note: --batch-size {config.batch_size} rounded to {config.centres_per_batch()} positions, so "
              f"that the rows sharing noise words make whole groups of {config.group_size}", file=sys.stderr)
    output = args.output if args.output is not None or args.resume else DEFAULT_MODEL_DIR
    callbacks = [Evaluate()] if args.eval else []
    result = train(config, args.corpus or None, output=output, progress=not args.quiet,
                   resume=args.resume, callbacks=callbacks)
    if not lead:
        return 130 if result.interrupted else 0
    if result.interrupted:
        ck = result.files["checkpoint"]
        print(f"interrupted: checkpoint saved to {ck}; resume with: embeddings train --resume {ck}",
              file=sys.stderr)
        return 130
    if result.stop_reason:
        print(f"stopped early: {result.stop_reason}", file=sys.stderr)
    processes = f" by {result.world} processes" if result.world > 1 else ""
    print(f"trained {result.words:,} words{processes} in {result.seconds:.1f} s "
          f"({result.words_per_second:,.0f} words/s, {result.config.centres_per_batch():,} positions per step), "
          f"loss {result.loss:.4f} per pair; {len(result.vectors):,} words x {result.vectors.dim} dims")
    for kind, path in result.files.items():
        print(f"wrote {kind}: {path}")
    return 0


def cmd_similar(args) -> int:
    from .similarity import most_similar_many

    wv = _load(args)
    _note_unseen(wv, args.words)
    results = most_similar_many(wv, args.words, topn=args.topn, metric=args.metric)
    if args.json:
        print(json.dumps({w: [{"word": n, "score": s} for n, s in r] for w, r in results.items()}))
        return 0
    for i, (word, rows) in enumerate(results.items()):
        if i:
            print()
        _print_table(f"nearest to {word!r} ({args.metric}):", rows)
    return 0


def cmd_analogy(args) -> int:
    from .similarity import most_similar, most_similar_cosmul

    positive, negative = parse_analogy(args.terms)
    wv = _load(args)
    _note_unseen(wv, positive + negative)
    if args.method == "add":
        rows = most_similar(wv, positive, negative, topn=args.topn)
    else:
        rows = most_similar_cosmul(wv, positive, negative, topn=args.topn)
    if len(positive) == 2 and len(negative) == 1:  # the classic form reads as typed: a - b + c
        expr = f"{positive[0]} - {negative[0]} + {positive[1]}"
    else:
        expr = " - ".join([" + ".join(positive)] + negative) if negative else " + ".join(positive)
    if args.json:
        print(json.dumps({"positive": positive, "negative": negative, "method": args.method,
                          "results": [{"word": w, "score": s} for w, s in rows]}))
        return 0
    _print_table(f"{expr} = ? (3Cos{args.method.capitalize()}):", rows)
    return 0


def cmd_evaluate(args) -> int:
    from .benchmarks import ANALOGIES, MORE_ANALOGIES, Report, evaluate_all, more_analogies
    from .formats import DATA_DIR
    from .similarity import evaluate_analogies

    wv = _load(args)
    methods = ["add", "mul"] if args.method == "both" else [args.method]
    from .subwords import SubwordVectors
    compose = isinstance(wv, SubwordVectors)              # subwords: unseen words of the pairs get n-gram vectors
    first = evaluate_all(wv, args.restrict_vocab, methods[0], args.analogies, args.pairs, compose)
    reports = {methods[0]: first}  # word pairs do not depend on the method: scored once
    for m in methods[1:]:
        reports[m] = Report(evaluate_analogies(wv, args.analogies or DATA_DIR / ANALOGIES, m, args.restrict_vocab),
                            more_analogies={} if args.analogies else more_analogies(wv, m, args.restrict_vocab))
    pairs = first.pairs
    if args.json:
        def analogy_json(a):
            return {"accuracy": a.accuracy, "coverage": a.coverage, "semantic": a.semantic.accuracy,
                    "syntactic": a.syntactic.accuracy,
                    "sections": {s.name: {"correct": s.correct, "total": s.total, "questions": s.questions}
                                 for s in a.sections}}
        out = {"analogies": {m: analogy_json(r.analogies) for m, r in reports.items()},
               "more_analogies": {name: {m: analogy_json(r.more_analogies[name]) for m, r in reports.items()}
                                  for name in first.more_analogies},
               "pairs": {name: None if p is None else {"pearson": p.pearson, "spearman": p.spearman,
                                                       "pairs": p.pairs, "oov_ratio": p.oov_ratio,
                                                       "from_ngrams": p.composed}
                         for name, p in pairs.items()},
               "typos": None if first.typos is None else {"accuracy": first.typos.accuracy,
                                                          "correct": first.typos.correct, "total": first.typos.total}}
        print(json.dumps(out))
        return 0
    analogies = Path(args.analogies).name if args.analogies else "questions-words.txt"
    for method, report in reports.items():
        r = report.analogies
        print(f"analogies ({analogies}, 3Cos{method.capitalize()}, restrict_vocab={args.restrict_vocab}):")
        print(f"  {'section':<28} {'correct':>8} {'covered':>8} {'asked':>7} {'accuracy':>9}")
        for s in r.sections + [r.semantic, r.syntactic, r.overall]:
            print(f"  {s.name:<28} {s.correct:>8} {s.total:>8} {s.questions:>7} {s.accuracy:>9.2%}")
        print(f"  coverage {r.coverage:.1%} of questions")
        for name, more in report.more_analogies.items():
            print(f"{name} analogies ({MORE_ANALOGIES[name]}, 3Cos{method.capitalize()}): {more.accuracy:.2%} "
                  f"({more.overall.correct} of {more.overall.total} covered, {more.coverage:.1%} of "
                  f"{more.overall.questions} questions)")
    print("word pairs (cosine against human scores):")
    extra = f" {'from n-grams':>13}" if compose else ""
    print(f"  {'set':<28} {'Spearman':>9} {'Pearson':>8} {'pairs':>7} {'missing':>8}{extra}")
    for name, p in pairs.items():
        if p is None:
            print(f"  {name:<28} {'-':>9} {'-':>8} {0:>7}   (too few pairs in the vocabulary)")
        else:
            more = f" {p.composed:>13}" if compose else ""
            print(f"  {name:<28} {p.spearman:>9.4f} {p.pearson:>8.4f} {p.pairs:>7} {p.oov_ratio:>8.1%}{more}")
    if compose:
        print("  (from n-grams: pairs with a word outside the vocabulary, scored by its character n-grams' vector)")
    if first.typos is not None:
        t = first.typos
        print(f"misspelled words whose nearest word is the one meant: {t.correct} of {t.total} ({t.accuracy:.1%})")
    return 0


def cmd_lesson(args) -> int:

    import numpy as np
    from .lessons import ShapeError, dot_versus_cosine, matmul, one_hot, similarity_matrix

    wv = _load(args)
    words = args.words
    _note_unseen(wv, words)
    width = max(len(w) for w in words) + 2

    def table(title, m):
        print(title)
        print(" " * width + "".join(f"{w:>{width}}" for w in words))
        for w, row in zip(words, m):
            print(f"{w:<{width}}" + "".join(f"{x:>{width}.2f}" for x in row))
        print()

    oh = one_hot(words)
    table(f"1. one-hot vectors ({len(words)} dims, one per word): every pair is orthogonal, dot = 0", matmul(oh, oh.T))
    table(f"2. embeddings ({wv.dim} dims): cosine similarity, related words score high", similarity_matrix(wv, words))
    d = dot_versus_cosine(wv, words[0], words[1])
    print(f"3. double the vector of {words[0]!r}: dot({words[0]}, {words[1]}) {d.dot:.3f} -> {d.dot_doubled:.3f} "
          f"(doubles); cosine {d.cosine:.3f} -> {d.cosine_doubled:.3f} (unchanged)\n")
    x = np.stack([wv.get_vector(w) for w in words])
    print(f"4. one matmul, every dot product: X {x.shape} @ X.T {x.T.shape} -> {matmul(x, x.T).shape}; "
          f"the vocabulary at once: X @ V.T -> ({len(words)}, {len(wv)})")
    try:
        matmul(x, x)
    except ShapeError as e:
        print(f"   X @ X without the transpose: {e}")
    return 0


EXPLORE_EXAMPLES = """examples:
  embeddings explore                              # model/ at http://127.0.0.1:8000/, opens the browser
  embeddings explore --model run2/vectors.bin --port 8001 --no-browser
  embeddings explore --model glove.6B.100d.txt --format glove"""
EXPORT_EXAMPLES = """examples:
  embeddings export --projector projector/        # vectors.tsv, metadata.tsv, projector_config.json
  embeddings export --projector out/ --model run2/vectors.bin"""


def cmd_explore(args) -> int:
    from .explore import serve

    path = find_model(args.model)
    serve(path, host=args.host, port=args.port, open_browser=not args.no_browser, format=args.format,
          cache_dir=Path(args.cache) if args.cache else None)
    return 0


def cmd_export(args) -> int:
    from .formats import save_projector

    wv = _load(args)
    name = Path(args.model or DEFAULT_MODEL_DIR).name
    for kind, path in save_projector(wv, args.projector, name=name).items():
        print(f"wrote {kind}: {path}")
    print("load vectors.tsv and metadata.tsv at projector.tensorflow.org ('Load'), or serve the folder "
          "and pass projector_config.json", file=sys.stderr)
    return 0


PLOT_EXAMPLES = """examples:
  embeddings plot dog cat horse democracy election senate          # words, PCA
  embeddings plot --group animals dog cat horse --group politics democracy election senate
  embeddings plot --neighbors king --k 12 --method umap --output king.svg
  embeddings plot --analogy king man woman                         # arrows man->woman, king->queen
  embeddings plot --analogy man woman king queen uncle aunt        # pairs a->b
  embeddings plot --overview 3000 --method tsne --output map.png
  embeddings plot --x-axis man woman --y-axis poor rich king queen doctor nurse
  embeddings plot --dim 3 dog cat horse car truck bus"""


def cmd_plot(args) -> int:
    import matplotlib
    matplotlib.use("Agg")
    from . import plot
    from .similarity import most_similar

    wv = _load(args)
    _note_unseen(wv, list(args.words) + [w for g in args.group or [] for w in g[1:]] + [args.neighbors]
                 + list(args.analogy or []))
    modes = [m for m in ("neighbors", "analogy", "overview") if getattr(args, m)]
    if args.x_axis or args.y_axis:
        modes.append("axes")
    if len(modes) > 1:
        raise EmbeddingsError(f"choose one of --neighbors, --analogy, --overview, --x-axis/--y-axis (got {', '.join(modes)})")
    mode = modes[0] if modes else "words"
    groups = {g[0]: g[1:] for g in args.group or []}
    for name, ws in groups.items():
        if not ws:
            raise EmbeddingsError(f"--group {name} lists no words: write --group NAME WORD [WORD ...]")
    if args.words:
        groups = {"": args.words, **groups} if groups else {"": args.words}
    if mode == "neighbors":
        ax = plot.plot_neighbors(wv, args.neighbors, args.k, args.method, args.dim)
    elif mode == "analogy":
        terms = args.analogy
        if len(terms) == 3:  # A B C: A - B + C = D, arrows B -> C and A -> D
            a, b, c = terms
            d = most_similar(wv, [a, c], [b], topn=1)[0][0]
            pairs = [(b, c), (a, d)]
        elif len(terms) >= 4 and len(terms) % 2 == 0:
            pairs = list(zip(terms[::2], terms[1::2]))
        else:
            raise EmbeddingsError("--analogy takes A B C (for A - B + C) or pairs a1 b1 a2 b2 ...")
        ax = plot.plot_analogy(wv, pairs)
    elif mode == "overview":
        ax = plot.plot_overview(wv, args.overview, args.method if args.method != "pca" else "tsne",
                                labels=args.labels)
    elif mode == "axes":
        if not (args.x_axis and args.y_axis):
            raise EmbeddingsError("custom axes need both --x-axis A B and --y-axis C D")
        if not groups:
            raise EmbeddingsError("name the words to place on the custom axes")
        ax = plot.plot_custom_axes(wv, [], tuple(args.x_axis), tuple(args.y_axis), groups=groups)
    else:
        if not groups:
            raise EmbeddingsError("nothing to plot: give words, --group, --neighbors, --analogy, --overview or --x-axis/--y-axis")
        ax = plot.plot_groups(wv, groups, args.method, args.dim)
    print(plot.save(ax, args.output))
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error exits with status 1 like every other expected error."""

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = _Parser(prog="embeddings", description="Train and explore word embeddings: "
                                     "similarity is a dot product, and a matrix product does millions of them.")
    parser.add_argument("--version", action="version", version=f"embeddings {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    raw = argparse.RawDescriptionHelpFormatter

    t = sub.add_parser("train", help="train vectors (default: the bundled corpus)", epilog=TRAIN_EXAMPLES,
                       formatter_class=raw, description="Train Word2Vec (skip-gram or CBOW, negative sampling).")
    t.add_argument("corpus", nargs="*", help="text files (.txt .gz .bz2 .xz) or folders; default: bundled corpus")
    t.add_argument("--arch", choices=["skipgram", "cbow"])
    t.add_argument("--dim", type=int, help="vector dimensions (100)")
    t.add_argument("--window", type=int, help="max context distance (5)")
    t.add_argument("--negative", type=int, help="noise words per pair (5)")
    t.add_argument("--min-count", dest="min_count", type=int, help="drop rarer words (5)")
    t.add_argument("--max-vocab", dest="max_vocab", type=int, help="keep only this many words")
    t.add_argument("--sample", type=float, help="subsampling threshold (1e-3; 0 disables)")
    t.add_argument("--epochs", type=int, help="passes over the corpus (5)")
    t.add_argument("--batch-size", dest="batch_size", type=int,
                   help="text positions per step (8192; a small corpus gets fewer: at least 300 steps an epoch)")
    t.add_argument("--lr", type=float, help="starting learning rate (0.05 skip-gram, 0.075 CBOW)")
    t.add_argument("--min-lr-ratio", dest="min_lr_ratio", type=float,
                   help="the rate decays linearly to lr x this, then holds (0.1 skip-gram, 0.3 CBOW and subword "
                        "skip-gram; higher favours word similarity over analogies, 0.0001 is word2vec's decay to zero)")
    t.add_argument("--ns-exponent", dest="ns_exponent", type=float,
                   help="noise words are drawn in proportion to count ** this (0.5, as fastText; 0.6 skip-gram "
                        "with --subwords; word2vec and gensim use 0.75)")
    t.add_argument("--group-size", dest="group_size", type=int,
                   help="input rows that share one draw of noise words (32 skip-gram, 128 CBOW; smaller groups "
                        "draw more noise words per step, which is slower and, with subwords, learns more: docs/subwords.md)")
    t.add_argument("--shared-negatives", dest="shared_negatives", type=int,
                   help="noise words in each group's draw, each weighted negative/this (40 skip-gram, 32 CBOW; "
                        "48 skip-gram with --subwords, which learns more from them: docs/subwords.md)")
    t.add_argument("--init", type=float,
                   help="input vectors start uniform in +-init/dim (0.5 skip-gram, as word2vec; 5 CBOW, "
                        "which learns more from the wider start; 1 CBOW with --subwords, as fastText)")
    t.add_argument("--row-cap", dest="row_cap", type=float,
                   help="a word seen n times in a step moves by at most this many lookups' worth (4; CBOW 2, "
                        "which gives it more analogies for a little word similarity: docs/performance.md; higher learns "
                        "frequent words faster, too high diverges)")
    t.add_argument("--shuffle", action=argparse.BooleanOptionalAction, default=None,
                   help="train each chunk's sentences in a random order, so that a step mixes documents' topics "
                        "(on for skip-gram, off for CBOW and subword skip-gram: docs/performance.md, \"Quality\")")
    t.add_argument("--output-weight", dest="output_weight", type=float, metavar="W",
                   help="the vectors saved are W + this x C, the input vectors plus this much of the output vectors "
                        "(0.5, which gains 1.4-2.9 analogy points and loses no word similarity: docs/performance.md; "
                        "0: word2vec's W; 1: W + C, Levy et al. 2015; subwords: 0, their input rows)")
    t.add_argument("--vectors", choices=["input", "input+output"],
                   help="the same as --output-weight 0 (input) or 1 (input+output)")
    t.add_argument("--subwords", metavar="MIN-MAX",
                   help="fastText subwords: add each word's character n-grams of MIN..MAX characters, so words "
                        "never seen get vectors (e.g. 3-6; 0: off, the default)")
    t.add_argument("--buckets", type=int, help="n-gram rows the hashed n-grams share (2000000, as fastText)")
    t.add_argument("--ngram-dropout", dest="ngram_dropout", type=float,
                   help="with --subwords: each step leaves each of a word's n-grams out of its input with this "
                        "chance, so the n-grams a typo keeps carry the word's meaning (0.3 skip-gram, 0 CBOW: "
                        "docs/subwords.md, \"N-gram dropout\")")
    t.add_argument("--lone-ngram-rate", dest="lone_ngram_rate", type=float,
                   help="with --subwords: an n-gram row that one word alone used in a step takes this part of "
                        "its step, leaving more of the word's meaning to the n-grams it shares (0.75 skip-gram, "
                        "1 CBOW: docs/subwords.md, \"N-gram dropout\")")
    t.add_argument("--steady-ngrams", dest="steady_ngrams", action=argparse.BooleanOptionalAction, default=None,
                   help="with --subwords: cap n-gram rows against the starting rate, so that a row many words "
                        "share keeps its step as the rate decays (on: docs/subwords.md, \"Steady n-gram rows\")")
    t.add_argument("--device", help="auto, cpu, cuda or cuda:N (auto)")
    t.add_argument("--seed", type=int, help="random seed (1)")
    t.add_argument("--chunk-tokens", dest="chunk_tokens", type=int,
                   help="corpus tokens per chunk (524288; with several processes the replicas merge after "
                        "each; with --subwords and 4 or more processes 262144)")
    t.add_argument("--sync-rows", dest="sync_rows", type=int,
                   help="with several processes: the rows of this many most frequent words step together at "
                        "every step, the rest merge after each chunk (8192; 0: all at merges)")
    t.add_argument("--sync-ngrams", dest="sync_ngrams", type=int,
                   help="with several processes and --subwords: so do the rows of this many n-grams that the "
                        "most words use (8192)")
    t.add_argument("--output", help=f"folder for vectors and checkpoint ({DEFAULT_MODEL_DIR}; "
                                    "with --resume: the checkpoint's own folder)")
    t.add_argument("--resume", metavar="CHECKPOINT", help="continue an interrupted run from its checkpoint")
    t.add_argument("--eval", action="store_true",
                   help="score analogies and word pairs (bundled sets) at the end of every epoch")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=cmd_train)

    def model_arg(p):
        p.add_argument("--model", help=f"vectors file (.txt .vec .bin .npz) or folder (default: {DEFAULT_MODEL_DIR}/)")
        p.add_argument("--format", choices=["text", "binary", "glove", "checkpoint", "fasttext"],
                       help="file format (default: by extension)")
        p.add_argument("--json", action="store_true", help="machine-readable output")

    s = sub.add_parser("similar", help="nearest neighbours of words", epilog=SIMILAR_EXAMPLES, formatter_class=raw)
    s.add_argument("words", nargs="+")
    s.add_argument("--metric", choices=["cosine", "dot"], default="cosine")
    s.add_argument("--topn", type=positive_int, default=10)
    model_arg(s)
    s.set_defaults(func=cmd_similar)

    a = sub.add_parser("analogy", help="solve A - B + C (e.g. king man woman)", epilog=ANALOGY_EXAMPLES,
                       formatter_class=raw)
    a.add_argument("terms", nargs="+", help="A B C, or an expression like 'king - man + woman', or a:b::c:?")
    a.add_argument("--method", choices=["add", "mul"], default="add", help="3CosAdd or 3CosMul (add)")
    a.add_argument("--topn", type=positive_int, default=10)
    model_arg(a)
    a.set_defaults(func=cmd_analogy)

    e = sub.add_parser("evaluate", help="analogy accuracy and word-pair correlation", epilog=EVALUATE_EXAMPLES,
                       formatter_class=raw)
    e.add_argument("--analogies", help="questions file (default: bundled questions-words.txt)")
    e.add_argument("--pairs", action="append", metavar="FILE",
                   help="word-pair similarity file, 'word<TAB>word<TAB>score' lines; repeat for several "
                        "(default: the six bundled sets, WordSim-353 to Rare Words)")
    e.add_argument("--method", choices=["add", "mul", "both"], default="add")
    e.add_argument("--restrict-vocab", dest="restrict_vocab", type=positive_int, default=300_000,
                   help="only the N most frequent words count (300000, as gensim)")
    model_arg(e)
    e.set_defaults(func=cmd_evaluate)
    pl = sub.add_parser("plot", help="draw words in 2D/3D (PCA, t-SNE, UMAP) and save the figure",
                        epilog=PLOT_EXAMPLES, formatter_class=raw)
    pl.add_argument("words", nargs="*", help="words to draw")
    pl.add_argument("--group", nargs="+", action="append", metavar=("NAME", "WORD"),
                    help="a coloured group: --group NAME WORD [WORD ...] (repeatable)")
    pl.add_argument("--neighbors", metavar="WORD", help="a word and its nearest neighbours")
    pl.add_argument("--k", type=positive_int, default=10, help="neighbours to draw (10)")
    pl.add_argument("--analogy", nargs="+", metavar="WORD", help="A B C (A - B + C) or pairs a1 b1 a2 b2 ...")
    pl.add_argument("--overview", type=positive_int, metavar="N", help="map of the N most frequent words")
    pl.add_argument("--labels", type=int, default=150, help="labels drawn on an overview (150)")
    pl.add_argument("--x-axis", dest="x_axis", nargs=2, metavar=("FROM", "TO"), help="x = projection on TO - FROM")
    pl.add_argument("--y-axis", dest="y_axis", nargs=2, metavar=("FROM", "TO"), help="y = projection on TO - FROM")
    pl.add_argument("--method", choices=["pca", "tsne", "umap"], default="pca")
    pl.add_argument("--dim", type=int, choices=[2, 3], default=2)
    pl.add_argument("--output", "-o", default="plot.png", help="image file: .png, .svg or .pdf (plot.png)")
    model_arg(pl)
    pl.set_defaults(func=cmd_plot)

    le = sub.add_parser("lesson", help="the seed, runnable: one-hot vs embeddings, dot vs cosine, matmul",
                        epilog="examples:\n  embeddings lesson\n  embeddings lesson dog cat democracy election",
                        formatter_class=raw)
    le.add_argument("words", nargs="*", default=["dog", "cat", "democracy", "election"])
    model_arg(le)
    le.set_defaults(func=cmd_lesson)

    ex = sub.add_parser("explore", help="the vectors in your browser: map, neighbours, analogies (local web page)",
                        epilog=EXPLORE_EXAMPLES, formatter_class=raw,
                        description="Serve a local page (and its JSON API, documented at /docs) over one set of vectors.")
    ex.add_argument("--model", help=f"vectors file (.txt .vec .bin .npz) or folder (default: {DEFAULT_MODEL_DIR}/)")
    ex.add_argument("--format", choices=["text", "binary", "glove", "checkpoint", "fasttext"], help="file format (default: by extension)")
    ex.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1: this machine only)")
    ex.add_argument("--port", type=int, default=8000, help="port (8000)")
    ex.add_argument("--no-browser", dest="no_browser", action="store_true", help="do not open a browser")
    ex.add_argument("--cache", metavar="FOLDER", help="where t-SNE/UMAP maps are cached (default: projections/ beside the model)")
    ex.set_defaults(func=cmd_explore)

    xp = sub.add_parser("export", help="write the vectors for the TensorFlow Embedding Projector",
                        epilog=EXPORT_EXAMPLES, formatter_class=raw)
    xp.add_argument("--projector", required=True, metavar="FOLDER",
                    help="folder for vectors.tsv, metadata.tsv and projector_config.json")
    xp.add_argument("--model", help=f"vectors file (.txt .vec .bin .npz) or folder (default: {DEFAULT_MODEL_DIR}/)")
    xp.add_argument("--format", choices=["text", "binary", "glove", "checkpoint", "fasttext"], help="file format (default: by extension)")
    xp.set_defaults(func=cmd_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except EmbeddingsError as e:
        if args.debug:
            raise
        print(f"embeddings: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("embeddings: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader left (`embeddings similar king | head -3`): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit's flush
        return 0
