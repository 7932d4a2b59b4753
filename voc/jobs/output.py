"""Result rows -> JSONL lines or CSV lines, streamed (the job results endpoint and the CLI).

JSONL: one analysed document per line, the `/v1/analyze` shape; a refused row is
`{"id", "error": {"code", "message"}}`. CSV: one row per document; the columns follow the
requested features (nested values as dotted columns, lists as JSON), then the error columns.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from voc.jobs.types import ResultRow
from voc.nlp.analyzer import FEATURES

FLAT_COLUMNS = {
    "language": ("language.code", "language.confidence", "language.supported"),
    "sentiment": (
        "sentiment.label",
        "sentiment.score",
        "sentiment.probabilities.negative",
        "sentiment.probabilities.neutral",
        "sentiment.probabilities.positive",
    ),
}
"""Features with a fixed shape, spread over columns; any other feature is one JSON column."""
ERROR_COLUMNS = ("error_code", "error_message")
_FLAT_TEXT_CELLS: dict[str, Callable[[str], Any]] = {
    "language.code": str,
    "language.supported": lambda cell: cell == "True",
    "sentiment.label": str,
}
"""How a flat CSV cell reads back; every other flat column is a number."""


def result_line(row: ResultRow) -> dict[str, Any]:
    if row.error_code is not None:
        return {"id": row.doc_id, "error": {"code": row.error_code, "message": row.error_message}}
    return row.body or {}


def jsonl_lines(rows: Iterable[ResultRow]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(result_line(row), ensure_ascii=False) + "\n"


def csv_columns(options: Mapping[str, Any]) -> list[str]:
    features = options.get("features") or FEATURES
    columns = ["id"]
    for feature in features:
        columns.extend(FLAT_COLUMNS.get(feature, (feature,)))
    return [*columns, *ERROR_COLUMNS]


def csv_lines(rows: Iterable[ResultRow], options: Mapping[str, Any], *, header: bool = True):
    """CSV text, a few rows at a time (one `csv.writer` over a small reused buffer)."""
    columns = csv_columns(options)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(columns)
    for row in rows:
        writer.writerow(_csv_values(row, columns))
        if buffer.tell() > 1 << 16:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def _csv_values(row: ResultRow, columns: list[str]) -> list[Any]:
    if row.error_code is not None:
        values = {
            "id": row.doc_id,
            "error_code": row.error_code,
            "error_message": row.error_message,
        }
        return [neutralise(values.get(c, "")) for c in columns]
    return [neutralise(_cell(row.body or {}, column)) for column in columns]


FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: Any) -> Any:
    """A text cell a spreadsheet would run as a formula (OWASP CSV injection: it starts with
    `=`, `+`, `-`, `@`, tab or CR) gets a leading `'`; `unneutralise` takes it off again."""
    if isinstance(cell, str) and cell.startswith(FORMULA_TRIGGERS):
        return "'" + cell
    return cell


def unneutralise(cell: str) -> str:
    if cell.startswith("'") and cell[1:].startswith(FORMULA_TRIGGERS):
        return cell[1:]
    return cell


def _cell(body: Mapping[str, Any], column: str) -> Any:
    value: Any = body
    for part in column.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return ""
        value = value[part]
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def read_results(path: Path) -> Iterator[dict[str, Any]]:
    """The `result_line` dicts a .jsonl or .csv output holds, in order (what a report built
    after `voc analyze` reads back)."""
    with path.open(encoding="utf-8", newline="") as lines:
        if path.suffix.lower() == ".jsonl":
            yield from (json.loads(line) for line in lines)
        else:
            yield from (_from_csv(record) for record in csv.DictReader(lines))


def _from_csv(record: dict[str, str]) -> dict[str, Any]:
    record = {column: unneutralise(cell) for column, cell in record.items()}
    if record.get("error_code"):
        error = {"code": record["error_code"], "message": record["error_message"]}
        return {"id": record["id"], "error": error}
    body: dict[str, Any] = {"id": record["id"]}
    for column, cell in record.items():
        if column in ("id", *ERROR_COLUMNS) or cell == "":
            continue
        if "." not in column:  # a feature written as one JSON cell
            body[column] = json.loads(cell)
            continue
        *parents, leaf = column.split(".")
        node = body
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = _FLAT_TEXT_CELLS.get(column, float)(cell)
    return body
