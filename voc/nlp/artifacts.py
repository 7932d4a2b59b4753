"""Write trained weights as safetensors, the one way every component saves its tensors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from safetensors.numpy import save_file


def save_tensors(tensors: dict[str, np.ndarray], path: Path) -> None:
    """Save C-contiguous copies: safetensors writes a Fortran-ordered array's bytes as if it
    were row-major, so sklearn's column-major `coef_` would load back scrambled."""
    save_file({name: np.ascontiguousarray(array) for name, array in tensors.items()}, path)
