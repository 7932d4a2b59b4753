"""Stable topic ids across refits: match a new fit's topics to the previous version's.

Centroids are compared by cosine (each in its own fit's centred space: corpora of the same
feedback have nearly the same language means); the Hungarian
algorithm pairs them, and pairs above `match_threshold` keep the previous id (and its label
when an analyst set it). Unmatched topics get fresh ids, never reused, and are flagged new.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from voc.nlp.topic_model import TopicModel, _unit


def align_to_previous(
    model: TopicModel, previous: TopicModel, *, match_threshold: float
) -> TopicModel:
    from scipy.optimize import linear_sum_assignment

    if not previous.topics or not model.topics:
        return model
    sims = match_similarities(model, previous)
    rows, cols = linear_sum_assignment(-sims)
    matches = {
        int(r): previous.topics[c]
        for r, c in zip(rows, cols, strict=True)
        if sims[r, c] >= match_threshold
    }
    next_id = max(previous.next_id, 0)
    topics = []
    for index, topic in enumerate(model.topics):
        old = matches.get(index)
        if old is None:
            topics.append(replace(topic, id=next_id, is_new=True, origin="fit"))
            next_id += 1
        elif old.label_source == "analyst":
            topics.append(
                replace(
                    topic,
                    id=old.id,
                    label=old.label,
                    label_source="analyst",
                    is_new=False,
                    origin="matched",
                )
            )
        else:
            topics.append(replace(topic, id=old.id, is_new=False, origin="matched"))
    stats = {
        **model.stats,
        "previous_version": previous.version,
        "matched": len(matches),
        "new": len(topics) - len(matches),
    }
    return replace(model, topics=tuple(topics), next_id=next_id, stats=stats, edits=previous.edits)


def match_similarities(model: TopicModel, previous: TopicModel) -> np.ndarray:
    """The (new, previous) centroid cosines used for matching, for inspection and tests."""
    return _unit(model.member_means) @ previous.centroids.T
