"""Read JSONL where it is: the labelled datasets (schema: `../shared/data/README.md`), and any
feedback file (`read_jsonl`, for `voc report` and `voc topics fit`).

The data is never copied into the repository; training records each file's name and sha256.
"""

from __future__ import annotations

import csv
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
    lang: str | None
    """None when the file does not say (a minimal evaluation file)."""
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
    """The examples of a JSONL (one object a line) or CSV (header row) file.

    Besides the full schema of `../shared/data`, a researcher's minimal file is enough: a `text`
    and the label being measured (`sentiment`, `lang`, `score` with `score_type`, `aspects`).
    Missing keys get defaults: `id` is `<file stem>:<n>`, `split` is `dev` (a file without
    splits is evaluation data), `source` the file name, `lang` None (not known), no labels. In a
    CSV, `labels.<key>` columns fill `labels` and `aspects` is categories joined by `;`.
    """
    if not path.exists():
        raise DataMissingError(f"{path} not found: set VOC_DATA_DIR to the shared data directory")
    if path.suffix.lower() == ".csv":
        with path.open(encoding="utf-8", newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh)):
                yield example_from_row(_csv_row(row), path, n)
        return
    for n, row in enumerate(read_jsonl(path)):
        yield example_from_row(row, path, n)


def example_from_row(row: dict[str, Any], path: Path, n: int) -> Example:
    """One `Example` from a full or minimal row (see `iter_examples`)."""
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{path.name} row {n + 1}: no text (every row needs a non-empty 'text')")
    score = row.get("score")
    return Example(
        id=str(row.get("id") or f"{path.stem}:{n}"),
        text=text,
        lang=row.get("lang") or None,
        split=row.get("split") or "dev",
        sentiment=row.get("sentiment") or None,
        score=float(score) if score not in (None, "") else None,
        score_type=row.get("score_type") or None,
        source=row.get("source") or path.stem,
        aspect_categories=tuple(dict.fromkeys(a["category"] for a in row.get("aspects") or ())),
        labels=row.get("labels") or {},
    )


def _csv_row(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row in the JSONL shape: `labels.<key>` columns nested, `aspects` split on `;`."""
    out: dict[str, Any] = {k: v for k, v in row.items() if k and not k.startswith("labels.")}
    out["labels"] = {
        k.removeprefix("labels."): v for k, v in row.items() if k and k.startswith("labels.")
    }
    aspects = out.pop("aspects", "") or ""
    out["aspects"] = [{"category": c.strip()} for c in aspects.split(";") if c.strip()]
    return out


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
