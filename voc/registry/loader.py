"""Load an Analyzer from the registry: the active version of each component, or named ones.

The analysis library loads whatever versions it is given (`Analyzer.load`); choosing them is
the registry's job, so this is the one place where the two meet.
"""

from __future__ import annotations

from collections.abc import Mapping

from voc.config import Settings
from voc.nlp.analyzer import Analyzer
from voc.registry.store import Registry


def load_analyzer(
    settings: Settings,
    *,
    registry: Registry | None = None,
    versions: Mapping[str, str] | None = None,
    reuse: Analyzer | None = None,
) -> Analyzer:
    """The active registry version of each component, or the one named in `versions`.
    Components of `reuse` whose version is unchanged are shared, not reloaded."""
    registry = registry or Registry.from_settings(settings)
    entries = registry.active()
    entries.update({name: registry.entry(name, v) for name, v in (versions or {}).items()})
    return Analyzer.load(settings, entries, reuse=reuse)
