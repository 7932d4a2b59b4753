"""How the encoder cuts its input into batches: least-cost cuts against filling each batch.

Baseline, measured in the same run on the same texts: the rule before (sorted by length, each
batch filled up to 64 rows and 8,192 padded tokens). voc's rule (`Encoder._batches`): cuts of
least padded size plus a fixed cost per batch, within 64 rows and 2,048 tokens. Both are timed
alternately, on whole texts (`make bench`'s (b)) and on the clauses the `Analyzer` encodes in
chunks of 256 documents ((c)), in wall-clock and CPU seconds (CPU time moves less with the
machine's load).

Run: `.venv/bin/python bench/bench_encoder_batching.py [--texts 2000 --rounds 3]`.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from bench_foundation import feedback_texts

from voc import paths
from voc.config import Settings
from voc.nlp.encoder import Encoder
from voc.nlp.vectors import encoded_units
from voc.registry.loader import load_analyzer

CHUNK = 256
"""Documents per `Analyzer.analyze` call, as in bench_foundation's (c)."""


def fill_up_batches(lengths: list[int], max_batch: int = 64, budget: int = 8192) -> list[list[int]]:
    """The former rule: sorted by length, each batch filled up to the limits."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    batches, current = [], []
    for index in order:
        if current and (len(current) == max_batch or (len(current) + 1) * lengths[index] > budget):
            batches.append(current)
            current = []
        current.append(index)
    batches.append(current)
    return batches


def clause_chunks(texts: list[str]) -> list[list[str]]:
    """What the Analyzer encodes per call: the distinct clauses of 256 documents."""
    analyzer = load_analyzer(Settings.from_env())
    languages = [lang.code for lang in analyzer.language_identifier.identify(texts)]
    sentences = analyzer.segmenter.segment_batch(texts, languages)
    chunks = []
    for i in range(0, len(texts), CHUNK):
        pairs = zip(texts[i : i + CHUNK], sentences[i : i + CHUNK], strict=True)
        chunks.append(list(dict.fromkeys(u for t, s in pairs for u in encoded_units(t, s))))
    return chunks


def timed(encoder: Encoder, calls: list[list[str]]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for call in calls:
        encoder.embed(call)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    texts = feedback_texts(args.texts)
    workloads = {"whole_texts": [texts], "clauses": clause_chunks(texts)}
    least_cost = Encoder(paths.base_model_dir())
    fill_up = Encoder(paths.base_model_dir())
    fill_up._batches = fill_up_batches  # the baseline rule, on an encoder of its own
    fill_up.embed(texts[:32])
    least_cost.embed(texts[:32])
    times = {(w, r): [] for w in workloads for r in ("fill_up", "least_cost")}
    for _ in range(args.rounds):
        for workload, calls in workloads.items():
            times[workload, "fill_up"].append(timed(fill_up, calls))
            times[workload, "least_cost"].append(timed(least_cost, calls))
    result = {"texts": len(texts), "rounds": args.rounds}
    for workload in workloads:
        base = np.median(times[workload, "fill_up"], axis=0)
        new = np.median(times[workload, "least_cost"], axis=0)
        result[workload] = {
            "fill_up_wall_s": round(base[0], 2),
            "least_cost_wall_s": round(new[0], 2),
            "speedup_wall": round(base[0] / new[0], 2),
            "speedup_cpu": round(base[1] / new[1], 2),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
