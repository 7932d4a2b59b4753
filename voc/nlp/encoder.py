"""The multilingual encoder: texts in, L2-normalised e5 sentence embeddings out.

Serving runs ONNX Runtime (dynamic int8 by default: about twice the fp32 throughput on two
cores); `backend="torch"` runs the same weights in PyTorch for training and for checks.
The model returns token states and e5's mean pooling happens here. Texts are sorted by
length and cut into batches where padding and batch count cost least; results keep the input
order.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from voc.config import BACKENDS, Backend

PREFIX = "query: "
"""e5 expects a prefix; `query: ` is its recommendation for classification and clustering."""
MAX_TOKENS = 512
PAD_ID = 1  # `<pad>` in the XLM-R SentencePiece vocabulary
DIM = 384
MANIFEST = "manifest.json"
ONNX_FP32 = "encoder.fp32.onnx"
ONNX_INT8 = "encoder.int8.onnx"
"""Files of the model directory `voc.nlp.encoder_build` writes and this module reads."""
BATCH_COST_TOKENS = 16
"""What running one more batch costs, in padded tokens: chosen with `token_budget` on a sweep
(0, 16, 64, 256; 0 makes a batch per length, up to 34% slower; docs/benchmarks.md)."""


def load_torch_encoder(model_dir: Path, adapter: Path | None = None):
    """The rebuilt BertModel as a module mapping (input_ids, attention_mask) to token states;
    with `adapter`, a fine-tuned LoRA adapter (peft format) is merged into its weights."""
    import torch
    from transformers import BertModel

    class TokenStates(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask)[0]

    bert = BertModel.from_pretrained(model_dir, add_pooling_layer=False)
    if adapter is not None:
        from peft import PeftModel

        bert = PeftModel.from_pretrained(bert, adapter).merge_and_unload()
    return TokenStates(bert).eval()


def adapter_version(adapter: Path) -> str:
    """`lora@<hash>` of an adapter's files, appended to the encoder's version."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(p for p in adapter.rglob("*") if p.is_file()):
        digest.update(path.name.encode() + path.read_bytes())
    return f"lora@{digest.hexdigest()[:8]}"


def encoder_version(model_dir: Path) -> str:
    """A short, stable version string: the name plus the first characters of the int8 checksum."""
    manifest = json.loads((model_dir / MANIFEST).read_text())
    return f"{manifest['name']}@{manifest['files'][ONNX_INT8][:8]}"


def _normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class Encoder:
    """Embeds batches of texts with one model loaded once per process."""

    def __init__(
        self,
        model_dir: Path,
        *,
        backend: Backend = "onnx-int8",
        threads: int | None = None,
        max_batch: int = 64,
        token_budget: int = 2048,
        adapter: Path | None = None,
    ) -> None:
        from tokenizers import Tokenizer

        if backend not in BACKENDS:
            raise ValueError(f"unknown encoder backend {backend!r}; use one of {BACKENDS}")
        if not (model_dir / MANIFEST).exists():
            raise FileNotFoundError(
                f"no encoder in {model_dir}: run `voc models build-encoder` (or `make model`)"
            )
        if adapter is not None and backend != "torch":
            raise ValueError("a fine-tuned adapter runs on the torch backend only")
        self.model_dir = model_dir
        self.backend = backend
        self.adapter = adapter
        self.version = encoder_version(model_dir) + (
            f"+{adapter_version(adapter)}" if adapter is not None else ""
        )
        self.max_batch = max_batch
        self.token_budget = token_budget
        self.threads = threads or os.cpu_count() or 1
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()
        self._lock = threading.Lock()
        self._run = self._load_runner(backend)

    def _load_runner(self, backend: Backend):
        if backend == "torch":
            import torch

            torch.set_num_threads(self.threads)
            module = load_torch_encoder(self.model_dir, self.adapter)

            def run_torch(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
                with torch.inference_mode():
                    return module(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()

            return run_torch

        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        name = ONNX_INT8 if backend == "onnx-int8" else ONNX_FP32
        session = ort.InferenceSession(
            str(self.model_dir / name), options, providers=["CPUExecutionProvider"]
        )

        def run_onnx(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
            return session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

        return run_onnx

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed `texts` into an (n, 384) float32 array of unit vectors, in input order."""
        return self._embed(texts, self._batches)

    def embed_alone(self, texts: Sequence[str]) -> np.ndarray:
        """As `embed`, each text run on its own: the vector it gets whatever it is sent with.

        int8 ONNX quantises activations per batch, so a batched text's vector moves a little
        with its neighbours (cosine ~0.997). That is noise for a comment, but a taxonomy's or
        a journey's prompts and examples define every later tag: encoded alone, the tagger
        fitted on them is the same in every process and under any batching rule. About 1.6x the
        time (388 texts of the default taxonomy and journey: 2.4 s against 1.5 s, under load);
        they are encoded once per label set.
        """
        return self._embed(texts, lambda lengths: [[i] for i in range(len(lengths))])

    def _embed(
        self, texts: Sequence[str], batches: Callable[[list[int]], list[list[int]]]
    ) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        if not texts:
            return out
        with self._lock:  # one caller at a time: the batcher, a report, a topic fit
            ids = [e.ids for e in self._tokenizer.encode_batch([PREFIX + t for t in texts])]
            for batch in batches([len(i) for i in ids]):
                width = len(ids[batch[-1]])
                input_ids = np.full((len(batch), width), PAD_ID, dtype=np.int64)
                mask = np.zeros((len(batch), width), dtype=np.int64)
                for row, index in enumerate(batch):
                    input_ids[row, : len(ids[index])] = ids[index]
                    mask[row, : len(ids[index])] = 1
                states = self._run(input_ids, mask)
                pooled = (states * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
                out[batch] = _normalize(pooled)
        return out

    def _batches(self, lengths: list[int]) -> list[list[int]]:
        """Indices grouped by length, each group within `max_batch` and `token_budget`.

        Sorted by length, the cuts are those of least cost (dynamic programming over the
        sorted lengths), a batch costing its padded size (rows x its longest row) plus
        `BATCH_COST_TOKENS` for running it. Filling each batch up to the limits instead pads
        short rows to the longest of up to 64 and makes batches too large for the CPU's
        caches: on 2,000 feedback texts (bench/bench_foundation.py's mix) cutting this way runs
        whole texts 1.17x and the Analyzer's clause chunks 1.6x as fast, two ONNX threads
        (bench/bench_encoder_batching.py; one thread, CPU time: 1.45x both).
        """
        order = sorted(range(len(lengths)), key=lengths.__getitem__)
        ordered = [lengths[i] for i in order]
        cost = [0.0] + [float("inf")] * len(ordered)
        start = [0] * (len(ordered) + 1)
        for end in range(1, len(ordered) + 1):
            width = ordered[end - 1]
            for first in range(end - 1, max(-1, end - 1 - self.max_batch), -1):
                rows = end - first
                if rows > 1 and rows * width > self.token_budget:
                    break
                candidate = cost[first] + rows * width + BATCH_COST_TOKENS
                if candidate < cost[end]:
                    cost[end], start[end] = candidate, first
        batches, end = [], len(ordered)
        while end > 0:
            batches.append(order[start[end] : end])
            end = start[end]
        return batches[::-1]
