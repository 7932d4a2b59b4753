"""Read CSV, JSONL, Parquet and XLSX files (or JSON documents) into validated rows, streaming.

Nothing here holds a whole file: rows are yielded one by one (XLSX through openpyxl's
read-only mode, first sheet, first non-empty row as the header). A CSV file's delimiter is
sniffed from its header line (`,` `;` tab or `|`: the one that splits it into most fields).
A problem with the file as a whole (empty, binary, a missing column) raises `IngestError`
before any row is yielded; a problem with one row becomes that row's `DocumentError`, naming
the row and the column.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import decimal
import hashlib
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import IO, Any

from voc.config import Limits
from voc.nlp.types import SUPPORTED_LANGUAGES, Feedback
from voc.nlp.validation import DocumentError, validate_unique_document

FORMATS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".xlsx": "xlsx",
}
BINARY_FORMATS = ("parquet", "xlsx")
DELIMITERS = (",", ";", "\t", "|")
SNIFF_BYTES = 1 << 16
NUMERIC_METADATA = ("score", "customer_value")
"""Metadata keys that are numbers in the API; CSV cells holding them are parsed as numbers."""
READ_BLOCK = 1 << 20
BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class IngestError(ValueError):
    """The file as a whole cannot be read; `code` and the message say what to change."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Columns:
    """Which columns (or JSONL keys) hold what; `id=None`: an `id` column, else row numbers."""

    text: str = "text"
    id: str | None = None
    language: str | None = None
    metadata: tuple[str, ...] = ()
    mapped: tuple[tuple[str, str], ...] = ()
    """(metadata key, column) pairs: `("score", "NPS answer")` reads that column as `score`."""
    fixed: tuple[tuple[str, str], ...] = ()
    """(metadata key, value) pairs set on every row: `("score_type", "nps")`."""


@dataclass(frozen=True)
class Row:
    """One input row: a validated document, or the reason it was refused."""

    feedback: Feedback | None = None
    error: DocumentError | None = None


@dataclass
class FileInfo:
    """What one pass over the bytes learnt: the format, its text encoding, a fingerprint."""

    format: str
    encoding: str | None
    sha256: str
    size: int
    warnings: list[str] = field(default_factory=list)
    delimiter: str | None = None
    """A CSV file's field delimiter, sniffed from its header line."""


def file_format(filename: str | None, declared: str | None = None) -> str:
    if declared:
        if declared not in set(FORMATS.values()):
            raise IngestError(
                "UnsupportedFormat",
                f"format {declared!r} is not one of {sorted(set(FORMATS.values()))}",
            )
        return declared
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in FORMATS:
        raise IngestError(
            "UnsupportedFormat",
            f"cannot tell the format of {filename!r}; name it .csv, .tsv, .jsonl, .parquet or "
            ".xlsx, or send format=csv|tsv|jsonl|parquet|xlsx",
        )
    return FORMATS[suffix]


def inspect_file(stream: IO[bytes], fmt: str) -> FileInfo:
    """One streaming pass: fingerprint, size and encoding (UTF-8, BOMs, else Windows-1252/Latin-1).

    Rewinds the stream. A 0-byte file or one holding NUL bytes (binary, or UTF-16 without a BOM)
    is refused here, before a job exists.
    """
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    cp1252 = codecs.getincrementaldecoder("cp1252")()
    size, first, utf8_error_at, cp1252_ok, has_nul = 0, b"", None, True, False
    while block := stream.read(READ_BLOCK):
        digest.update(block)
        if not first:
            first = block[:SNIFF_BYTES]
        if fmt not in BINARY_FORMATS:
            has_nul = has_nul or b"\x00" in block
            if utf8_error_at is None:
                try:
                    utf8.decode(block)
                except UnicodeDecodeError as err:
                    utf8_error_at = size + err.start
            if cp1252_ok:
                try:
                    cp1252.decode(block)
                except UnicodeDecodeError:
                    cp1252_ok = False
        size += len(block)
    stream.seek(0)
    if size == 0:
        raise IngestError(
            "EmptyFile", "the file is empty (0 bytes); send a file with a header row and data"
        )
    info = FileInfo(format=fmt, encoding=None, sha256=digest.hexdigest(), size=size)
    if fmt in BINARY_FORMATS:
        return info
    info.encoding = _encoding(info, first, has_nul, utf8_error_at, cp1252_ok)
    if fmt == "csv":
        info.delimiter = sniff_delimiter(first.decode(info.encoding, errors="ignore"))
    return info


