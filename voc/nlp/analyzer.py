"""Analyzer: runs the components over batches of feedback. The only public entry for analysis.

Pipeline per batch: language id -> segmentation -> one batched encoder call over every
distinct clause -> sentence and document vectors pooled from their clauses -> sentiment head
-> `Analysis` objects. Each character is encoded once: a clause is the unit every feature
reads (sentiment, and the clause-level features built on it), and pooling its vectors
instead of re-encoding whole sentences and documents keeps the analyzer within a small factor
of a single encoder pass.
Components are passed in (any can be swapped); `Analyzer.load` is the one place that loads
models from disk.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace

from voc.config import Settings
from voc.nlp.encoder import Encoder
from voc.nlp.language import LanguageIdentifier
from voc.nlp.segment import Segmenter
from voc.nlp.sentiment import SentimentHead, document_sentiment, sentiment_from_proba
from voc.nlp.types import SUPPORTED_LANGUAGES, Analysis, Feedback, Language
from voc.nlp.vectors import DocumentVectors, embed_documents
from voc.topics.corpus import DocumentTopics, document_topics
from voc.topics.model import TopicModel
from voc.topics.store import TopicStore

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
        topics: TopicModel | None = None,
    ) -> None:
        self.encoder = encoder
        self.language_identifier = language_identifier
        self.segmenter = segmenter
        self.sentiment = sentiment
        self.topics = topics
        """The active topic model; swapped whole (one attribute write) when a new one activates."""

    @classmethod
    def load(cls, settings: Settings) -> Analyzer:
        """Load every model named by `settings` (once per process, after any fork)."""
        segmenter = Segmenter()
        # spaCy builds each language's tokenizer on first use (seconds): do it before serving.
        segmenter.segment_batch(["ok"] * len(SUPPORTED_LANGUAGES), list(SUPPORTED_LANGUAGES))
        return cls(
            encoder=Encoder(
                settings.base_model_dir,
                backend=settings.encoder_backend,
                threads=settings.threads or None,
            ),
            language_identifier=LanguageIdentifier.load(settings.artifacts_dir / "language"),
            segmenter=segmenter,
            sentiment=SentimentHead.load(settings.artifacts_dir / "sentiment"),
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
        vectors = embed_documents(self.encoder.embed, [f.text for f in feedback], sentences)
        topics = self._topics(vectors, languages) if wants_topics else [None] * len(feedback)
        results = []
        for f, lang, doc_sentences, doc_vectors, doc_topics in zip(
            feedback, languages, sentences, vectors, topics, strict=True
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
