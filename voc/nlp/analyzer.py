"""Analyzer: runs the components over batches of feedback. The only public entry for analysis.

Pipeline per batch: language id -> segmentation -> one batched encoder call over every
distinct clause -> sentence and document vectors pooled from their clauses -> sentiment head
-> `Analysis` objects. Each character is encoded once: a clause is the unit every feature
reads (sentiment, and the clause-level features built on it), and pooling its vectors
instead of re-encoding whole sentences and documents keeps the analyzer within a small factor
of a single encoder pass.

Components are passed in (any can be swapped); `Analyzer.load` is the one place that loads
models from disk, and it takes each component's active version from the model registry.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from voc.config import Settings
from voc.nlp.encoder import Encoder
from voc.nlp.language import LanguageIdentifier
from voc.nlp.segment import Segmenter
from voc.nlp.sentiment import (
    ADAPTER_DIR,
    SentimentHead,
    document_sentiment,
    sentiment_from_proba,
)
from voc.nlp.types import SUPPORTED_LANGUAGES, Analysis, Feedback, Language
from voc.nlp.vectors import DocumentVectors, embed_documents
from voc.topics.corpus import DocumentTopics, document_topics
from voc.topics.model import TopicModel
from voc.topics.store import TopicStore

if TYPE_CHECKING:
    from voc.registry.store import Registry

FEATURES = ("language", "sentiment", "sentences", "topics")
"""Features this version computes, in output order."""


class UnknownFeatureError(ValueError):
    """A requested feature name is not one voc knows."""


class Analyzer:
    def __init__(
        self,
        *,
        encoder: Encoder,
        language_identifier: LanguageIdentifier,
        segmenter: Segmenter,
        sentiment: SentimentHead,
        sentiment_encoder: Encoder | None = None,
        topics: TopicModel | None = None,
    ) -> None:
        self.encoder = encoder
        self.language_identifier = language_identifier
        self.segmenter = segmenter
        self.sentiment = sentiment
        self.sentiment_encoder = sentiment_encoder
        """A fine-tuned encoder the sentiment head reads instead of `encoder` (None: shared)."""
        self.topics = topics
        """The active topic model; swapped whole (one attribute write) when a new one activates."""

    @classmethod
    def load(
        cls,
        settings: Settings,
        *,
        registry: Registry | None = None,
        versions: Mapping[str, str] | None = None,
        reuse: Analyzer | None = None,
    ) -> Analyzer:
        """Load every model (once per process, after any fork): the active registry version of
        each component, or the one named in `versions`. Components of `reuse` whose version
        is unchanged are shared, not reloaded (how a running service swaps one model)."""
        from voc.registry.store import Registry

        registry = registry or Registry.from_settings(settings)
        entries = registry.active()
        entries.update({name: registry.entry(name, v) for name, v in (versions or {}).items()})
        missing = {"language", "sentiment"} - set(entries)
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
            return current.get(name) == entries[name].version

        sentiment_dir = entries["sentiment"].path
        return cls(
            encoder=encoder,
            language_identifier=reuse.language_identifier
            if reuse is not None and unchanged("language")
            else LanguageIdentifier.load(entries["language"].path),
            segmenter=segmenter,
            sentiment=reuse.sentiment
            if reuse is not None and unchanged("sentiment")
            else SentimentHead.load(sentiment_dir),
            sentiment_encoder=reuse.sentiment_encoder
            if reuse is not None and unchanged("sentiment")
            else fine_tuned_encoder(sentiment_dir, settings),
            topics=TopicStore(settings.topics_dir).active(),
        )

    @property
    def model_versions(self) -> dict[str, str]:
        versions = {
            "encoder": self.encoder.version,
            "language": self.language_identifier.version,
            "sentiment": self.sentiment.version,
        }
        if self.topics is not None:
            versions["topics"] = self.topics.version
        return versions

    def analyze(
        self, feedback: Sequence[Feedback], *, features: Collection[str] = FEATURES
    ) -> list[Analysis]:
        """Analyse a batch; lists in, lists out, in the same order."""
        unknown = set(features) - set(FEATURES)
        if unknown:
            raise UnknownFeatureError(f"unknown features {sorted(unknown)}; known: {FEATURES}")
        if not feedback:
            return []
        languages = self._languages(feedback)
        wants_sentiment = "sentiment" in features
        wants_sentences = "sentences" in features
        wants_topics = "topics" in features
        if not (wants_sentiment or wants_sentences or wants_topics):
            return [
                Analysis(id=f.id, language=lang)
                for f, lang in zip(feedback, languages, strict=True)
            ]

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
        topics = self._topics(vectors, languages) if wants_topics else [None] * len(feedback)
        results = []
        for f, lang, doc_sentences, doc_vectors, doc_topics in zip(
            feedback, languages, sentences, sentiment_vectors, topics, strict=True
        ):
            proba = self.sentiment.predict_proba(doc_vectors.all)
            document_proba, sentence_proba = proba[0], proba[1 : 1 + len(doc_sentences)]
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
        return results

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


def fine_tuned_encoder(artifact_dir: Path, settings: Settings) -> Encoder | None:
    """The encoder a fine-tuned sentiment version carries (base weights + its adapter, torch
    backend), or None for a head trained on the frozen shared encoder."""
    adapter = artifact_dir / ADAPTER_DIR
    if not adapter.is_dir():
        return None
    return Encoder(
        settings.base_model_dir, backend="torch", threads=settings.threads or None, adapter=adapter
    )
