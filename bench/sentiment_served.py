"""Sentiment as served: the `Analyzer`'s document labels on dev splits, `mixed` counted as
neutral (no gold label is mixed), with how many documents it called mixed.

`voc eval sentiment` scores the head's document probabilities (argmax, no `mixed` rule); this
scores what `/v1/analyze` answers, so it sees the segmenter and the `mixed` rule too.
Run: `.venv/bin/python bench/sentiment_served.py indonlu_smsa.jsonl ...` (file names in
../shared/data; about 30 s per 1,000 rows on 2 cores).
"""

from __future__ import annotations

import argparse

from sklearn.metrics import f1_score

from voc import paths
from voc.config import Settings
from voc.nlp.datasets import iter_examples
from voc.nlp.train import sentiment_label
from voc.nlp.types import Feedback
from voc.registry.loader import load_analyzer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    analyzer = load_analyzer(Settings.from_env())
    print(f"{analyzer.sentiment.version}: file, dev rows, macro-F1, called mixed")
    for name in args.files:
        rows = [
            e
            for e in iter_examples(paths.shared_data_dir() / name)
            if e.split == "dev" and sentiment_label(e) is not None
        ]
        found = analyzer.analyze(
            [Feedback(str(i), e.text, e.lang or "auto") for i, e in enumerate(rows)],
            features=("sentiment",),
        )
        labels = [r.sentiment.label for r in found]
        predicted = ["neutral" if label == "mixed" else label for label in labels]
        gold = [sentiment_label(e) for e in rows]
        score = f1_score(gold, predicted, labels=sorted(set(gold)), average="macro")
        print(f"  {name:42s} {len(rows):5d} {score:.4f} {labels.count('mixed'):4d}")


if __name__ == "__main__":
    main()
