"""The component pipeline runs what the requested features need, each component once, and
refuses a registration whose requirements come from nowhere (no model is loaded here)."""

from __future__ import annotations

import pytest

from voc.nlp.components import FEATURES
from voc.nlp.pipeline import Batch, Component, Pipeline
from voc.nlp.types import Analysis, Feedback


class Recording(Component):
    """Provides `provides` as the text lengths (plus what it read), and logs each run."""

    def __init__(self, requires: tuple[str, ...], provides: tuple[str, ...], log: list[str]):
        self.requires, self.provides, self.log = requires, provides, log

    def predict(self, batch: Batch) -> tuple[list, ...]:
        self.log.append(self.provides[0])
        read = [batch[name] for name in self.requires]
        return tuple(
            [(len(f.text), *(values[i] for values in read)) for i, f in enumerate(batch.feedback)]
            for _ in self.provides
        )


def chain(log: list[str]) -> Pipeline:
    return Pipeline(
        [
            Recording((), ("language",), log),
            Recording(("language",), ("segments",), log),
            Recording(("segments",), ("clause_vectors",), log),
            Recording(("clause_vectors",), ("sentiment",), log),
            Recording(("clause_vectors", "sentiment"), ("root_causes", "touchpoints"), log),
            Recording(("language",), ("expectation_gaps",), log),
        ]
    )


def test_only_what_the_features_need_runs_each_once():
    log: list[str] = []
    batch = chain(log).run([Feedback("a", "abc"), Feedback("b", "hello")], ["expectation_gaps"])
    assert log == ["language", "expectation_gaps"]
    assert batch["expectation_gaps"] == [(3, (3,)), (5, (5,))]

    log.clear()
    batch = chain(log).run([Feedback("a", "abc")], ["touchpoints", "sentiment"])
    assert log == ["language", "segments", "clause_vectors", "sentiment", "root_causes"]
    assert set(batch.annotations) == set(log) | {"touchpoints"}


def test_a_requirement_nobody_provides_is_refused():
    with pytest.raises(ValueError, match="requires"):
        Pipeline([Recording(("segments",), ("sentiment",), [])])
    with pytest.raises(ValueError, match="provided twice"):
        Pipeline([Recording((), ("language",), []), Recording((), ("language",), [])])


def test_every_feature_is_an_analysis_field():
    fields = set(Analysis.__dataclass_fields__) - {"id"}
    assert set(FEATURES) == fields
