"""Analyst edits (rename, merge, split): each returns a new model version that records the edit.

Labels set here are marked `analyst` and survive refits (see `voc.topics.align`). A split
re-runs the fit on the topic's stored member sample, so its children get keywords and
centroids from the same BERTopic pipeline as any other topic.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from voc.nlp.topic_model import Topic, TopicModel
from voc.topics.fit import TopicSettings, fit_topics


class TopicEditError(ValueError):
    """An edit names topics that do not exist or asks for something impossible."""


def _index(model: TopicModel, topic_id: int) -> int:
    for i, topic in enumerate(model.topics):
        if topic.id == topic_id:
            return i
    raise TopicEditError(f"no topic {topic_id}; ids: {[t.id for t in model.topics]}")


def _edited(model: TopicModel, edit: dict[str, Any], **changes: Any) -> TopicModel:
    stamp = f"{datetime.now(UTC):%Y%m%d%H%M%S%f}"
    base = model.version.split("+", 1)[0]
    return replace(
        model,
        version=f"{base}+edit{stamp}",
        edits=(*model.edits, {**edit, "at": stamp}),
        **changes,
    )


def rename(model: TopicModel, topic_id: int, label: str) -> TopicModel:
    label = label.strip()
    if not label:
        raise TopicEditError("label is empty: send the new label text")
    i = _index(model, topic_id)
    topics = list(model.topics)
    topics[i] = replace(topics[i], label=label, label_source="analyst")
    return _edited(model, {"op": "rename", "id": topic_id, "label": label}, topics=tuple(topics))


def merge(model: TopicModel, topic_ids: list[int], label: str | None = None) -> TopicModel:
    """Merge into the first id listed; the others disappear (their ids are never reused)."""
    if len(set(topic_ids)) < 2:
        raise TopicEditError("merge needs at least two distinct topic ids")
    indices = [_index(model, t) for t in topic_ids]
    sizes = np.array([max(model.topics[i].size, 1) for i in indices], dtype=np.float64)
    merged_mean = (model.member_means[indices] * sizes[:, None]).sum(axis=0) / sizes.sum()
    keywords: dict[str, float] = {}
    for i, size in zip(indices, sizes, strict=True):
        for word, score in model.topics[i].keywords:
            keywords[word] = keywords.get(word, 0.0) + score * size / sizes.sum()
    target = model.topics[indices[0]]
    merged = replace(
        target,
        label=label.strip() if label else target.label,
        label_source="analyst" if label else target.label_source,
        keywords=tuple(sorted(keywords.items(), key=lambda kv: -kv[1])[:10]),
        size=int(sum(model.topics[i].size for i in indices)),
        examples=tuple(e for i in indices for e in model.topics[i].examples)[:3],
        origin="merge",
    )
    keep = [i for i in range(len(model.topics)) if i not in indices[1:]]
    member_means = model.member_means.copy()
    member_means[indices[0]] = merged_mean
    samples = list(model.samples)
    vectors = list(model.sample_vectors)
    samples[indices[0]] = tuple(s for i in indices for s in model.samples[i])
    vectors[indices[0]] = np.concatenate([model.sample_vectors[i] for i in indices])
    topics = list(model.topics)
    topics[indices[0]] = merged
    return _edited(
        model,
        {"op": "merge", "ids": topic_ids, "into": target.id},
        topics=tuple(topics[i] for i in keep),
        member_means=member_means[keep],
        samples=tuple(samples[i] for i in keep),
        sample_vectors=tuple(vectors[i] for i in keep),
    )


def split(model: TopicModel, topic_id: int, parts: int = 2, *, seed: int = 0) -> TopicModel:
    """Split a topic in `parts` by re-fitting on its stored member sample."""
    i = _index(model, topic_id)
    texts, vectors = list(model.samples[i]), model.sample_vectors[i]
    min_size = max(1, min(5, len(texts) // (2 * parts)))
    if parts < 2 or len(texts) < 2 * parts:
        raise TopicEditError(
            f"topic {topic_id} has {len(texts)} sampled comments: too few to split in {parts}"
        )
    sub = fit_topics(
        texts,
        vectors,
        centred=True,
        settings=TopicSettings(
            n_topics=parts, min_topic_size=min_size, outlier_share=0.0, seed=seed
        ),
    )
    if len(sub.topics) < 2:
        raise TopicEditError(f"topic {topic_id} does not separate into {parts} groups")
    parent = model.topics[i]
    share = np.array([t.size for t in sub.topics], dtype=np.float64)
    share /= share.sum()
    children = [
        Topic(
            id=model.next_id + n,
            label=child.label,
            keywords=child.keywords,
            size=round(float(parent.size * share[n])),
            examples=child.examples,
            is_new=True,
            origin=f"split:{topic_id}",
            theme=parent.theme,
        )
        for n, child in enumerate(sub.topics)
    ]
    topics = [*model.topics[:i], *children, *model.topics[i + 1 :]]
    member_means = np.concatenate(
        [model.member_means[:i], sub.member_means, model.member_means[i + 1 :]]
    )
    samples = [*model.samples[:i], *sub.samples, *model.samples[i + 1 :]]
    sample_vectors = [
        *model.sample_vectors[:i],
        *sub.sample_vectors,
        *model.sample_vectors[i + 1 :],
    ]
    return _edited(
        model,
        {"op": "split", "id": topic_id, "into": [c.id for c in children]},
        topics=tuple(topics),
        member_means=member_means,
        next_id=model.next_id + len(children),
        samples=tuple(samples),
        sample_vectors=tuple(sample_vectors),
    )
