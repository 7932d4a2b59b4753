"""`language`: detected where the caller said "auto", taken as given otherwise."""

from __future__ import annotations

from voc.nlp.language import LanguageIdentifier
from voc.nlp.pipeline import Batch, Component
from voc.nlp.types import SUPPORTED_LANGUAGES, Language


class LanguageComponent(Component):
    provides = ("language",)

    def __init__(self, identifier: LanguageIdentifier) -> None:
        self.identifier = identifier

    def predict(self, batch: Batch) -> tuple[list[Language]]:
        feedback = batch.feedback
        auto = [i for i, f in enumerate(feedback) if f.language == "auto"]
        detected = dict(
            zip(auto, self.identifier.identify([feedback[i].text for i in auto]), strict=True)
        )
        return (
            [
                detected[i]
                if i in detected
                else Language(f.language, 1.0, f.language in SUPPORTED_LANGUAGES)
                for i, f in enumerate(feedback)
            ],
        )
