"""Topic benchmark: voc's topic fit vs BERTopic's defaults on the same precomputed embeddings.

(a) baseline: `BERTopic()` with its defaults (UMAP + HDBSCAN, default CountVectorizer), given
    voc's embeddings (no encoder pass);
(b) voc: `voc.topics.fit.fit_topics` (BERTopic's pipeline: PCA + MiniBatchKMeans, per-language
    centring, the committed sentiment head's directions projected out, multilingual stop
    words, nearest-centroid settling); `--keep-sentiment` adds a row without that projection
    (the before/after of removing sentiment, in the same run).
Each runs in its own process (peak RSS measured there). Both are scored on the labelled
subsets of the corpus (NMI per labelled file, then the mean), NPMI coherence of the top-10
unigram keywords over the corpus, and topic diversity. Finally the cost of online topic
assignment inside `Analyzer.analyze` (with vs without an active model, same texts, same run).

Targets: b faster than a by >= 3x, NMI(b) >= NMI(a), peak memory <= 4 GB, online cost <= 10%.
Run: `.venv/bin/python bench/bench_topics.py` (embeddings cached by bench/topic_corpus.py).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from topic_corpus import Corpus, build_corpus, corpus_embeddings

from voc.nlp.topic_quality import coherence_and_diversity, nmi_per_file


def _run_voc(
    path: str, texts: list[str], languages: list[str], remove_sentiment: bool = True
) -> dict:
    from voc import paths
    from voc.nlp.sentiment import SentimentHead
    from voc.topics.fit import TopicSettings, fit_topics, sentiment_directions

    head = SentimentHead.load(paths.ARTIFACTS_DIR / "sentiment")
    directions = sentiment_directions(head.weight) if remove_sentiment else None
    embeddings = np.load(path)
    started = time.perf_counter()
    model = fit_topics(
        texts,
        embeddings,
        languages=languages,
        settings=TopicSettings(seed=0),
        removed_directions=directions,
    )
    seconds = time.perf_counter() - started
    labels = [a.id for a in model.assign(embeddings, languages)]
    return {
        "seconds": seconds,
        "labels": labels,
        "keywords": [[w for w, _ in t.keywords] for t in model.topics],
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _run_bertopic_defaults(path: str, texts: list[str], languages: list[str]) -> dict:
    from bertopic import BERTopic

    embeddings = np.load(path)
    started = time.perf_counter()
    model = BERTopic()
    labels, _ = model.fit_transform(texts, embeddings=embeddings)
    seconds = time.perf_counter() - started
    topics = sorted(t for t in model.get_topics() if t != -1)
    return {
        "seconds": seconds,
        "labels": list(map(int, labels)),
        "keywords": [[w for w, _ in model.get_topic(t)] for t in topics],
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _in_process(target, *args) -> dict:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(target, args)


def online_cost(texts: list[str], model_texts: list[str], model_vectors, languages) -> dict:
    """Analyzer seconds on the same texts with and without an active topic model, and the
    assignment step alone on the same clause vectors (robust to a busy machine)."""
    from voc.config import Settings
    from voc.nlp.analyzer import FEATURES
    from voc.nlp.topic_assignment import document_topics
    from voc.nlp.types import Feedback
    from voc.nlp.vectors import embed_documents
    from voc.registry.loader import load_analyzer
    from voc.topics.fit import TopicSettings, fit_topics

    analyzer = load_analyzer(Settings.from_env())
    model = fit_topics(
        model_texts, model_vectors, languages=languages, settings=TopicSettings(seed=0)
    )
    feedback = [Feedback(id=str(i), text=t) for i, t in enumerate(texts)]
    without = [f for f in FEATURES if f != "topics"]
    analyzer.analyze(feedback[:32], features=FEATURES)  # warm-up
    timings: dict[str, list[float]] = {"without": [], "with": [], "assign": []}
    codes = [a.language.code for a in analyzer.analyze(feedback, features=("language",))]
    sentences = analyzer.segmenter.segment_batch(list(texts), codes)
    vectors = embed_documents(analyzer.encoder.embed, list(texts), sentences)
    for _ in range(3):
        for name, features, topics in (("without", without, None), ("with", FEATURES, model)):
            analyzer.topics = topics
            started = time.perf_counter()
            for i in range(0, len(feedback), 32):
                analyzer.analyze(feedback[i : i + 32], features=features)
            timings[name].append(time.perf_counter() - started)
        started = time.perf_counter()
        for v, code in zip(vectors, codes, strict=True):
            document_topics(model, v.clauses, code)
        timings["assign"].append(time.perf_counter() - started)
    best = {k: min(v) for k, v in timings.items()}
    return {
        **best,
        "added": best["with"] / best["without"] - 1,
        "assign_share": best["assign"] / best["without"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--online-texts", type=int, default=512, help="0 skips the online part")
    parser.add_argument(
        "--keep-sentiment", action="store_true", help="also fit voc without the projection"
    )
    args = parser.parse_args()
    corpus = build_corpus(args.size)
    embeddings = corpus_embeddings(corpus.texts)
    print(f"corpus: {len(corpus.texts)} texts, {embeddings.shape[1]} dims", flush=True)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "embeddings.npy")
        np.save(path, embeddings)
        runs = [("voc", _run_voc, ()), ("bertopic_defaults", _run_bertopic_defaults, ())]
        if args.keep_sentiment:
            runs.insert(0, ("voc_keep_sentiment", _run_voc, (False,)))
        for name, target, extra in runs:
            result = _in_process(target, path, corpus.texts, corpus.languages, *extra)
            rows[name] = _score(result, corpus)
            _print_row(name, rows[name])
            if name == "voc" and args.online_texts:
                online = online_cost(
                    corpus.texts[-args.online_texts :], corpus.texts, embeddings, corpus.languages
                )
                print(
                    f"online: analyze without topics {online['without']:.2f} s, with "
                    f"{online['with']:.2f} s for {args.online_texts} texts: "
                    f"{100 * online['added']:+.1f}%; assignment step alone "
                    f"{online['assign']:.3f} s "
                    f"= {100 * online['assign_share']:.1f}% of analyze (target <= 10%)",
                    flush=True,
                )
    voc, base = rows["voc"], rows["bertopic_defaults"]
    print(
        f"speed ratio (bertopic defaults / voc): {base['seconds'] / voc['seconds']:.1f}x "
        "(target >= 3)"
    )
    print(f"NMI voc - defaults: {voc['nmi_mean'] - base['nmi_mean']:+.3f} (target >= 0)")
    print(f"voc peak memory: {voc['peak_mb'] / 1024:.2f} GB (target <= 4)")


def _score(result: dict, corpus: Corpus) -> dict:
    nmi = nmi_per_file(result["labels"], corpus.labels)
    npmi, diversity = coherence_and_diversity(result["keywords"], corpus.texts)
    labels = np.array(result["labels"])
    return {
        "seconds": result["seconds"],
        "peak_mb": result["peak_mb"],
        "topics": len(result["keywords"]),
        "outliers": float((labels == -1).mean()),
        "nmi": nmi,
        "nmi_mean": float(np.mean(list(nmi.values()))),
        "npmi": npmi,
        "diversity": diversity,
    }


def _print_row(name: str, row: dict) -> None:
    print(
        f"{name:18s} fit {row['seconds']:8.1f} s  peak {row['peak_mb']:7.0f} MB  "
        f"topics {row['topics']:4d}  outliers {row['outliers']:.3f}  NMI {row['nmi_mean']:.3f}  "
        f"NPMI {row['npmi']:.3f}  diversity {row['diversity']:.3f}",
        flush=True,
    )
    for file, value in row["nmi"].items():
        print(f"    NMI {file:42s} {value:.3f}", flush=True)


if __name__ == "__main__":
    main()
