"""One registered model version: its manifest (`entry.json`) and the checks on its files.

The manifest names the artifact files with their sha256, the config, the data it was trained
on, the code that trained it, its evaluations and when it was made. It lives next to the
files, so a version directory can be copied, committed or deleted as one unit.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from voc import __version__, paths

MANIFEST = "entry.json"
CARD = "CARD.md"


class EntryError(ValueError):
    """A version directory has no usable manifest; the message names the file."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def code_version() -> dict[str, str | None]:
    """The package version, and the git commit (with a dirty flag) when run from a checkout."""
    commit = None
    try:
        head = subprocess.run(
            ["git", "-C", str(paths.REPO_ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(paths.REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        commit = head + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return {"package": __version__, "git_commit": commit}


def evaluation(
    name: str,
    data: list[dict[str, str]],
    metric: str,
    groups: dict[str, dict[str, Any]],
    *,
    selection: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An evaluation record. Two versions are comparable on it when `set` is equal: the same
    name, the same data files (by hash) and the same selection of rows."""
    identity = {"name": name, "data": data, "selection": selection or {}}
    key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]
    return {"set": f"{name}#{key}", **identity, "metric": metric, "groups": groups, **extra}


@dataclass(frozen=True)
class Entry:
    name: str
    version: str
    """The component's own version string, e.g. `sentiment@9223055d`: what responses show."""
    files: dict[str, str]
    """Artifact file name (relative to the version directory) -> sha256; includes the card."""
    config: dict[str, Any]
    training_data: list[dict[str, str]]
    code_version: dict[str, str | None]
    evaluations: list[dict[str, Any]]
    created_at: str
    notes: str = ""
    path: Path = field(default=Path(), compare=False)
    """The version directory (not stored: it is wherever the manifest was read from)."""

    @property
    def short_version(self) -> str:
        return self.version.split("@", 1)[-1]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("path")
        return out

    def problems(self) -> list[str]:
        """Why this version must not be activated as it is: no card, missing or changed files."""
        found = []
        if CARD not in self.files or not (self.path / CARD).is_file():
            found.append(f"{self.version} has no model card ({self.path / CARD})")
        for name, expected in sorted(self.files.items()):
            path = self.path / name
            if not path.is_file():
                found.append(f"{self.version}: file {name} is missing")
            elif file_sha256(path) != expected:
                found.append(f"{self.version}: file {name} does not match its sha256")
        return found


def read_entry(version_dir: Path) -> Entry:
    manifest = version_dir / MANIFEST
    try:
        raw = json.loads(manifest.read_text())
        return Entry(**raw, path=version_dir)
    except FileNotFoundError as err:
        raise EntryError(f"{manifest} not found") from err
    except (json.JSONDecodeError, TypeError) as err:
        raise EntryError(f"{manifest} is not a valid manifest: {err}") from err


def write_entry(
    version_dir: Path,
    *,
    name: str,
    version: str,
    config: dict[str, Any],
    training_data: list[dict[str, str]],
    evaluations: list[dict[str, Any]],
    created_at: str | None = None,
    notes: str = "",
) -> Entry:
    """Hash every file in `version_dir` (except the manifest) and write the manifest."""
    files = {
        str(p.relative_to(version_dir)): file_sha256(p)
        for p in sorted(version_dir.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    entry = Entry(
        name=name,
        version=version,
        files=files,
        config=config,
        training_data=training_data,
        code_version=code_version(),
        evaluations=evaluations,
        created_at=created_at or datetime.now(UTC).isoformat(timespec="seconds"),
        notes=notes,
        path=version_dir,
    )
    (version_dir / MANIFEST).write_text(json.dumps(entry.to_dict(), indent=2) + "\n")
    return entry