def sniff_delimiter(head: str) -> str:
    """The delimiter that splits the header line into the most fields (`,` on a tie)."""
    line = head.lstrip("\ufeff").splitlines()[0] if head.strip() else ""

    def fields(delimiter: str) -> int:
        try:
            return len(next(csv.reader([line], delimiter=delimiter), []))
        except csv.Error:
            return 0

    return max(DELIMITERS, key=lambda d: (fields(d), d == ","))


def _encoding(
    info: FileInfo, first: bytes, has_nul: bool, utf8_error_at: int | None, cp1252_ok: bool
) -> str:
    bom = next((name for mark, name in BOMS if first.startswith(mark)), None)
    if bom:
        return bom
    if has_nul:
        raise IngestError(
            "InvalidEncoding",
            "the file contains NUL bytes: it is binary, or UTF-16/32 without a byte-order mark; "
            "save it as UTF-8 text",
        )
    if utf8_error_at is None:
        return "utf-8"
    info.warnings.append(
        f"the file is not valid UTF-8 (first bad byte at offset {utf8_error_at}); it was read as "
        f"{'Windows-1252' if cp1252_ok else 'Latin-1'}: check accented characters in the results, "
        "or save the file as UTF-8"
    )
    return "cp1252" if cp1252_ok else "latin-1"


@dataclass(frozen=True)
class _RawRow:
    where: str
    document: Any
    error: tuple[str, str] | None = None


def read_file(
    stream: IO[bytes],
    info: FileInfo,
    columns: Columns,
    limits: Limits,
    *,
    truncate: bool = False,
) -> Iterator[Row]:
    """Validated rows of a file, streamed. Raises `IngestError` (before the first row) when the
    file has no header or lacks a named column. `truncate`: a text over the character limit is
    cut to it (and analysed) instead of refused, as offline runs do."""
    if info.format == "parquet":
        raw = _parquet_rows(stream, columns)
    elif info.format == "xlsx":
        raw = _xlsx_rows(stream, columns)
    else:
        text = io.TextIOWrapper(stream, encoding=info.encoding or "utf-8", newline="")
        raw = (
            _jsonl_rows(text, columns) if info.format == "jsonl" else _csv_rows(text, info, columns)
        )
    if truncate:
        raw = (_truncated(r, limits.max_characters_per_document) for r in raw)
    return validate_rows(raw, columns, limits)


def _truncated(raw: _RawRow, limit: int) -> _RawRow:
    text = raw.document.get("text") if isinstance(raw.document, dict) else None
    if not isinstance(text, str) or len(text) <= limit:
        return raw
    return _RawRow(raw.where, {**raw.document, "text": text[:limit]})


def read_documents(documents: Iterable[Any], limits: Limits) -> Iterator[Row]:
    """Validated rows of a JSON request's `documents` list."""
    raw = (_RawRow(f"documents[{i}]", d) for i, d in enumerate(documents))
    return validate_rows(raw, None, limits)


