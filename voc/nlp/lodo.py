"""Leave-one-dataset-out (LODO) evaluation of sentiment, beside a same-run baseline.

In-domain dev splits share their source with the training rows and overstate what a model
does on feedback from a source it never saw. Here every fold leaves out one dataset (or a
family of datasets that share sentences, `datasets.FOLDS`), trains on all the others, and
scores the left-out rows. The baseline is deliberately simple and computed in the same run
on the same rows: a logistic regression on whole-text encoder vectors, trained on the rows a
person labelled (no star-derived labels), C picked on the training files' dev splits.

voc is scored as it serves: the head reads the analyzer's document vector (`voc.nlp.vectors`:
the baseline's whole-text vector for a text of up to 500 characters, clauses pooled for a
longer one), and a document is `mixed` when one clause is clearly positive and another
clearly negative (counted as neutral here, as the three-class gold labels have no `mixed`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voc.nlp.cards import markdown_table
from voc.nlp.datasets import FOLDS, SENTIMENT_SOURCES, Example, iter_examples, sample_rows
from voc.nlp.evaluation import expected_calibration_error
from voc.nlp.segment import Segmenter
from voc.nlp.sentiment import SentimentHead, document_sentiment
from voc.nlp.train import (
    SentimentTrainingArgs,
    fit_sentiment_head,
    sentiment_label,
)
from voc.nlp.types import SENTIMENT_LABELS
from voc.nlp.vectors import contrast_unit_vectors, embed_documents

Embed = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class SentimentRows:
    """Every sentiment row of the evaluated files with the vectors both systems read."""

    examples: list[Example]
    files: list[str]
    """The data file each row comes from (what folds name)."""
    labels: np.ndarray
    """Index into `SENTIMENT_LABELS` (stars mapped), per row."""
    human: np.ndarray
    """True where a person gave the label (the baseline trains on these only)."""
    pooled: np.ndarray
    """The document vectors voc serves (`voc.nlp.vectors.embed_documents`)."""
    unit_vectors: list[np.ndarray]
    """Per row, its contrast units' vectors, which the `mixed` rule compares
    (`voc.nlp.vectors.contrast_unit_vectors`)."""
    whole: np.ndarray
    """Whole-text vectors (the baseline's)."""

    def where(self, files: set[str], split: str | None = None) -> np.ndarray:
        return np.array(
            [
                i
                for i, e in enumerate(self.examples)
                if self.files[i] in files and (split is None or e.split == split)
            ],
            dtype=int,
        )


def load_sentiment_rows(
    data_dir: Path,
    embed: Embed,
    *,
    files: tuple[str, ...] = SENTIMENT_SOURCES,
    max_train_per_file: int | None = None,
) -> SentimentRows:
    """Read the files, segment every text and embed clauses and whole texts (cached by
    `embed`, so the clause and whole-text passes share the one-clause texts)."""
    examples, names = [], []
    for name in files:
        rows = [e for e in iter_examples(data_dir / name) if sentiment_label(e) is not None]
        # the same training sample as `voc train sentiment --max-train-per-file`, every dev row
        examples += sample_rows([e for e in rows if e.split == "train"], max_train_per_file)
        examples += [e for e in rows if e.split == "dev"]
        names += [name] * (len(examples) - len(names))
    texts = [e.text for e in examples]
    sentences = Segmenter().segment_batch(texts, [e.lang for e in examples])
    vectors = embed_documents(embed, texts, sentences)
    return SentimentRows(
        examples=examples,
        files=names,
        labels=np.array([SENTIMENT_LABELS.index(sentiment_label(e)) for e in examples]),
        human=np.array([e.sentiment is not None for e in examples]),
        pooled=np.stack([v.document for v in vectors]),
        unit_vectors=[
            contrast_unit_vectors(doc, v) for doc, v in zip(sentences, vectors, strict=True)
        ],
        whole=embed(texts),
    )


def _macro_f1(gold: np.ndarray, predicted: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    present = sorted(set(gold.tolist()))
    return round(float(f1_score(gold, predicted, labels=present, average="macro")), 4)


def baseline_classifier(rows: SentimentRows, train: np.ndarray, dev: np.ndarray):
    """Logistic regression on whole-text vectors of the human-labelled training rows, C picked
    by macro-F1 on the human-labelled dev rows of the same files."""
    from sklearn.linear_model import LogisticRegression

    train, dev = train[rows.human[train]], dev[rows.human[dev]]
    best = None
    for c in (0.5, 2.0, 8.0, 32.0):
        model = LogisticRegression(C=c, max_iter=3000).fit(rows.whole[train], rows.labels[train])
        score = _macro_f1(rows.labels[dev], model.predict(rows.whole[dev]))
        if best is None or score > best[0]:
            best = (score, model)
    model = best[1]

    def predict_proba(index: np.ndarray) -> np.ndarray:
        proba = np.zeros((len(index), len(SENTIMENT_LABELS)))
        proba[:, model.classes_] = model.predict_proba(rows.whole[index])
        return proba

    return predict_proba


def voc_head(
    rows: SentimentRows, train: np.ndarray, dev: np.ndarray, args: SentimentTrainingArgs
) -> SentimentHead:
    """The head `voc train sentiment` fits, on these training rows (C and temperature on dev)."""
    head, _ = fit_sentiment_head(rows.pooled, rows.labels, rows.examples, train, dev, args)
    return head


def voc_labels(
    rows: SentimentRows, head: SentimentHead, index: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Document labels as served (mixed -> neutral) and the document probabilities."""
    proba = head.predict_proba(rows.pooled[index])
    labels = []
    for k, i in enumerate(index):
        units = rows.unit_vectors[i]
        unit_proba = head.predict_proba(units) if len(units) > 1 else units[:0]
        label = document_sentiment(proba[k], unit_proba, mixed_threshold=head.mixed_threshold).label
        labels.append(SENTIMENT_LABELS.index("neutral" if label == "mixed" else label))
    return np.array(labels), proba


def _score(rows: SentimentRows, index: np.ndarray, predicted: np.ndarray, proba: np.ndarray):
    gold = rows.labels[index]
    return {
        "macro_f1": _macro_f1(gold, predicted),
        "ece": round(expected_calibration_error(proba, gold), 4),
    }


def sentiment_lodo(
    rows: SentimentRows,
    args: SentimentTrainingArgs,
    *,
    folds: tuple[tuple[str, ...], ...] = FOLDS,
) -> dict[str, Any]:
    """Every fold whose files are among the rows, then the in-domain dev splits.

    Returns {"folds": [{held_out, n, voc, baseline}...], "dev": {...}, "summary": {...}}.
    """
    started = time.perf_counter()
    present = set(rows.files)
    report: dict[str, Any] = {"folds": []}
    for fold in folds:
        held_out = set(fold) & present
        if not held_out:
            continue
        others = present - held_out
        train, dev = rows.where(others, "train"), rows.where(others, "dev")
        head = voc_head(rows, train, dev, args)
        baseline = baseline_classifier(rows, train, dev)
        for name in sorted(held_out):
            test = rows.where({name})
            predicted, proba = voc_labels(rows, head, test)
            base_proba = baseline(test)
            report["folds"].append(
                {
                    "held_out": name,
                    "n": len(test),
                    "voc": _score(rows, test, predicted, proba),
                    "baseline": _score(rows, test, base_proba.argmax(1), base_proba),
                }
            )
    train, dev = rows.where(present, "train"), rows.where(present, "dev")
    head = voc_head(rows, train, dev, args)
    baseline = baseline_classifier(rows, train, dev)
    report["dev"] = {}
    for name in sorted(present):
        test = rows.where({name}, "dev")
        if not len(test):
            continue
        predicted, proba = voc_labels(rows, head, test)
        base_proba = baseline(test)
        report["dev"][name] = {
            "n": len(test),
            "voc": _score(rows, test, predicted, proba),
            "baseline": _score(rows, test, base_proba.argmax(1), base_proba),
        }
    report["summary"] = summarize(report)
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def summarize(report: dict[str, Any]) -> dict[str, float]:
    """Mean macro-F1 of voc and the baseline over folds and over dev files, and the worst
    fold's margin (the issue's bar: every fold at least baseline + 0.03)."""
    folds = report["folds"]
    margins = [f["voc"]["macro_f1"] - f["baseline"]["macro_f1"] for f in folds]
    dev = list(report["dev"].values())
    return {
        "lodo_voc": round(float(np.mean([f["voc"]["macro_f1"] for f in folds])), 4),
        "lodo_baseline": round(float(np.mean([f["baseline"]["macro_f1"] for f in folds])), 4),
        "lodo_worst_margin": round(float(min(margins)), 4),
        "dev_voc": round(float(np.mean([d["voc"]["macro_f1"] for d in dev])), 4),
        "dev_baseline": round(float(np.mean([d["baseline"]["macro_f1"] for d in dev])), 4),
    }


def lodo_markdown(report: dict[str, Any]) -> str:
    """The folds and dev splits as one table for cards and the bench."""

    def row(name: str, scored: dict[str, Any]) -> tuple:
        voc, baseline = scored["voc"], scored["baseline"]
        margin = f"{voc['macro_f1'] - baseline['macro_f1']:+.3f}"
        return (
            name,
            scored["n"],
            baseline["macro_f1"],
            voc["macro_f1"],
            margin,
            baseline["ece"],
            voc["ece"],
        )

    rows = [row(f"LODO {f['held_out']}", f) for f in report["folds"]] + [
        row(f"dev {name}", d) for name, d in report["dev"].items()
    ]
    s = report["summary"]
    return (
        markdown_table(
            [
                "evaluated on",
                "n",
                "baseline F1",
                "voc F1",
                "voc - baseline",
                "baseline ECE",
                "voc ECE",
            ],
            rows,
        )
        + f"\n\nMean over LODO folds: voc {s['lodo_voc']}, baseline {s['lodo_baseline']} "
        f"(worst fold margin {s['lodo_worst_margin']:+.3f}); mean over dev splits: voc "
        f"{s['dev_voc']}, baseline {s['dev_baseline']}.\n"
    )


def record_lodo(artifact_dir: Path, report: dict[str, Any]) -> None:
    """Add the LODO report to a sentiment version: `metrics.lodo` in its config (the registry's
    `lodo` evaluation reads it) and the table at the top of its card's metric sections."""
    config_path = artifact_dir / "config.json"
    config = json.loads(config_path.read_text())
    config["metrics"]["lodo"] = report
    config_path.write_text(json.dumps(config, indent=2) + "\n")
    card_path = artifact_dir / "CARD.md"
    card = card_path.read_text()
    section = (
        "## Leave-one-dataset-out (headline), beside a same-run baseline\n\n"
        "Each fold trains on every other file and scores the left-out one; the baseline is a "
        "logistic regression on whole-text vectors of the human-labelled rows (C on the "
        "training files' dev splits), computed in the same run on the same rows. voc is "
        "scored as it serves (the analyzer's document vectors, `mixed` counted as neutral). "
        "Protocol: `voc.nlp.lodo`; run by `voc train sentiment --lodo`.\n\n"
        + lodo_markdown(report)
        + "\n"
    )
    head, _, rest = card.partition("\n## Macro-F1")
    head = head.partition("\n## Leave-one-dataset-out")[0]  # a rerun replaces its section
    card_path.write_text(head + "\n" + section + "## Macro-F1" + rest if rest else card + section)


def lodo_groups(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The registry's `lodo` evaluation groups: per left-out file, voc's and the baseline's."""
    return {
        f"file:{f['held_out']}": {
            "n": f["n"],
            "macro_f1": f["voc"]["macro_f1"],
            "baseline_macro_f1": f["baseline"]["macro_f1"],
        }
        for f in report["folds"]
    }
