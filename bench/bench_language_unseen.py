"""Language identification on text it was not trained on, beside py3langid and lingua.

Leave-one-dataset-out: for each named file, train with the same recipe on every other file of
`voc.nlp.language.TRAINING_FILES` and measure `identify()` on all rows (train and dev) of the
left-out file. With `--handwritten`, the hand-written colloquial sets with the model given by
`--artifact` (default: the committed one): `tests/data/language_colloquial.jsonl`, the tuning
set (thresholds, marker lists and tables were chosen looking at it since language@5ec87ad5),
and `tests/data/language_colloquial_heldout.jsonl`, the held-out set (written before that
tuning, committed alone, never looked at while tuning; `--heldout-looks` says how many times
it has been measured, this run included).
Baselines run on the same rows in the same run: py3langid and lingua, over all their languages
and restricted to en/fr/id/ms.

Run: `PYTHONPATH=$PWD .venv/bin/python bench/bench_language_unseen.py [--lodo FILE ...]
[--handwritten] [--card] [--heldout-looks N] [--before TEXT] [--json OUT]`
(about two minutes per fold on two CPU cores).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from voc import paths
from voc.nlp.datasets import iter_examples
from voc.nlp.language import (
    TRAINING_FILES,
    LanguageIdentifier,
    attach_unseen,
    baseline_predictions,
    fit_language_artifact,
)

TEST_DATA = Path(__file__).resolve().parent.parent / "tests/data"
HANDWRITTEN = {
    "handwritten": TEST_DATA / "language_colloquial.jsonl",
    "heldout": TEST_DATA / "language_colloquial_heldout.jsonl",
}
DEFAULT_LODO = (
    "ms_shopee_my_cililado_reviews.jsonl",
    "id_shopee_app_reviews_gplay.jsonl",
    "en_complaints_social_media.jsonl",
)


def accuracies(gold: Sequence[str], predicted: dict[str, list[str]]) -> dict[str, dict]:
    """system -> {"all": accuracy, "<lang>": accuracy} over the same rows."""
    out = {}
    for system, answers in predicted.items():
        groups: dict[str, list[bool]] = defaultdict(list)
        for g, p in zip(gold, answers, strict=True):
            groups["all"].append(g == p)
            groups[g].append(g == p)
        out[system] = {k: round(sum(v) / len(v), 4) for k, v in sorted(groups.items())}
    return out


def score(identifier: LanguageIdentifier, texts: list[str], gold: list[str]) -> dict[str, dict]:
    found = [lang.code for lang in identifier.identify(texts)]
    return {"n": len(texts), **accuracies(gold, {"voc": found, **baseline_predictions(texts)})}


def lodo_fold(data_dir: Path, held_out: str, *, seed: int) -> dict[str, dict]:
    """Train without `held_out`, score every row of it."""
    rest = [f for f in TRAINING_FILES if f != held_out]
    with tempfile.TemporaryDirectory() as tmp:
        fit_language_artifact(data_dir, Path(tmp), seed=seed, files=rest)
        identifier = LanguageIdentifier.load(Path(tmp))
        rows = list(iter_examples(data_dir / held_out))
        return score(identifier, [e.text for e in rows], [e.lang for e in rows])


def handwritten(identifier: LanguageIdentifier, path: Path) -> dict[str, dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return score(identifier, [r["text"] for r in rows], [r["lang"] for r in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lodo", nargs="*", default=list(DEFAULT_LODO), metavar="FILE")
    parser.add_argument("--artifact", type=Path, default=paths.ARTIFACTS_DIR / "language")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--handwritten",
        action="store_true",
        help="also score the hand-written colloquial sets (tuning and held-out)",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--card",
        action="store_true",
        help="add the results to the artifact's config.json and CARD.md (`--artifact`)",
    )
    parser.add_argument(
        "--heldout-looks",
        type=int,
        default=1,
        help="times the held-out hand-written set has been measured, this run included",
    )
    parser.add_argument(
        "--before", help="one sentence on the previous version's scores, for the card"
    )
    args = parser.parse_args()
    data_dir = paths.shared_data_dir()
    results: dict[str, dict] = {"lodo": {}}
    for name in args.lodo:
        results["lodo"][name] = lodo_fold(data_dir, name, seed=args.seed)
        print(name, json.dumps(results["lodo"][name]), flush=True)
    if args.handwritten:
        identifier = LanguageIdentifier.load(args.artifact)
        for key, path in HANDWRITTEN.items():
            results[key] = {"version": identifier.version, **handwritten(identifier, path)}
            print(key, json.dumps(results[key]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    if args.card:
        command = (
            "PYTHONPATH=$PWD .venv/bin/python bench/bench_language_unseen.py --handwritten --card"
        )
        unseen = {**results, "heldout_looks": args.heldout_looks, "command": command}
        if args.before:
            unseen["before"] = args.before
        attach_unseen(args.artifact, unseen)


if __name__ == "__main__":
    main()
