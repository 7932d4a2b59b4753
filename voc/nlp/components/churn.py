"""`churn_risk`: cues in the text, damped or raised by the document's sentiment and its
metadata score (the sentiment is computed for it even when not asked for)."""

from __future__ import annotations

from voc.nlp.churn import ChurnDetector, ChurnRisk
from voc.nlp.pipeline import Batch, Component


class ChurnRiskComponent(Component):
    requires = ("language", "sentiment")
    provides = ("churn_risk",)

    def __init__(self, detector: ChurnDetector) -> None:
        self.detector = detector

    def predict(self, batch: Batch) -> tuple[list[ChurnRisk]]:
        return (
            [
                self.detector.risk(f.text, lang.code, sentiment=sentiment, metadata=f.metadata)
                for f, lang, sentiment in zip(
                    batch.feedback, batch["language"], batch["sentiment"], strict=True
                )
            ],
        )
