"""Where voc keeps files: committed artifacts, locally built base weights, runtime data.

One place so that the CLI, the service, the tests and the notebooks agree.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS_DIR = REPO_ROOT / "models"
"""Committed, small trained artifacts (safetensors/JSON) with their model cards."""


def base_model_dir() -> Path:
    """Directory of the rebuilt base encoder (never committed); `VOC_BASE_MODEL_DIR` overrides."""
    return Path(os.environ.get("VOC_BASE_MODEL_DIR", ARTIFACTS_DIR / "base" / "e5-small"))


def shared_data_dir() -> Path:
    """Labelled datasets, read where they are (`VOC_DATA_DIR` overrides `../shared/data`)."""
    return Path(os.environ.get("VOC_DATA_DIR", REPO_ROOT.parent / "shared" / "data"))


def var_dir() -> Path:
    """Runtime state (the SQLite database by default); `VOC_VAR_DIR` overrides."""
    return Path(os.environ.get("VOC_VAR_DIR", REPO_ROOT / "var"))


def registry_dir() -> Path:
    """Newly trained model versions (git-ignored, next to runtime state); `VOC_REGISTRY_DIR`
    overrides. Committed default versions stay under `ARTIFACTS_DIR`."""
    return Path(os.environ.get("VOC_REGISTRY_DIR", var_dir() / "registry"))


def private_dir(path: Path) -> Path:
    """`path` and missing parents created owner-only (0700): runtime state holds feedback."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def create_private_file(path: Path, text: str = "") -> bool:
    """Create `path` owner-only (0600) with `text`, never readable by others even briefly;
    False when it already exists (left as it is)."""
    private_dir(path.parent)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    return True
