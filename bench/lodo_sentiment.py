"""Sentiment accuracy on data the model did not train on: leave-one-dataset-out, beside a
same-run baseline (logistic regression on whole-text vectors), plus the in-domain dev splits.

Run: `.venv/bin/python bench/lodo_sentiment.py` (embeddings are cached under var/cache, so a
second run with other head options takes a few minutes). Prints a markdown table; `--json`
writes the whole report. `voc.nlp.lodo` documents the protocol.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from voc import paths
from voc.nlp.encoder import Encoder
from voc.nlp.lodo import load_sentiment_rows, lodo_markdown, sentiment_lodo
from voc.nlp.train import WEIGHTINGS, SentimentTrainingArgs, embed_cached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--max-train-per-file",
        type=int,
        default=2500,
        help="training rows per file (a stable hash sample; default 2500; 0 = every row)",
    )
    parser.add_argument("--weighting", choices=WEIGHTINGS, default="sqrt")
    parser.add_argument("--json", type=Path, help="write the whole report here")
    options = parser.parse_args()
    encoder = Encoder(paths.base_model_dir(), backend="onnx-int8")
    rows = load_sentiment_rows(
        paths.shared_data_dir(),
        lambda texts: embed_cached(encoder, texts),
        max_train_per_file=options.max_train_per_file or None,
    )
    report = sentiment_lodo(rows, SentimentTrainingArgs(weighting=options.weighting))
    print(f"encoder {encoder.version} ({encoder.backend}), {len(rows.examples)} rows")
    print(lodo_markdown(report))
    if options.json:
        options.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
