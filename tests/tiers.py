"""The test tiers. `make test-unit` runs `pytest -m "not slow and not models"`: no trained
model is loaded, so it takes seconds. A test is marked `models` when it uses, directly or
through other fixtures, a fixture decorated with `loads_models` (conftest marks it at
collection), or when it carries the mark itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)


def loads_models(fixture_function: F) -> F:
    """Put under `@pytest.fixture`: the fixture loads a trained model (the encoder, the
    Analyzer or a committed artifact), so every test that needs it is in the `models` tier."""
    fixture_function.loads_models = True
    return fixture_function


def uses_models(item) -> bool:
    """Whether a collected test needs a fixture that loads a trained model."""
    definitions = item._fixtureinfo.name2fixturedefs.values()
    return any(getattr(d.func, "loads_models", False) for defs in definitions for d in defs)
