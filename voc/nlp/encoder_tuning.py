"""Multi-task LoRA fine-tuning of the one shared encoder, measured leave-one-dataset-out.

Why: linear heads on the frozen encoder were below a plain whole-text logistic regression on
feedback from sources they never saw. Fine-tuning the encoder itself on every labelled file
moves what the vectors encode; a distillation term keeps them close to the base vectors, so
topics, touchpoints and similarity (which read the same vectors) stay sound. Merging the
adapter into the exported int8 encoder (so serving keeps one pass) is not built yet, and no
adapter is committed: on the folds measured so far it only matched the baseline
(docs/models.md).

Three tasks share the LoRA adapter:
- sentiment: a 3-class linear head on the pooled vector (star ratings are weak labels);
- matching: a clause against the phrase of each label of its own file (aspect categories,
  intents, complaint issues), multi-label, so relevance to a label is learned across
  taxonomies and a taxonomy never seen in training can be matched zero-shot;
- distillation: 1 - cos(tuned vector, base vector) on the same texts.

The work is split in two so it can run where the data is not (a GPU machine): `write_pack`
tokenizes every task row and writes a compact int8 copy of the base weights restricted to the
vocabulary the rows use; `run_pack` trains from the pack alone (torch, transformers, peft,
scikit-learn) on CUDA when present, else CPU. With `folds`, every fold trains without its
files and is evaluated on them beside a same-run baseline (logistic regression on base
whole-text vectors for sentiment; the same zero-shot rule on base vectors for matching).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voc.nlp.datasets import (
    FOLDS,
    MATCHING_SOURCES,
    SENTIMENT_SOURCES,
    WEAK_LABEL_WEIGHT,
    stars_to_sentiment,
)
from voc.nlp.evaluation import expected_calibration_error

log = logging.getLogger(__name__)

PREFIX = "query: "
"""Same prefix as `voc.nlp.encoder.PREFIX` (kept here: this module must import without voc's
serving dependencies on the training machine)."""
SENTIMENT_LABELS = ("negative", "neutral", "positive")
MAX_LENGTH = 128
PACK_DATA = "pack.npz"
PACK_WEIGHTS = "slim.safetensors"
PACK_META = "pack.json"


def label_phrase(category: str) -> str:
    """A category name as a phrase the encoder can read: `FOOD#STYLE_OPTIONS` -> `food style
    options`, `delivery_period` -> `delivery period`."""
    words = re.sub(r"[#_/]+", " ", category).strip().lower()
    return re.sub(r"\s+", " ", words)


@dataclass(frozen=True)
class TuningArgs:
    """Validated options of `voc train encoder`."""

    steps: int = 1000
    """Optimiser steps of the final adapter (each fold trains `fold_steps`)."""
    fold_steps: int = 250
    sentiment_batch: int = 64
    matching_batch: int = 48
    learning_rate: float = 5e-4
    lora_rank: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.1
    target_modules: tuple[str, ...] = ("query", "key", "value", "dense")
    distill_weight: float = 4.0
    max_length: int = MAX_LENGTH
    lr_rows_per_file: int = 2000
    """Rows per training file for the evaluation's logistic regressions (keeps folds fast)."""
    seed: int = 0

    def __post_init__(self) -> None:
        if min(self.steps, self.fold_steps, self.sentiment_batch, self.matching_batch) < 1:
            raise ValueError("steps, fold_steps and batch sizes must be >= 1")
        if not 0 < self.learning_rate < 1:
            raise ValueError("learning_rate must be in (0, 1)")
        if self.distill_weight < 0:
            raise ValueError("distill_weight must be >= 0")
        if not 8 <= self.max_length <= 512:
            raise ValueError("max_length must be between 8 and 512")


# --- the pack: everything training needs, without the data files or the full vocabulary ------


