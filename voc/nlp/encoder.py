"""The multilingual encoder: texts in, L2-normalised e5 sentence embeddings out.

Serving runs ONNX Runtime (dynamic int8 by default: about twice the fp32 throughput on two
cores); `backend="torch"` runs the same weights in PyTorch for training and for checks.
Texts are tokenised once, sorted by length and batched under a token budget, so padding
costs little; results come back in input order.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import numpy as np

Backend = Literal["onnx-int8", "onnx-fp32", "torch"]
BACKENDS: tuple[Backend, ...] = ("onnx-int8", "onnx-fp32", "torch")
PREFIX = "query: "
"""e5 expects a prefix; `query: ` is its recommendation for classification and clustering."""
MAX_TOKENS = 512
PAD_ID = 1  # `<pad>` in the XLM-R SentencePiece vocabulary


def load_torch_encoder(model_dir: Path):
    """The rebuilt BertModel wrapped with e5's masked mean pooling and L2 normalisation."""
    import torch
    from transformers import BertModel

    class MeanPooled(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask)[0]
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    bert = BertModel.from_pretrained(model_dir, add_pooling_layer=False)
    return MeanPooled(bert).eval()


class Encoder:
    """Embeds batches of texts with one model loaded once per process."""

    def __init__(
        self,
        model_dir: Path,
        *,
        backend: Backend = "onnx-int8",
        threads: int | None = None,
        max_batch: int = 64,
        token_budget: int = 8192,
    ) -> None:
        from tokenizers import Tokenizer

        from voc.nlp import encoder_build

        if backend not in BACKENDS:
            raise ValueError(f"unknown encoder backend {backend!r}; use one of {BACKENDS}")
        if not (model_dir / encoder_build.MANIFEST).exists():
            raise FileNotFoundError(
                f"no encoder in {model_dir}: run `voc models build-encoder` (or `make model`)"
            )
        self.model_dir = model_dir
        self.backend = backend
        self.version = encoder_build.encoder_version(model_dir)
        self.max_batch = max_batch
        self.token_budget = token_budget
        self.threads = threads or os.cpu_count() or 1
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()
        self._run = self._load_runner(backend)

    @property
    def dim(self) -> int:
        return 384

    def _load_runner(self, backend: Backend):
        from voc.nlp import encoder_build

        if backend == "torch":
            import torch

            torch.set_num_threads(self.threads)
            module = load_torch_encoder(self.model_dir)

            def run_torch(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
                with torch.inference_mode():
                    return module(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()

            return run_torch

        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        name = encoder_build.ONNX_INT8 if backend == "onnx-int8" else encoder_build.ONNX_FP32
        session = ort.InferenceSession(
            str(self.model_dir / name), options, providers=["CPUExecutionProvider"]
        )

        def run_onnx(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
            return session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

        return run_onnx

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids (with `<s>`/`</s>`) of each prefixed text, truncated to 512 tokens."""
        return [e.ids for e in self._tokenizer.encode_batch([PREFIX + t for t in texts])]

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embed `texts` into an (n, 384) float32 array of unit vectors, in input order."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = self.token_ids(texts)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        start = 0
        while start < len(order):
            end = start + 1
            while (
                end < len(order)
                and end - start < self.max_batch
                and (end - start + 1) * len(ids[order[end]]) <= self.token_budget
            ):
                end += 1
            batch = order[start:end]
            width = len(ids[batch[-1]])
            input_ids = np.full((len(batch), width), PAD_ID, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, index in enumerate(batch):
                input_ids[row, : len(ids[index])] = ids[index]
                mask[row, : len(ids[index])] = 1
            out[batch] = self._run(input_ids, mask)
            start = end
        return out
