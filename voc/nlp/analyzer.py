"""Analyzer: runs the components over batches of feedback. The only public entry for analysis.

Pipeline per batch: language id -> segmentation -> one batched encoder call over every
distinct document, sentence and clause text -> sentiment head -> `Analysis` objects.
Components are passed in (any can be swapped); `Analyzer.load` is the one place that loads
models from disk.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace

import numpy as np

from voc.config import Settings
from voc.nlp.encoder import Encoder
from voc.nlp.language import LanguageIdentifier
from voc.nlp.segment import Segmenter
from voc.nlp.sentiment import SentimentHead, document_sentiment, sentiment_from_proba
from voc.nlp.types import SUPPORTED_LANGUAGES, Analysis, Feedback, Language, Sentence
from voc.topics.corpus import DocumentTopics, clause_texts, document_topics
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
        proba, vectors = self._sentiment_proba(feedback, sentences)
        topics = (
            self._topics(sentences, languages, vectors) if wants_topics else [None] * len(feedback)
        )
        results = []
        for f, lang, doc_sentences, doc_topics in zip(
            feedback, languages, sentences, topics, strict=True
        ):
            clause_proba = np.array(
                [proba[c.text] for s in doc_sentences for c in s.clauses]
            ).reshape(-1, 3)
            results.append(
                Analysis(
                    id=f.id,
                    language=lang if "language" in features else None,
                    sentiment=document_sentiment(
                        proba[f.text],
                        clause_proba,
                        mixed_threshold=self.sentiment.mixed_threshold,
                    )
                    if wants_sentiment
                    else None,
                    sentences=tuple(
                        replace(s, sentiment=sentiment_from_proba(proba[s.text]))
                        for s in doc_sentences
                    )
                    if wants_sentences
                    else None,
                    topics=doc_topics,
                )
            )
        return results

    def _topics(
        self,
        sentences: list[tuple[Sentence, ...]],
        languages: list[Language],
        vectors: dict[str, np.ndarray],
    ) -> list[DocumentTopics]:
        """Each document's topics from its clause embeddings (already computed: no extra pass)."""
        model = self.topics
        if model is None:
            return [DocumentTopics(None, ())] * len(sentences)
        return [
            document_topics(
                model,
                np.array([vectors[c] for c in clause_texts(doc)]).reshape(-1, len(model.mean)),
                lang.code,
            )
            for doc, lang in zip(sentences, languages, strict=True)
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

    def _sentiment_proba(
        self, feedback: Sequence[Feedback], sentences: list[tuple[Sentence, ...]]
    ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Probabilities and embeddings of every distinct document, sentence and clause text:
        one encoder call.

        A document that is a single clause is embedded once: its sentence and clause reuse the
        document's probabilities (they differ only by trimmed punctuation and whitespace).
        """
        texts: dict[str, None] = {}
        aliases: dict[str, str] = {}
        for f, doc_sentences in zip(feedback, sentences, strict=True):
            texts[f.text] = None
            segments = [s.text for s in doc_sentences] + [
                c.text for s in doc_sentences for c in s.clauses
            ]
            if len(doc_sentences) == 1 and len(doc_sentences[0].clauses) == 1:
                aliases.update({segment: f.text for segment in segments})
            else:
                texts.update(dict.fromkeys(segments))
        unique = list(texts)
        embedded = self.encoder.embed(unique)
        proba = dict(zip(unique, self.sentiment.predict_proba(embedded), strict=True))
        vectors = dict(zip(unique, embedded, strict=True))
        for segment, document in aliases.items():
            proba.setdefault(segment, proba[document])
            vectors.setdefault(segment, vectors[document])
        return proba, vectors
