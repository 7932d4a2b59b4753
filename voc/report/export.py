"""The coded comments: one flat row per analysed comment, as CSV or XLSX, for a spreadsheet.

Columns: `id`, `text`, every metadata key the comments carry (in order of first appearance),
`language`, `sentiment`, `sentiment_score`, `top_cause` (the root cause with the highest
score), `causes` (every root cause, `;`-joined), `touchpoints` (`;`-joined), `theme` and
`subtopic`: with a two-level topic model (`Topic.theme`), the top-level theme of the comment's
main topic and that topic; with one level, the topic and an empty subtopic. Labels, not ids:
the file is for people.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

FORMATS = ("csv", "xlsx")
LEADING = ("id", "text")
TRAILING = (
    "language",
    "sentiment",
    "sentiment_score",
    "top_cause",
    "causes",
    "touchpoints",
    "theme",
    "subtopic",
)
JOIN = ";"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def metadata_columns(documents: Iterable[dict[str, Any]]) -> list[str]:
    keys: dict[str, None] = {}
    for d in documents:
        keys.update(dict.fromkeys(d.get("metadata") or {}))
    return [k for k in keys if k not in LEADING and k not in TRAILING]


def coded_row(
    document: dict[str, Any], metadata: Sequence[str], themes: Mapping[int, str]
) -> list[Any]:
    """One analysed document (API shape, with `text` and `metadata`) as the export's cells;
    `themes` maps a topic id to its top-level theme."""
    meta = document.get("metadata") or {}
    language = document.get("language")
    sentiment = document.get("sentiment") or {}
    causes = sorted(document.get("root_causes") or [], key=lambda c: -(c.get("score") or 0))
    cause_labels = [c.get("label") or c["id"] for c in causes]
    topic = document.get("topic") or {}
    topic_label = topic.get("label") or ""
    theme = themes.get(topic.get("id"), "") if topic else ""
    return [
        document.get("id"),
        document.get("text") or "",
        *(_cell(meta.get(k)) for k in metadata),
        language.get("code") if isinstance(language, dict) else language,
        sentiment.get("label"),
        sentiment.get("score"),
        cause_labels[0] if cause_labels else "",
        JOIN.join(cause_labels),
        JOIN.join(t.get("label") or t["id"] for t in document.get("touchpoints") or []),
        theme or topic_label,
        topic_label if theme else "",
    ]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return JOIN.join(str(v) for v in value)
    return value if isinstance(value, str | int | float) else str(value)


def coded_table(
    documents: Iterable[dict[str, Any]], themes: Mapping[int, str] | None = None
) -> tuple[list[str], list[list[Any]]]:
    docs = list(documents)
    metadata = metadata_columns(docs)
    rows = [coded_row(d, metadata, themes or {}) for d in docs]
    return [*LEADING, *metadata, *TRAILING], rows


def write_coded_csv(
    documents: Iterable[dict[str, Any]], sink: IO[str], themes: Mapping[int, str] | None = None
) -> None:
    header, rows = coded_table(documents, themes)
    writer = csv.writer(sink)
    writer.writerow(header)
    writer.writerows(rows)


def write_coded_xlsx(
    documents: Iterable[dict[str, Any]],
    sink: IO[bytes] | Path,
    themes: Mapping[int, str] | None = None,
) -> None:
    """One sheet, "coded comments", written row by row (openpyxl's write-only mode)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    header, rows = coded_table(documents, themes)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("coded comments")
    sheet.append(header)
    for row in rows:  # control characters are not allowed in XLSX cells
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in row])
    book.save(sink)


def coded_xlsx_bytes(documents: Iterable[dict[str, Any]]) -> bytes:
    buffer = io.BytesIO()
    write_coded_xlsx(documents, buffer)
    return buffer.getvalue()


def write_coded(
    documents: Iterable[dict[str, Any]], path: Path, themes: Mapping[int, str] | None = None
) -> None:
    """To `path`, as CSV or XLSX by its suffix."""
    if export_format(path) == "xlsx":
        write_coded_xlsx(documents, path, themes)
    else:
        with path.open("w", encoding="utf-8", newline="") as sink:
            write_coded_csv(documents, sink, themes)


def export_format(path: Path) -> str:
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"export {path} must end in .csv or .xlsx")
    return fmt
