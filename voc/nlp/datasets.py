"""Read the labelled JSONL datasets (schema: `../shared/data/README.md`) where they are.

The data is never copied into the repository; training records each file's name and sha256.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    lang: str
    split: str
    sentiment: str | None
    score: float | None
    score_type: str | None
    source: str
    aspect_categories: tuple[str, ...] = ()
    """Distinct `aspects[].category` values, in first-seen order."""
    labels: dict[str, Any] = field(default_factory=dict)


class DataMissingError(FileNotFoundError):
    """The labelled data directory or one of its files is absent."""


def iter_examples(path: Path) -> Iterator[Example]:
    if not path.exists():
        raise DataMissingError(f"{path} not found: set VOC_DATA_DIR to the shared data directory")
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            yield Example(
                id=row["id"],
                text=row["text"],
                lang=row["lang"],
                split=row["split"],
                sentiment=row["sentiment"],
                score=row["score"],
                score_type=row["score_type"],
                source=row["source"],
                aspect_categories=tuple(
                    dict.fromkeys(a["category"] for a in row.get("aspects") or ())
                ),
                labels=row.get("labels") or {},
            )


def file_fingerprint(path: Path) -> dict[str, str]:
    """Name and sha256 of a data file, recorded in model cards."""
    return {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
