"""What the registry needs to know about each kind of model, by name.

A component plugs in with one `ComponentSpec`: how to describe a trained artifact directory
as a registry entry (`describe`) and how `voc eval` measures it on labelled files
(`evaluation`: one class per text, a set of labels per text, or none). The loader itself
stays in `Analyzer.load`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voc.nlp.analyzer import Analyzer
from voc.nlp.datasets import Example
from voc.nlp.evaluation import classification_report, multilabel_report
from voc.nlp.language import LABELS as LANGUAGE_LABELS
from voc.nlp.language import LanguageIdentifier
from voc.nlp.lodo import lodo_groups
from voc.nlp.root_cause_data import category_label
from voc.nlp.root_cause_train import MODES, DocumentsProba, document_tags
from voc.nlp.root_causes import (
    CALIBRATION_FILE,
    HEAD_CONFIG,
    LabelSpec,
    artifact_version,
    head_dirs,
    zero_shot_tagger,
)
from voc.nlp.topic_model import TopicModel
from voc.nlp.train import document_vectors, sentiment_label
from voc.nlp.types import SENTIMENT_LABELS
from voc.nlp.vectors import embed_documents
from voc.registry.entry import evaluation


@dataclass(frozen=True)
class SingleLabel:
    """One class per text: `voc eval` scores argmax(`predict`) against `gold`."""

    labels: Sequence[str]
    gold: Callable[[Example], str | None]
    """The label an example holds for this component, or None when it holds none."""
    predict: Callable[[Analyzer, list[Example]], np.ndarray]
    """(n, len(labels)) probabilities from a loaded analyzer whose version is under test."""
    metric: str = "macro_f1"
    """The headline metric activation compares (per language)."""

    def report(self, analyzer: Analyzer, examples: list[Example], gold: list) -> dict[str, Any]:
        return classification_report(examples, gold, self.predict(analyzer, examples), self.labels)


@dataclass(frozen=True)
class MultiLabel:
    """A set of labels per text, from label sets that differ per data file (each aspect file has
    its own categories): `voc eval` tags each file's texts with that file's labels."""

    gold: Callable[[Example], tuple[str, ...] | None]
    """The labels an example holds, or None when it is not annotated for this component."""
    tag: Callable[[Analyzer, list[Example], list[str]], np.ndarray]
    """(n, len(labels)) 0/1: which of `labels` the version under test tags on each example."""
    metric: str = "micro_f1"
    """The headline metric activation compares (per language)."""

    def report(self, analyzer: Analyzer, examples: list[Example], gold: list) -> dict[str, Any]:
        by_file: dict[str, list[int]] = defaultdict(list)
        for i, example in enumerate(examples):
            by_file[example.source].append(i)
        predicted: list[tuple[str, ...]] = [()] * len(examples)
        for rows in by_file.values():
            labels = sorted({label for i in rows for label in gold[i]})
            tags = self.tag(analyzer, [examples[i] for i in rows], labels)
            for i, row in zip(rows, tags, strict=True):
                predicted[i] = tuple(label for label, on in zip(labels, row, strict=True) if on)
        return multilabel_report(examples, gold, predicted)


@dataclass(frozen=True)
class ComponentSpec:
    name: str
    describe: Callable[[Path], dict[str, Any]]
    """Artifact directory -> `write_entry` keyword arguments (version, config, data, evals)."""
    evaluation: SingleLabel | MultiLabel | None
    """How `voc eval` measures a version on labelled files. None for a model that no labelled
    data measures (topics): its entries carry no comparable evaluation set, so activation checks
    its card and files only, never its metrics (`Registry.check`)."""


COMPONENTS: dict[str, ComponentSpec] = {}


def register_component(spec: ComponentSpec) -> None:
    COMPONENTS[spec.name] = spec


def component(name: str) -> ComponentSpec:
    try:
        return COMPONENTS[name]
    except KeyError:
        raise LookupError(f"no component {name!r}; known: {sorted(COMPONENTS)}") from None


# --- sentiment --------------------------------------------------------------------------------


def dev_selection(max_dev_per_file: int | None, seed: int) -> dict[str, Any]:
    """Which dev rows an evaluation used: all of them, or a seeded sample per file."""
    return {} if max_dev_per_file is None else {"max_per_file": max_dev_per_file, "seed": seed}


def describe_sentiment(artifact_dir: Path) -> dict[str, Any]:
    config = json.loads((artifact_dir / "config.json").read_text())
    metrics = config["metrics"]
    args = config["args"]
    extra = {k: metrics[k] for k in ("per_class", "confusion", "baselines_dev") if k in metrics}
    lodo = (
        [
            evaluation(
                "lodo",
                config["data"],
                "macro_f1",
                lodo_groups(metrics["lodo"]),
                selection={"max_train_per_file": args.get("max_train_per_file")},
                summary=metrics["lodo"]["summary"],
            )
        ]
        if "lodo" in metrics
        else []
    )
    return {
        "version": config["version"],
        "config": {
            "encoder": config["encoder"],
            "encoder_backend": config["encoder_backend"],
            "args": args,
            **({"fine_tune": config["fine_tune"]} if "fine_tune" in config else {}),
        },
        "training_data": config["data"],
        "evaluations": [
            evaluation(
                "dev",
                config["data"],
                "macro_f1",
                metrics["dev"],
                selection=dev_selection(args.get("max_dev_per_file"), args["seed"]),
                calibration_error=metrics["dev_ece"],
                **extra,
            ),
            *lodo,
        ],
        "created_at": config["created_at"],
    }


def _sentiment_predict(analyzer: Analyzer, examples: list[Example]) -> np.ndarray:
    """Document probabilities from the vectors serving computes (clauses pooled), cached."""
    encoder = analyzer.sentiment_encoder or analyzer.encoder
    return analyzer.sentiment.predict_proba(document_vectors(encoder, examples))


def _sentiment_gold(example: Example) -> str | None:
    return sentiment_label(example)


# --- language ---------------------------------------------------------------------------------


def describe_language(artifact_dir: Path) -> dict[str, Any]:
    config = json.loads((artifact_dir / "config.json").read_text())
    metrics = config["metrics_dev"]
    return {
        "version": LanguageIdentifier.load(artifact_dir).version,
        "config": {k: config[k] for k in ("features", "decision", "training", "seed")},
        "training_data": config["data"],
        "evaluations": [
            evaluation(
                "dev",
                config["data"],
                "accuracy",
                metrics["pipeline"],
                four_way=metrics["four_way"],
                other_languages=metrics["other_languages"],
            )
        ],
        "created_at": config["created"],
    }


OTHER = "other"
"""The language column for texts `identify` calls unsupported (counted wrong on en/fr/id/ms)."""


def _language_predict(analyzer: Analyzer, examples: list[Example]) -> np.ndarray:
    """Four-way probabilities, and a certain `other` for texts the gate calls unsupported."""
    texts = [e.text for e in examples]
    identifier = analyzer.language_identifier
    found = identifier.identify(texts)
    four = identifier.four_way(texts)
    proba = np.hstack([four, np.zeros((len(texts), 1))])
    unsupported = np.array([not lang.supported for lang in found])
    proba[unsupported] = np.eye(proba.shape[1])[-1]
    return proba


# --- root causes ------------------------------------------------------------------------------


LODO_RULES = {"zero-shot": "learned relevance", "few-shot": "few-shot", "trained": "trained"}
"""Each mode's served rule among a calibration's leave-one-dataset-out rows (`voc.nlp.
root_cause_train.leave_one_dataset_out`)."""


def _dataset_groups(
    rows: dict[str, dict[str, Any]], datasets: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """`dataset:<name>` rows and `lang:xx`, the unweighted mean over that language's datasets
    of each metric they all have (their label sets differ, so their rows are not pooled)."""
    groups = {f"dataset:{name}": row for name, row in rows.items()}
    by_language: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for name, row in rows.items():
        if datasets[name]["lang"] is not None:
            by_language[datasets[name]["lang"]].append(row)
    for lang, same in sorted(by_language.items()):
        groups[f"lang:{lang}"] = {
            "n": sum(r["n"] for r in same),
            "datasets": len(same),
            **{
                metric: round(sum(r[metric] for r in same) / len(same), 4)
                for metric in ("micro_f1", "macro_f1")
                if all(metric in r for r in same)
            },
        }
    return groups


def describe_root_causes(artifact_dir: Path) -> dict[str, Any]:
    """The calibration's card metrics as one evaluation set per tagging mode, so activation
    compares zero-shot with zero-shot, few-shot with few-shot (the mode that depends on how
    many examples were drawn, hence their count and seed in its row selection), and so on.

    Groups: `dataset:<name>` (micro/macro-F1 on that dataset's dev split, with a taxonomy of
    its own categories) and `lang:xx`, the unweighted mean over that language's datasets
    (their label sets differ, so their rows are not pooled). Headline: micro-F1, stable on
    datasets with a hundred rare labels where macro-F1 swings. The same per mode for the
    card's leave-one-family-out rows (each dataset scored with what was fitted on other
    families), so activation also refuses a version that does worse on taxonomies never seen.
    Trained heads (from `voc train root-causes --data`) are listed in the config with their
    own dev metrics.
    """
    config = json.loads((artifact_dir / CALIBRATION_FILE).read_text())
    args = config["args"]
    datasets = {d["name"]: d for d in config["datasets"]}
    files = {d["file"] for d in datasets.values()}
    data = [d for d in config["data"] if d["file"] in files]
    selections = {
        "zero-shot": {},
        "few-shot": {"max_examples": args["max_examples"], "seed": args["seed"]},
        "trained": {"max_train": args["max_train"]},
    }
    dev = {
        mode: {
            name: {"n": m["dev_documents"], "labels": m["labels"], **m[mode]}
            for name, m in config["metrics"].items()
        }
        for mode in MODES
    }
    evaluations = [
        evaluation(
            f"aspects dev, {mode}",
            data,
            "micro_f1",
            _dataset_groups(dev[mode], datasets),
            selection=selections[mode],
        )
        for mode in MODES
    ]
    lodo = config.get("lodo", {})
    # the rows of a calibration from before the family folds (and the learned relevance) left
    # one dataset out at a time, another measure: such a version gets no set to compare on
    if lodo and all(LODO_RULES["zero-shot"] in row for row in lodo.values()):
        for mode, rule in LODO_RULES.items():
            rows = {
                name: {"n": dev[mode][name]["n"], "labels": dev[mode][name]["labels"], **row[rule]}
                for name, row in lodo.items()
            }
            evaluations.append(
                evaluation(
                    f"aspects leave-one-family-out, {mode}",
                    data,
                    "micro_f1",
                    _dataset_groups(rows, datasets),
                    selection=selections[mode],
                )
            )
    heads = {
        path.name: json.loads((path / HEAD_CONFIG).read_text()) for path in head_dirs(artifact_dir)
    }
    head_data = [d for head in heads.values() for d in head["data"] if d not in config["data"]]
    return {
        "version": artifact_version(artifact_dir),
        "config": {
            "encoder": config["encoder"],
            "encoder_backend": config["encoder_backend"],
            "args": args,
            "calibration": {
                k: config[k]
                for k in (
                    "scale",
                    "offset",
                    "few_shot_c",
                    "few_shot_prompt_weight",
                    "threshold",
                    "zero_shot",
                )
                if k in config
            },
            "calibration_version": config["version"],
            "trained_heads": {
                name: {k: head[k] for k in ("label", "data", "metrics", "created_at")}
                for name, head in heads.items()
            },
        },
        "training_data": config["data"] + head_data,
        "evaluations": evaluations,
        "created_at": max([config["created_at"], *(h["created_at"] for h in heads.values())]),
    }


def _root_cause_gold(example: Example) -> tuple[str, ...] | None:
    return example.aspect_categories or None


def _root_cause_tags(analyzer: Analyzer, examples: list[Example], labels: list[str]) -> np.ndarray:
    """The version's calibration on its own: the file's categories as a zero-shot taxonomy
    (their names only: examples and trained heads belong to a user's taxonomy, measured on the
    card), tagged as the card measures, a document carrying a label when one of its clauses
    fires (zero-shot's rank-and-abstain rule, and the whole text's support where the rule
    asks it; without the rule that skips praised clauses, since aspect labels also mark
    praise)."""
    calibration = analyzer.root_causes.calibration
    texts = [e.text for e in examples]
    sentences = analyzer.segmenter.segment_batch(texts, [e.lang for e in examples])
    vectors = embed_documents(analyzer.encoder.embed, texts, sentences, whole_texts=True)
    head = zero_shot_tagger(
        [LabelSpec(label, category_label(label)) for label in labels],
        analyzer.encoder.embed_alone,
        calibration,
    )
    proba = DocumentsProba(
        head.predict_proba(calibration.features(np.concatenate([v.clauses for v in vectors]))),
        head.predict_proba(calibration.features(np.stack([v.text for v in vectors]))),
    )
    sizes = [len(v.clauses) for v in vectors]
    return document_tags(proba, sizes, calibration.abstention(head.mode))


# --- topics -------------------------------------------------------------------------------------


def describe_topics(artifact_dir: Path) -> dict[str, Any]:
    """A topic model as an entry: its fit settings, the corpus it was fitted on (name and
    sha256), and what the fit measured (outlier share, per language when known) as a `fit`
    record. No labelled data measures topics, so that record is information, not a comparable
    evaluation (the `topics` component has no `evaluation`). Its creation time is when it is
    registered: an analyst edit is a new version of an older fit."""
    model = TopicModel.load(artifact_dir)
    stats = model.stats
    corpus = [{"file": stats["corpus"]["name"], "sha256": stats["corpus"]["sha256"]}]
    groups = {
        "all": {
            "n": stats["distinct"],
            "outlier_share": round(stats["other"] / max(stats["distinct"], 1), 4),
            "topics": len(model.topics),
        },
        **{
            f"lang:{lang}": {
                "n": v["units"],
                "outlier_share": round(v["other"] / max(v["units"], 1), 4),
            }
            for lang, v in stats.get("languages", {}).items()
        },
    }
    return {
        "version": model.version,
        "config": {"settings": stats["settings"], "edits": list(model.edits)},
        "training_data": corpus,
        "evaluations": [evaluation("fit", corpus, "outlier_share", groups)],
    }


def _register_builtin() -> None:
    register_component(
        ComponentSpec(
            "sentiment",
            describe_sentiment,
            SingleLabel(SENTIMENT_LABELS, _sentiment_gold, _sentiment_predict),
        )
    )
    register_component(
        ComponentSpec(
            "language",
            describe_language,
            SingleLabel(
                (*LANGUAGE_LABELS, OTHER),
                lambda example: example.lang,
                _language_predict,
                metric="accuracy",
            ),
        )
    )
    register_component(
        ComponentSpec(
            "root_causes", describe_root_causes, MultiLabel(_root_cause_gold, _root_cause_tags)
        )
    )
    register_component(ComponentSpec("topics", describe_topics, None))


_register_builtin()
