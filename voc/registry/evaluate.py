"""`voc eval MODEL --data FILE...`: a version's card metrics on labelled files, or two side by side.

Every report is also recorded in the registry as an evaluation set (same files by hash, same
split): two versions evaluated on the same rows are thereby comparable for activation.

Topic versions (`evaluate_topic_versions`) get coherence, diversity and NMI
(`voc.nlp.topic_quality`) instead: no label says a topic is right.

Each version is loaded through `load_analyzer` (the one loader) and evaluated as its component
says (`ComponentSpec.evaluation`): single-label components with
`voc.nlp.evaluation.classification_report` (macro-F1 and accuracy per language and per file,
per-class precision/recall/F1, the confusion matrix and the calibration error), multi-label ones
with `multilabel_report` (micro/macro-F1 per language and per file, per-class P/R/F1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from voc.config import Settings
from voc.nlp.analyzer import Analyzer
from voc.nlp.cards import markdown_table
from voc.nlp.datasets import Example, file_fingerprint, iter_examples
from voc.nlp.evaluation import report_markdown
from voc.nlp.topic_model import TopicModel
from voc.nlp.topic_quality import topic_quality
from voc.registry.components import component
from voc.registry.entry import evaluation
from voc.registry.loader import load_analyzer
from voc.registry.store import Registry

SPLITS = ("dev", "train", "all")
HEADERS = {"macro_f1": "macro-F1", "micro_f1": "micro-F1"}


def evaluate_versions(
    registry: Registry,
    settings: Settings,
    name: str,
    versions: Sequence[str],
    files: Sequence[Path],
    *,
    split: str = "dev",
    reuse: Analyzer | None = None,
) -> dict[str, dict[str, Any]]:
    """version -> report on the rows of `files` in `split` that carry this component's label.
    `reuse`: an analyzer already loaded (its encoder and unchanged components are shared)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    spec = component(name).evaluation
    if spec is None:
        raise ValueError(f"{name} has no labelled evaluation: `voc eval` does not apply to it")
    rows = [
        (example, label)
        for path in files
        for example in iter_examples(path)
        if split == "all" or example.split == split
        for label in [spec.gold(example)]
        if label is not None
    ]
    if not rows:
        raise ValueError(f"no {split} rows with a {name} label in {[str(p) for p in files]}")
    examples, gold = [e for e, _ in rows], [y for _, y in rows]
    data = [file_fingerprint(p) for p in files]
    reports, shared = {}, reuse
    for version in versions:
        entry = registry.entry(name, version)
        analyzer = load_analyzer(
            settings, registry=registry, versions={name: entry.version}, reuse=shared
        )
        examples = with_languages(analyzer, examples)
        shared = shared or analyzer
        reports[entry.version] = {
            "data": data,
            "split": split,
            **spec.report(analyzer, list(examples), gold),
        }
        registry.record_evaluation(
            name,
            entry.version,
            evaluation(
                f"voc eval {split}",
                data,
                spec.metric,
                reports[entry.version]["groups"],
                selection={"split": split},
            ),
        )
    return reports


def with_languages(analyzer: Analyzer, examples: list[Example]) -> list[Example]:
    """Examples whose file gives no `lang` get the one voc identifies, so that a minimal file
    (text and label only) still gets its per-language groups; identified once, for every
    version compared."""
    unknown = [i for i, e in enumerate(examples) if e.lang is None]
    if not unknown:
        return examples
    found = analyzer.language_identifier.identify([examples[i].text for i in unknown])
    out = list(examples)
    for i, language in zip(unknown, found, strict=True):
        out[i] = replace(examples[i], lang=language.code)
    return out


def single_markdown(version: str, report: dict[str, Any]) -> str:
    """Per group n and every metric the report has (macro-F1 and accuracy, or micro/macro-F1)."""
    metrics = [k for k in next(iter(report["groups"].values())) if k != "n"]
    groups = markdown_table(
        ["group", "n", *(HEADERS.get(m, m) for m in metrics)],
        [(g, v["n"], *(v[m] for m in metrics)) for g, v in report["groups"].items()],
    )
    return f"## {version}\n\n{groups}\n\n{report_markdown(report)}\n"


def compare_markdown(reports: dict[str, dict[str, Any]]) -> str:
    """Two versions side by side: per group, per class, calibration."""
    (a, ra), (b, rb) = reports.items()
    groups = markdown_table(
        ["group", "n", f"macro-F1 {a}", f"macro-F1 {b}", "b - a"],
        [
            (
                g,
                v["n"],
                v["macro_f1"],
                rb["groups"][g]["macro_f1"],
                f"{rb['groups'][g]['macro_f1'] - v['macro_f1']:+.4f}",
            )
            for g, v in ra["groups"].items()
        ],
    )
    classes = sorted(set(ra["per_class"]) | set(rb["per_class"]))
    per_class = markdown_table(
        ["class", f"F1 {a}", f"F1 {b}"],
        [
            (
                c,
                ra["per_class"].get(c, {}).get("f1", "-"),
                rb["per_class"].get(c, {}).get("f1", "-"),
            )
            for c in classes
        ],
    )
    calibration = (
        f"Calibration error: {a} {ra['calibration_error']}, {b} {rb['calibration_error']}\n\n"
        if "calibration_error" in ra
        else ""
    )
    details = "\n".join(single_markdown(v, r) for v, r in reports.items())
    return f"# {a} vs {b}\n\n{groups}\n\n{per_class}\n\n{calibration}{details}"


def evaluate_topic_versions(
    registry: Registry,
    settings: Settings,
    versions: Sequence[str],
    files: Sequence[Path],
    *,
    split: str = "dev",
    label: str = "aspects",
) -> dict[str, dict[str, Any]]:
    """version -> `topic_quality` on the rows of `files` in `split` (every row has a text).

    Texts are embedded whole with the active encoder, in the language the file gives or, when
    it gives none, the one voc identifies."""
    examples = [
        e for path in files for e in iter_examples(path) if split == "all" or e.split == split
    ]
    if not examples:
        raise ValueError(f"no {split} rows in {[str(p) for p in files]}")
    analyzer = load_analyzer(settings, registry=registry)
    examples = with_languages(analyzer, examples)
    embeddings = analyzer.encoder.embed([e.text for e in examples])
    languages = [e.lang or "und" for e in examples]
    data = [file_fingerprint(p) for p in files]
    reports = {}
    for version in versions:
        entry = registry.entry("topics", version)
        model = TopicModel.load(entry.path)
        reports[entry.version] = {
            "data": data,
            "split": split,
            **topic_quality(model, examples, embeddings, languages, label=label),
        }
    return reports
