"""Capture `analysis_to_dict` for every test text under several feature sets
(`tests/golden/analysis.json`), so a refactor of the analyzer can show its answers unchanged.

Run from the repository root: `PYTHONPATH=$PWD .venv/bin/python tests/golden_capture.py`.
Only rerun it when an answer is meant to change, and say why in the commit."""

from __future__ import annotations

import ast
import json
import sys
import tempfile
from pathlib import Path

TESTS = Path(__file__).parent
GOLDEN = TESTS / "golden" / "analysis.json"
SOURCES = (
    "feedback_samples.py",
    "test_api_analyze.py",
    "test_churn.py",
    "test_expectations.py",
    "test_root_causes.py",
    "test_sentiment.py",
    "test_segment.py",
    "test_topics.py",
)
CAPTURED = (
    "language",
    "sentiment",
    "sentences",
    "root_causes",
    "touchpoints",
    "topics",
    "expectation_gaps",
    "churn_risk",
)
"""Every feature there was at capture time ("all"); a feature added later has no golden."""
FEATURE_SETS = {
    "all": CAPTURED,
    **{name: (name,) for name in CAPTURED},
    "language,sentiment,sentences": ("language", "sentiment", "sentences"),
    "root_causes,churn_risk": ("root_causes", "churn_risk"),
}
TOUCHPOINTS = ("delivery", "billing", "nonsense")
"""Every third text carries one of these as metadata, so the metadata path is covered."""


def test_texts() -> list[str]:
    """Every string literal in the test sources that reads like feedback (a space, 8+ chars)."""
    texts: dict[str, None] = {}
    for name in SOURCES:
        tree = ast.parse((TESTS / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and _reads_like_feedback(node.value):
                texts[node.value] = None
    return sorted(texts)


def _reads_like_feedback(value: object) -> bool:
    if not isinstance(value, str) or value.startswith(("/", "voc", "sqlite", "http")):
        return False
    return 8 <= len(value) <= 400 and " " in value.strip() and "\n" not in value.strip()


def documents(texts: list[str]):
    from voc.nlp.types import Feedback

    return [
        Feedback(
            id=str(i),
            text=text,
            metadata={"touchpoint": TOUCHPOINTS[(i // 3) % 3]} if i % 3 == 0 else {},
        )
        for i, text in enumerate(texts)
    ]


def capture(analyzer, texts: list[str]) -> dict:
    from voc.nlp.batch import analyze_batch

    feedback = documents(texts)
    return {
        name: analyze_batch(analyzer, feedback, {"features": list(features)})
        for name, features in FEATURE_SETS.items()
    }


def load_test_analyzer():
    from voc.config import Settings
    from voc.registry.loader import load_analyzer

    tmp = Path(tempfile.mkdtemp())
    settings = Settings.from_env(
        {"database_url": f"sqlite:///{tmp / 'voc.sqlite3'}", "topics_dir": tmp / "topics"}
    )
    return load_analyzer(settings)


def main() -> None:
    texts = test_texts()
    results = capture(load_test_analyzer(), texts)
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(
        json.dumps({"texts": texts, "results": results}, ensure_ascii=False, indent=0) + "\n",
        encoding="utf-8",
    )
    print(f"{len(texts)} texts x {len(results)} feature sets -> {GOLDEN}", file=sys.stderr)


if __name__ == "__main__":
    main()