def _task_rows(data_dir: Path, max_rows_per_file: int | None) -> tuple[list[dict], list[str]]:
    """Every text with its file, split, language, sentiment (and weight) and categories, from
    the task files present in `data_dir`."""
    files = list(dict.fromkeys([*SENTIMENT_SOURCES, *MATCHING_SOURCES]))
    rows = []
    files = [name for name in files if (data_dir / name).exists()]
    for name in files:
        count = 0
        with (data_dir / name).open(encoding="utf-8") as fh:
            for line in fh:
                raw = json.loads(line)
                sentiment, weight = raw["sentiment"], 1.0
                if sentiment is None and raw["score_type"] == "stars5" and raw["score"]:
                    sentiment, weight = stars_to_sentiment(raw["score"]), WEAK_LABEL_WEIGHT
                if name not in SENTIMENT_SOURCES:
                    sentiment = None
                kind = MATCHING_SOURCES.get(name)
                if kind == "aspects":
                    categories = [a["category"] for a in raw["aspects"] or ()]
                elif kind is not None:
                    categories = [raw["labels"].get(kind)] if raw["labels"].get(kind) else []
                else:
                    categories = []
                if sentiment is None and not categories:
                    continue
                rows.append(
                    {
                        "text": raw["text"],
                        "file": name,
                        "train": raw["split"] == "train",
                        "lang": raw["lang"],
                        "sentiment": sentiment,
                        "weight": weight,
                        "categories": list(dict.fromkeys(categories)),
                    }
                )
                count += 1
                if max_rows_per_file and count >= max_rows_per_file:
                    break
    return rows, files


def write_pack(
    data_dir: Path, model_dir: Path, out_dir: Path, *, max_rows_per_file: int | None = None
) -> dict[str, Any]:
    """Tokenize every task row and write the pack (about 40 MB for all of `../shared/data`).

    Weights are stored as int8 with one scale per row (what the int8 serving path does to
    matrices anyway); the word embeddings keep only the rows of tokens the pack uses.
    """
    from safetensors.numpy import load_file, save_file
    from tokenizers import Tokenizer

    rows, files = _task_rows(data_dir, max_rows_per_file)
    labels = sorted({(r["file"], c) for r in rows for c in r["categories"]})
    label_index = {key: i for i, key in enumerate(labels)}
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_LENGTH)
    texts = [PREFIX + r["text"] for r in rows] + [PREFIX + label_phrase(c) for _, c in labels]
    encoded = [e.ids for e in tokenizer.encode_batch(texts)]
    vocab = np.array(sorted({i for ids in encoded for i in ids}), dtype=np.int32)
    remap = {old: new for new, old in enumerate(vocab.tolist())}
    tokens = np.array([remap[i] for ids in encoded for i in ids], dtype=np.uint16)
    offsets = np.cumsum([0] + [len(ids) for ids in encoded]).astype(np.int64)
    file_id = {name: i for i, name in enumerate(files)}
    match_labels = [[label_index[(r["file"], c)] for c in r["categories"]] for r in rows]
    out_dir.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out_dir / PACK_DATA,
        tokens=tokens,
        offsets=offsets,
        vocab=vocab,
        row_file=np.array([file_id[r["file"]] for r in rows], dtype=np.int16),
        row_train=np.array([r["train"] for r in rows]),
        row_sentiment=np.array(
            [SENTIMENT_LABELS.index(r["sentiment"]) if r["sentiment"] else -1 for r in rows],
            dtype=np.int8,
        ),
        row_weight=np.array([r["weight"] for r in rows], dtype=np.float32),
        match_offsets=np.cumsum([0] + [len(m) for m in match_labels]).astype(np.int64),
        match_ids=np.array([i for m in match_labels for i in m], dtype=np.int32),
        label_file=np.array([file_id[f] for f, _ in labels], dtype=np.int16),
    )
    state = load_file(model_dir / "model.safetensors")
    slim = {}
    for name, tensor in state.items():
        if name == "embeddings.word_embeddings.weight":
            tensor = tensor[vocab]
        if tensor.ndim == 2 and "position" not in name and "token_type" not in name:
            scale = np.abs(tensor).max(axis=1, keepdims=True) / 127.0
            scale = np.maximum(scale, 1e-12).astype(np.float32)
            slim[name + ".q"] = np.round(tensor / scale).astype(np.int8)
            slim[name + ".scale"] = scale
        else:
            slim[name] = tensor.astype(np.float32)
    save_file(slim, str(out_dir / PACK_WEIGHTS))
    config = json.loads((model_dir / "config.json").read_text())
    meta = {
        "files": files,
        "labels": [[f, c] for f, c in labels],
        "config": {**config, "vocab_size": len(vocab)},
        "rows": len(rows),
        "sentiment_rows": int(sum(r["sentiment"] is not None for r in rows)),
        "matching_rows": int(sum(bool(r["categories"]) for r in rows)),
        "data_dir": str(data_dir),
    }
    (out_dir / PACK_META).write_text(json.dumps(meta, indent=1) + "\n")
    return meta


