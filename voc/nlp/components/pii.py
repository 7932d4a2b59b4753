"""`pii`: personal data in the original text (`voc.nlp.pii.detect`); reads nothing else."""

from __future__ import annotations

from voc.nlp.pii import PiiSpan
from voc.nlp.pii import detect as detect_pii
from voc.nlp.pipeline import Batch, Component


class PiiComponent(Component):
    provides = ("pii",)

    def predict(self, batch: Batch) -> tuple[list[tuple[PiiSpan, ...]]]:
        return ([tuple(detect_pii(text)) for text in batch.texts],)
