"""What the registry needs to know about each kind of model, by name.

A component plugs in with one `ComponentSpec`: how to describe a trained artifact directory
as a registry entry (`describe`), its headline metric (compared per language on activation),
and how to evaluate it on labelled files (`labels`, `gold`, `predict`). The loader itself
stays in `Analyzer.load`. Adding e.g. root causes is `register_component(ComponentSpec(...))`
next to its trainer, plus one line in `Analyzer.load`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from voc.nlp.datasets import Example
from voc.registry.entry import evaluation

if TYPE_CHECKING:
    from voc.nlp.analyzer import Analyzer


@dataclass(frozen=True)
class ComponentSpec:
    name: str
    metric: str
    """Headline metric in the entry's evaluation groups (`lang:xx` -> {metric: value})."""
    describe: Callable[[Path], dict[str, Any]]
    """Artifact directory -> `write_entry` keyword arguments (version, config, data, evals)."""
    labels: Sequence[str]
    gold: Callable[[Example], str | None]
    """The label an example holds for this component, or None when it holds none."""
    predict: Callable[[Analyzer, list[Example]], np.ndarray]
    """(n, len(labels)) probabilities from a loaded analyzer whose version is under test."""


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
            )
        ],
        "created_at": config["created_at"],
    }


def _sentiment_predict(analyzer: Analyzer, examples: list[Example]) -> np.ndarray:
    """Document probabilities from the vectors serving computes (clauses pooled), cached."""
    from voc.nlp.train import document_vectors

    encoder = analyzer.sentiment_encoder or analyzer.encoder
    return analyzer.sentiment.predict_proba(document_vectors(encoder, examples))


def _sentiment_gold(example: Example) -> str | None:
    from voc.nlp.train import sentiment_label

    return sentiment_label(example)


# --- language ---------------------------------------------------------------------------------


def describe_language(artifact_dir: Path) -> dict[str, Any]:
    from voc.nlp.language import LanguageIdentifier

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
    four = identifier.four_way_proba(texts, [identifier.rank(t) for t in texts])
    proba = np.hstack([four, np.zeros((len(texts), 1))])
    unsupported = np.array([not lang.supported for lang in found])
    proba[unsupported] = np.eye(proba.shape[1])[-1]
    return proba


def _register_builtin() -> None:
    from voc.nlp.language import LABELS as LANGUAGE_LABELS
    from voc.nlp.types import SENTIMENT_LABELS

    register_component(
        ComponentSpec(
            "sentiment",
            "macro_f1",
            describe_sentiment,
            SENTIMENT_LABELS,
            _sentiment_gold,
            _sentiment_predict,
        )
    )
    register_component(
        ComponentSpec(
            "language",
            "accuracy",
            describe_language,
            (*LANGUAGE_LABELS, OTHER),
            lambda example: example.lang,
            _language_predict,
        )
    )


_register_builtin()
