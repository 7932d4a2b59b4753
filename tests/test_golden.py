"""The analyzer's answers, unchanged: `analysis_to_dict` for every test text under several
feature sets equals the capture in `tests/golden/analysis.json` (`tests/golden_capture.py`
writes it; rerun that only when an answer is meant to change, and say why in the commit)."""

from __future__ import annotations

import json

import pytest
from golden_capture import FEATURE_SETS, GOLDEN, capture


@pytest.fixture(scope="module")
def golden() -> dict:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def current(analyzer, golden) -> dict:
    return capture(analyzer, golden["texts"])


@pytest.mark.parametrize("features", list(FEATURE_SETS))
def test_answers_equal_the_golden_capture(golden, current, features):
    expected, got = golden["results"][features], current[features]
    changed = [e["id"] for e, g in zip(expected, got, strict=True) if e != g]
    assert not changed, f"{len(changed)} of {len(expected)} answers changed, first: " + (
        f"{golden['texts'][int(changed[0])]!r}" if changed else ""
    )
