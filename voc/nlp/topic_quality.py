"""How good a topic model is on a set of texts: keyword coherence, diversity, and agreement
with known categories. One implementation for `voc eval topics` and `bench/bench_topics.py`.

- NPMI coherence of each topic's top-10 unigram keywords, from document co-occurrence in the
  texts scored (-1 for a pair that never co-occurs), averaged over all pairs of all topics;
- diversity: distinct words among those top keywords over their total (1 = no topic repeats
  another's words);
- NMI between topic assignments and one category per row, per labelled file (rows with no
  or several categories left out), when a file has at least `MIN_NMI_ROWS` such rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.metrics import normalized_mutual_info_score

from voc.nlp.cards import markdown_table
from voc.nlp.datasets import Example
from voc.nlp.topic_model import OTHER_ID, TopicModel

MIN_NMI_ROWS = 20
"""Fewer rows with a category than this give no NMI: it is noise on a handful of texts."""


def nmi_per_file(labels: Sequence[int], truth: dict[str, list[Any]]) -> dict[str, float]:
    """file -> NMI of `labels` against that file's categories (None where a row has none)."""
    out = {}
    for name, categories in truth.items():
        rows = [i for i, t in enumerate(categories) if t is not None]
        if len(rows) >= MIN_NMI_ROWS:
            out[name] = float(
                normalized_mutual_info_score(
                    [categories[i] for i in rows], [labels[i] for i in rows]
                )
            )
    return out


def npmi_matrix(occurs: Any) -> np.ndarray:
    """(words x words) NPMI from document co-occurrence, given which text holds which word
    (a sparse texts x words matrix): -1 for two words never in one text, 1 for two in every
    text. What coherence scores, and what the topic fit chooses keywords by
    (`voc.topics.fit._coherent`)."""
    present = (occurs > 0).astype(np.float64)
    joint = (present.T @ present).toarray()
    p = joint / present.shape[0]
    frequency = np.diag(p)
    with np.errstate(divide="ignore", invalid="ignore"):
        npmi = np.log(p / np.outer(frequency, frequency)) / -np.log(p)
    return np.where(joint == 0, -1.0, np.where(p >= 1.0, 1.0, npmi))


def coherence_and_diversity(
    keywords: Sequence[Sequence[str]], texts: Sequence[str]
) -> tuple[float, float]:
    """NPMI of top-10 unigram keyword pairs (document co-occurrence) and topic diversity."""
    tops = [[w for w in words if " " not in w][:10] for words in keywords]
    tops = [t for t in tops if len(t) >= 2]
    if not tops:
        return float("nan"), float("nan")
    vocabulary = sorted({w for t in tops for w in t})
    vectorizer = CountVectorizer(
        vocabulary=vocabulary, binary=True, lowercase=True, token_pattern=r"(?u)\b\w+\b"
    )
    npmi = npmi_matrix(vectorizer.fit_transform(texts))
    index = {w: i for i, w in enumerate(vocabulary)}
    scores = [
        npmi[index[a], index[b]]
        for words in tops
        for i, a in enumerate(words)
        for b in words[i + 1 :]
    ]
    diversity = len({w for t in tops for w in t}) / sum(len(t) for t in tops)
    return float(np.mean(scores)), diversity


def single_category(example: Example, label: str) -> str | None:
    """The one category of a row under `label` ("aspects" or "labels.<key>"), else None."""
    if label == "aspects":
        categories = set(example.aspect_categories)
    else:
        value = example.labels.get(label.removeprefix("labels."))
        categories = {value} if isinstance(value, str) and value else set()
    return categories.pop() if len(categories) == 1 else None


def topic_quality(
    model: TopicModel,
    examples: Sequence[Example],
    embeddings: np.ndarray,
    languages: Sequence[str],
    *,
    label: str = "aspects",
) -> dict[str, Any]:
    """The report of `voc eval topics`: groups `all` and `file:<name>`, each with its n, the
    outlier share and NMI where the file has categories; NPMI and diversity overall."""
    assigned = [a.id for a in model.assign(embeddings, languages)]
    keywords = [[w for w, _ in t.keywords] for t in model.topics]
    npmi, diversity = coherence_and_diversity(keywords, [e.text for e in examples])
    files = sorted({e.source for e in examples})
    truth = {
        f: [single_category(e, label) if e.source == f else None for e in examples] for f in files
    }
    nmi = nmi_per_file(assigned, truth)
    outlier = np.array([a == OTHER_ID for a in assigned])
    groups: dict[str, dict[str, Any]] = {
        "all": {
            "n": len(examples),
            "outlier_share": round(float(outlier.mean()), 4),
            "npmi": round(npmi, 4),
            "diversity": round(diversity, 4),
            **({"nmi": round(float(np.mean(list(nmi.values()))), 4)} if nmi else {}),
        }
    }
    for f in files:
        rows = [i for i, e in enumerate(examples) if e.source == f]
        groups[f"file:{f}"] = {
            "n": len(rows),
            "outlier_share": round(float(outlier[rows].mean()), 4),
            **({"nmi": round(nmi[f], 4)} if f in nmi else {}),
        }
    return {"topics": len(model.topics), "label": label, "groups": groups}


def topics_markdown(reports: dict[str, dict[str, Any]]) -> str:
    """One table per version: per group n, outlier share, NMI; NPMI and diversity overall."""
    parts = []
    for version, report in reports.items():
        overall = report["groups"]["all"]
        rows = [
            (g, v["n"], v["outlier_share"], v.get("nmi", "-")) for g, v in report["groups"].items()
        ]
        parts.append(
            f"## {version}\n\n{report['topics']} topics; NPMI coherence {overall['npmi']}, "
            f"diversity {overall['diversity']} (top-10 keywords, over these texts); NMI against "
            f"`{report['label']}` where a file has one per row\n\n"
            + markdown_table(["group", "n", "outlier share", "NMI"], rows)
        )
    return "\n\n".join(parts) + "\n"
