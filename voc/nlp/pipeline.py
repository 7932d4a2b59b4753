"""The component pipeline: what a request's features need, computed once, in order.

A component declares the annotations it `requires` and the ones it `provides` (one list per
annotation, a value per document). `predict` is pure: it reads the batch and returns its
values; `set_annotations` writes them onto the batch. The pipeline runs only the components
whose annotations a request needs (its features and what they require, transitively), so
the encoder runs once per batch and a feature nobody asked for costs nothing. A feature is
an annotation named like its `Analysis` field; the analyzer copies only the requested ones
into the answer.

A new feature is one component (a module in `voc.nlp.components`) and its line in
`voc.nlp.components.build`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from voc.nlp.journey import Journey
from voc.nlp.taxonomy import Taxonomy
from voc.nlp.types import Feedback


@dataclass
class Batch:
    """The documents of one analysis call, their request options and the annotations
    computed so far (`batch["sentiment"][i]`: document i's sentiment)."""

    feedback: Sequence[Feedback]
    wanted: frozenset[str]
    """Every annotation this call computes (the features and what they require)."""
    taxonomy: Taxonomy | None = None
    journey: Journey | None = None
    annotations: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def texts(self) -> list[str]:
        return [f.text for f in self.feedback]

    def __getitem__(self, name: str) -> list[Any]:
        return self.annotations[name]


class Component:
    """One step of the pipeline. Subclasses set `requires` / `provides` and write `predict`,
    which returns one list per provided annotation, in `provides` order."""

    requires: ClassVar[tuple[str, ...]] = ()
    provides: ClassVar[tuple[str, ...]] = ()

    def predict(self, batch: Batch) -> tuple[list[Any], ...]:
        raise NotImplementedError

    def set_annotations(self, batch: Batch, predictions: tuple[list[Any], ...]) -> None:
        for name, values in zip(self.provides, predictions, strict=True):
            batch.annotations[name] = values


class Pipeline:
    def __init__(self, components: Sequence[Component]) -> None:
        """`components` in an order where each one's requirements come before it."""
        provider: dict[str, Component] = {}
        for component in components:
            missing = [name for name in component.requires if name not in provider]
            if missing:
                raise ValueError(f"{type(component).__name__} requires {missing}, not provided")
            for name in component.provides:
                if name in provider:
                    raise ValueError(f"{name!r} is provided twice")
                provider[name] = component
        self.components = tuple(components)
        self._provider = provider

    @property
    def annotations(self) -> tuple[str, ...]:
        return tuple(self._provider)

    def needed(self, features: Collection[str]) -> frozenset[str]:
        """The features and every annotation they require, transitively."""
        needed: set[str] = set()
        stack = list(features)
        while stack:
            name = stack.pop()
            if name in needed:
                continue
            needed.add(name)
            stack.extend(self._provider[name].requires)
        return frozenset(needed)

    def run(
        self,
        feedback: Sequence[Feedback],
        features: Collection[str],
        *,
        taxonomy: Taxonomy | None = None,
        journey: Journey | None = None,
    ) -> Batch:
        """Annotate `feedback` with what `features` need, each component at most once."""
        batch = Batch(feedback, self.needed(features), taxonomy=taxonomy, journey=journey)
        for component in self.components:
            if batch.wanted.intersection(component.provides):
                component.set_annotations(batch, component.predict(batch))
        return batch
