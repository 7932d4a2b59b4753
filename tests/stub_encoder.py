"""A deterministic stand-in for the e5 encoder, for unit tests that check mechanics (pooling,
batching, bookkeeping) and never judge a model's quality. Tests that judge quality use the
real `voc.nlp.encoder.Encoder`.

Each text becomes a hashed bag of its character 3-grams as a unit vector in the encoder's
dimension: identical texts get identical vectors, texts sharing words get close ones, and
nothing is loaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from voc.nlp.encoder import DIM


class StubEncoder:
    version = "stub-encoder@ngrams3"

    def __init__(self, dim: int = DIM, n: int = 3) -> None:
        self.dim = dim
        self.n = n

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            padded = f" {text.lower()} "
            for i in range(max(len(padded) - self.n + 1, 1)):
                gram = padded[i : i + self.n].encode("utf-8")
                digest = int.from_bytes(hashlib.blake2b(gram, digest_size=8).digest(), "little")
                out[row, digest % self.dim] += 1.0 if digest >> 63 else -1.0
            norm = np.linalg.norm(out[row])
            if norm:
                out[row] /= norm
        return out
