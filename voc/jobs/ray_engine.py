"""The Ray Data engine: the same chunks through the same `analyze_rows`, in `map_batches`.

For corpora too large for one process: chunks are spooled to a JSONL file (one chunk per
line, streamed, so the driver never holds the corpus), read by `ray.data.read_text`, and
analysed by a pool of actors that each load the Analyzer once. Each Ray batch is exactly one
chunk, so every document meets the encoder in the same batch as with the in-process engine
and the answers are identical. Order is preserved. Ray runs locally unless RAY_ADDRESS
points at a cluster.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from voc import paths
from voc.config import Settings
from voc.jobs.ingest import Row
from voc.jobs.offline import Chunk, Engine
from voc.jobs.types import ResultRow
from voc.jobs.worker import analyze_rows
from voc.nlp.batch import feedback_from_json, feedback_to_json
from voc.nlp.validation import DocumentError
from voc.registry.loader import load_analyzer


def _row_to_json(position: int, row: Row) -> list[Any]:
    if row.feedback is not None:
        return [position, feedback_to_json(row.feedback), None]
    error = row.error
    return [position, None, [error.id, error.code, error.message] if error else None]


def _row_from_json(item: list[Any]) -> tuple[int, Row]:
    position, document, error = item
    if document is not None:
        return position, Row(feedback=feedback_from_json(document))
    return position, Row(error=DocumentError(*error))


class ChunkAnalyzer:
    """A Ray actor: loads the Analyzer once, then analyses one chunk per call."""

    def __init__(self, settings: Settings, options: Mapping[str, Any]) -> None:
        self.analyzer = load_analyzer(settings)
        self.options = dict(options)

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        out = []
        for line in batch["text"]:
            rows = [_row_from_json(item) for item in json.loads(line)]
            results = analyze_rows(self.analyzer, rows, self.options)
            out.append(json.dumps([asdict(r) for r in results], ensure_ascii=False))
        return {"results": out}


def ray_engine(settings: Settings, options: Mapping[str, Any], *, actors: int = 1) -> Engine:
    def run(chunks: Iterable[Chunk]) -> Iterator[list[ResultRow]]:
        import ray

        spool_dir = paths.var_dir() / "tmp"
        spool_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=spool_dir) as tmp:
            spool = Path(tmp) / "chunks.jsonl"
            with spool.open("w", encoding="utf-8") as sink:
                written = 0
                for chunk in chunks:
                    rows = [_row_to_json(position, row) for position, row in chunk]
                    sink.write(json.dumps(rows, ensure_ascii=False) + "\n")
                    written += 1
            if not written:
                return
            started_here = not ray.is_initialized()
            if started_here:
                ray.init(
                    num_cpus=actors + 1,  # one per actor, one for reading the spooled chunks
                    include_dashboard=False,
                    log_to_driver=False,
                    configure_logging=False,
                )
            try:
                context = ray.data.DataContext.get_current()
                context.execution_options.preserve_order = True
                context.enable_progress_bars = False
                dataset = ray.data.read_text(str(spool)).map_batches(
                    ChunkAnalyzer,
                    fn_constructor_kwargs={"settings": settings, "options": dict(options)},
                    batch_size=1,
                    concurrency=actors,
                    num_cpus=1,
                )
                for row in dataset.iter_rows():
                    yield [ResultRow(**r) for r in json.loads(row["results"])]
            finally:
                if started_here:
                    ray.shutdown()

    return run
