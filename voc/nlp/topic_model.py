"""A fitted topic model: what online assignment needs, saved as safetensors + JSON (no pickle).

Topics live in voc's embedding space: each topic keeps the mean of its members' raw embeddings
(`member_means`); assignment centres an embedding by the corpus mean (e5's cosines are bunched
around 0.7, centring spreads them) and takes the nearest centred centroid. Fit time and online
time call the same `assign`, so a text gets the same topic in both.

A comment whose best similarity is under `min_similarity` goes to the explicit "other" topic
(id -1); the threshold is set at fit time (`voc.topics.fit`, from `TopicSettings.outlier_share`).

Before comparing, `centre` also projects out `removed_directions` (the sentiment head's
directions): "late, and I am furious" and "late, no big deal" then meet in one theme instead
of splitting by tone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from voc.nlp.artifacts import save_tensors

OTHER_ID = -1
OTHER_LABEL = "other"
TENSORS = "topics.safetensors"
CONFIG = "topics.json"
FORMAT = 1


@dataclass(frozen=True)
class Topic:
    """One theme. `label_source` is "auto" or "analyst" (analyst labels survive refits)."""

    id: int
    label: str
    keywords: tuple[tuple[str, float], ...]
    size: int
    examples: tuple[str, ...]
    label_source: str = "auto"
    is_new: bool = False
    origin: str = "fit"
    """How the topic came to be: fit, matched (kept id across a refit), merge, split."""
    theme: str = ""
    """The top-level theme this topic is a subtopic of ("" when the topics are few enough to
    be the top level themselves, see `voc.topics.fit.MAX_THEMES`)."""


@dataclass(frozen=True)
class Assignment:
    id: int
    label: str
    probability: float


@dataclass(frozen=True)
class TopicModel:
    version: str
    topics: tuple[Topic, ...]
    mean: np.ndarray
    """Corpus mean of the raw embeddings (384,)."""
    language_means: dict[str, np.ndarray]
    """Mean raw embedding per language: subtracting it removes most of what separates
    languages in e5's space, so a complaint groups with its theme, not with its language."""
    member_means: np.ndarray
    """Mean centred unit vector of each topic's members, in `topics` order (k, 384)."""
    min_similarity: float
    temperature: float
    next_id: int
    samples: tuple[tuple[str, ...], ...] = ()
    """Per topic, a few member texts (for split); their embeddings are `sample_vectors`."""
    sample_vectors: tuple[np.ndarray, ...] = ()
    stats: dict[str, Any] = field(default_factory=dict)
    edits: tuple[dict[str, Any], ...] = ()
    removed_directions: np.ndarray | None = None
    """Orthonormal rows (m, 384) projected out of every centred vector (the sentiment
    directions, see `voc.topics.fit.sentiment_directions`); None keeps every direction."""

    @property
    def centroids(self) -> np.ndarray:
        """Unit centroids: members' mean of centred vectors (kept as `member_means`)."""
        return _unit(self.member_means)

    @property
    def themes(self) -> dict[int, str]:
        """Each topic's top-level theme by topic id ("" with one level)."""
        return {t.id: t.theme for t in self.topics}

    def topic(self, topic_id: int) -> Topic:
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        raise KeyError(f"no topic {topic_id}; ids: {[t.id for t in self.topics]}")

    def centre(self, embeddings: np.ndarray, languages: Sequence[str] | None = None) -> np.ndarray:
        """Unit vectors after subtracting each text's language mean (or the corpus mean) and
        projecting out `removed_directions`."""
        vectors = np.asarray(embeddings, dtype=np.float32)
        if languages is None:
            centred = vectors - self.mean
        else:
            means = np.stack([self.language_means.get(lang, self.mean) for lang in languages])
            centred = vectors - means.reshape(len(vectors), -1)
        return _unit(without_directions(centred, self.removed_directions))

    def similarities(
        self, embeddings: np.ndarray, languages: Sequence[str] | None = None
    ) -> np.ndarray:
        """Cosine of each centred embedding with each topic centroid, (n, k)."""
        return self.centre(embeddings, languages) @ self.centroids.T

    def assign(
        self, embeddings: np.ndarray, languages: Sequence[str] | None = None
    ) -> list[Assignment]:
        """Nearest topic per embedding, or "other" under `min_similarity`.

        `probability` is a softmax over the similarities (relative confidence, not calibrated).
        """
        if len(embeddings) == 0:
            return []
        sims = self.similarities(embeddings, languages)
        best = sims.argmax(axis=1)
        logits = (sims - sims.max(axis=1, keepdims=True)) / self.temperature
        proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        out = []
        for row, index in enumerate(best):
            p = round(float(proba[row, index]), 4)
            if sims[row, index] < self.min_similarity:
                out.append(Assignment(OTHER_ID, OTHER_LABEL, p))
            else:
                topic = self.topics[index]
                out.append(Assignment(topic.id, topic.label, p))
        return out

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        tensors = {"mean": self.mean, "member_means": self.member_means}
        tensors |= {f"language_mean.{k}": v for k, v in self.language_means.items()}
        tensors |= {f"samples.{i}": v for i, v in enumerate(self.sample_vectors)}
        if self.removed_directions is not None:
            tensors["removed_directions"] = self.removed_directions
        save_tensors(
            {k: np.asarray(v, dtype=np.float32) for k, v in tensors.items()}, directory / TENSORS
        )
        config = {
            "format": FORMAT,
            "version": self.version,
            "min_similarity": self.min_similarity,
            "temperature": self.temperature,
            "next_id": self.next_id,
            "topics": [asdict(t) for t in self.topics],
            "samples": [list(s) for s in self.samples],
            "stats": self.stats,
            "edits": list(self.edits),
        }
        (directory / CONFIG).write_text(json.dumps(config, ensure_ascii=False, indent=1))

    @classmethod
    def load(cls, directory: Path) -> TopicModel:
        from safetensors.numpy import load_file

        config = json.loads((directory / CONFIG).read_text())
        if config.get("format") != FORMAT:
            raise ValueError(f"{directory / CONFIG}: format {config.get('format')} is not {FORMAT}")
        tensors = load_file(directory / TENSORS)
        topics = tuple(
            Topic(
                **{
                    **t,
                    "keywords": tuple((w, s) for w, s in t["keywords"]),
                    "examples": tuple(t["examples"]),
                }
            )
            for t in config["topics"]
        )
        return cls(
            version=config["version"],
            topics=topics,
            mean=tensors["mean"],
            language_means={
                k.split(".", 1)[1]: v for k, v in tensors.items() if k.startswith("language_mean.")
            },
            member_means=tensors["member_means"],
            min_similarity=config["min_similarity"],
            temperature=config["temperature"],
            next_id=config["next_id"],
            samples=tuple(tuple(s) for s in config["samples"]),
            sample_vectors=tuple(tensors[f"samples.{i}"] for i in range(len(config["samples"]))),
            stats=config["stats"],
            edits=tuple(config["edits"]),
            removed_directions=tensors.get("removed_directions"),
        )


def without_directions(vectors: np.ndarray, directions: np.ndarray | None) -> np.ndarray:
    """`vectors` minus their projection on orthonormal `directions` (rows)."""
    if directions is None or len(directions) == 0:
        return vectors
    return vectors - (vectors @ directions.T) @ directions


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def topic_to_dict(topic: Topic) -> dict[str, Any]:
    """The public JSON of one topic (API and report)."""
    return {
        "id": topic.id,
        "label": topic.label,
        "keywords": [w for w, _ in topic.keywords],
        "size": topic.size,
        "examples": list(topic.examples),
        "label_source": topic.label_source,
        "is_new": topic.is_new,
        "origin": topic.origin,
        "theme": topic.theme,
    }