@dataclass
class Pack:
    """The pack read back: token rows, task arrays and metadata."""

    data: dict[str, np.ndarray]
    meta: dict[str, Any]
    directory: Path

    @classmethod
    def load(cls, directory: Path) -> Pack:
        with np.load(directory / PACK_DATA) as data:
            arrays = {k: data[k] for k in data.files}
        return cls(arrays, json.loads((directory / PACK_META).read_text()), directory)

    def ids(self, index: int) -> np.ndarray:
        o = self.data["offsets"]
        return self.data["tokens"][o[index] : o[index + 1]].astype(np.int64)

    @property
    def n_rows(self) -> int:
        return len(self.data["row_file"])

    def label_text_index(self, label: int) -> int:
        return self.n_rows + label

    def row_labels(self, row: int) -> np.ndarray:
        o = self.data["match_offsets"]
        return self.data["match_ids"][o[row] : o[row + 1]]

    def file_ids(self, names: tuple[str, ...]) -> set[int]:
        return {self.meta["files"].index(n) for n in names if n in self.meta["files"]}


def _load_slim_bert(pack: Pack):
    from safetensors.torch import load_file
    from transformers import BertConfig, BertModel

    config = BertConfig(**{k: v for k, v in pack.meta["config"].items() if not k.startswith("_")})
    bert = BertModel(config, add_pooling_layer=False)
    raw = load_file(str(pack.directory / PACK_WEIGHTS))
    state = {}
    for name, tensor in raw.items():
        if name.endswith(".q"):
            base = name[: -len(".q")]
            state[base] = tensor.float() * raw[base + ".scale"]
        elif not name.endswith(".scale"):
            state[name] = tensor
    missing, unexpected = bert.load_state_dict(state, strict=False)
    if unexpected or [m for m in missing if "position_ids" not in m]:
        raise RuntimeError(f"pack weights do not match: missing={missing} unexpected={unexpected}")
    return bert


# --- training -------------------------------------------------------------------------------


