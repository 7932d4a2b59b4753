"""What root causes, touchpoints, expectation gaps and churn risk add to an analysis.

Measures `Analyzer.analyze` (what `/v1/analyze` runs behind the batcher) on the same real
texts, in the same run, in batches of 100 documents (the online request limit):
(a) language + sentiment alone; (b) the same plus root_causes, touchpoints, expectation_gaps
and churn_risk. The two paths alternate over several rounds so that background load hits
both alike; the best round of each counts.

Target: b costs at most 30% more time than a (ratio a/b >= 0.77).
Run: `.venv/bin/python bench/bench_root_causes.py --texts 1000`.
"""

from __future__ import annotations

import argparse
import time

from bench_foundation import feedback_texts

from voc.config import Settings
from voc.nlp.analyzer import Analyzer
from voc.nlp.types import Feedback
from voc.registry.loader import load_analyzer

BASE = ("language", "sentiment")
FULL = (*BASE, "root_causes", "touchpoints", "expectation_gaps", "churn_risk")
BATCH = 100


def seconds(analyzer: Analyzer, feedback: list[Feedback], features: tuple[str, ...]) -> float:
    started = time.perf_counter()
    for i in range(0, len(feedback), BATCH):
        analyzer.analyze(feedback[i : i + BATCH], features=features)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    texts = feedback_texts(args.texts)
    feedback = [Feedback(str(i), t) for i, t in enumerate(texts)]
    analyzer = load_analyzer(Settings.from_env())
    seconds(analyzer, feedback[:BATCH], FULL)  # warm every component once
    base, full = [], []
    for _ in range(args.rounds):
        base.append(seconds(analyzer, feedback, BASE))
        full.append(seconds(analyzer, feedback, FULL))
    a, b = min(base), min(full)
    cost = b / a - 1
    print(f"texts: {len(texts)}, batches of {BATCH}, best of {args.rounds} rounds")
    print(f"(a) language + sentiment: {len(texts) / a:.1f} texts/s")
    print(f"(b) + {', '.join(FULL[len(BASE) :])}: {len(texts) / b:.1f} texts/s")
    print(f"added cost: {cost:+.1%} (target <= +30%: {'met' if cost <= 0.30 else 'NOT met'})")


if __name__ == "__main__":
    main()
