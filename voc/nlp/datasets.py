"""Read JSONL where it is: the labelled datasets (schema: `../shared/data/README.md`), and any
feedback file (`read_jsonl`, for `voc report` and `voc topics fit`).

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


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{number}: not JSON ({err.msg})") from err
            if not isinstance(row, dict):
                raise ValueError(f"{path}:{number}: each line must be a JSON object")
            rows.append(row)
    return rows
