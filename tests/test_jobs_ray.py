"""The Ray Data engine gives byte-identical results to the in-process engine (Ray local mode)."""

from __future__ import annotations

import csv
from dataclasses import replace

import pytest

from voc.jobs.ingest import Columns
from voc.jobs.offline import analyze_file, local_engine

TEXTS = [
    "The parcel arrived two weeks late and nobody answered my emails.",
    "Super expérience, le personnel était adorable. Mais le prix est élevé.",
    "Pesanan dijanjikan 3 hari, tapi baru sampai 9 hari.",
    "Perkhidmatan sangat baik, kakitangan mesra dan penghantaran pantas.",
    "Great app, but it crashes when I pay.",
]


@pytest.mark.slow
def test_ray_engine_matches_the_local_engine(tmp_path, settings, analyzer):
    pytest.importorskip("ray")
    from voc.jobs.ray_engine import ray_engine

    source = tmp_path / "in.csv"
    with source.open("w", newline="", encoding="utf-8") as sink:
        writer = csv.writer(sink)
        writer.writerow(["id", "text"])
        for i in range(45):
            writer.writerow([f"r{i}", "" if i == 7 else f"{TEXTS[i % 5]} ({i})"])
    small = replace(settings, job_chunk_size=10)
    options = {"features": ["language", "sentiment", "sentences"]}
    columns = Columns()
    local_out, ray_out = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    analyze_file(
        source,
        local_out,
        columns=columns,
        options=options,
        settings=small,
        engine=local_engine(small, options, analyzer=analyzer),
    )
    summary = analyze_file(
        source,
        ray_out,
        columns=columns,
        options=options,
        settings=small,
        engine=ray_engine(small, options, actors=1),
    )
    assert (summary.rows, summary.failed) == (45, 1)
    assert ray_out.read_bytes() == local_out.read_bytes()
