"""Fit topics the BERTopic way on voc's own embeddings (never a second encoder pass).

BERTopic's pipeline with fast sub-models, called directly (`_cluster`, `class_tfidf`: the
same partition and c-TF-IDF as through `BERTopic`, without importing it): PCA for
dimensionality reduction and KMeans
(MiniBatchKMeans above 20,000 units) for clustering (both seeded, so the same data and seed
give the same topics), keywords chosen among the c-TF-IDF best words of a vocabulary without
en/fr/id/ms stop words or informal forms for how often they occur together (`_coherent`).
Then every unit is re-assigned to its nearest centroid with `TopicModel.assign`, the same
function online assignment uses, and keywords are recomputed on those final assignments.

Units are clauses (see `voc.nlp.topic_assignment`), so a comment about delivery and price counts in
both topics. Empty and duplicate units are counted but do not shape topics: only distinct,
non-empty units are clustered.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from voc.nlp.pii import detect, mask
from voc.nlp.topic_model import OTHER_ID, Topic, TopicModel, _unit, without_directions
from voc.nlp.topic_quality import npmi_matrix
from voc.topics.labels import MEMBERS_READ, phrase_label, segments, segments_hold
from voc.topics.stopwords import stop_words

log = logging.getLogger(__name__)

TOKEN_PATTERN = r"(?u)\b[^\W\d_]{2,}\b"
"""Words of two letters or more: numbers and redaction marks never become keywords."""
SAMPLES_PER_TOPIC = 64
FULL_KMEANS_MAX = 20_000
"""Up to this many distinct units, full KMeans with 10 restarts (seconds, and the same optimum
whatever the seed); above it MiniBatchKMeans keeps a 100,000-comment fit fast."""
EXAMPLES_PER_TOPIC = 3
KEYWORD_CANDIDATES = 150
"""A topic's keywords are chosen among its this many best words by c-TF-IDF (`_coherent`). On
one fit of 10,000 texts: 100 gave NPMI 0.198, 150 0.214, 200 0.227 but by then a food topic's
keywords drift to "atmosphere, scenery, romantic"."""
RANK_WEIGHT = 0.25
"""How much a candidate's c-TF-IDF rank counts against its co-occurrence with the keywords
already chosen (on that fit, 0.15 and 0.25 gave about the same NPMI; 0.5 less)."""


class TooFewDocumentsError(ValueError):
    """The corpus is too small to discover topics in."""


MAX_AUTO_TOPICS = 150
MAX_THEMES = 12
"""More topics than this are grouped into at most this many top-level themes (a page an analyst
can read); each topic stays a subtopic of its theme."""


MAX_SEED = 2**32 - 1
"""The largest seed scikit-learn's estimators accept (`random_state`)."""


