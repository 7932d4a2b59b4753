"""`sentiment` (the document's, `mixed` when its contrast units disagree) and `sentences` (each
sentence with its own sentiment), both read from `sentiment_proba`."""

from __future__ import annotations

from dataclasses import replace

from voc.nlp.pipeline import Batch, Component
from voc.nlp.sentiment import document_sentiment, sentiment_from_proba
from voc.nlp.types import Sentence, Sentiment


class SentimentComponent(Component):
    requires = ("sentiment_proba", "contrast_proba")
    provides = ("sentiment",)

    def __init__(self, mixed_threshold: float) -> None:
        self.mixed_threshold = mixed_threshold

    def predict(self, batch: Batch) -> tuple[list[Sentiment]]:
        return (
            [
                document_sentiment(proba[0], units, mixed_threshold=self.mixed_threshold)
                for proba, units in zip(
                    batch["sentiment_proba"], batch["contrast_proba"], strict=True
                )
            ],
        )


class SentencesComponent(Component):
    requires = ("segments", "sentiment_proba")
    provides = ("sentences",)

    def predict(self, batch: Batch) -> tuple[list[tuple[Sentence, ...]]]:
        return (
            [
                tuple(
                    replace(s, sentiment=sentiment_from_proba(p))
                    for s, p in zip(sentences, proba[1 : 1 + len(sentences)], strict=True)
                )
                for sentences, proba in zip(
                    batch["segments"], batch["sentiment_proba"], strict=True
                )
            ],
        )
