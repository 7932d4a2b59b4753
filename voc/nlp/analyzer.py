"""Analyzer: runs the components over batches of feedback. The only public entry for analysis.

Pipeline per batch: language id -> segmentation -> one batched encoder call over every
distinct clause -> sentence and document vectors pooled from their clauses -> sentiment head
-> `Analysis` objects. Each character is encoded once: a clause is the unit every feature
reads (sentiment, and the clause-level features built on it), and pooling its vectors
instead of re-encoding whole sentences and documents keeps the analyzer within a small factor
of a single encoder pass.

Components are passed in (any can be swapped); `Analyzer.load` is the one place that loads
models from disk, from the version directories it is given. Which versions those are is the
model registry's business (`voc.registry.loader.load_analyzer` passes its active ones): the
library never reads the registry.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

import numpy as np

from voc.config import Settings
from voc.nlp.churn import ChurnDetector
from voc.nlp.encoder import Encoder
from voc.nlp.expectations import ExpectationDetector
from voc.nlp.journey import Journey
from voc.nlp.language import LanguageIdentifier
from voc.nlp.pii import detect as detect_pii
from voc.nlp.root_causes import DocumentClauses, RootCauseTagger
from voc.nlp.segment import Segmenter
from voc.nlp.sentiment import (
    ADAPTER_DIR,
    SentimentHead,
    document_sentiment,
    sentiment_from_proba,
)
from voc.nlp.taxonomy import Taxonomy
from voc.nlp.topic_assignment import DocumentTopics, document_topics
from voc.nlp.topic_model import TopicModel
from voc.nlp.types import (
    SENTIMENT_LABELS,
    SUPPORTED_LANGUAGES,
    Analysis,
    Feedback,
    Language,
    Sentence,
)
from voc.nlp.vectors import DocumentVectors, embed_documents

FEATURES = (
    "language",
    "sentiment",
    "sentences",
    "root_causes",
    "touchpoints",
    "topics",
    "expectation_gaps",
    "churn_risk",
    "pii",
)
"""Features this version computes, in output order."""
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
                    entries["root_causes"].path, embed=encoder.embed, limits=settings.limits
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
    ) -> list[Analysis]:
        """Analyse a batch; lists in, lists out, in the same order.

        `taxonomy` / `journey` default to the shipped ones (`RootCauseTagger`)."""
        unknown = set(features) - set(FEATURES)
        if unknown:
            raise UnknownFeatureError(f"unknown features {sorted(unknown)}; known: {FEATURES}")
        if not feedback:
            return []
        results = self._analyze(feedback, features, taxonomy, journey)
        if "pii" not in features:
            return results
        return [
            replace(analysis, pii=tuple(detect_pii(f.text)))
            for f, analysis in zip(feedback, results, strict=True)
        ]

    def _analyze(
        self,
        feedback: Sequence[Feedback],
        features: Collection[str],
        taxonomy: Taxonomy | None,
        journey: Journey | None,
    ) -> list[Analysis]:
        languages = self._languages(feedback)
        wants_sentiment = bool({"sentiment", "churn_risk"} & set(features))
        wants_sentences = "sentences" in features
        wants_tags = bool({"root_causes", "touchpoints"} & set(features))
        wants_topics = "topics" in features
        if not (wants_sentiment or wants_sentences or wants_tags or wants_topics):
            return self._with_gaps_and_churn(
                feedback,
                languages,
                [
                    Analysis(id=f.id, language=lang)
                    for f, lang in zip(feedback, languages, strict=True)
                ],
                features,
            )

        sentences = self.segmenter.segment_batch(
            [f.text for f in feedback], [lang.code for lang in languages]
        )
        texts = [f.text for f in feedback]
        vectors = embed_documents(self.encoder.embed, texts, sentences)
        # A fine-tuned sentiment version reads its own encoder; everything else the shared one.
        sentiment_vectors = (
            embed_documents(self.sentiment_encoder.embed, texts, sentences)
            if self.sentiment_encoder is not None
            else vectors
        )
        clause_proba = []
        topics = self._topics(vectors, languages) if wants_topics else [None] * len(feedback)
        results = []
        for f, lang, doc_sentences, doc_vectors, doc_topics in zip(
            feedback, languages, sentences, sentiment_vectors, topics, strict=True
        ):
            proba = self.sentiment.predict_proba(doc_vectors.all)
            document_proba, sentence_proba = proba[0], proba[1 : 1 + len(doc_sentences)]
            clause_proba.append(proba[1 + len(doc_sentences) :])
            results.append(
                Analysis(
                    id=f.id,
                    language=lang if "language" in features else None,
                    sentiment=document_sentiment(
                        document_proba,
                        proba[1 + len(doc_sentences) :],
                        mixed_threshold=self.sentiment.mixed_threshold,
                    )
                    if wants_sentiment
                    else None,
                    sentences=tuple(
                        replace(s, sentiment=sentiment_from_proba(p))
                        for s, p in zip(doc_sentences, sentence_proba, strict=True)
                    )
                    if wants_sentences
                    else None,
                    topics=doc_topics,
                )
            )
        if wants_tags:
            results = self._with_root_causes(
                feedback, sentences, vectors, clause_proba, results, features, taxonomy, journey
            )
        return self._with_gaps_and_churn(feedback, languages, results, features)

    def _with_root_causes(
        self,
        feedback: Sequence[Feedback],
        sentences: list[tuple[Sentence, ...]],
        vectors: list[DocumentVectors],
        clause_proba: list[np.ndarray],
        results: list[Analysis],
        features: Collection[str],
        taxonomy: Taxonomy | None,
        journey: Journey | None,
    ) -> list[Analysis]:
        """Root causes and touchpoints from the clause vectors and sentiment already computed."""
        documents = []
        for f, doc_sentences, doc_vectors, proba in zip(
            feedback, sentences, vectors, clause_proba, strict=True
        ):
            touchpoint = f.metadata.get("touchpoint")
            clauses = tuple(c for s in doc_sentences for c in s.clauses)
            documents.append(
                DocumentClauses(
                    clauses=clauses,
                    # a one-clause text has one vector per sentence, all the text's own
                    vectors=doc_vectors.clauses[: len(clauses)],
                    sentiment=proba[: len(clauses)],
                    metadata_touchpoint=touchpoint if isinstance(touchpoint, str) else None,
                )
            )
        tags = self.root_causes.tag(
            documents,
            taxonomy=taxonomy,
            journey=journey,
            touchpoints="touchpoints" in features,
        )
        return [
            replace(
                analysis,
                root_causes=causes if "root_causes" in features else None,
                touchpoints=touchpoints,
            )
            for analysis, (causes, touchpoints) in zip(results, tags, strict=True)
        ]

    def _with_gaps_and_churn(
        self,
        feedback: Sequence[Feedback],
        languages: list[Language],
        results: list[Analysis],
        features: Collection[str],
    ) -> list[Analysis]:
        """Expectation gaps and churn risk (churn reads the document sentiment, which is
        computed for it and dropped again when `sentiment` was not asked for)."""
        if not {"expectation_gaps", "churn_risk"} & set(features):
            return results
        codes = [lang.code for lang in languages]
        gaps = (
            self.expectations.detect_batch([f.text for f in feedback], codes)
            if "expectation_gaps" in features
            else None
        )
        return [
            replace(
                analysis,
                sentiment=analysis.sentiment if "sentiment" in features else None,
                expectation_gaps=None if gaps is None else tuple(gaps[i]),
                churn_risk=self.churn.risk(
                    f.text, code, sentiment=analysis.sentiment, metadata=f.metadata
                )
                if "churn_risk" in features
                else None,
            )
            for i, (f, analysis, code) in enumerate(zip(feedback, results, codes, strict=True))
        ]

    def _topics(
        self, vectors: list[DocumentVectors], languages: list[Language]
    ) -> list[DocumentTopics]:
        """Each document's topics from its clause vectors (already computed: no extra pass)."""
        model = self.topics
        if model is None:
            return [DocumentTopics(None, ())] * len(vectors)
        return [
            document_topics(model, v.clauses, lang.code)
            for v, lang in zip(vectors, languages, strict=True)
        ]

    def _languages(self, feedback: Sequence[Feedback]) -> list[Language]:
        """Detect where asked ("auto"); a language the caller names is taken as given."""
        auto = [i for i, f in enumerate(feedback) if f.language == "auto"]
        detected = dict(
            zip(
                auto,
                self.language_identifier.identify([feedback[i].text for i in auto]),
                strict=True,
            )
        )
        return [
            detected[i]
            if i in detected
            else Language(f.language, 1.0, f.language in SUPPORTED_LANGUAGES)
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
