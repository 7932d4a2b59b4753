"""Personal-data detection on the hand-written sets (tests/data/pii): precision and recall per
type, the share of clean comments touched, and detection speed.

Targets (issue 14): recall >= 0.95 for EMAIL, PHONE, CARD, IBAN, NATIONAL_ID; >= 0.85 for NAME
and ADDRESS; precision >= 0.90 overall; <= 3% of the clean comments touched.
Run: `.venv/bin/python bench/bench_pii.py [--heldout | --heldout2]` (prints JSON; `--misses`
lists the errors).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from pii_samples import clean, heldout, heldout2, personal

from voc.nlp.pii import PII_TYPES, detect
from voc.nlp.pii.scoring import SpanScores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="print every miss and false alarm")
    parser.add_argument(
        "--heldout", action="store_true", help="measure the held-out set instead of the main one"
    )
    parser.add_argument(
        "--heldout2",
        action="store_true",
        help="measure the second held-out set (names), written before the name rules' rework",
    )
    args = parser.parse_args()
    samples = heldout2() if args.heldout2 else heldout() if args.heldout else personal()
    negatives = clean()
    scores = SpanScores()
    for sample in samples:
        found = [(s.start, s.end, s.type) for s in detect(sample.text)]
        scores.add(sample.spans, found)
        if args.misses:
            for span in sorted(set(found) ^ set(sample.spans)):
                side = "extra" if span in found else "missed"
                print(f"{side:6} {span[2]:12} {sample.text[span[0] : span[1]]!r}  <- {sample.text}")
    touched = [s.text for s in negatives if detect(s.text)]
    if args.misses:
        for text in touched:
            print("clean touched:", [(text[s.start : s.end], s.type) for s in detect(text)], text)
    texts = [s.text for s in samples + negatives] * 20
    started = time.perf_counter()
    for text in texts:
        detect(text)
    per_text_ms = (time.perf_counter() - started) / len(texts) * 1000
    print(
        json.dumps(
            {
                "comments": len(samples),
                "spans": sum(scores.gold.values()),
                "clean_comments": len(negatives),
                "per_type": scores.table(PII_TYPES),
                "precision": round(scores.precision(), 3),
                "recall": round(scores.recall(), 3),
                "clean_touched": round(len(touched) / len(negatives), 3),
                "detect_ms_per_comment": round(per_text_ms, 3),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
