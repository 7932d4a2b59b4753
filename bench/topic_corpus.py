"""The 100,000-comment corpus of `bench_topics.py`, its labels and its cached embeddings.

The labelled files in `../shared/data` hold about 62,000 distinct texts; the corpus takes all of
them, then the sentences of multi-sentence texts (segmented by voc's own segmenter) until it
reaches the size asked. Embeddings are computed once with voc's encoder (the serving backend),
5,000 texts at a time, and cached per text under `var/cache/embeddings`
(`voc.nlp.train.embed_cached`), so an interrupted run resumes where it stopped.

A size under the number of distinct texts (e.g. `--size 2000` for a quick comparison) takes an
equal, seeded share of every file instead, without sentences, so a small corpus still mixes
every source and language.

Run on its own to warm the cache: `.venv/bin/python bench/topic_corpus.py --size 100000`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voc import paths

CHUNK = 5_000
LABELLED = {
    # file -> how one row gets one category (rows with zero or several categories get none)
    "en_bitext_customer_support.jsonl": "labels.category",
    "en_cfpb_complaints_sample.jsonl": "labels.product",
    "id_prdect_tokopedia.jsonl": "labels.category",
    "mams_absa_en.jsonl": "aspects",
    "fr_tripadvisor_restaurants_absa.jsonl": "aspects",
    "indonlu_hoasa.jsonl": "aspects",
    "indonlu_casa.jsonl": "aspects",
}


@dataclass(frozen=True)
class Corpus:
    texts: list[str]
    languages: list[str]
    labels: dict[str, list[int | None]]
    """Per labelled file: a category index for each corpus text (None: not in that set)."""


def _category(row: dict, how: str) -> str | None:
    if how == "aspects":
        categories = {a["category"] for a in row["aspects"]}
        return categories.pop() if len(categories) == 1 else None
    return row["labels"][how.split(".", 1)[1]]


def build_corpus(size: int, data_dir: Path | None = None) -> Corpus:
    """The corpus, cached as JSON under var/cache (segmenting 62,000 texts takes minutes)."""
    data_dir = data_dir or paths.shared_data_dir()
    stamp = "-".join(f"{p.name}:{p.stat().st_size}" for p in sorted(data_dir.glob("*.jsonl")))
    key = hashlib.sha256(f"{size}|{stamp}".encode()).hexdigest()[:16]
    cached = paths.var_dir() / "cache" / f"topic_corpus_{key}.json"
    if cached.exists():
        return Corpus(**json.loads(cached.read_text()))
    corpus = _build_corpus(size, data_dir)
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(corpus.__dict__, ensure_ascii=False))
    return corpus


def _build_corpus(size: int, data_dir: Path) -> Corpus:
    from voc.nlp.segment import Segmenter

    rows = []
    for path in sorted(data_dir.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            rows += [json.loads(line) for line in fh]
    index: dict[str, int] = {}
    texts, languages = [], []
    categories: dict[str, dict[int, str]] = {name: {} for name in LABELLED}
    for row in rows:
        if row["text"] in index:
            continue
        index[row["text"]] = len(texts)
        texts.append(row["text"])
        languages.append(row["lang"])
        how = LABELLED.get(row["source"] + ".jsonl")
        if how and (category := _category(row, how)):
            categories[row["source"] + ".jsonl"][index[row["text"]]] = category
    if size < len(texts):
        texts, languages, categories = _balanced_sample(rows, texts, languages, categories, size)
        return Corpus(texts, languages, _codes(categories, len(texts)))
    segmenter = Segmenter()
    sentences = segmenter.segment_batch(list(texts), list(languages))
    for lang, doc_sentences in zip(list(languages), sentences, strict=True):
        if len(texts) >= size:
            break
        if len(doc_sentences) < 2:
            continue
        for sentence in doc_sentences:
            if sentence.text not in index and len(texts) < size:
                index[sentence.text] = len(texts)
                texts.append(sentence.text)
                languages.append(lang)
    labels = _codes(categories, len(texts))
    return Corpus(texts[:size], languages[:size], {k: v[:size] for k, v in labels.items()})


def _codes(categories: dict[str, dict[int, str]], n: int) -> dict[str, list[int | None]]:
    labels = {}
    for name, by_index in categories.items():
        codes = {c: i for i, c in enumerate(sorted(set(by_index.values())))}
        labels[name] = [codes[by_index[i]] if i in by_index else None for i in range(n)]
    return labels


def _balanced_sample(
    rows: list[dict],
    texts: list[str],
    languages: list[str],
    categories: dict[str, dict[int, str]],
    size: int,
) -> tuple[list[str], list[str], dict[str, dict[int, str]]]:
    """`size` distinct texts, an equal seeded share from every source file."""
    by_source: dict[str, list[int]] = {}
    seen: set[str] = set()
    for row in rows:
        if row["text"] not in seen:
            seen.add(row["text"])
            by_source.setdefault(row["source"], []).append(len(seen) - 1)
    rng = np.random.default_rng(0)
    share = size // len(by_source)
    chosen = sorted(
        i for indices in by_source.values() for i in rng.permutation(indices)[:share].tolist()
    )
    new = {old: new for new, old in enumerate(chosen)}
    sampled = {
        name: {new[i]: c for i, c in by_index.items() if i in new}
        for name, by_index in categories.items()
    }
    return [texts[i] for i in chosen], [languages[i] for i in chosen], sampled


def corpus_embeddings(texts: list[str], *, reverse: bool = False) -> np.ndarray:
    """voc's own embeddings of `texts`, computed once per chunk and cached.

    `reverse` walks the chunks from the end: a second process warming the cache that way
    meets the first one in the middle."""
    from voc.config import Settings
    from voc.nlp.encoder import Encoder
    from voc.nlp.train import embed_cached

    settings = Settings.from_env()
    encoder = Encoder(
        settings.base_model_dir, backend=settings.encoder_backend, threads=settings.threads or None
    )
    starts = list(range(0, len(texts), CHUNK))
    parts = {}
    for start in reversed(starts) if reverse else starts:
        began = time.perf_counter()
        parts[start] = embed_cached(encoder, texts[start : start + CHUNK])
        print(f"embedded chunk at {start} ({time.perf_counter() - began:.0f} s)", flush=True)
    return np.concatenate([parts[s] for s in starts])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--reverse", action="store_true", help="embed the last chunks first")
    args = parser.parse_args()
    corpus = build_corpus(args.size)
    print(f"corpus: {len(corpus.texts)} texts", flush=True)
    corpus_embeddings(corpus.texts, reverse=args.reverse)


if __name__ == "__main__":
    main()