class _Embedder:
    """Batches of pack rows -> unit vectors through a (peft) BertModel."""

    def __init__(self, pack: Pack, model, device, max_length: int) -> None:
        self.pack, self.model, self.device, self.max_length = pack, model, device, max_length

    def __call__(self, indices) -> Any:
        import torch

        ids = [self.pack.ids(i)[: self.max_length] for i in indices]
        width = max(len(i) for i in ids)
        input_ids = torch.full((len(ids), width), 1, dtype=torch.long)
        mask = torch.zeros((len(ids), width), dtype=torch.long)
        for row, seq in enumerate(ids):
            input_ids[row, : len(seq)] = torch.from_numpy(seq)
            mask[row, : len(seq)] = 1
        input_ids, mask = input_ids.to(self.device), mask.to(self.device)
        with torch.autocast(
            self.device.type, dtype=torch.bfloat16, enabled=self.device.type == "cuda"
        ):
            states = self.model(input_ids=input_ids, attention_mask=mask)[0]
        states = states.float()
        pooled = (states * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return torch.nn.functional.normalize(pooled, dim=-1)

    def embed_all(self, indices, batch: int = 256) -> np.ndarray:
        import torch

        order = sorted(indices, key=lambda i: len(self.pack.ids(i)))
        out = {}
        with torch.no_grad():
            for start in range(0, len(order), batch):
                chunk = order[start : start + batch]
                out.update(zip(chunk, self(chunk).cpu().numpy(), strict=True))
        return np.stack([out[i] for i in indices]) if indices else np.zeros((0, 384), np.float32)


def _sentiment_sampling_weights(pack: Pack, rows: np.ndarray) -> np.ndarray:
    """Each file and each class counts by the square root of its size, weak labels half."""
    files = pack.data["row_file"][rows]
    labels = pack.data["row_sentiment"][rows]
    file_count, label_count = Counter(files.tolist()), Counter(labels.tolist())
    w = np.array(
        [file_count[f] ** -0.5 * label_count[y] ** -0.5 for f, y in zip(files, labels, strict=True)]
    )
    w = w * pack.data["row_weight"][rows]
    return w / w.sum()


def train_adapter(pack: Pack, exclude: tuple[str, ...], args: TuningArgs, steps: int):
    """Train the LoRA adapter (and the task heads) on every training row outside `exclude`.

    Returns the peft model (adapters enabled) and the training facts.
    """
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = get_peft_model(
        _load_slim_bert(pack),
        LoraConfig(
            r=args.lora_rank,
            lora_alpha=args.lora_alpha,
            lora_dropout=args.lora_dropout,
            target_modules=list(args.target_modules),
        ),
    ).to(device)
    embed = _Embedder(pack, model, device, args.max_length)
    excluded = pack.file_ids(exclude)
    d = pack.data
    usable = d["row_train"] & ~np.isin(d["row_file"], list(excluded))
    sentiment_rows = np.flatnonzero(usable & (d["row_sentiment"] >= 0))
    sentiment_p = _sentiment_sampling_weights(pack, sentiment_rows)
    has_labels = np.diff(d["match_offsets"]) > 0
    matching_by_file = {
        int(f): np.flatnonzero(usable & has_labels & (d["row_file"] == f))
        for f in np.unique(d["row_file"][usable & has_labels])
    }
    matching_files = list(matching_by_file)
    file_p = np.sqrt([len(matching_by_file[f]) for f in matching_files])
    file_p = file_p / file_p.sum() if len(file_p) else file_p

    head = torch.nn.Linear(384, len(SENTIMENT_LABELS)).to(device)
    match_scale = torch.nn.Parameter(torch.tensor(20.0, device=device))
    match_bias = torch.nn.Parameter(torch.tensor(-15.0, device=device))
    adapters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [
            {"params": adapters, "lr": args.learning_rate},
            {
                "params": [*head.parameters(), match_scale, match_bias],
                "lr": 1e-2,
                "weight_decay": 0,
            },
        ]
    )
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=[args.learning_rate, 1e-2], total_steps=steps, pct_start=0.1
    )
    losses: dict[str, list[float]] = {"sentiment": [], "matching": [], "distill": []}
    started = time.perf_counter()
    model.train()
    for _ in range(steps):
        total = torch.zeros((), device=device)
        distill_rows = []
        if len(sentiment_rows):
            batch = rng.choice(sentiment_rows, args.sentiment_batch, p=sentiment_p)
            vectors = embed(batch)
            y = torch.from_numpy(d["row_sentiment"][batch].astype(np.int64)).to(device)
            loss = torch.nn.functional.cross_entropy(head(vectors * 10), y)
            total = total + loss
            losses["sentiment"].append(loss.item())
            distill_rows.append((batch, vectors))
        if matching_files:
            f = matching_files[rng.choice(len(matching_files), p=file_p)]
            pool = matching_by_file[f]
            batch = rng.choice(pool, min(args.matching_batch, len(pool)), replace=False)
            labels = np.flatnonzero(d["label_file"] == f)
            text_vectors = embed(batch)
            label_vectors = embed([pack.label_text_index(int(k)) for k in labels])
            target = torch.zeros((len(batch), len(labels)), device=device)
            column = {int(k): j for j, k in enumerate(labels)}
            for row, r in enumerate(batch):
                for k in pack.row_labels(int(r)):
                    target[row, column[int(k)]] = 1.0
            logits = (text_vectors @ label_vectors.T) * match_scale + match_bias
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, target)
            total = total + loss
            losses["matching"].append(loss.item())
            distill_rows.append((batch, text_vectors))
        if args.distill_weight > 0 and distill_rows:
            rows = np.concatenate([b for b, _ in distill_rows])
            tuned = torch.cat([v for _, v in distill_rows])
            with torch.no_grad(), model.disable_adapter():
                base = embed(rows)
            loss = (1 - (tuned * base).sum(-1)).mean()
            total = total + args.distill_weight * loss
            losses["distill"].append(loss.item())
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        schedule.step()
    model.eval()
    facts = {
        "steps": steps,
        "seconds": round(time.perf_counter() - started, 1),
        "device": str(device),
        "sentiment_rows": len(sentiment_rows),
        "matching_rows": int(sum(len(v) for v in matching_by_file.values())),
        **{
            f"{k}_loss": [round(float(np.mean(v[:20])), 4), round(float(np.mean(v[-20:])), 4)]
            for k, v in losses.items()
            if v
        },
    }
    return model, facts


