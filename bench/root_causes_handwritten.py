"""Root causes on the hand-written sets in tests/data: neutral factual statements (a cause on
one is a false alarm) and two-cause complaints (both causes expected), with the shipped
default taxonomy, in en/fr/id/ms.

Targets (issue 10): a cause on <= 5% of neutral statements; multi-cause clauses get both.
Run: `.venv/bin/python bench/root_causes_handwritten.py` (the four sets below, about 20 s).

2026-12-06, default taxonomy: before the complaint gate (that morning's main: its root-cause tagger,
sentiment@f2c1b062) 34/107 = 31.8% of neutral statements got a cause and 8/24 two-cause
complaints got both; with the gate (`SentimentHead.complaints`, sentiment@3b4c3f68) 10/107 =
9.3% (target 5%: not met), both causes 8/24, at least one 17/24. The sets were written before
any tuning, but the gate's form was then chosen between two variants on them (9.3% / 17 of
24 against 8.4% / 16 of 24), so they are no longer unseen (the head retrained on the fused
encoder, sentiment@3ff3a617, took the neutral rate to 14/107 with the same gate).

Held-out sets (`*_heldout.jsonl`: 128 neutral statements, 28 two-cause complaints, written and
committed before the gate was re-tuned, measured once): the gate re-chosen on ../shared/data
(`bench/complaint_gate.py`; complaint_threshold 0.45 -> 0.5, clause_complaint_threshold 0.7,
no flat clause of a calm document), sentiment@3ff3a617, on main 04fca36 (before: the tree of
main with `PYTHONPATH` pointing at it) and on this branch (after):

| set | before | after |
|---|---|---|
| neutral held-out, with a cause | 8/128 = 6.2% | 7/128 = 5.5% |
| two-cause held-out: both / at least one | 8/28 / 22 | 8/28 / 21 |
| neutral (old set), with a cause | 15/107 = 14.0% | 7/107 = 6.5% |
| two-cause (old set): both / at least one | 8/24 / 19 | 8/24 / 19 |

Held-out per language (of 32 each), before -> after: en 2 -> 2, fr 3 -> 2, id 1 -> 1,
ms 2 -> 2. Target 5%: not met (7 of 128; 6 would do). Every remaining false alarm is a statement the
sentiment head itself calls negative (P(negative) 0.51-0.80: "The courier came around 3pm.",
"J'ai payé en trois fois.", "Tren bertolak pukul 9 pagi."), which no gate on its probabilities
tells from a complaint: the next step is the head (neutral short statements, little French
and almost no Malay neutral data in training), not the gate.

2026-12-07, clauses cut at "and" / "et" / "dan" and commas between two statements
(`voc.nlp.segment.ADDITIVE`; docs/models.md, "Two complaints in one sentence"), same head and
gate, before (main 3c8791d) -> after: two-cause held-out both 9/28 -> 22/28 (at least one 23
-> 26), old set 8/24 -> 19/24; neutral held-out 5/128 -> 6/128 (4.7%), old set 6/107 ->
6/107.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from voc.config import Settings
from voc.nlp.analyzer import Analyzer
from voc.nlp.types import Feedback
from voc.registry.loader import load_analyzer

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def read(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines()]


def causes(analyzer: Analyzer, rows: list[dict]) -> list[list[str]]:
    feedback = [Feedback(str(i), r["text"]) for i, r in enumerate(rows)]
    results = analyzer.analyze(feedback, features=("language", "sentiment", "root_causes"))
    return [[c.id for c in r.root_causes] for r in results]


def neutral_rate(analyzer: Analyzer, name: str) -> None:
    rows = read(name)
    flagged = defaultdict(list)
    for row, found in zip(rows, causes(analyzer, rows), strict=True):
        flagged[row["lang"]].append(bool(found))
    total = sum(sum(v) for v in flagged.values())
    print(f"{name}: neutral statements with a cause {total}/{len(rows)} = {total / len(rows):.3f}")
    for lang, hits in sorted(flagged.items()):
        print(f"  {lang}: {sum(hits)}/{len(hits)}")


def both_causes(analyzer: Analyzer, name: str) -> None:
    rows = read(name)
    both = one = 0
    for row, found in zip(rows, causes(analyzer, rows), strict=True):
        hits = len(set(row["causes"]) & set(found))
        both += hits == 2
        one += hits >= 1
    print(f"{name}: two-cause complaints, both causes {both}/{len(rows)}, at least one {one}")


def main() -> None:
    analyzer = load_analyzer(Settings.from_env())
    for name in ("root_causes_neutral.jsonl", "root_causes_neutral_heldout.jsonl"):
        neutral_rate(analyzer, name)
    for name in ("root_causes_multi.jsonl", "root_causes_multi_heldout.jsonl"):
        both_causes(analyzer, name)


if __name__ == "__main__":
    main()
