"""The model registry: every version of every component, and which one is active.

Versions live in two places. Committed defaults are the artifact directories under
`models/<name>/` (reviewed, in git, what a fresh clone serves). Versions trained later are
written under `Settings.registry_dir` (default `var/registry/<name>/<id>/`, git-ignored:
trained weights come from data that is never committed and promoting one to a default is a
review step); topic models, fitted on a user's own feedback, under `Settings.topics_dir`.
Each version directory holds its files and an `entry.json` manifest. A model without a
committed default (topics) has no active version until one is activated.

Activation is recorded in the database (`activations.py`) after safety checks: the card is
present, the files match their hashes, and the metrics are not below the active version on
an evaluation set both share (from their manifests, or recorded by `voc eval` on the same
rows: `evaluations.py`). `force` overrides the checks and is recorded as such.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from voc.config import Settings
from voc.registry import activations, evaluations
from voc.registry.compare import compare
from voc.registry.components import component
from voc.registry.entry import MANIFEST, Entry, EntryError, read_entry, write_entry
from voc.storage import make_engine

log = logging.getLogger(__name__)


class UnknownModel(LookupError):
    """No component or no version by that name; the message lists what exists."""


class ActivationRefused(ValueError):
    """A safety check failed; `code` says which, the message says what to do."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ActivationResult:
    name: str
    version: str
    previous: str | None
    forced: bool
    changed: bool
    overridden: list[str]
    """The checks `force` overrode (empty when none failed)."""


