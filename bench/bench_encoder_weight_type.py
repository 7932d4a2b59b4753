"""Encoder 8-bit weights: signed (QInt8, before 2026-12-07) against unsigned (QUInt8, served).

Both int8 models are quantised here, into a temporary directory, from the fused fp32 ONNX
of the base encoder (`voc models build-encoder`), and differ only in the weights' type. For
each: whether this CPU's ONNX Runtime kernel multiplies that type exactly
(`exact_8bit_products`; signed weights saturate on AVX2 CPUs without VNNI, so their vectors
depend on the CPU), the mean and lowest cosine of its vectors to the torch fp32 vectors of
the same real feedback texts, and its throughput through `Encoder`, timed in alternating
rounds so both see the same load (median round; the ratio is the median of per-round ratios).

Target: unsigned exact on this CPU, no slower (ratio >= 0.95), cosine to fp32 not below
the signed model's.
Run: `.venv/bin/python bench/bench_encoder_weight_type.py` (defaults: 500 texts, 5 rounds).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from bench_encoder_export import cosine_and_rates, write_variant_manifest
from bench_foundation import feedback_texts

from voc import paths
from voc.nlp.encoder import ONNX_FP32, ONNX_INT8, Encoder
from voc.nlp.encoder_build import exact_8bit_products, quantize_int8

WEIGHT_TYPES = {"signed": "QInt8", "unsigned": "QUInt8"}
SHARED_FILES = ("config.json", "tokenizer.json", ONNX_FP32)


def build_variants(model_dir: Path, root: Path) -> dict[str, Path]:
    """One encoder directory per weight type, sharing the fp32 graph and the tokenizer."""
    variants = {}
    for name, weight_type in WEIGHT_TYPES.items():
        variant = root / name
        variant.mkdir()
        for file in SHARED_FILES:
            (variant / file).symlink_to((model_dir / file).resolve())
        quantize_int8(model_dir / ONNX_FP32, variant / ONNX_INT8, weight_type=weight_type)
        write_variant_manifest(model_dir, variant)
        variants[name] = variant
    return variants


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    model_dir = paths.base_model_dir()
    texts = feedback_texts(args.texts)
    reference = Encoder(model_dir, backend="torch").embed(texts)
    with tempfile.TemporaryDirectory(prefix="voc-encoder-weights-") as tmp:
        encoders = {n: Encoder(d) for n, d in build_variants(model_dir, Path(tmp)).items()}
        cosine, rates = cosine_and_rates(encoders, texts, reference, args.rounds)
    ratios = np.array(rates["unsigned"]) / np.array(rates["signed"])
    result = {
        "texts": len(texts),
        "rounds": args.rounds,
        "exact_on_this_cpu": {n: exact_8bit_products(t) for n, t in WEIGHT_TYPES.items()},
        "cosine_to_torch_fp32": {
            k: {s: round(v, 5) for s, v in c.items()} for k, c in cosine.items()
        },
        "texts_per_s_median": {k: round(float(np.median(v)), 1) for k, v in rates.items()},
        "ratio_unsigned_over_signed_median": round(float(np.median(ratios)), 2),
        "targets": {"unsigned_exact": True, "ratio_at_least": 0.95, "cosine_not_below": True},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
