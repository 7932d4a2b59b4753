"""Topic model versions as registry entries of the `topics` component.

A fit or an analyst edit writes a new, immutable version: the model's files, a card and an
`entry.json` (`Registry.register`), under `Settings.topics_dir`. Which version is active is
the registry's activation log and nothing else, so `voc models activate|rollback topics`,
`POST /v1/models/topics/activate`, a fit and an edit all move the one pointer every serving
process reads (and `model_versions.topics` follows it).
"""

from __future__ import annotations

from pathlib import Path

from voc.config import Settings
from voc.nlp.cards import markdown_table, write_card
from voc.nlp.topic_model import TopicModel
from voc.registry.components import component
from voc.registry.entry import CARD, Entry
from voc.registry.store import Registry, UnknownModel

NAME = "topics"


class TopicStore:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    @classmethod
    def from_settings(cls, settings: Settings) -> TopicStore:
        return cls(Registry.from_settings(settings))

    def save(self, model: TopicModel, *, activate: bool = True) -> Entry:
        """Register `model` as a version (with its card); activate it through the registry
        unless `activate` is false (the service activates through its `ModelSwitch`, which
        swaps the serving analyzer too)."""

        def build(directory: Path) -> dict:
            model.save(directory)
            write_topic_card(directory, model)
            return component(NAME).describe(directory)

        entry = self.registry.register(NAME, build)
        if activate:
            self.activate(entry.version)
        return entry

    def activate(self, version: str) -> None:
        self.registry.activate(NAME, version)

    def active_version(self) -> str | None:
        try:
            return self.registry.active_version(NAME)
        except UnknownModel:  # no topic model was ever saved
            return None

    def active(self) -> TopicModel | None:
        version = self.active_version()
        return None if version is None else self.load(version)

    def load(self, version: str) -> TopicModel:
        return TopicModel.load(self.registry.entry(NAME, version).path)


def write_topic_card(directory: Path, model: TopicModel) -> None:
    """The card of a topic version: corpus, settings, edits and its topics."""
    stats = model.stats
    corpus = stats["corpus"]
    edits = ", ".join(e["op"] for e in model.edits) or "none"
    write_card(
        directory / CARD,
        title=f"Topic model ({model.version})",
        summary=(
            f"{len(model.topics)} topics over the clauses of {corpus['documents']} documents "
            f'({stats["distinct"]} distinct units, {stats["other"]} sent to "other"), fitted '
            f"with BERTopic on voc's clause embeddings; settings {stats['settings']}. Analyst "
            f"edits since the fit: {edits}. Topics have no labelled evaluation set: read the "
            "keywords and examples below."
        ),
        command="voc topics fit FILE (or POST /v1/topics/fit), then voc topics rename|merge|split",
        data=[{"file": corpus["name"], "sha256": corpus["sha256"]}],
        sections=[
            (
                "Topics",
                markdown_table(
                    ["id", "label", "size", "keywords"],
                    [
                        (t.id, t.label, t.size, ", ".join(w for w, _ in t.keywords[:6]))
                        for t in model.topics
                    ],
                ),
            )
        ],
    )