class Registry:
    def __init__(
        self,
        committed_dir: Path,
        registry_dir: Path,
        engine: Engine,
        *,
        locations: Mapping[str, Path] | None = None,
    ) -> None:
        """`locations`: name -> directory of its registered versions, where that is not
        `registry_dir/<name>` (topics: `Settings.topics_dir`)."""
        self.committed_dir = committed_dir
        self.registry_dir = registry_dir
        self.locations = dict(locations or {})
        self.engine = engine
        activations.ensure_table(engine)
        evaluations.ensure_table(engine)

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine | None = None) -> Registry:
        return cls(
            settings.artifacts_dir,
            settings.registry_dir,
            engine or make_engine(settings.database_url),
            locations={"topics": settings.topics_dir},
        )

    def version_dir(self, name: str) -> Path:
        """Where registered (not committed) versions of `name` live, one directory each."""
        return self.locations.get(name, self.registry_dir / name)

    # --- versions -------------------------------------------------------------------------

    def default(self, name: str) -> Entry:
        """The committed version of `name` (`models/<name>/entry.json`)."""
        try:
            return read_entry(self.committed_dir / name)
        except EntryError as err:
            raise UnknownModel(f"no committed version of model {name!r}: {err}") from err

    def has_default(self, name: str) -> bool:
        return (self.committed_dir / name / MANIFEST).is_file()

    def names(self) -> list[str]:
        found = {p.parent.name for p in self.committed_dir.glob(f"*/{MANIFEST}")}
        found |= {p.parent.parent.name for p in self.registry_dir.glob(f"*/*/{MANIFEST}")}
        found |= {
            name for name in self.locations if any(self.version_dir(name).glob(f"*/{MANIFEST}"))
        }
        return sorted(found)

    def versions(self, name: str) -> list[Entry]:
        """Every version of `name`, oldest first; the committed default is one of them."""
        entries = []
        if self.has_default(name):
            entries.append(self.default(name))
        for manifest in sorted(self.version_dir(name).glob(f"*/{MANIFEST}")):
            try:
                entries.append(read_entry(manifest.parent))
            except EntryError as err:
                log.warning("registry.bad_entry", extra={"model": name, "error": str(err)})
        if not entries:
            raise UnknownModel(f"no model named {name!r}; known: {self.names()}")
        return sorted(entries, key=lambda e: e.created_at)

    def entry(self, name: str, version: str) -> Entry:
        """A version by its full (`sentiment@9223055d`) or short (`9223055d`) name."""
        entries = self.versions(name)
        for entry in entries:
            if version in (entry.version, entry.short_version):
                return entry
        raise UnknownModel(
            f"model {name!r} has no version {version!r}; versions: {[e.version for e in entries]}"
        )

    def register(
        self,
        name: str,
        build: Callable[[Path], dict[str, Any]],
    ) -> Entry:
        """Make a new version: `build(directory)` writes the artifact files and card into an
        empty directory and returns `write_entry`'s keyword arguments (version, config, data,
        evaluations). The directory is then moved in place under its version id, so a
        half-written version is never visible. An identical version already there is kept."""
        parent = self.version_dir(name)
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=parent))
        try:
            entry = write_entry(staging, name=name, **build(staging))
            final = parent / entry.short_version
            if final.exists() or (
                self.has_default(name) and self.default(name).version == entry.version
            ):
                log.info("registry.exists", extra={"model": name, "version": entry.version})
                return self.entry(name, entry.version)
            os.replace(staging, final)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        log.info("registry.registered", extra={"model": name, "version": entry.version})
        return read_entry(final)

    def promote(self, name: str, version: str) -> Entry:
        """Make a registered version the committed default: its files replace
        `models/<name>/` (then review and commit them). The activation log is unchanged."""
        entry = self.entry(name, version)
        problems = entry.problems()
        if problems:
            raise ActivationRefused("ChecksumMismatch", "; ".join(problems))
        target = self.committed_dir / name
        if entry.path == target:
            return entry
        staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=self.committed_dir))
        try:
            shutil.copytree(entry.path, staging, dirs_exist_ok=True)
            if target.exists():
                shutil.rmtree(target)
            os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        log.info("registry.promoted", extra={"model": name, "version": entry.version})
        return read_entry(target)

    def with_recorded_evaluations(self, entry: Entry) -> Entry:
        """`entry` with the evaluations `voc eval` recorded for it added to its manifest's
        (a recorded set replaces a manifest set of the same identity)."""
        recorded = evaluations.recorded(self.engine, entry.name, entry.version)
        sets = {e["set"] for e in recorded}
        own = [e for e in entry.evaluations if e["set"] not in sets]
        return replace(entry, evaluations=[*own, *recorded])

    def record_evaluation(self, name: str, version: str, evaluation: dict[str, Any]) -> None:
        """Keep an evaluation of a registered version (see `evaluations.py`)."""
        evaluations.record(self.engine, name, self.entry(name, version).version, evaluation)

    # --- activation -----------------------------------------------------------------------

    def active_version(self, name: str) -> str | None:
        """The last activated version, else the committed default; None for a model that has
        neither (a topic model before its first activation)."""
        recorded = activations.active_versions(self.engine).get(name)
        if recorded:
            return recorded
        if self.has_default(name):
            return self.default(name).version
        self.versions(name)  # raises UnknownModel for a name that does not exist
        return None

    def active(self) -> dict[str, Entry]:
        """name -> active entry, for every name in the registry that has an active version."""
        recorded = activations.active_versions(self.engine)
        active = {}
        for name in self.names():
            if name in recorded:
                active[name] = self.entry(name, recorded[name])
            elif self.has_default(name):
                active[name] = self.default(name)
        return active

    def check(self, name: str, version: str) -> tuple[Entry, list[tuple[str, str]]]:
        """The candidate and every failed safety check as (code, message). Metrics are
        compared only for components that labelled data measures (`ComponentSpec.evaluation`):
        a topic model has no evaluation set to be worse on, so its card and files are checked,
        and its metrics never are."""
        candidate = self.entry(name, version)
        failed = [
            ("CardMissing" if "model card" in p else "ChecksumMismatch", p)
            for p in candidate.problems()
        ]
        active_version = self.active_version(name)
        if active_version is None or component(name).evaluation is None:
            return candidate, failed
        active = self.entry(name, active_version)
        if candidate.version != active.version:
            comparison = compare(
                self.with_recorded_evaluations(active), self.with_recorded_evaluations(candidate)
            )
            if not comparison.comparable:
                failed.append(
                    (
                        "NotComparable",
                        f"{candidate.version} and the active {active.version} share no "
                        f"evaluation set, so it cannot be shown not to be worse; compare them "
                        f"with `voc eval {name} --data FILE... --compare {active.short_version} "
                        f"{candidate.short_version}`",
                    )
                )
            failed += [("MetricsRegression", r) for r in comparison.regressions]
        return candidate, failed

    def activate(
        self,
        name: str,
        version: str,
        *,
        force: bool = False,
        reason: str = "activate",
        before_record: Callable[[Entry], None] | None = None,
        by: str | None = None,
    ) -> ActivationResult:
        """Check, then record `version` as active. Refused with `ActivationRefused` when a
        check fails and `force` is false. `before_record(entry)` runs after the checks and
        before the record (the service builds the new analyzer there, so a version that does
        not load is never recorded)."""
        candidate, failed = self.check(name, version)
        previous = self.active_version(name)
        if failed and not force:
            code, _ = failed[0]
            messages = "; ".join(message for _, message in failed)
            raise ActivationRefused(
                code, f"{messages}. Fix this, or activate with force to override."
            )
        if candidate.version == previous:
            return ActivationResult(name, previous, previous, force, False, [])
        if before_record is not None:
            before_record(candidate)
        activations.record(
            self.engine,
            name,
            candidate.version,
            previous=previous,
            forced=force,
            reason=reason,
            by=by,
        )
        log.info(
            "registry.activated",
            extra={
                "model": name,
                "version": candidate.version,
                "previous": previous,
                "forced": force,
                "overridden": [code for code, _ in failed],
            },
        )
        return ActivationResult(
            name, candidate.version, previous, force, True, [m for _, m in failed]
        )

    def rollback(
        self,
        name: str,
        *,
        before_record: Callable[[Entry], None] | None = None,
        by: str | None = None,
    ) -> ActivationResult:
        """Go back to the version that was active before the current one. It served before, so
        only its files are checked (not its metrics). Twice in a row returns to where it began."""
        log_ = activations.history(self.engine, name)
        if not log_:
            raise ActivationRefused(
                "NothingToRollBack", f"model {name!r} has never been activated; nothing to undo"
            )
        if log_[0].previous is None:
            raise ActivationRefused(
                "NothingToRollBack",
                f"no version of {name!r} was active before {log_[0].version}; nothing to undo",
            )
        target = self.entry(name, log_[0].previous)
        problems = target.problems()
        if problems:
            raise ActivationRefused(
                "ChecksumMismatch",
                "; ".join(problems) + ". Restore the files, or activate another version.",
            )
        if before_record is not None:
            before_record(target)
        activations.record(
            self.engine,
            name,
            target.version,
            previous=log_[0].version,
            forced=False,
            reason="rollback",
            by=by,
        )
        log.info("registry.rolled_back", extra={"model": name, "version": target.version})
        return ActivationResult(name, target.version, log_[0].version, False, True, [])

    def history(self, name: str) -> list[activations.Activation]:
        self.versions(name)  # raises UnknownModel for a name that does not exist
        return activations.history(self.engine, name)
