"""`voc analyze FILE -o OUT`: the job pipeline offline, resumable, with a progress bar.

Rows are read and validated by the same ingest code as `POST /v1/jobs`, cut into the same
chunks, analysed by an engine (in-process, or Ray Data) and appended to OUT in input order.
After each chunk the output is flushed and a checkpoint (`OUT.progress.json`: rows done,
output bytes, input fingerprint) is replaced atomically; `--resume` truncates OUT to the
checkpoint and skips the rows already written, so an interrupted run loses one chunk at most.

Unlike the service, an offline run never refuses a text for its length: a text over
`max_characters_per_document` is analysed on its first that many characters (the encoder reads
512 tokens of a clause at most anyway), and a warning says how many were cut.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from voc.config import Settings
from voc.jobs.ingest import Columns, FileInfo, Row, file_format, inspect_file, read_file
from voc.jobs.output import csv_lines, jsonl_lines, read_results
from voc.jobs.types import ResultRow
from voc.jobs.worker import analyze_rows
from voc.nlp.analyzer import Analyzer
from voc.nlp.pii.metadata import redact_metadata
from voc.nlp.topic_assignment import UnitsByText
from voc.registry.loader import load_analyzer

Chunk = list[tuple[int, Row]]
Engine = Callable[[Iterable[Chunk]], Iterator[list[ResultRow]]]
"""Chunks in input order -> their results in the same order."""


@dataclass(frozen=True)
class Summary:
    rows: int
    analysed: int
    failed: int
    resumed_from: int
    file: FileInfo
    """What inspecting the input found (encoding warnings), reused to read it again."""


def chunks_of(rows: Iterable[Row], size: int, *, start: int = 0) -> Iterator[Chunk]:
    """(position, row) chunks of `size`, positions counted from `start`."""
    numbered = enumerate(rows, start=start)
    while chunk := list(itertools.islice(numbered, size)):
        yield chunk


def local_engine(
    settings: Settings,
    options: Mapping[str, Any],
    *,
    analyzer: Analyzer | None = None,
    units: UnitsByText | None = None,
) -> Engine:
    """Analyse chunk after chunk in this process (one Analyzer, loaded on first use); `units`
    receives every analysed text's topic units, which the report's topic fit reuses."""

    def run(chunks: Iterable[Chunk]) -> Iterator[list[ResultRow]]:
        loaded = analyzer
        for chunk in chunks:
            if loaded is None:
                loaded = load_analyzer(settings)
            yield analyze_rows(loaded, chunk, options, units=units)

    return run


class _Checkpoint:
    def __init__(self, out: Path) -> None:
        self.path = out.with_name(out.name + ".progress.json")

    def load(self, fingerprint: str) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        state = json.loads(self.path.read_text())
        if state.get("input") != fingerprint:
            raise ValueError(
                f"{self.path} belongs to another input or options; remove it or drop --resume"
            )
        return state

    def save(self, state: dict[str, Any]) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def analyze_file(
    path: Path,
    out: Path,
    *,
    columns: Columns,
    options: Mapping[str, Any],
    settings: Settings,
    engine: Engine | None = None,
    resume: bool = False,
    progress: Callable[[int, int], Any] | None = None,
    info: FileInfo | None = None,
) -> Summary:
    """Analyse every row of `path` into `out` (.jsonl or .csv); see the module docstring.

    `progress(total_rows, already_done)` returns a bar with `update(n)` and `close()`; `info`:
    what `check_input` found, if the caller ran it.
    """
    info = info or check_input(path, out, columns, settings)
    out_format = out.suffix.lower().lstrip(".")
    engine = engine or local_engine(settings, options)
    fingerprint = json.dumps([info.sha256, columns.__dict__, dict(options)], sort_keys=True)
    checkpoint = _Checkpoint(out)
    state = checkpoint.load(fingerprint) if resume else None
    done_rows = state["rows"] if state else 0
    total, cut = _count_rows(path, info, columns, settings)
    limit = settings.limits.max_characters_per_document
    if cut:
        info.warnings.append(
            f"{cut} text(s) longer than {limit:,} characters were analysed on their first "
            f"{limit:,} characters"
        )
    bar = progress(total, done_rows) if progress else None
    analysed = state["analysed"] if state else 0
    failed = state["failed"] if state else 0
    with path.open("rb") as stream, _open_output(out, state) as sink:
        rows = itertools.islice(_rows(stream, info, columns, settings), done_rows, None)
        header = state is None
        for results in engine(chunks_of(rows, settings.job_chunk_size, start=done_rows)):
            text = (
                jsonl_lines(results)
                if out_format == "jsonl"
                else csv_lines(results, options, header=header)
            )
            sink.write("".join(text).encode("utf-8"))
            sink.flush()
            os.fsync(sink.fileno())
            header = False
            done_rows += len(results)
            bad = sum(r.error_code is not None for r in results)
            failed += bad
            analysed += len(results) - bad
            checkpoint.save(
                {
                    "input": fingerprint,
                    "rows": done_rows,
                    "bytes": sink.tell(),
                    "analysed": analysed,
                    "failed": failed,
                }
            )
            if bar is not None:
                bar.update(len(results))
    if bar is not None:
        bar.close()
    checkpoint.clear()
    return Summary(
        rows=done_rows,
        analysed=analysed,
        failed=failed,
        resumed_from=state["rows"] if state else 0,
        file=info,
    )


def analysed_documents(
    path: Path,
    info: FileInfo,
    out: Path,
    *,
    columns: Columns,
    settings: Settings,
    redact: str = "none",
) -> Iterator[dict[str, Any]]:
    """The results in OUT with the text and metadata of their input rows (`info` from the
    run's `Summary.file`), refused rows left out: what `voc analyze --report` and `--export`
    build from, after the run. A result that carries its text as returned (the `pii` feature:
    masked, or None under "drop_text") keeps it, and the metadata is redacted as `redact`
    asks: the report never shows what was redacted."""
    with path.open("rb") as stream:
        rows = _rows(stream, info, columns, settings)
        for row, result in zip(rows, read_results(out), strict=True):
            if row.feedback is not None and "error" not in result:
                feedback = row.feedback
                text = result.get("text", feedback.text)
                metadata = redact_metadata(feedback.metadata, redact)
                yield {**result, "text": text or "", "metadata": metadata}


def check_input(path: Path, out: Path, columns: Columns, settings: Settings) -> FileInfo:
    """What can be checked before any model loads: the input's format, encoding and columns
    (its header or first row), the output's suffix and folder. Raises `IngestError` or
    `ValueError` with what to change."""
    fmt = file_format(str(path))
    if out.suffix.lower() not in (".jsonl", ".csv"):
        raise ValueError(f"output {out} must end in .jsonl or .csv")
    writable_folder(out)
    with path.open("rb") as stream:
        info = inspect_file(stream, fmt)
        next(iter(_rows(stream, info, columns, settings)), None)  # header / first-row checks
    return info


def writable_folder(path: Path) -> None:
    folder = path.parent
    if not folder.is_dir():
        raise ValueError(f"the folder of {path} does not exist; create {folder} first")
    if not os.access(folder, os.W_OK):
        raise ValueError(f"cannot write to {folder}")


def _rows(stream, info: FileInfo, columns: Columns, settings: Settings) -> Iterator[Row]:
    return read_file(stream, info, columns, settings.limits, truncate=True)


def _count_rows(
    path: Path, info: FileInfo, columns: Columns, settings: Settings
) -> tuple[int, int]:
    """Rows in the file and texts over the length limit (one quick pass)."""
    limit = settings.limits.max_characters_per_document
    unlimited = replace(settings.limits, max_characters_per_document=1 << 62)
    rows = total = 0
    with path.open("rb") as stream:
        for row in read_file(stream, info, columns, unlimited):
            rows += 1
            total += row.feedback is not None and len(row.feedback.text) > limit
    return rows, total


def _open_output(out: Path, state: dict[str, Any] | None) -> IO[bytes]:
    if state is None:
        return out.open("wb")
    sink = out.open("r+b")
    sink.truncate(state["bytes"])
    sink.seek(state["bytes"])
    return sink
