"""`segments`: sentences and their clauses, without sentiment (the unit every feature reads)."""

from __future__ import annotations

from voc.nlp.pipeline import Batch, Component
from voc.nlp.segment import Segmenter
from voc.nlp.types import Sentence


class SegmentsComponent(Component):
    requires = ("language",)
    provides = ("segments",)

    def __init__(self, segmenter: Segmenter) -> None:
        self.segmenter = segmenter

    def predict(self, batch: Batch) -> tuple[list[tuple[Sentence, ...]]]:
        codes = [lang.code for lang in batch["language"]]
        return (self.segmenter.segment_batch(batch.texts, codes),)