def validate_rows(
    rows: Iterable[_RawRow], columns: Columns | None, limits: Limits
) -> Iterator[Row]:
    """The same validation as `POST /v1/analyze` (`validate_unique_document`) across the input."""
    seen: set[str] = set()
    for index, raw in enumerate(rows):
        if raw.error is not None:
            yield Row(error=DocumentError(None, *_prefixed(raw.error, raw.where)))
            continue
        result = validate_unique_document(
            raw.document,
            index=index,
            max_characters=limits.max_characters_per_document,
            supported_languages=SUPPORTED_LANGUAGES,
            seen=seen,
        )
        if isinstance(result, DocumentError):
            where = raw.where + _column_of(result.code, columns)
            message = (
                result.message
                if result.message.startswith(raw.where)
                else f"{where}: {result.message}"
            )
            yield Row(error=DocumentError(result.id, result.code, message))
        else:
            yield Row(feedback=result)


def _prefixed(error: tuple[str, str], where: str) -> tuple[str, str]:
    return error[0], f"{where}: {error[1]}"


def _column_of(code: str, columns: Columns | None) -> str:
    if columns is None:
        return ""
    column = {
        "InvalidDocument": columns.id,
        "DuplicateId": columns.id,
        "InvalidText": columns.text,
        "EmptyText": columns.text,
        "TextTooLong": columns.text,
        "InvalidLanguage": columns.language,
        "UnsupportedLanguage": columns.language,
    }.get(code)
    return f", column {column!r}" if column else ""


def _document(values: dict[str, Any], columns: Columns, row_number: int) -> dict[str, Any]:
    """A raw API document from one row's values (keyed by column name)."""
    doc_id = values.get(columns.id or "id") if (columns.id or "id" in values) else None
    metadata = {}
    for name in columns.metadata:
        value = values.get(name)
        if value is None or value == "":
            continue
        if name in NUMERIC_METADATA and isinstance(value, str):
            value = _number(value)
        metadata[name] = _json_value(value)
    for key, name in columns.mapped:
        value = values.get(name)
        if value is None or value == "":
            continue
        metadata[key] = (
            _number(value)
            if key in NUMERIC_METADATA and isinstance(value, str)
            else _json_value(value)
        )
    nested = values.get("metadata")
    if isinstance(nested, dict):
        metadata = {**_json_value(nested), **metadata}
    for key, value in columns.fixed:
        metadata.setdefault(key, value)
    document = {
        "id": str(row_number)
        if doc_id is None
        else (doc_id if isinstance(doc_id, str) else str(doc_id)),
        "text": values.get(columns.text),
        "metadata": metadata,
    }
    language = values.get(columns.language or "language")
    if language not in (None, ""):
        document["language"] = language
    return document


