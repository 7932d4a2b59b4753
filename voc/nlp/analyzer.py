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
from voc.nlp.churn import ChurnDetector
from voc.nlp.encoder import Encoder
from voc.nlp.expectations import ExpectationDetector
from voc.nlp.language import LanguageIdentifier
from voc.nlp.segment import Segmenter
from voc.nlp.sentiment import SentimentHead, document_sentiment, sentiment_from_proba
from voc.nlp.types import (
    SENTIMENT_LABELS,
    SUPPORTED_LANGUAGES,
    Analysis,
    Feedback,
    Language,
    Sentence,
)

FEATURES = ("language", "sentiment", "sentences", "expectation_gaps", "churn_risk")
"""Features this version computes, in output order."""
POSITIVE = SENTIMENT_LABELS.index("positive")


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
        expectations: ExpectationDetector,
        churn: ChurnDetector,
    ) -> None:
        self.encoder = encoder
        self.language_identifier = language_identifier
        self.segmenter = segmenter
        self.sentiment = sentiment
        self.expectations = expectations
        self.churn = churn

    @classmethod
    def load(cls, settings: Settings) -> Analyzer:
        """Load every model named by `settings` (once per process, after any fork)."""
        segmenter = Segmenter()
        # spaCy builds each language's tokenizer on first use (seconds): do it before serving.
        segmenter.segment_batch(["ok"] * len(SUPPORTED_LANGUAGES), list(SUPPORTED_LANGUAGES))
        encoder = Encoder(
            settings.base_model_dir,
            backend=settings.encoder_backend,
            threads=settings.threads or None,
        )
        sentiment = SentimentHead.load(settings.artifacts_dir / "sentiment")
        return cls(
            encoder=encoder,
            language_identifier=LanguageIdentifier.load(settings.artifacts_dir / "language"),
            segmenter=segmenter,
            sentiment=sentiment,
            expectations=ExpectationDetector.load(
                embed=encoder.embed,
                positivity=lambda texts: sentiment.predict_proba(encoder.embed(texts))[:, POSITIVE],
            ),
            churn=ChurnDetector.load(),
        )

    @property
    def model_versions(self) -> dict[str, str]:
        return {
            "encoder": self.encoder.version,
            "language": self.language_identifier.version,
            "sentiment": self.sentiment.version,
            "expectation_gaps": self.expectations.version,
            "churn_risk": self.churn.version,
        }

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
        wants_sentiment = bool({"sentiment", "churn_risk"} & set(features))
        wants_sentences = "sentences" in features
        if not (wants_sentiment or wants_sentences):
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
        proba = self._sentiment_proba(feedback, sentences)
        results = []
        for f, lang, doc_sentences in zip(feedback, languages, sentences, strict=True):
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
                )
            )
        return self._with_gaps_and_churn(feedback, languages, results, features)

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
    ) -> dict[str, np.ndarray]:
        """Probabilities for every distinct document, sentence and clause text: one encoder call.

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
        proba = dict(
            zip(unique, self.sentiment.predict_proba(self.encoder.embed(unique)), strict=True)
        )
        for segment, document in aliases.items():
            proba.setdefault(segment, proba[document])
        return proba