@dataclass(frozen=True)
class TopicSettings:
    """Validated options of a topic fit (`voc topics fit`, `POST /v1/topics/fit`)."""

    n_topics: int = 0
    """0: chosen from the corpus size (about sqrt(distinct units) / 2, between 2 and 150)."""
    min_topic_size: int = 5
    """Clusters with fewer distinct units are dissolved into their neighbours."""
    outlier_share: float = 0.02
    """Share of units (the least similar to any topic) that go to "other"; 0 gives every unit a
    topic."""
    reduced_dims: int = 48
    temperature: float = 0.1
    match_threshold: float = 0.75
    """Centroid cosine above which a refit topic keeps a previous topic's id and label."""
    seed: int = 0
    """Seeds the PCA and k-means of the fit, which take 0 to `MAX_SEED`."""

    def __post_init__(self) -> None:
        checks = {
            "n_topics": self.n_topics >= 0,
            "min_topic_size": self.min_topic_size >= 1,
            "outlier_share": 0 <= self.outlier_share < 0.5,
            "reduced_dims": self.reduced_dims >= 2,
            "temperature": self.temperature > 0,
            "match_threshold": -1 <= self.match_threshold <= 1,
            "seed": 0 <= self.seed <= MAX_SEED,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid topic settings {bad}: see voc.topics.fit.TopicSettings")

    @property
    def min_units(self) -> int:
        return 2 * self.min_topic_size

    def topic_count(self, n_units: int) -> int:
        if self.n_topics:
            return max(1, min(self.n_topics, n_units // self.min_topic_size))
        # The ceiling reaches ~100,000 comments in four languages: at 60 topics the labelled
        # categories of bench/bench_topics.py lost NMI to BERTopic's defaults (0.081 vs 0.145);
        # at 150, 0.204 (HDBSCAN found 279 there).
        return int(np.clip(round(np.sqrt(n_units) / 2), 2, MAX_AUTO_TOPICS))


def normalize_unit(text: str) -> str:
    """The key under which two units count as duplicates (case and spacing ignored)."""
    return " ".join(text.lower().split())


def has_content(text: str) -> bool:
    return re.search(r"[^\W\d_]", text) is not None


def fit_topics(
    texts: list[str],
    embeddings: np.ndarray,
    *,
    languages: list[str] | None = None,
    settings: TopicSettings | None = None,
    centred: bool = False,
    removed_directions: np.ndarray | None = None,
) -> TopicModel:
    """Topics over `texts` (units) with their voc embeddings, one row per text.

    `languages` (one code per text) enables per-language centring; `removed_directions`
    (orthonormal rows, e.g. `sentiment_directions`) are projected out before clustering and
    at every assignment; `centred=True` says the embeddings are already centred unit vectors
    of a parent model (used by split).
    """
    settings = settings or TopicSettings()
    if len(texts) != len(embeddings):
        raise ValueError(f"{len(texts)} texts but {len(embeddings)} embeddings")
    started = time.perf_counter()
    distinct: dict[str, int] = {}
    weights: Counter[str] = Counter()  # how many units each distinct one stands for
    empty = 0
    for i, text in enumerate(texts):
        if not has_content(text):
            empty += 1
        else:
            key = normalize_unit(text)
            distinct.setdefault(key, i)
            weights[key] += 1
    keep = np.array(list(distinct.values()), dtype=np.int64)
    if len(keep) < settings.min_units:
        raise TooFewDocumentsError(
            f"{len(keep)} distinct non-empty comments; topic discovery needs at least "
            f"{settings.min_units} (2 x min_topic_size): send more comments"
        )
    unit_texts = [texts[i] for i in keep]
    raw = np.asarray(embeddings, dtype=np.float32)[keep]
    mean = np.zeros(raw.shape[1], np.float32) if centred else raw.mean(axis=0)
    language_means = {}
    if languages is not None and not centred:
        unit_languages = np.array([languages[i] for i in keep])
        for lang in sorted(set(unit_languages.tolist())):
            rows = unit_languages == lang
            if rows.sum() >= settings.min_units:
                language_means[lang] = raw[rows].mean(axis=0)
    draft = TopicModel(
        version="draft",
        topics=(),
        mean=mean,
        language_means=language_means,
        member_means=np.zeros((0, raw.shape[1]), np.float32),
        min_similarity=-1.0,
        temperature=settings.temperature,
        next_id=0,
        removed_directions=None if centred else removed_directions,
    )
    vectors = draft.centre(raw, None if languages is None else [languages[i] for i in keep])
    labels = _cluster(vectors, settings)
    member_means, final, sims = _settle(vectors, labels, settings)
    best = sims[np.arange(len(final)), final]
    min_similarity = (
        float(np.quantile(best, settings.outlier_share)) if settings.outlier_share else -1.0
    )
    final = np.where(best < min_similarity, OTHER_ID, final)
    # Clusters read the texts as given; what the model keeps (keywords, labels, examples,
    # samples) never holds personal data, whatever the deployment's redaction mode. Personal
    # data is found once per unit: keywords, labels and examples all read these spans.
    spans = [detect(t) for t in unit_texts]
    cuts = [segments(t, s) for t, s in zip(unit_texts, spans, strict=True)]
    words = _unit_words(["\n".join(parts) for parts in cuts])
    keywords = _keywords(words, final)
    orders = []  # each topic's members, most central first
    for index in range(len(member_means)):
        members = np.flatnonzero(final == index)
        orders.append(members[np.argsort(-sims[members, index])])
    labels = _labels(cuts, orders, keywords)
    themes = _themes(cuts, words, vectors, final, member_means, language_directions(language_means))
    unit_keys = list(distinct)  # in the order of `keep`
    topics, samples, sample_vectors = [], [], []
    for index, order in enumerate(orders):
        members = np.sort(order)
        topic_keywords = keywords.get(index, ())
        topics.append(
            Topic(
                id=index,
                label=labels[index],
                keywords=topic_keywords,
                size=int(sum(weights[unit_keys[m]] for m in members)),
                examples=tuple(
                    mask(unit_texts[m], spans[m])[0] for m in _examples(cuts, order, labels[index])
                ),
                theme=themes[index],
            )
        )
        chosen = np.sort(
            np.random.default_rng(settings.seed + index).permutation(members)[:SAMPLES_PER_TOPIC]
        )
        samples.append(tuple(mask(unit_texts[m], spans[m])[0] for m in chosen))
        sample_vectors.append(vectors[chosen])  # centred: a split re-fits in this space
    stats = {
        "units": len(texts),
        "empty": empty,
        "duplicates": len(texts) - empty - len(keep),
        "distinct": len(keep),
        "other": int((final == OTHER_ID).sum()),
        "seconds": round(time.perf_counter() - started, 2),
        "settings": {k: getattr(settings, k) for k in settings.__dataclass_fields__},
    }
    if languages is not None:  # per language: what the registry entry reports
        kept = np.array([languages[i] for i in keep])
        stats["languages"] = {
            lang: {
                "units": int((kept == lang).sum()),
                "other": int(((kept == lang) & (final == OTHER_ID)).sum()),
            }
            for lang in sorted(set(kept.tolist()))
        }
    model = TopicModel(
        version=_version(unit_texts, settings),
        topics=tuple(topics),
        mean=mean,
        language_means=language_means,
        member_means=member_means,
        min_similarity=min_similarity,
        temperature=settings.temperature,
        next_id=len(topics),
        samples=tuple(samples),
        sample_vectors=tuple(sample_vectors),
        stats=stats,
        removed_directions=draft.removed_directions,
    )
    log.info("topics.fitted", extra={k: v for k, v in stats.items() if k != "settings"})
    return model


def sentiment_directions(weight: np.ndarray) -> np.ndarray:
    """Orthonormal rows spanning what a linear sentiment head reads ((classes, dims) weights).

    Softmax ignores a shift shared by every class, so only the differences between class
    weights carry sentiment: 2 directions for negative/neutral/positive.
    """
    return _spanning_differences(np.asarray(weight, np.float64))


def language_directions(language_means: dict[str, np.ndarray]) -> np.ndarray | None:
    """Orthonormal rows spanning the differences between the languages' mean vectors (one
    fewer than the languages); None with fewer than two languages.

    Centring each language on its own mean moves every language's cloud to one place, but a
    topic's centroid still leans along these directions by language: grouping topics into
    themes without them joins "Food and service" across en/fr/id instead of one theme per
    language (docs/benchmarks.md, the 5,000-comment readout)."""
    if len(language_means) < 2:
        return None
    return _spanning_differences(
        np.stack([language_means[k] for k in sorted(language_means)]).astype(np.float64)
    )


def _spanning_differences(points: np.ndarray) -> np.ndarray:
    """Orthonormal rows (float32) spanning the differences between `points` (rows): the
    directions along which they differ, found by SVD of the points less their mean."""
    _, singular, rows = np.linalg.svd(points - points.mean(axis=0), full_matrices=False)
    return rows[singular > 1e-6 * singular.max()].astype(np.float32)


def _settle(
    vectors: np.ndarray, labels: np.ndarray, settings: TopicSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centroids whose nearest-centroid assignment reproduces them, without tiny topics.

    Clusters under `min_topic_size` are dissolved, every unit goes to its nearest remaining
    centroid, centroids are recomputed from those members; twice is enough in practice.
    """
    member_means, sizes = _member_means(vectors, labels)
    for _ in range(3):
        if (sizes >= settings.min_topic_size).sum() == 0:
            sizes[sizes.argmax()] = settings.min_topic_size  # one topic holds everything
        member_means = member_means[sizes >= settings.min_topic_size]
        sims = vectors @ _unit(member_means).T
        final = sims.argmax(axis=1)
        member_means, sizes = _member_means(vectors, final, k=len(member_means))
        if (sizes >= settings.min_topic_size).all():
            break
    sims = vectors @ _unit(member_means).T
    return member_means, sims.argmax(axis=1), sims


def _cluster(centred: np.ndarray, settings: TopicSettings) -> np.ndarray:
    """PCA, then KMeans (MiniBatchKMeans above `FULL_KMEANS_MAX` units): a cluster index per
    unit, numbered from the largest cluster down, as BERTopic numbers its topics.

    These are the reduction and clustering sub-models voc used to hand to `BERTopic`; called
    directly they give the same partition, and a fit no longer imports BERTopic, which pulls in
    sentence-transformers and transformers (6.3 s, a third of what `voc analyze --report` added
    to the analysis of 5,000 comments).
    """
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.decomposition import PCA

    n = len(centred)
    dims = min(settings.reduced_dims, n - 1, centred.shape[1])
    reduced = (
        PCA(n_components=dims, random_state=settings.seed, svd_solver="randomized").fit_transform(
            centred
        )
        if dims >= 2
        else centred
    )
    k = settings.topic_count(n)
    clusterer = (
        KMeans(n_clusters=k, random_state=settings.seed, n_init=10)
        if n <= FULL_KMEANS_MAX
        else MiniBatchKMeans(n_clusters=k, random_state=settings.seed, n_init=3, batch_size=4096)
    )
    labels = clusterer.fit(reduced).labels_
    by_size = np.argsort(-np.bincount(labels), kind="stable")
    rank = np.empty_like(by_size)
    rank[by_size] = np.arange(len(by_size))
    return rank[labels]


def class_tfidf(counts) -> np.ndarray:
    """c-TF-IDF of a (classes x words) count matrix, as BERTopic's `ClassTfidfTransformer(
    reduce_frequent_words=True)` computes it: each class's word counts L1-normalised and
    square-rooted, times log(1 + the mean word count per class / the word's count over all
    classes). Written here so a fit does not import BERTopic (see `_cluster`)."""
    from sklearn.preprocessing import normalize

    counts = counts.astype(np.float64)
    frequency = np.asarray(counts.sum(axis=0)).ravel()
    idf = np.log(int(counts.sum(axis=1).mean()) / frequency + 1)
    tf = normalize(counts, axis=1, norm="l1")
    tf.data = np.sqrt(tf.data)
    return np.asarray(tf.multiply(idf[None, :]).todense())


@dataclass(frozen=True)
class UnitWords:
    """How often each unit says each word: single words without stop words (keywords are
    words; labels are phrases, `voc.topics.labels`), counted once per fit and summed per topic
    by `_keywords` (for topics and for themes) instead of tokenising the units again."""

    counts: object
    """(units x words) sparse counts, words in alphabetical order."""
    words: np.ndarray


def _unit_words(texts: list[str]) -> UnitWords | None:
    """The words of `texts` (units, personal data already cut out); None when every word is a
    stop word."""
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(
        stop_words=sorted(stop_words()), token_pattern=TOKEN_PATTERN, lowercase=True
    )
    try:
        counts = vectorizer.fit_transform(texts)
    except ValueError:  # every word is a stop word
        return None
    return UnitWords(counts.tocsr(), vectorizer.get_feature_names_out())


def _keywords(units: UnitWords | None, labels: np.ndarray, top_n: int = 10) -> dict[int, tuple]:
    """Keywords of each label but "other": its `KEYWORD_CANDIDATES` best words by c-TF-IDF
    (`class_tfidf`, over the words of at least two labels from 1,000 units on), of which
    `top_n` are kept by `_coherent`, each with its c-TF-IDF score, in the order chosen."""
    from scipy.sparse import csr_matrix

    present = sorted(set(labels.tolist()) - {OTHER_ID})
    if not present or units is None:
        return {}
    n = units.counts.shape[0]
    rows = np.searchsorted(present, labels)
    member = labels != OTHER_ID
    indicator = csr_matrix(
        (np.ones(int(member.sum()), np.int64), (rows[member], np.flatnonzero(member))),
        shape=(len(present), n),
    )
    counts = (indicator @ units.counts).tocsc()  # labels x words
    min_labels = 2 if n >= 1000 else 1
    kept = np.flatnonzero(np.diff(counts.indptr) >= min_labels)
    if not len(kept):  # every word is said under one label only
        return {}
    counts, words = counts[:, kept], units.words[kept]
    scores = class_tfidf(counts)
    occurs = units.counts[:, kept].tocsc()  # which unit holds which word
    out = {}
    for row, topic in enumerate(present):
        candidates = np.argsort(-scores[row])[:KEYWORD_CANDIDATES]
        candidates = candidates[scores[row, candidates] > 0]
        chosen = candidates[_coherent(occurs[:, candidates], top_n)]
        out[topic] = tuple((str(words[i]), round(float(scores[row, i]), 4)) for i in chosen)
    return out


def _coherent(occurs, top_n: int) -> list[int]:
    """`top_n` of the candidate columns of `occurs` (units x words, best c-TF-IDF first): the
    best one, then each time the word with the highest mean NPMI (document co-occurrence over
    all units) with those already chosen, plus `RANK_WEIGHT` x its c-TF-IDF rank (1 for the
    best candidate, towards 0 for the last).

    c-TF-IDF alone picks words that are distinctive but rarely said together (in short
    comments, a third of top-10 pairs never shared a unit: NPMI -0.106 against 0.198 for
    BERTopic's defaults, docs/benchmarks.md); words that occur together describe one thing.
    KeyBERTInspired and MaximalMarginalRelevance were tried and lowered NPMI (-0.190, -0.307)
    while encoding every candidate word.
    """
    npmi = npmi_matrix(occurs)
    rank = 1 - np.arange(len(npmi)) / max(len(npmi), 1)
    chosen = [0] if len(npmi) else []
    while len(chosen) < min(top_n, len(npmi)):
        gain = RANK_WEIGHT * rank + npmi[:, chosen].mean(axis=1)
        gain[chosen] = -np.inf
        chosen.append(int(gain.argmax()))
    return chosen


def _themes(
    cuts: list[list[str]],
    words: UnitWords | None,
    vectors: np.ndarray,
    final: np.ndarray,
    member_means: np.ndarray,
    languages: np.ndarray | None = None,
) -> list[str]:
    """Each topic's top-level theme label: topics whose centroids are close (average-linkage
    cosine, without the `languages` directions, see `language_directions`) are grouped into
    about 1.5 x sqrt(topics) themes, at most `MAX_THEMES`, each labelled like a topic from its
    members; "" for every topic when there are few."""
    from scipy.cluster.hierarchy import fcluster, linkage

    k = len(member_means)
    if k <= MAX_THEMES:
        return [""] * k
    count = int(min(MAX_THEMES, max(2, round(1.5 * np.sqrt(k)))))
    tree = linkage(
        _unit(without_directions(member_means, languages)), method="average", metric="cosine"
    )
    groups = fcluster(tree, t=count, criterion="maxclust") - 1
    unit_groups = np.where(final >= 0, groups[np.maximum(final, 0)], OTHER_ID)
    group_means, _ = _member_means(vectors, unit_groups, k=int(groups.max()) + 1)
    orders = []
    for group in range(len(group_means)):
        members = np.flatnonzero(unit_groups == group)
        orders.append(members[np.argsort(-(vectors[members] @ _unit(group_means[group])))])
    labels = _labels(cuts, orders, _keywords(words, unit_groups))
    return [labels[g] for g in groups]


def _labels(
    cuts: list[list[str]], orders: list[np.ndarray], keywords: dict[int, tuple]
) -> list[str]:
    """A phrase label per topic (`voc.topics.labels`, read from the units' `segments`), larger
    topics choosing first so that two topics never share one; keywords when no phrase holds
    one."""
    labels = [""] * len(orders)
    for index in sorted(range(len(orders)), key=lambda i: -len(orders[i])):
        topic_keywords = keywords.get(index, ())
        members = [cuts[m] for m in orders[index][:MEMBERS_READ]]
        labels[index] = (
            phrase_label(members, topic_keywords, taken=labels)
            or readable_label(topic_keywords)
            or f"topic {index}"
        )
    return labels


def _examples(cuts: list[list[str]], order: np.ndarray, label: str) -> list[int]:
    """The `EXAMPLES_PER_TOPIC` most central members, led by the most central one that holds
    the label: a reader finds the label's words, side by side, in the first example."""
    holder = next((m for m in order[:MEMBERS_READ] if segments_hold(cuts[m], label)), None)
    rest = [m for m in order[:EXAMPLES_PER_TOPIC] if m != holder]
    return ([] if holder is None else [holder]) + rest[: EXAMPLES_PER_TOPIC - (holder is not None)]


def readable_label(keywords: tuple[tuple[str, float], ...], parts: int = 3) -> str:
    """ "late delivery / courier": the top keywords, skipping words already inside a chosen one."""
    chosen: list[str] = []
    for word, _ in keywords:
        if any(word in c.split() or set(word.split()) <= set(c.split()) for c in chosen):
            continue
        chosen = [c for c in chosen if not set(c.split()) <= set(word.split())] + [word]
        if len(chosen) == parts:
            break
    return " / ".join(chosen)


def _member_means(
    vectors: np.ndarray, labels: np.ndarray, k: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Mean raw vector and size of each label 0..k-1 (labels < 0 are ignored)."""
    k = int(labels.max()) + 1 if k is None else k
    valid = labels >= 0
    members, rows = labels[valid], vectors[valid]
    # A weighted bincount per dimension adds in float64 in unit order, as `np.add.at` did, at
    # a twentieth of its time on 100,000 units.
    sums = np.stack(
        [np.bincount(members, weights=rows[:, d], minlength=k) for d in range(rows.shape[1])],
        axis=1,
    )
    sizes = np.bincount(members, minlength=k)
    return (sums / np.maximum(sizes, 1)[:, None]).astype(np.float32), sizes


def _version(texts: list[str], settings: TopicSettings) -> str:
    digest = hashlib.sha256("\n".join([repr(settings), *texts]).encode("utf-8")).hexdigest()
    return f"topics-{datetime.now(UTC):%Y%m%d%H%M%S}-{digest[:8]}"
