"""Where topic models live: one directory per version under `Settings.topics_dir`, plus a
pointer to the active one. Versions are immutable: a fit or an analyst edit writes a new one."""

from __future__ import annotations

import json
import os
from pathlib import Path

from voc.topics.model import TopicModel

ACTIVE = "active.json"


class TopicStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def save(self, model: TopicModel, *, activate: bool = True) -> Path:
        path = self.directory / model.version
        model.save(path)
        if activate:
            self.activate(model.version)
        return path

    def activate(self, version: str) -> None:
        if not (self.directory / version).is_dir():
            raise FileNotFoundError(f"no topic model {version!r} in {self.directory}")
        tmp = self.directory / f".{ACTIVE}.tmp"
        tmp.write_text(json.dumps({"version": version}))
        os.replace(tmp, self.directory / ACTIVE)

    def active_version(self) -> str | None:
        pointer = self.directory / ACTIVE
        if not pointer.exists():
            return None
        return json.loads(pointer.read_text())["version"]

    def active(self) -> TopicModel | None:
        version = self.active_version()
        return None if version is None else self.load(version)

    def load(self, version: str) -> TopicModel:
        path = self.directory / version
        if not path.is_dir() or "/" in version or version.startswith("."):
            raise FileNotFoundError(f"no topic model {version!r} in {self.directory}")
        return TopicModel.load(path)
