"""Encoder export benchmark: the fused int8 export against the export it replaced, same run.

Both int8 models are built here, into a temporary directory, from the BertModel weights of
the base encoder (`voc models build-encoder`):
(old) the export before issue #10: dynamo exporter, no fusions, per-channel dynamic int8 of
      MatMul/Gemm;
(new) `voc.nlp.encoder_build` as `build-encoder` runs it: TorchScript export fused by ONNX
      Runtime's BERT optimizer (embeddings + LayerNorm, attention, bias + GELU, residual +
      LayerNorm), then per-channel dynamic int8 of MatMul/Gemm/Attention (unsigned weights
      since 2026-12-07: bench_encoder_weight_type.py).
Each is served by `voc.nlp.encoder.Encoder` (length-sorted token-budget batches, mean pooling)
on real feedback texts, timed in alternating rounds so both see the same machine load; the
reported throughput is the median round, the ratio the median of per-round ratios. Accuracy
is the cosine of each int8 model's vectors to the torch fp32 vectors of the same texts.

The committed sentiment head, fitted on vectors of the old export, then labels dev rows of
its own training files with each encoder's document vectors: macro-F1 of both and how often
they agree.

Target: new/old >= 1.5 (2 cores), mean cosine to fp32 not below the old export's.
Run: `.venv/bin/python bench/bench_encoder_export.py` (defaults: 1,000 texts, 5 rounds,
2,000 sentiment dev rows).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_foundation import feedback_texts
from sklearn.metrics import f1_score
from tokenizers import Tokenizer

from voc import paths
from voc.nlp.datasets import Example, iter_examples
from voc.nlp.encoder import MANIFEST, ONNX_FP32, ONNX_INT8, PREFIX, Encoder, load_torch_encoder
from voc.nlp.encoder_build import MAX_TOKENS, export_fused_fp32, quantize_int8, sha256_file
from voc.nlp.sentiment import SentimentHead
from voc.nlp.train import document_vectors, sentiment_label
from voc.nlp.types import SENTIMENT_LABELS

SHARED_FILES = ("config.json", "tokenizer.json")
SENTIMENT_DIR = paths.ARTIFACTS_DIR / "sentiment"


def old_export(model_dir: Path, out: Path) -> None:
    """fp32 ONNX of the token states as `build-encoder` wrote it before the fusions."""
    import torch

    module = load_torch_encoder(model_dir)
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    sample = tokenizer.encode_batch(["query: a short example", "passage: another one here"])
    ids = torch.tensor([e.ids[:6] for e in sample])
    batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence", max=MAX_TOKENS)
    with torch.no_grad():
        program = torch.onnx.export(
            module,
            (ids, torch.ones_like(ids)),
            input_names=["input_ids", "attention_mask"],
            output_names=["token_states"],
            dynamic_shapes={"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}},
            dynamo=True,
            external_data=False,
        )
    program.save(str(out))


def build_variants(model_dir: Path, root: Path) -> dict[str, Path]:
    """Encoder directories `old` and `new`, each with its own fp32 and int8 ONNX files."""
    variants = {}
    for name in ("old", "new"):
        variant = root / name
        variant.mkdir()
        for file in SHARED_FILES:
            (variant / file).symlink_to((model_dir / file).resolve())
        if name == "old":
            old_export(model_dir, variant / ONNX_FP32)
            quantize_int8(
                variant / ONNX_FP32,
                variant / ONNX_INT8,
                op_types=("MatMul", "Gemm"),
                weight_type="QInt8",
            )
        else:
            export_fused_fp32(model_dir, variant / ONNX_FP32)
            quantize_int8(variant / ONNX_FP32, variant / ONNX_INT8)
        write_variant_manifest(model_dir, variant)
        variants[name] = variant
    return variants


def write_variant_manifest(model_dir: Path, variant: Path) -> None:
    """The base manifest with the variant's own int8 checksum, hence its own encoder version
    (and embedding cache)."""
    manifest = json.loads((model_dir / MANIFEST).read_text())
    manifest["files"] = {ONNX_INT8: sha256_file(variant / ONNX_INT8)}
    (variant / MANIFEST).write_text(json.dumps(manifest))


def cosine_and_rates(
    encoders: dict[str, Encoder], texts: list[str], reference: np.ndarray, rounds: int
) -> tuple[dict[str, dict[str, float]], dict[str, list[float]]]:
    """Each encoder's cosine to the `reference` vectors of `texts` (mean, min; also the
    warm-up), then its texts/s in `rounds` alternating rounds, so all see the same load."""
    cosine = {}
    for name, encoder in encoders.items():
        similarity = (encoder.embed(texts) * reference).sum(axis=1)
        cosine[name] = {"mean": float(similarity.mean()), "min": float(similarity.min())}
    rates = {name: [] for name in encoders}
    for _ in range(rounds):
        for name, encoder in encoders.items():
            started = time.perf_counter()
            encoder.embed(texts)
            rates[name].append(len(texts) / (time.perf_counter() - started))
    return cosine, rates


def sentiment_dev_rows(n: int, seed: int = 0) -> list[Example]:
    """Up to `n` labelled dev rows, evenly drawn from the files the committed head trained on."""
    files = [d["file"] for d in json.loads((SENTIMENT_DIR / "config.json").read_text())["data"]]
    rng = np.random.default_rng(seed)
    per_file = -(-n // len(files))
    rows = []
    for name in files:
        dev = [
            e
            for e in iter_examples(paths.shared_data_dir() / name)
            if e.split == "dev" and sentiment_label(e) is not None
        ]
        rows += [dev[i] for i in sorted(rng.choice(len(dev), min(per_file, len(dev)), False))]
    return rows


def sentiment_comparison(encoders: dict[str, Encoder], n: int) -> dict:
    """The committed sentiment head (fitted on old-export vectors) on each encoder's document
    vectors: macro-F1 of each and how often their labels agree."""
    head = SentimentHead.load(SENTIMENT_DIR)
    rows = sentiment_dev_rows(n)
    gold = [sentiment_label(e) for e in rows]
    labels = {
        name: [SENTIMENT_LABELS[i] for i in head.predict_proba(document_vectors(e, rows)).argmax(1)]
        for name, e in encoders.items()
    }
    return {
        "head": head.version,
        "dev_rows": len(rows),
        "macro_f1": {
            name: round(float(f1_score(gold, pred, average="macro")), 4)
            for name, pred in labels.items()
        },
        "label_agreement": round(
            float(np.mean([a == b for a, b in zip(labels["old"], labels["new"], strict=True)])), 4
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sentiment-rows", type=int, default=2000, help="0: skip")
    args = parser.parse_args()

    model_dir = paths.base_model_dir()
    texts = feedback_texts(args.texts)
    reference = Encoder(model_dir, backend="torch").embed(texts)
    with tempfile.TemporaryDirectory(prefix="voc-encoder-export-") as tmp:
        encoders = {
            name: Encoder(directory)
            for name, directory in build_variants(model_dir, Path(tmp)).items()
        }
        cosine, rates = cosine_and_rates(encoders, texts, reference, args.rounds)
        sentiment = (
            sentiment_comparison(encoders, args.sentiment_rows) if args.sentiment_rows else None
        )
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokens = [len(e.ids) for e in tokenizer.encode_batch([PREFIX + t for t in texts])]
    ratios = np.array(rates["new"]) / np.array(rates["old"])
    result = {
        "texts": len(texts),
        "mean_tokens": round(float(np.mean(tokens)), 1),
        "encoder_versions": {name: e.version for name, e in encoders.items()},
        "rounds": args.rounds,
        "texts_per_s_median": {k: round(float(np.median(v)), 1) for k, v in rates.items()},
        "texts_per_s_rounds": {k: [round(r, 1) for r in v] for k, v in rates.items()},
        "ratio_new_over_old_median": round(float(np.median(ratios)), 2),
        "cosine_to_torch_fp32": {
            k: {s: round(v, 5) for s, v in c.items()} for k, c in cosine.items()
        },
        "sentiment_head_on_dev": sentiment,
        "targets": {"new_over_old": 1.5, "new_mean_cosine_at_least_old": True},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