# --- evaluation -----------------------------------------------------------------------------


def _macro_f1(gold: np.ndarray, predicted: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    labels = sorted(set(gold.tolist()))
    return round(float(f1_score(gold, predicted, labels=labels, average="macro")), 4)


def _subsample(rows: np.ndarray, files: np.ndarray, per_file: int, rng) -> np.ndarray:
    keep = []
    for f in np.unique(files[rows]):
        in_file = rows[files[rows] == f]
        if len(in_file) > per_file:
            in_file = np.sort(rng.choice(in_file, per_file, replace=False))
        keep.append(in_file)
    return np.concatenate(keep) if keep else rows


def _fit_logistic(x: np.ndarray, y: np.ndarray, x_dev: np.ndarray, y_dev: np.ndarray):
    """Logistic regression with C picked on the training files' dev rows (the baseline's
    protocol, applied to both encoders)."""
    from sklearn.linear_model import LogisticRegression

    best = None
    for c in (0.5, 2.0, 8.0, 32.0):
        model = LogisticRegression(C=c, max_iter=3000).fit(x, y)
        score = _macro_f1(y_dev, model.predict(x_dev)) if len(y_dev) else 0.0
        if best is None or score > best[0]:
            best = (score, c, model)
    return best[2], best[1]


def evaluate_sentiment(
    pack: Pack, held_out: tuple[str, ...], base: np.ndarray, tuned: np.ndarray, rows: dict
) -> dict[str, Any]:
    """Macro-F1 per left-out file: LR on base vectors (baseline) vs LR on tuned vectors."""
    d = pack.data
    out = {}
    fitted = {}
    for name, x in (("baseline", base), ("voc", tuned)):
        xi = {k: x[v] for k, v in rows["pos"].items()}
        model, c = _fit_logistic(
            xi["train"],
            d["row_sentiment"][rows["train"]],
            xi["dev"],
            d["row_sentiment"][rows["dev"]],
        )
        fitted[name] = (model, c)
    for f in sorted(pack.file_ids(held_out)):
        test = rows["test"][d["row_file"][rows["test"]] == f]
        if not len(test):
            continue
        gold = d["row_sentiment"][test]
        result = {"n": len(test)}
        for name, x in (("baseline", base), ("voc", tuned)):
            model, c = fitted[name]
            xt = x[rows["pos"]["test"][d["row_file"][rows["test"]] == f]]
            proba = np.zeros((len(test), 3))
            proba[:, model.classes_] = model.predict_proba(xt)
            result[name] = _macro_f1(gold, proba.argmax(1))
            result[f"{name}_ece"] = round(expected_calibration_error(proba, gold), 4)
            result[f"{name}_c"] = c
        out[pack.meta["files"][f]] = result
    return out


def _zero_shot_predict(scores: np.ndarray, margin: float) -> np.ndarray:
    """Top label, plus every label within `margin` of it (cosine)."""
    return scores >= scores.max(1, keepdims=True) - margin


def _micro_f1(predicted: np.ndarray, gold: np.ndarray) -> float:
    tp = float((predicted & gold).sum())
    denominator = float(predicted.sum() + gold.sum())
    return round(2 * tp / denominator, 4) if denominator else 0.0


MARGINS = (0.0, 0.005, 0.01, 0.02, 0.03, 0.05)


def _matching_sets(pack: Pack, embedder: _Embedder, files: set[int], rows_cap: int, rng):
    """Per file: (scores of texts vs that file's label phrases, gold multi-hot)."""
    d = pack.data
    has_labels = np.diff(d["match_offsets"]) > 0
    sets = {}
    for f in files:
        rows = np.flatnonzero(has_labels & (d["row_file"] == f))
        if len(rows) > rows_cap:
            rows = np.sort(rng.choice(rows, rows_cap, replace=False))
        labels = np.flatnonzero(d["label_file"] == f)
        if not len(rows) or len(labels) < 2:
            continue
        texts = embedder.embed_all(rows.tolist())
        phrases = embedder.embed_all([pack.label_text_index(int(k)) for k in labels])
        column = {int(k): j for j, k in enumerate(labels)}
        gold = np.zeros((len(rows), len(labels)), dtype=bool)
        for i, r in enumerate(rows):
            for k in pack.row_labels(int(r)):
                gold[i, column[int(k)]] = True
        sets[f] = (texts @ phrases.T, gold)
    return sets


def evaluate_matching(
    train_sets: dict, test_sets: dict, pack: Pack
) -> tuple[dict[str, Any], float]:
    """Zero-shot micro-F1 on the left-out files, with the margin chosen on the training files."""
    margin = max(
        MARGINS,
        key=lambda m: (
            np.mean([_micro_f1(_zero_shot_predict(s, m), g) for s, g in train_sets.values()])
            if train_sets
            else 0.0
        ),
    )
    return {
        pack.meta["files"][f]: _micro_f1(_zero_shot_predict(s, margin), g)
        for f, (s, g) in test_sets.items()
    }, margin


def run_fold(
    pack: Pack, held_out: tuple[str, ...], args: TuningArgs, base_cache: dict
) -> dict[str, Any]:
    """Train without `held_out`, evaluate on it; the base encoder's numbers come from the
    same pack and rows (`base_cache` keeps the base vectors between folds)."""
    import torch

    rng = np.random.default_rng(args.seed)
    d = pack.data
    excluded = pack.file_ids(held_out)
    in_fold = np.isin(d["row_file"], list(excluded))
    model, facts = train_adapter(pack, held_out, args, args.fold_steps)
    device = next(model.parameters()).device
    tuned_embed = _Embedder(pack, model, device, args.max_length)
    result: dict[str, Any] = {"held_out": list(held_out), "training": facts}

    labelled = d["row_sentiment"] >= 0
    test = np.flatnonzero(labelled & in_fold)
    if len(test):
        others = labelled & ~in_fold
        train_rows = _subsample(
            np.flatnonzero(others & d["row_train"]), d["row_file"], args.lr_rows_per_file, rng
        )
        dev_rows = _subsample(np.flatnonzero(others & ~d["row_train"]), d["row_file"], 300, rng)
        every = np.concatenate([train_rows, dev_rows, test])
        sizes = np.cumsum([0, len(train_rows), len(dev_rows), len(test)])
        rows = {
            "train": train_rows,
            "dev": dev_rows,
            "test": test,
            "pos": {
                k: np.arange(sizes[i], sizes[i + 1]) for i, k in enumerate(("train", "dev", "test"))
            },
        }
        with model.disable_adapter():
            base = _cached_embed(base_cache, tuned_embed, every)
        tuned = tuned_embed.embed_all(every.tolist())
        result["sentiment"] = evaluate_sentiment(pack, held_out, base, tuned, rows)
        result["cosine_to_base"] = round(float((base * tuned).sum(1).mean()), 4)

    matching_files = {int(f) for f in np.unique(d["label_file"])}
    test_files = matching_files & excluded
    if test_files:
        train_files = matching_files - excluded
        scores = {}
        for name, ctx in (("baseline", model.disable_adapter), ("voc", _no_context)):
            with ctx():
                train_sets = _matching_sets(
                    pack, tuned_embed, train_files, 400, np.random.default_rng(1)
                )
                test_sets = _matching_sets(
                    pack, tuned_embed, test_files, 2000, np.random.default_rng(2)
                )
            scores[name] = evaluate_matching(train_sets, test_sets, pack)
        result["matching"] = {
            pack.meta["files"][f]: {
                "baseline": scores["baseline"][0][pack.meta["files"][f]],
                "voc": scores["voc"][0][pack.meta["files"][f]],
                "baseline_margin": scores["baseline"][1],
                "voc_margin": scores["voc"][1],
            }
            for f in test_files
            if pack.meta["files"][f] in scores["voc"][0]
        }
    del model
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    return result


class _no_context:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _cached_embed(cache: dict, embedder: _Embedder, rows: np.ndarray) -> np.ndarray:
    missing = [int(r) for r in rows if int(r) not in cache]
    if missing:
        cache.update(zip(missing, embedder.embed_all(missing), strict=True))
    return np.stack([cache[int(r)] for r in rows])


def run_pack(
    pack_dir: Path,
    out_dir: Path,
    *,
    args: TuningArgs,
    folds: tuple[tuple[str, ...], ...] = FOLDS,
    deadline_seconds: float | None = None,
) -> dict[str, Any]:
    """The final adapter on every file first (saved under `out_dir/adapter`, peft format), then
    each LODO fold while time remains; `lodo.json` is rewritten after every step, so a run cut
    short keeps what it finished."""
    import torch

    pack = Pack.load(pack_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    report: dict[str, Any] = {
        "args": asdict(args),
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "pack": {k: pack.meta[k] for k in ("rows", "sentiment_rows", "matching_rows")},
        "folds": [],
        "folds_not_run": [],
    }
    model, facts = train_adapter(pack, (), args, args.steps)
    model.save_pretrained(out_dir / "adapter")
    (out_dir / "adapter" / "README.md").unlink(missing_ok=True)
    report["final"] = facts
    del model
    base_cache: dict = {}
    for held_out in folds:
        elapsed = time.perf_counter() - started
        if not pack.file_ids(held_out):
            continue
        if deadline_seconds is not None and elapsed > deadline_seconds:
            report["folds_not_run"].append(list(held_out))
            continue
        fold = run_fold(pack, held_out, args, base_cache)
        report["folds"].append(fold)
        log.info("tuning.fold", extra={"held_out": list(held_out), "seconds": round(elapsed)})
        report["seconds"] = round(time.perf_counter() - started, 1)
        (out_dir / "lodo.json").write_text(json.dumps(report, indent=1) + "\n")
    report["seconds"] = round(time.perf_counter() - started, 1)
    (out_dir / "lodo.json").write_text(json.dumps(report, indent=1) + "\n")
    return report
