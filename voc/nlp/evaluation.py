"""The evaluation every card and `voc eval` report: per group, per class, confusion, calibration.

Groups are languages and source files (`sentiment_metrics`); the per-class report and the
confusion matrix are over every example; calibration is top-label ECE of the probabilities.
Multi-label components (root causes) get micro/macro-F1 per group and the per-class report
(`multilabel_report`): no confusion matrix or calibration, which assume one class per text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from voc.nlp.cards import markdown_table
from voc.nlp.datasets import Example


def classification_report(
    examples: Sequence[Example],
    gold: Sequence[str],
    proba: np.ndarray,
    labels: Sequence[str],
) -> dict[str, Any]:
    """Metrics of argmax(proba) against `gold`; `proba` columns are in `labels` order."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    predicted = [labels[k] for k in proba.argmax(axis=1)]
    present = [label for label in labels if label in set(gold) | set(predicted)]
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=present, zero_division=0
    )
    y = np.array([labels.index(g) for g in gold])
    return {
        "groups": sentiment_metrics(list(examples), list(gold), predicted),
        "per_class": _per_class(present, precision, recall, f1, support),
        "confusion": {
            "labels": present,
            "matrix": confusion_matrix(gold, predicted, labels=present).tolist(),
        },
        "calibration_error": round(expected_calibration_error(proba, y), 4),
    }


def multilabel_report(
    examples: Sequence[Example],
    gold: Sequence[tuple[str, ...]],
    predicted: Sequence[tuple[str, ...]],
) -> dict[str, Any]:
    """Label sets against label sets: micro- and macro-F1 (over the classes present in the
    group, gold or predicted) per language and per source file, and per-class P/R/F1."""
    from sklearn.metrics import f1_score, precision_recall_fscore_support
    from sklearn.preprocessing import MultiLabelBinarizer

    def binarize(idx: list[int]) -> tuple[list[str], np.ndarray, np.ndarray]:
        binarizer = MultiLabelBinarizer().fit([gold[i] for i in idx] + [predicted[i] for i in idx])
        return (
            list(binarizer.classes_),
            binarizer.transform([gold[i] for i in idx]),
            binarizer.transform([predicted[i] for i in idx]),
        )

    groups: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(examples):
        groups[f"lang:{e.lang}"].append(i)
        groups[f"file:{e.source}"].append(i)
    report: dict[str, Any] = {"groups": {}}
    for group, idx in sorted(groups.items()):
        _, y, p = binarize(idx)
        report["groups"][group] = {
            "n": len(idx),
            "micro_f1": round(float(f1_score(y, p, average="micro", zero_division=0)), 4),
            "macro_f1": round(float(f1_score(y, p, average="macro", zero_division=0)), 4),
        }
    classes, y, p = binarize(list(range(len(examples))))
    precision, recall, f1, support = precision_recall_fscore_support(
        y, p, average=None, zero_division=0
    )
    report["per_class"] = _per_class(classes, precision, recall, f1, support)
    return report


def _per_class(labels, precision, recall, f1, support) -> dict[str, dict[str, float | int]]:
    """sklearn's per-class arrays -> {label: {precision, recall, f1, support}}."""
    return {
        label: {
            "precision": round(float(p), 4),
            "recall": round(float(r), 4),
            "f1": round(float(f), 4),
            "support": int(n),
        }
        for label, p, r, f, n in zip(labels, precision, recall, f1, support, strict=True)
    }


def report_markdown(report: dict[str, Any]) -> str:
    """Per-class table, then (single-label reports) the confusion matrix (rows gold, columns
    predicted) and the calibration error, as Markdown."""
    per_class = markdown_table(
        ["class", "precision", "recall", "F1", "support"],
        [(label, *values.values()) for label, values in report["per_class"].items()],
    )
    if "confusion" not in report:
        return per_class
    labels = report["confusion"]["labels"]
    confusion = markdown_table(
        ["gold \\ predicted", *labels],
        [(label, *row) for label, row in zip(labels, report["confusion"]["matrix"], strict=True)],
    )
    return (
        f"{per_class}\n\nConfusion matrix (rows: gold, columns: predicted):\n\n{confusion}\n\n"
        f"Top-label expected calibration error (10 bins): {report['calibration_error']}"
    )


def sentiment_metrics(
    examples: list[Example], gold: list[str], predicted: list[str]
) -> dict[str, dict[str, float]]:
    """Macro-F1 (over the gold classes present) and accuracy per language and per dev file."""
    from sklearn.metrics import accuracy_score, f1_score

    groups: dict[str, list[int]] = defaultdict(list)
    for i, e in enumerate(examples):
        groups[f"lang:{e.lang}"].append(i)
        groups[f"file:{e.source}"].append(i)
    report = {}
    for group, idx in sorted(groups.items()):
        g = [gold[i] for i in idx]
        p = [predicted[i] for i in idx]
        labels = sorted(set(g))
        report[group] = {
            "n": len(idx),
            "macro_f1": round(float(f1_score(g, p, labels=labels, average="macro")), 4),
            "accuracy": round(float(accuracy_score(g, p)), 4),
        }
    return report


def expected_calibration_error(proba: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Top-label ECE: mean |accuracy - confidence| over equal-width confidence bins."""
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in pairwise(edges):
        in_bin = (confidence > lo) & (confidence <= hi)
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)
