"""What `--report` adds to `voc analyze FILE`: wall time with and without it, interleaved.

Target (issue 13): `voc analyze FILE --report` takes at most 1.3x `voc analyze FILE` on
5,000 comments; the report must not encode the comments a second time. Each run is a fresh
`voc analyze` process on an empty runtime directory (no active topic model, so the report
fits one). `--tree` names source trees to compare (a checkout from before a change, say):
their runs alternate, so a busy machine slows every variant alike; medians of wall time and
of CPU time (user + system, steadier than wall time on a shared machine) are reported.

Run: `.venv/bin/python bench/bench_report.py --texts 1000 --repeats 3 --tree before=/tmp/old
--tree after=.` (texts: an equal share from four datasets of `../shared/data`, en/fr/id/ms).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from voc import paths

SOURCES = (
    "en_complaints_social_media.jsonl",
    "fr_tripadvisor_restaurants_absa.jsonl",
    "id_shopee_app_reviews_gplay.jsonl",
    "ms_shopee_my_cililado_reviews.jsonl",
)


def mixed_comments(n: int) -> list[dict]:
    """`n` comments, an equal share from each source (the first rows of each file)."""
    per_source, rows = -(-n // len(SOURCES)), []
    for name in SOURCES:
        path = paths.shared_data_dir() / name
        if not path.is_file():
            sys.exit(f"{path} not found (set VOC_DATA_DIR)")
        with path.open(encoding="utf-8") as fh:
            taken = 0
            for line in fh:
                row = json.loads(line)
                if row.get("text"):
                    rows.append({"id": row["id"], "text": row["text"]})
                    taken += 1
                if taken == per_source:
                    break
    return rows[:n]


def timed_run(tree: Path, data: Path, work: Path, report: bool) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one `voc analyze` process."""
    var = Path(tempfile.mkdtemp(dir=work))
    command = [sys.executable, "-m", "voc.cli", "analyze", str(data), "-o", str(var / "out.jsonl")]
    if report:
        command += ["--report", str(var / "report.html")]
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "VOC_VAR_DIR": str(var),
        "VOC_BASE_MODEL_DIR": str(paths.base_model_dir().resolve()),
    }
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return time.perf_counter() - started, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tree", action="append", default=[], help="NAME=PATH (default: .)")
    args = parser.parse_args()
    trees = dict(t.split("=", 1) for t in args.tree) or {"current": "."}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        data = work / "comments.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in mixed_comments(args.texts)))
        times: dict[tuple[str, bool], list[tuple[float, float]]] = {}
        for repeat in range(args.repeats):
            for name, tree in trees.items():
                for report in (False, True):
                    wall, cpu = timed_run(Path(tree).resolve(), data, work, report)
                    times.setdefault((name, report), []).append((wall, cpu))
                    print(
                        f"run {repeat} {name} report={report}: {wall:.1f} s wall, {cpu:.1f} s cpu",
                        flush=True,
                    )
    summary = {}
    for name in trees:
        summary[name] = {}
        for i, clock in enumerate(("wall", "cpu")):
            alone = statistics.median(t[i] for t in times[(name, False)])
            with_report = statistics.median(t[i] for t in times[(name, True)])
            summary[name][clock] = {
                "analyze_s": round(alone, 1),
                "analyze_report_s": round(with_report, 1),
                "ratio": round(with_report / alone, 2),
            }
    print(json.dumps({"texts": args.texts, "repeats": args.repeats, **summary}, indent=1))


if __name__ == "__main__":
    main()
