"""Language identification and segmentation against another checkout of voc: same outputs, and
the speed ratio measured in the same run.

Each checkout runs in its own process (its own `voc` on PYTHONPATH), alternately, for several
rounds, on the same texts: the ratio of their times holds on a busy machine where absolute
times do not. The outputs are compared too, on real rows of every labelled file plus the
hand-written sets: the same language code and supported flag, confidence within 1e-6, the
same sentences and clauses.

Run (the baseline a worktree of the commit to compare with):
`git worktree add /tmp/voc-base <commit>` then
`.venv/bin/python bench/bench_language_speed.py --baseline /tmp/voc-base`.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CONFIDENCE_TOLERANCE = 1e-6


def check_texts(per_file: int, seed: int = 0) -> list[str]:
    """`per_file` random rows of every labelled file, the hand-written sets, and edge cases."""
    from voc import paths
    from voc.nlp.datasets import iter_examples

    rng = np.random.default_rng(seed)
    texts = []
    for path in sorted(paths.shared_data_dir().glob("*.jsonl")):
        rows = [e.text for e in iter_examples(path)]
        texts += [rows[i] for i in rng.choice(len(rows), min(per_file, len(rows)), replace=False)]
    for path in sorted((REPO / "tests" / "data").glob("language_colloquial*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text().splitlines() if line]
    return [*texts, "", "   ", "😍😍", "12345", "https://t.co/x @handle", "Ça va?! TRÈS BIEN!!!"]


def work(args: argparse.Namespace) -> None:
    """In the checkout's own process: outputs (--dump) or seconds per pass (--time)."""
    sys.path.insert(0, str(HERE))
    from bench_foundation import feedback_texts

    from voc import paths
    from voc.nlp.language import LanguageIdentifier
    from voc.nlp.segment import Segmenter

    identifier = LanguageIdentifier.load(paths.ARTIFACTS_DIR / "language")
    segmenter = Segmenter()
    if args.dump:
        texts = check_texts(args.per_file)
        found = identifier.identify(texts)
        codes = [lang.code for lang in found]
        segments = segmenter.segment_batch(texts, codes)
        Path(args.dump).write_bytes(pickle.dumps((found, segments)))
        return
    texts = feedback_texts(args.texts)
    codes = [lang.code for lang in identifier.identify(texts)]
    segmenter.segment_batch(texts, codes)
    chunks = range(0, len(texts), 256)  # the Analyzer's batches in bench_foundation
    timings = {}
    for name, run in (
        ("identify", lambda: identifier.identify(texts)),
        ("identify_by_256", lambda: [identifier.identify(texts[i : i + 256]) for i in chunks]),
        ("segment", lambda: segmenter.segment_batch(texts, codes)),
    ):
        best = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - started)
        timings[name] = best
    print(json.dumps(timings))


def run_worker(tree: Path, *extra: str) -> str:
    """This script's worker mode with `tree`'s voc imported."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", *extra]
    return subprocess.run(
        command, env=env, cwd=tree, check=True, capture_output=True, text=True
    ).stdout


def compare(baseline: Path, per_file: int) -> dict[str, int | float]:
    """Both checkouts' outputs on the check texts; raises on the first difference."""
    with tempfile.TemporaryDirectory() as tmp:
        outputs = []
        for tree in (baseline, REPO):
            dump = Path(tmp) / f"{len(outputs)}.pkl"
            run_worker(tree, "--dump", str(dump), "--per-file", str(per_file))
            outputs.append(pickle.loads(dump.read_bytes()))
    (old_found, old_segments), (new_found, new_segments) = outputs
    worst = 0.0
    for i, (old, new) in enumerate(zip(old_found, new_found, strict=True)):
        if (old.code, old.supported) != (new.code, new.supported):
            raise AssertionError(f"text {i}: {old} != {new}")
        worst = max(worst, abs(old.confidence - new.confidence))
    if worst > CONFIDENCE_TOLERANCE:
        raise AssertionError(f"confidence differs by {worst}")
    for i, (old, new) in enumerate(zip(old_segments, new_segments, strict=True)):
        if old != new:
            raise AssertionError(f"text {i}: segments differ")
    return {"texts": len(old_found), "max_confidence_difference": worst}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", type=Path, help="checkout to compare with")
    parser.add_argument("--texts", type=int, default=2000, help="texts timed per pass")
    parser.add_argument("--per-file", type=int, default=300, help="rows per file compared")
    parser.add_argument("--rounds", type=int, default=3, help="alternated process pairs")
    parser.add_argument("--repeat", type=int, default=3, help="passes per process (best kept)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dump", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        work(args)
        return
    if args.baseline is None:
        parser.error("--baseline is required")
    equality = compare(args.baseline.resolve(), args.per_file)
    times: dict[str, dict[str, list[float]]] = {"old": {}, "new": {}}
    timing = ("--texts", str(args.texts), "--repeat", str(args.repeat))
    for _ in range(args.rounds):
        for label, tree in (("old", args.baseline.resolve()), ("new", REPO)):
            for name, seconds in json.loads(run_worker(tree, *timing)).items():
                times[label].setdefault(name, []).append(seconds)
    result = {"equal_outputs": equality, "rounds": args.rounds}
    for name in times["old"]:
        old, new = statistics.median(times["old"][name]), statistics.median(times["new"][name])
        result[name] = {
            "old_s": round(old, 3),
            "new_s": round(new, 3),
            "old_over_new": round(old / new, 2),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
