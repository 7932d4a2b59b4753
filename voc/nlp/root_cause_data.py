"""Labelled aspect/issue datasets as root-cause problems: texts, label sets, a taxonomy.

Each dataset in `../shared/data` names its categories differently (`aspects[].category`,
`labels.issue`, `labels.intent`); this module turns any of them into texts with label sets and
a `Taxonomy` built from the dataset's own categories, so the tagger can be trained and
measured on it exactly as it runs on a user's taxonomy.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voc.config import Limits
from voc.nlp.datasets import Example, iter_examples
from voc.nlp.fields import ID_PATTERN
from voc.nlp.taxonomy import RootCause, Taxonomy

MAX_LABEL_CHARS = 100


def aspect_labels(example: Example) -> tuple[str, ...]:
    return example.aspect_categories


def label_field(path: str) -> Callable[[Example], tuple[str, ...]]:
    """`aspects` (the categories) or a `labels.<key>` holding one value per row."""
    if path == "aspects":
        return aspect_labels
    if not path.startswith("labels."):
        raise ValueError(f'label field must be "aspects" or "labels.<key>", not {path!r}')
    key = path.removeprefix("labels.")

    def read(example: Example) -> tuple[str, ...]:
        value = example.labels.get(key)
        return () if value in (None, "") else (str(value),)

    return read


@dataclass(frozen=True)
class AspectDataset:
    """One evaluation dataset: its file, where its labels are, which rows are annotated."""

    name: str
    file: str
    label_field: str = "aspects"
    domain: str | None = None
    """Keep only rows of this `labels.domain` (SemEval-14 laptops carry no categories)."""
    lang: str | None = None
    """The language of its texts: registry entries average the dataset's metrics into this
    language's group (None: reported per dataset only)."""
    family: str | None = None
    """Datasets of one family share their source and category scheme (SemEval-15 and -16 share
    labels and sentences; MAMS was drawn from SemEval-14's corpus with its categories), so
    leaving one out of training leaves its family out: what is learned across taxonomies is
    measured on a taxonomy never seen. None: a family of its own."""

    @property
    def lineage(self) -> str:
        """The dataset's family, or its own name when it has none."""
        return self.family or self.name

    def load(self, data_dir: Path) -> list[tuple[Example, tuple[str, ...]]]:
        read = label_field(self.label_field)
        return [
            (e, read(e))
            for e in iter_examples(data_dir / self.file)
            if self.domain is None or e.labels.get("domain") == self.domain
        ]


RESTAURANT_CATEGORIES = "SemEval-14 restaurants and MAMS"
SEMEVAL_15_16 = "SemEval-15/16"
ASPECT_DATASETS = (
    AspectDataset("MAMS (en)", "mams_absa_en.jsonl", lang="en", family=RESTAURANT_CATEGORIES),
    AspectDataset(
        "SemEval-14 restaurants (en)",
        "semeval14_absa_en.jsonl",
        domain="restaurants",
        lang="en",
        family=RESTAURANT_CATEGORIES,
    ),
    AspectDataset("SemEval-15 (en)", "semeval15_absa_en.jsonl", lang="en", family=SEMEVAL_15_16),
    AspectDataset("SemEval-16 (en)", "semeval16_absa_en.jsonl", lang="en", family=SEMEVAL_15_16),
    AspectDataset("IndoNLU CASA (id)", "indonlu_casa.jsonl", lang="id"),
    AspectDataset("IndoNLU HoASA (id)", "indonlu_hoasa.jsonl", lang="id"),
    AspectDataset(
        "TripAdvisor restaurants (fr)", "fr_tripadvisor_restaurants_absa.jsonl", lang="fr"
    ),
    AspectDataset("CFPB issues (en)", "en_cfpb_complaints_sample.jsonl", "labels.issue", lang="en"),
    AspectDataset(
        "Bitext intents (en)", "en_bitext_customer_support.jsonl", "labels.intent", lang="en"
    ),
)


def category_label(category: str) -> str:
    """A readable label from a source's category name: "FOOD#STYLE_OPTIONS" -> "food style
    options", "air_panas" -> "air panas"; mixed-case names keep their case."""
    text = re.sub(r"[#_/]+", " ", category).strip()
    if text.isupper():
        text = text.lower()
    return re.sub(r"\s+", " ", text)[:MAX_LABEL_CHARS]


def category_id(category: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9_.-]+", "_", category.lower()).strip("_.-")[:60] or "category"
    candidate, n = base, 2
    while candidate in taken or not ID_PATTERN.match(candidate):
        candidate, n = f"{base[:57]}_{n}", n + 1
    return candidate


def api_example(text: str) -> str:
    """A labelled text as a taxonomy example a user can send: cut at the last word boundary
    within `Limits.max_example_characters` (the API refuses a longer one, so a user pastes
    the beginning of a CFPB narrative of thousands of characters)."""
    most = Limits().max_example_characters
    if len(text) <= most:
        return text
    head = text[: most + 1]
    words = head.rsplit(None, 1)  # the last word may be cut: drop it
    return (words[0] if len(words) > 1 else head[:most]).rstrip()


def dataset_taxonomy(
    taxonomy_id: str,
    rows: list[tuple[Example, tuple[str, ...]]],
    *,
    max_examples: int,
    seed: int = 0,
) -> tuple[Taxonomy, dict[str, str]]:
    """A taxonomy of the categories seen in `rows`, with examples: `max_examples` train rows
    drawn at random for each category (0: zero-shot, no examples), each drawn row listed under
    every one of its categories, as a user writing a taxonomy from labelled comments would
    list a review of the food and the service under both (and as the few-shot baseline learns
    it). A category's examples are its own draws first, then the other draws that carry it,
    up to `Limits.max_examples_per_item`, each cut to the API's length (`api_example`).

    Returns the taxonomy and the map category name -> root-cause id.
    """
    counts = Counter(c for _, labels in rows for c in labels)
    categories = sorted(counts)
    ids: dict[str, str] = {}
    for category in categories:
        ids[category] = category_id(category, set(ids.values()))
    rng = np.random.default_rng(seed)
    train = [(api_example(e.text), labels) for e, labels in rows if e.split == "train"]
    drawn: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for category in categories:
        carrying = [row for row in train if category in row[1]]
        chosen = rng.permutation(len(carrying))[:max_examples] if max_examples else []
        drawn[category] = [carrying[i] for i in sorted(chosen)]
    every_draw = [row for category in categories for row in drawn[category]]
    most = Limits().max_examples_per_item
    causes = []
    for category in categories:
        others = [text for text, labels in every_draw if category in labels]
        examples = list(dict.fromkeys([text for text, _ in drawn[category]] + others))
        causes.append(
            RootCause(
                id=ids[category],
                label=category_label(category),
                description=category if len(category) > MAX_LABEL_CHARS else "",
                examples=tuple(examples[:most]),
            )
        )
    return Taxonomy(id=taxonomy_id, name=taxonomy_id, root_causes=tuple(causes)), ids
