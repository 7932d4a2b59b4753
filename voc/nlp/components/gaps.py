"""`expectation_gaps`: what was promised or expected, and what happened instead."""

from __future__ import annotations

from voc.nlp.expectations import ExpectationDetector, ExpectationGap
from voc.nlp.pipeline import Batch, Component


class ExpectationGapsComponent(Component):
    requires = ("language",)
    provides = ("expectation_gaps",)

    def __init__(self, detector: ExpectationDetector) -> None:
        self.detector = detector

    def predict(self, batch: Batch) -> tuple[list[tuple[ExpectationGap, ...]]]:
        codes = [lang.code for lang in batch["language"]]
        return ([tuple(gaps) for gaps in self.detector.detect_batch(batch.texts, codes)],)
