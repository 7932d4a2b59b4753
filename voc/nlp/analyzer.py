"""Analyzer: the loaded models, and the one public entry for analysis (`analyze`).

`analyze` runs the component pipeline (`voc.nlp.pipeline`, components registered in
`voc.nlp.components`) over a batch: language id -> segmentation -> one batched encoder call
over every distinct clause and every short multi-clause text (`voc.nlp.vectors`) -> sentence
vectors (and long documents') pooled from their clauses -> the heads each requested feature
needs. A clause is the unit every clause-level feature reads; a short text's own vector is its
document's (it is what lifted sentiment above a whole-text baseline on unseen sources).

Models are passed in (any can be swapped); `Analyzer.load` is the one place that loads
models from disk, from the version directories it is given. Which versions those are is the
model registry's business (`voc.registry.loader.load_analyzer` passes its active ones): the
library never reads the registry.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from voc.config import Settings
from voc.nlp import components
from voc.nlp.churn import ChurnDetector
from voc.nlp.components import FEATURES
from voc.nlp.encoder import Encoder
from voc.nlp.expectations import ExpectationDetector
from voc.nlp.journey import Journey
from voc.nlp.language import LanguageIdentifier
from voc.nlp.root_causes import RootCauseTagger
from voc.nlp.segment import Segmenter
from voc.nlp.sentiment import ADAPTER_DIR, SentimentHead
from voc.nlp.taxonomy import Taxonomy
from voc.nlp.topic_assignment import UnitsByText, topic_units
from voc.nlp.topic_model import TopicModel
from voc.nlp.types import SENTIMENT_LABELS, SUPPORTED_LANGUAGES, Analysis, Feedback

__all__ = ["FEATURES", "Analyzer", "UnknownFeatureError", "fine_tuned_encoder"]
POSITIVE = SENTIMENT_LABELS.index("positive")


class UnknownFeatureError(ValueError):
    """A requested feature name is not one voc knows."""


class ModelVersion(Protocol):
    """One version of a component to load: its version string and its directory (a registry
    `Entry` is one)."""

    @property
    def version(self) -> str: ...

    @property
    def path(self) -> Path: ...


class Analyzer:
    def __init__(
        self,
        *,
        encoder: Encoder,
        language_identifier: LanguageIdentifier,
        segmenter: Segmenter,
        sentiment: SentimentHead,
        expectations: ExpectationDetector,
        churn: ChurnDetector,
        root_causes: RootCauseTagger,
        sentiment_encoder: Encoder | None = None,
        topics: TopicModel | None = None,
    ) -> None:
        self.encoder = encoder
        self.language_identifier = language_identifier
        self.segmenter = segmenter
        self.sentiment = sentiment
        self.expectations = expectations
        self.churn = churn
        self.root_causes = root_causes
        self.sentiment_encoder = sentiment_encoder
        """A fine-tuned encoder the sentiment head reads instead of `encoder` (None: shared)."""
        self.topics = topics
        """The active `topics` registry version (None until one is activated)."""

    @classmethod
    def load(
        cls,
        settings: Settings,
        entries: Mapping[str, ModelVersion],
        *,
        reuse: Analyzer | None = None,
    ) -> Analyzer:
        """Load every model (once per process, after any fork): `entries` maps each component
        name to the version to load (`voc.registry.loader.load_analyzer` passes the active
        ones). Components of `reuse` whose version is unchanged are shared, not reloaded (how
        a running service swaps one model)."""
        missing = {"language", "sentiment", "root_causes"} - set(entries)
        if missing:
            raise FileNotFoundError(
                f"no registered version of {sorted(missing)}: each needs an entry.json in "
                f"{settings.artifacts_dir}/<name>/ or {settings.registry_dir}/<name>/<id>/"
            )
        if reuse is not None:
            encoder, segmenter = reuse.encoder, reuse.segmenter
        else:
            encoder = Encoder(
                settings.base_model_dir,
                backend=settings.encoder_backend,
                threads=settings.threads or None,
            )
            segmenter = Segmenter()
            # spaCy builds each language's tokenizer on first use (seconds): do it now.
            segmenter.segment_batch(["ok"] * len(SUPPORTED_LANGUAGES), list(SUPPORTED_LANGUAGES))
        current = reuse.model_versions if reuse is not None else {}

        def unchanged(name: str) -> bool:
            return name in entries and current.get(name) == entries[name].version

        sentiment_dir = entries["sentiment"].path
        sentiment = (
            reuse.sentiment
            if reuse is not None and unchanged("sentiment")
            else SentimentHead.load(sentiment_dir)
        )
        return cls(
            encoder=encoder,
            language_identifier=reuse.language_identifier
            if reuse is not None and unchanged("language")
            else LanguageIdentifier.load(entries["language"].path),
            segmenter=segmenter,
            sentiment=sentiment,
            sentiment_encoder=reuse.sentiment_encoder
            if reuse is not None and unchanged("sentiment")
            else fine_tuned_encoder(sentiment_dir, settings),
            expectations=reuse.expectations
            if reuse is not None
            else ExpectationDetector.load(
                embed=encoder.embed,
                positivity=lambda texts: sentiment.predict_proba(encoder.embed(texts))[:, POSITIVE],
            ),
            churn=reuse.churn if reuse is not None else ChurnDetector.load(),
            root_causes=reuse.root_causes
            if reuse is not None and unchanged("root_causes")
            else _warm(
                RootCauseTagger.load(
                    entries["root_causes"].path,
                    embed=encoder.embed_alone,
                    limits=settings.limits,
                )
            ),
            topics=reuse.topics
            if reuse is not None and unchanged("topics")
            else TopicModel.load(entries["topics"].path)
            if "topics" in entries
            else None,
        )

    @property
    def model_versions(self) -> dict[str, str]:
        versions = {
            "encoder": self.encoder.version,
            "language": self.language_identifier.version,
            "sentiment": self.sentiment.version,
            "expectation_gaps": self.expectations.version,
            "churn_risk": self.churn.version,
            "root_causes": self.root_causes.version,
        }
        if self.topics is not None:
            versions["topics"] = self.topics.version
        return versions

    def analyze(
        self,
        feedback: Sequence[Feedback],
        *,
        features: Collection[str] = FEATURES,
        taxonomy: Taxonomy | None = None,
        journey: Journey | None = None,
        units: UnitsByText | None = None,
    ) -> list[Analysis]:
        """Analyse a batch; lists in, lists out, in the same order. Only `features` are in
        the answers (what they need is computed, and dropped unless asked for).

        `taxonomy` / `journey` default to the shipped ones (`RootCauseTagger`). `units`, when
        given, receives each document's topic units from this call's one encoder pass (a
        report fits its topics on them instead of encoding the texts again); the answers are
        the same with or without it."""
        unknown = set(features) - set(FEATURES)
        if unknown:
            raise UnknownFeatureError(f"unknown features {sorted(unknown)}; known: {FEATURES}")
        if not feedback:
            return []
        wanted = (*features, "clause_vectors") if units is not None else features
        batch = components.build(self).run(feedback, wanted, taxonomy=taxonomy, journey=journey)
        if units is not None:
            for f, sentences, vectors, language in zip(
                feedback, batch["segments"], batch["clause_vectors"], batch["language"], strict=True
            ):
                units[(f.text, language.code)] = topic_units(
                    f.text, sentences, vectors, language.code
                )
        asked = [name for name in FEATURES if name in features]
        return [
            Analysis(id=f.id, **{name: batch[name][i] for name in asked})
            for i, f in enumerate(feedback)
        ]


def _warm(tagger: RootCauseTagger) -> RootCauseTagger:
    """Fit the default taxonomy's and journey's heads at load, not on the first request."""
    tagger.warm()
    return tagger


def fine_tuned_encoder(artifact_dir: Path, settings: Settings) -> Encoder | None:
    """The encoder a fine-tuned sentiment version carries (base weights + its adapter, torch
    backend), or None for a head trained on the frozen shared encoder."""
    adapter = artifact_dir / ADAPTER_DIR
    if not adapter.is_dir():
        return None
    return Encoder(
        settings.base_model_dir, backend="torch", threads=settings.threads or None, adapter=adapter
    )