def _json_value(value: Any) -> Any:
    """Parquet cells as JSON values: dates and times as ISO 8601 text, decimals as numbers,
    other types (bytes...) as text; validation then refuses what is still not storable."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    return str(value)


def _number(value: str) -> float | int | str:
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return value


def _require_columns(present: Iterable[str], columns: Columns, where: str) -> None:
    names = list(present)
    wanted = [("text_column", columns.text)]
    if columns.id:
        wanted.append(("id_column", columns.id))
    if columns.language:
        wanted.append(("language_column", columns.language))
    wanted += [("metadata_columns", name) for name in columns.metadata]
    wanted += [(f"{key}_column", name) for key, name in columns.mapped]
    for option, name in wanted:
        if name not in names:
            shown = ", ".join(repr(n) for n in names[:30])
            raise IngestError(
                "MissingColumn",
                f"{option} {name!r} is not in the {where}; the columns are [{shown}]: "
                f"pass {option}=<one of them>",
            )


def _csv_rows(text: IO[str], info: FileInfo, columns: Columns) -> Iterator[_RawRow]:
    reader = csv.reader(text, delimiter="\t" if info.format == "tsv" else info.delimiter or ",")
    try:
        header = next((row for row in reader if row), None)
    except csv.Error as err:
        raise IngestError("InvalidCsv", f"line {reader.line_num}: {err}") from err
    if header is None:
        raise IngestError("EmptyFile", "the file has no header row and no data")
    header = [name.strip() for name in header]
    _require_columns(header, columns, "header")
    number = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            number += 1
            yield _RawRow(f"row {number} (line {reader.line_num})", None, ("InvalidRow", str(err)))
            continue
        if not row:
            continue
        number += 1
        where = f"row {number} (line {reader.line_num})"
        if len(row) != len(header):
            yield _RawRow(
                where,
                None,
                (
                    "RaggedRow",
                    f"has {len(row)} fields but the header has {len(header)}; quote fields that "
                    "contain the delimiter",
                ),
            )
            continue
        yield _RawRow(where, _document(dict(zip(header, row, strict=True)), columns, number))


def _jsonl_rows(text: IO[str], columns: Columns) -> Iterator[_RawRow]:
    number = 0
    checked = False
    for line_number, line in enumerate(text, start=1):
        if not line.strip():
            continue
        number += 1
        where = f"row {number} (line {line_number})"
        try:
            value = json.loads(line)
        except json.JSONDecodeError as err:
            yield _RawRow(
                where, None, ("InvalidJson", f"not valid JSON: {err.msg} at column {err.colno}")
            )
            continue
        except RecursionError:
            yield _RawRow(where, None, ("InvalidJson", "the line is nested too deeply"))
            continue
        except ValueError:  # an integer literal beyond sys.get_int_max_str_digits()
            yield _RawRow(where, None, ("InvalidJson", "the line holds a number that is too long"))
            continue
        if not isinstance(value, dict):
            yield _RawRow(where, None, ("InvalidRow", "each line must be a JSON object"))
            continue
        if not checked:
            _require_columns(value, columns, "first object")
            checked = True
        yield _RawRow(where, _document(value, columns, number))
    if not checked and number == 0:
        raise IngestError("EmptyFile", "the file has no JSON lines")


def _parquet_rows(stream: IO[bytes], columns: Columns) -> Iterator[_RawRow]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(stream)
    except (pa.ArrowInvalid, OSError) as err:
        raise IngestError("InvalidParquet", f"the file is not readable Parquet: {err}") from err
    names = parquet.schema_arrow.names
    _require_columns(names, columns, "schema")
    wanted = [n for n in _named(columns) if n]
    wanted += [n for n in ("id", "language", "metadata") if n in names and n not in wanted]
    number = 0
    batches = parquet.iter_batches(batch_size=2048, columns=wanted)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (pa.ArrowException, OSError) as err:
            raise IngestError(
                "InvalidParquet", f"the file is not readable Parquet after row {number}: {err}"
            ) from err
        for values in batch.to_pylist():
            number += 1
            yield _RawRow(f"row {number}", _document(values, columns, number))


def _named(columns: Columns) -> list[str | None]:
    mapped = [name for _, name in columns.mapped]
    return list(
        dict.fromkeys([columns.text, columns.id, columns.language, *columns.metadata, *mapped])
    )


def _xlsx_value(value: Any) -> Any:
    """Excel cells as the API reads them: dates as ISO text, whole floats as ints."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _xlsx_rows(stream: IO[bytes], columns: Columns) -> Iterator[_RawRow]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as err:
        raise IngestError(
            "InvalidXlsx", f"the file is not a readable .xlsx workbook: {err}"
        ) from err
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = next((r for r in rows if any(c not in (None, "") for c in r)), None)
        if header is None:
            raise IngestError("EmptyFile", "the first sheet has no header row and no data")
        names = [str(c).strip() if c is not None else "" for c in header]
        _require_columns(names, columns, "header (first sheet)")
        number = 0
        for row in rows:
            if not any(c not in (None, "") for c in row):
                continue
            number += 1
            values = {n: _xlsx_value(c) for n, c in zip(names, row, strict=False) if n}
            for key in (columns.text, columns.id or "id", columns.language or "language"):
                if isinstance(values.get(key), int | float):
                    values[key] = str(values[key])
            yield _RawRow(f"row {number}", _document(values, columns, number))
    finally:
        book.close()
