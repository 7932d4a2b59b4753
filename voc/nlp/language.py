"""Language identification: en, fr, id, ms, and "not one of ours" for anything else.

Two stages. `py3langid` (97 languages) says when a text is confidently another language,
which is then reported with `supported: False`. Otherwise a product of two experts picks
among the four: a small classifier trained here on the labelled feedback (hashed character
n-grams + word unigrams, logistic regression), which separates Indonesian from Malay far
better than off-the-shelf detectors, times py3langid's probabilities for English, French
and "Indonesian or Malay" (one group, since it cannot tell them apart), which helps on very
short texts. Weights are safetensors + JSON.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

from voc.nlp.cards import markdown_table, write_card
from voc.nlp.datasets import file_fingerprint, iter_examples
from voc.nlp.types import SUPPORTED_LANGUAGES, Language

WEIGHTS = "classifier.safetensors"
CONFIG = "config.json"
N_FEATURES = 2**18
OTHER_LANGUAGE_CONFIDENCE = 0.8
"""py3langid must be this sure of a non-supported language before voc says "unsupported"."""
TRAIN_FILES = (
    "en_uci_sentiment_labelled_sentences.jsonl",
    "en_bitext_customer_support.jsonl",
    "mams_absa_en.jsonl",
    "nusax_senti_en_id.jsonl",
    "fr_allocine_tvseries_sentiment.jsonl",
    "fr_tripadvisor_restaurants_absa.jsonl",
    "indonlu_smsa.jsonl",
    "indonlu_hoasa.jsonl",
    "id_prdect_tokopedia.jsonl",
    "ms_news_sentiment.jsonl",
    "ms_translated_uci_sentences.jsonl",
)


def _vectorizers():
    """Character n-grams carry spelling (-nya, -lah, é); word unigrams carry vocabulary."""
    from sklearn.feature_extraction.text import HashingVectorizer

    common = {"n_features": N_FEATURES, "alternate_sign": False, "lowercase": True}
    return (
        HashingVectorizer(analyzer="char_wb", ngram_range=(1, 4), norm="l2", **common),
        HashingVectorizer(analyzer="word", ngram_range=(1, 1), norm="l2", **common),
    )


def _features(texts: list[str]):
    from scipy.sparse import hstack

    chars, words = _vectorizers()
    return hstack([chars.transform(texts), words.transform(texts)]).tocsr()


class LanguageIdentifier:
    """Thread-safe: the classifier is read-only and py3langid is guarded by a lock."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, labels: list[str], version: str):
        from py3langid.langid import MODEL_FILE
        from py3langid.langid import LanguageIdentifier as LangId

        self.weight = weight
        self.bias = bias
        self.labels = labels
        self.version = version
        self._langid = LangId.from_model_file(MODEL_FILE, norm_probs=True)
        self._langid_ours = LangId.from_model_file(MODEL_FILE, norm_probs=True)
        self._langid_ours.set_languages(list(SUPPORTED_LANGUAGES))
        self._lock = threading.Lock()

    @classmethod
    def load(cls, artifact_dir: Path) -> LanguageIdentifier:
        config = json.loads((artifact_dir / CONFIG).read_text())
        tensors = load_file(artifact_dir / WEIGHTS)
        return cls(
            tensors["weight"].astype(np.float32),
            tensors["bias"].astype(np.float32),
            config["labels"],
            config["version"],
        )

    def _proba(self, texts: list[str]) -> np.ndarray:
        logits = _features(texts) @ self.weight.T + self.bias
        logits = np.asarray(logits) - np.max(logits, axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def _langid_prior(self, texts: list[str]) -> np.ndarray:
        """py3langid's P(en), P(fr), P(id or ms), P(id or ms), in `self.labels` order."""
        prior = np.empty((len(texts), len(self.labels)))
        for row, text in enumerate(texts):
            with self._lock:
                ranked = dict(self._langid_ours.rank(text))
            malay_group = ranked.get("id", 0.0) + ranked.get("ms", 0.0)
            for col, label in enumerate(self.labels):
                prior[row, col] = malay_group if label in ("id", "ms") else ranked.get(label, 0.0)
        return prior + 1e-6

    def identify(self, texts: list[str]) -> list[Language]:
        """One `Language` per text, same order; "und" when there is nothing to go on."""
        results: list[Language | None] = [None] * len(texts)
        ours = []
        for i, text in enumerate(texts):
            if not any(c.isalpha() for c in text):
                results[i] = Language("und", 0.0, False)
                continue
            with self._lock:
                code, confidence = self._langid.classify(text)
            if code not in SUPPORTED_LANGUAGES and confidence >= OTHER_LANGUAGE_CONFIDENCE:
                results[i] = Language(code, float(confidence), False)
            else:
                ours.append(i)
        if ours:
            proba = self._proba([texts[i] for i in ours]) * self._langid_prior(
                [texts[i] for i in ours]
            )
            proba /= proba.sum(axis=1, keepdims=True)
            for i, row in zip(ours, proba, strict=True):
                best = int(row.argmax())
                results[i] = Language(self.labels[best], float(row[best]), True)
        return results


def _load_split(data_dir: Path, split: str, cap: int, rng: np.random.Generator):
    texts, langs, sources = [], [], []
    for name in TRAIN_FILES:
        rows = [e for e in iter_examples(data_dir / name) if e.split == split]
        if len(rows) > cap:
            rows = [rows[i] for i in sorted(rng.choice(len(rows), cap, replace=False))]
        texts += [e.text for e in rows]
        langs += [e.lang for e in rows]
        sources += [e.source for e in rows]
    return texts, langs, sources


def _accuracy_by(groups: list[str], gold: list[str], predicted: list[str]) -> dict[str, dict]:
    hits: dict[str, list[bool]] = defaultdict(list)
    for group, g, p in zip(groups, gold, predicted, strict=True):
        hits[group].append(g == p)
    return {
        k: {"n": len(v), "accuracy": round(float(np.mean(v)), 4)} for k, v in sorted(hits.items())
    }


def _baselines(texts: list[str]) -> dict[str, list[str]]:
    """py3langid and lingua restricted to the same four languages, for the card."""
    from lingua import Language as Lingua
    from lingua import LanguageDetectorBuilder
    from py3langid.langid import MODEL_FILE
    from py3langid.langid import LanguageIdentifier as LangId

    langid = LangId.from_model_file(MODEL_FILE)
    langid.set_languages(list(SUPPORTED_LANGUAGES))
    names = {Lingua.ENGLISH: "en", Lingua.FRENCH: "fr", Lingua.INDONESIAN: "id", Lingua.MALAY: "ms"}
    lingua = LanguageDetectorBuilder.from_languages(*names).build()
    return {
        "py3langid": [langid.classify(t)[0] for t in texts],
        "lingua": [names.get(lingua.detect_language_of(t), "und") for t in texts],
    }


def train_language_identifier(data_dir: Path, out_dir: Path, *, seed: int = 0) -> dict:
    """Train on the train splits, evaluate on the dev splits, write artifact + card."""
    from sklearn.linear_model import LogisticRegression

    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    texts, langs, _ = _load_split(data_dir, "train", 3000, rng)
    counts = Counter(langs)
    weights = np.array([len(langs) / (len(counts) * counts[lang]) for lang in langs])
    model = LogisticRegression(C=10.0, max_iter=1000)
    model.fit(_features(texts), langs, sample_weight=weights)

    weight = np.ascontiguousarray(model.coef_, dtype=np.float16)  # sklearn may hand F-order
    bias = model.intercept_.astype(np.float32)
    version = f"language@{hashlib.sha256(weight.tobytes()).hexdigest()[:8]}"
    out_dir.mkdir(parents=True, exist_ok=True)
    save_file({"weight": weight, "bias": bias}, out_dir / WEIGHTS)
    identifier = LanguageIdentifier(weight.astype(np.float32), bias, list(model.classes_), version)

    dev_texts, dev_langs, dev_sources = _load_split(data_dir, "dev", 10**9, rng)
    predicted = {"voc": [r.code for r in identifier.identify(dev_texts)], **_baselines(dev_texts)}
    metrics = {
        name: {
            "by_language": _accuracy_by(dev_langs, dev_langs, pred),
            "by_file": _accuracy_by(dev_sources, dev_langs, pred),
        }
        for name, pred in predicted.items()
    }
    config = {
        "labels": list(model.classes_),
        "version": version,
        "features": {"char_wb": [1, 4], "word": [1, 1], "n_features": N_FEATURES},
        "other_language_confidence": OTHER_LANGUAGE_CONFIDENCE,
        "data": [file_fingerprint(data_dir / name) for name in TRAIN_FILES],
        "train_examples": dict(counts),
        "metrics_dev": metrics,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - started, 1),
    }
    (out_dir / CONFIG).write_text(json.dumps(config, indent=2) + "\n")
    _write_language_card(out_dir, config)
    return metrics


def _write_language_card(out_dir: Path, config: dict) -> None:
    metrics = config["metrics_dev"]
    systems = list(metrics)
    by_language = markdown_table(
        ["language", "n", *systems],
        [
            (lang, row["n"], *(metrics[s]["by_language"][lang]["accuracy"] for s in systems))
            for lang, row in metrics["voc"]["by_language"].items()
        ],
    )
    by_file = markdown_table(
        ["dev file", "n", *systems],
        [
            (name, row["n"], *(metrics[s]["by_file"][name]["accuracy"] for s in systems))
            for name, row in metrics["voc"]["by_file"].items()
        ],
    )
    write_card(
        out_dir / "CARD.md",
        title=f"Language identifier ({config['version']})",
        summary=__doc__.strip().split("\n\n", 1)[1]
        + f"\n\nTrain examples: {config['train_examples']}. Trained in {config['seconds']} s.",
        command="voc train language",
        data=config["data"],
        sections=[
            (
                "Accuracy per language (dev splits; baselines restricted to en/fr/id/ms)",
                by_language,
            ),
            ("Accuracy per dev file", by_file),
        ],
    )
