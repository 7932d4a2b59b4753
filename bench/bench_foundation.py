"""Foundation benchmark: ratios against a baseline measured in the same run, on the same texts.

(a) baseline: the encoder in torch fp32 called like a transformers pipeline (batch 32, input
    order, padding to the longest in each batch);
(b) voc's encoder path (ONNX int8, length-sorted batches);
(c) full `Analyzer` throughput for language + sentiment + sentences;
(d) single-document latency through the Flask app served by waitress over real HTTP;
(e) the cost of personal-data detection with masking: `analyze_batch` (what jobs and
    /v1/analyze run, serialisation included) for (c)'s features with `pii` + redact "mask",
    against the same without `pii` and with redact "none", alternated on the same texts.

Targets (2 cores): b/a >= 2.5, c/b >= 0.8, single-document p50 <= 30 ms, e: pii + mask adds
<= 15% to the time.
Run: `make bench` (or `.venv/bin/python bench/bench_foundation.py --texts 2000`).
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from voc import paths
from voc.config import Settings
from voc.nlp.datasets import iter_examples

FILES = (
    "en_uci_sentiment_labelled_sentences.jsonl",
    "fr_tripadvisor_restaurants_absa.jsonl",
    "indonlu_smsa.jsonl",
    "id_prdect_tokopedia.jsonl",
    "ms_news_sentiment.jsonl",
    "ms_translated_uci_sentences.jsonl",
)


def feedback_texts(n: int, seed: int = 0) -> list[str]:
    """`n` real feedback texts, evenly drawn from files in the four languages."""
    rng = np.random.default_rng(seed)
    per_file = -(-n // len(FILES))
    texts = []
    for name in FILES:
        rows = [e.text for e in iter_examples(paths.shared_data_dir() / name)]
        texts += [rows[i] for i in rng.choice(len(rows), per_file, replace=False)]
    return [texts[i] for i in rng.permutation(len(texts))[:n]]


def baseline_pipeline(texts: list[str]) -> float:
    """texts/s of the plain transformers path: tokenizer + BertModel fp32, batch 32, mean pool."""
    import torch
    from transformers import AutoTokenizer, BertModel

    model_dir = paths.base_model_dir()
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = BertModel.from_pretrained(model_dir, add_pooling_layer=False).eval()
    started = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(texts), 32):
            batch = tokenizer(
                ["query: " + t for t in texts[i : i + 32]],
                padding=True,
                truncation=True,
                max_length=512,
                return_tensors="pt",
            )
            hidden = model(**batch)[0]
            mask = batch["attention_mask"].unsqueeze(-1)
            torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=1)
    return len(texts) / (time.perf_counter() - started)


def voc_encoder(texts: list[str]) -> float:
    from voc.nlp.encoder import Encoder

    encoder = Encoder(paths.base_model_dir())
    encoder.embed(texts[:16])
    started = time.perf_counter()
    encoder.embed(texts)
    return len(texts) / (time.perf_counter() - started)


def analyzer_throughput(texts: list[str], analyzer) -> float:
    from voc.nlp.types import Feedback

    feedback = [Feedback(id=str(i), text=t) for i, t in enumerate(texts)]
    analyzer.analyze(feedback[:16])
    started = time.perf_counter()
    for i in range(0, len(feedback), 256):
        analyzer.analyze(feedback[i : i + 256], features=("language", "sentiment", "sentences"))
    return len(texts) / (time.perf_counter() - started)


def pii_cost(texts: list[str], analyzer, rounds: int = 2) -> dict[str, float]:
    """Seconds per pass over `texts` without and with pii + mask (best of `rounds`, alternated
    so both see the same machine load), and the added share."""
    from voc.nlp.batch import analyze_batch
    from voc.nlp.types import Feedback

    feedback = [Feedback(id=str(i), text=t) for i, t in enumerate(texts)]
    features = ["language", "sentiment", "sentences"]
    variants = {
        "without": {"features": features, "redact": "none"},
        "pii_mask": {"features": [*features, "pii"], "redact": "mask"},
    }
    best = dict.fromkeys(variants, float("inf"))
    analyze_batch(analyzer, feedback[:16], variants["pii_mask"])
    for _ in range(rounds):
        for name, options in variants.items():
            started = time.perf_counter()
            for i in range(0, len(feedback), 256):
                analyze_batch(analyzer, feedback[i : i + 256], options)
            best[name] = min(best[name], time.perf_counter() - started)
    return {
        "without_s": round(best["without"], 2),
        "pii_mask_s": round(best["pii_mask"], 2),
        "added": round(best["pii_mask"] / best["without"] - 1, 3),
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_latency(texts: list[str], requests: int) -> dict[str, float]:
    """Sequential single-document requests to a real waitress server on loopback."""
    from waitress.server import create_server

    from voc.service import create_app

    database = Path(tempfile.mkdtemp(prefix="voc-bench-")) / "voc.sqlite3"
    app = create_app(Settings.from_env({"database_url": f"sqlite:///{database}"}))
    port = _free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies = []
    for i in range(requests + 10):
        body = json.dumps({"documents": [{"id": "d", "text": texts[i % len(texts)]}]})
        started = time.perf_counter()
        connection.request("POST", "/v1/analyze", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"/v1/analyze answered {response.status}")
        if i >= 10:  # the first requests warm up caches
            latencies.append((time.perf_counter() - started) * 1000)
    server.close()
    return {
        "p50_ms": float(np.percentile(latencies, 50)),
        "p99_ms": float(np.percentile(latencies, 99)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    from voc.registry.loader import load_analyzer

    texts = feedback_texts(args.texts)
    a = baseline_pipeline(texts)
    b = voc_encoder(texts)
    analyzer = load_analyzer(Settings.from_env())
    c = analyzer_throughput(texts, analyzer)
    d = http_latency(texts, args.requests)
    e = pii_cost(texts, analyzer)
    result = {
        "texts": len(texts),
        "a_baseline_torch_pipeline_texts_per_s": round(a, 1),
        "b_voc_encoder_texts_per_s": round(b, 1),
        "c_analyzer_texts_per_s": round(c, 1),
        "d_single_document_latency_ms": {k: round(v, 1) for k, v in d.items()},
        "ratio_b_over_a": round(b / a, 2),
        "ratio_c_over_b": round(c / b, 2),
        "e_pii_mask_cost": e,
        "targets": {"b_over_a": 2.5, "c_over_b": 0.8, "p50_ms": 30, "e_added": 0.15},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
