"""Root causes and touchpoints: multi-label tags on clauses, read from the clause embeddings.

The Analyzer embeds every clause once; this module only reads those vectors, so tagging costs
no extra encoder pass. Every label set (a taxonomy's root causes, a journey's touchpoints)
becomes a `LinearTagger`: one sigmoid per label over centred clause vectors.

- zero-shot: each label's weight is its prompt ("label: description") embedding, centred and
  scaled by a global calibration fitted once on labelled aspect data (`voc train root-causes`);
- few-shot: when labels have examples, a small one-vs-rest logistic head is fitted on the
  example embeddings (plus the prompts) in well under a second, cached per `id@version`;
- trained: a head fitted on a labelled file, loaded from `<taxonomy id>/` in the version's
  directory (`voc train root-causes --data` registers a version that carries it).

e5 similarities are bunched (unrelated sentences ~0.72), so vectors are centred on the mean
embedding of real feedback before scoring. Centring spreads them, but not enough for one global
threshold on a taxonomy never seen: a prompt's similarity to clauses depends on its wording
as much as on the clause. So zero-shot ranks and abstains (`Abstention`): a clause gets its best
label and any label close to it, and nothing when even its best label is far.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

from voc.config import Limits
from voc.nlp.artifacts import save_tensors
from voc.nlp.journey import Journey, load_default_journey
from voc.nlp.segment import Segmenter
from voc.nlp.taxonomy import Taxonomy, load_default_taxonomy
from voc.nlp.types import SENTIMENT_LABELS, RootCauseTag, Segment, TouchpointTag

CALIBRATION_FILE = "calibration.json"
CENTRE_FILE = "centre.safetensors"
HEAD_FILE = "head.safetensors"
HEAD_CONFIG = "head.json"
FEW_SHOT_RECIPE = 2
"""Revision of how `few_shot_tagger` learns from a taxonomy's examples, part of a calibration's
version (`voc.nlp.root_cause_train.versioned`): a few-shot tagger is fitted when it is served,
so the same constants under a new rule answer differently and need their own version and
card. Bump it with any change to that rule. 2: an example listed under several labels
teaches each its nearest sentence (`nearest_sentences`)."""


@dataclass(frozen=True)
class LabelSpec:
    """One thing to recognise in a clause: a root cause or a touchpoint."""

    id: str
    prompt: str
    examples: tuple[str, ...] = ()


def taxonomy_specs(taxonomy: Taxonomy) -> tuple[LabelSpec, ...]:
    return tuple(
        LabelSpec(c.id, _prompt(c.label, c.description), c.examples) for c in taxonomy.root_causes
    )


def journey_specs(journey: Journey) -> tuple[LabelSpec, ...]:
    return tuple(
        LabelSpec(t.id, _prompt(t.label, t.description), t.examples) for t in journey.touchpoints
    )


def _prompt(label: str, description: str) -> str:
    return f"{label}: {description}" if description else label


@dataclass(frozen=True)
class Abstention:
    """Which labels of a clause fire, given its (clauses, labels) probabilities.

    A label fires when its logit is within `margin` of the clause's best label's logit (rank)
    and its probability reaches `floor` (abstain). `margin=None` keeps only the floor: the
    plain threshold. A few-shot or trained head, fitted per label, fires many labels on one
    clause at a plain threshold where labels are close; its margin is in logits.
    For a zero-shot tagger the logit is the slope times the centred cosine (plus one offset),
    so the margin is a cosine margin; a clause naming two complaints is near both labels.
    """

    margin: float | None
    floor: float
    support_from_clauses: int | None = None
    """From this many clauses on, a text must support a label as a whole (`supported`);
    None: never asked (zero-shot, and calibrations from before the rule)."""
    support_margin: float = 1.0
    """A label the whole text ranks within this many logits of its best label is supported
    even below the floor."""
    whole_text_fires: bool = False
    """A label the whole text's vector fires (by this rule) fires too, where no clause does
    (`from_whole_text`); False: only clauses fire labels (zero-shot, older calibrations)."""
    clauses_fire: bool = True
    """False: a text's labels are those its whole vector fires, its clauses only give the
    evidence. A trained head is fitted on whole texts: read whole, it beats its baseline on
    all nine aspect datasets' dev splits (reading its clauses, seven) and gains 0.007 mean
    micro-F1 (docs/models.md, "A trained head reads the whole text")."""

    def __post_init__(self) -> None:
        if not (self.clauses_fire or self.whole_text_fires):
            raise ValueError("a rule must let the clauses or the whole text fire")

    def supported(self, text_proba: np.ndarray, clauses: np.ndarray | int) -> np.ndarray:
        """Which labels a text supports, from its whole vector's probabilities (labels,) or
        (texts, labels) and its number of clauses (int or (texts,)): every label for a text
        of fewer than `support_from_clauses` clauses; else those the whole text gives the
        floor or ranks within `support_margin` of its best label.

        A root cause fires on a clause only if its text supports it. A long complaint with
        one cause has many clauses, each a chance to fire a wrong label (CFPB narratives: 16
        clauses, one issue of 63); read whole, the text points to its cause. A short comment
        is not asked: its clauses are often each a complaint, and one of them reads well
        below the floor whole ("Barang rosak dan duit belum dipulangkan, saya nak batal
        langganan"). The margin keeps what a narrative dilutes: a cause stated once among
        facts reads 0.3-0.4 whole, near its best label. Measured in docs/models.md ("A cause
        the whole text supports")."""
        if self.support_from_clauses is None:
            return np.ones(np.shape(text_proba), dtype=bool)
        scores = logits(text_proba)
        few = np.asarray(clauses)[..., None] < self.support_from_clauses
        near_best = rank_and_abstain(scores, margin=self.support_margin, floor=-np.inf)
        return few | near_best | (scores >= logits(self.floor))

    def fires(self, proba: np.ndarray) -> np.ndarray:
        floor = float(logits(self.floor))
        return rank_and_abstain(logits(proba), margin=self.margin, floor=floor)

    def on_clauses(self, proba: np.ndarray, text_proba: np.ndarray) -> np.ndarray:
        """(clauses, labels): the labels that fire on each clause of one text, (clauses,
        labels) probabilities, and that its whole text, (labels,), supports; none when only
        the whole text fires (`clauses_fire`)."""
        if not self.clauses_fire:
            return np.zeros(np.shape(proba), dtype=bool)
        return self.fires(proba) & self.supported(text_proba, len(proba))[None, :]

    def from_whole_text(self, text_proba: np.ndarray) -> np.ndarray:
        """Which labels a text gets from its whole vector (labels,) or (texts, labels): those
        the rule fires there if `whole_text_fires`, else none.

        The heads are fitted on whole texts, and an aspect spread over a sentence ("the
        waiter forgot us twice and we left") can be clear whole and below the floor in each
        clause. Measured in docs/models.md ("What the whole text fires")."""
        if not self.whole_text_fires:
            return np.zeros(np.shape(text_proba), dtype=bool)
        return self.fires(text_proba)


def logits(proba: np.ndarray | float) -> np.ndarray:
    """Probabilities -> log-odds, clipped away from 0 and 1: the unit of the heads' margins."""
    proba = np.clip(np.asarray(proba, dtype=np.float64), 1e-12, 1 - 1e-12)
    return np.log(proba) - np.log1p(-proba)


def rank_and_abstain(scores: np.ndarray, *, margin: float | None, floor: float) -> np.ndarray:
    """(clauses, labels) scores -> which fire: at least `floor` and, unless `margin` is None,
    within `margin` of the row's best score. In any unit (logits, cosines) as long as the
    margin and floor are in the same one: `Abstention` and its fitting share it."""
    fired = scores >= floor
    if margin is None or scores.size == 0:
        return fired
    return fired & (scores >= scores.max(axis=-1, keepdims=True) - margin)


@dataclass(frozen=True)
class Calibration:
    """Global constants of the tagger, fitted by `voc train root-causes` and committed.

    `centre` is the mean embedding of real feedback in the four languages and `background` a
    sample of those embeddings, the "none of these labels" negatives of few-shot heads (so
    praise or small talk does not land on the nearest label); `scale`/`offset` turn a centred
    cosine into a zero-shot probability; `few_shot_c` is the regularisation of few-shot heads
    and `threshold` the probability from which a few-shot or trained tag is reported;
    `zero_shot` is zero-shot's rank-and-abstain rule (chosen on other datasets than the ones
    it is measured on; a calibration without one keeps the plain threshold), `few_shot` and
    `trained` the heads' (a logit margin: a clause gets the labels close to its best one, not
    every label above the threshold). `relevance` is a (dim, dim) map learned across the
    aspect, issue and intent datasets that turns a label's centred prompt embedding into the
    direction of the clauses that match it (`label_directions`); None: the prompt itself.
    """

    centre: np.ndarray
    background: np.ndarray
    scale: float
    offset: float
    few_shot_c: float
    few_shot_prompt_weight: float
    threshold: float
    version: str
    zero_shot: Abstention | None = None
    few_shot: Abstention | None = None
    trained: Abstention | None = None
    relevance: np.ndarray | None = None

    def abstention(self, mode: str) -> Abstention:
        """The rule that turns a tagger's probabilities into tags, by the tagger's mode."""
        rule = {"zero-shot": self.zero_shot, "few-shot": self.few_shot, "trained": self.trained}
        return rule.get(mode) or Abstention(None, self.threshold)

    @classmethod
    def load(cls, artifact_dir: Path) -> Calibration:
        config = json.loads((artifact_dir / CALIBRATION_FILE).read_text())
        tensors = load_file(artifact_dir / CENTRE_FILE)
        return cls(
            centre=tensors["centre"].astype(np.float32),
            background=tensors["background"].astype(np.float32),
            scale=float(config["scale"]),
            offset=float(config["offset"]),
            few_shot_c=float(config["few_shot_c"]),
            few_shot_prompt_weight=float(config["few_shot_prompt_weight"]),
            threshold=float(config["threshold"]),
            version=config["version"],
            zero_shot=Abstention(**config["zero_shot"]) if "zero_shot" in config else None,
            few_shot=Abstention(**config["few_shot"]) if "few_shot" in config else None,
            trained=Abstention(**config["trained"]) if "trained" in config else None,
            relevance=(tensors["relevance"].astype(np.float32) if "relevance" in tensors else None),
        )

    def save(self, artifact_dir: Path, extra: dict) -> None:
        artifact_dir.mkdir(parents=True, exist_ok=True)
        tensors = {"centre": self.centre, "background": self.background.astype(np.float16)}
        if self.relevance is not None:
            tensors["relevance"] = self.relevance.astype(np.float16)
        save_tensors(tensors, artifact_dir / CENTRE_FILE)
        config = {
            "scale": self.scale,
            "offset": self.offset,
            "few_shot_c": self.few_shot_c,
            "few_shot_prompt_weight": self.few_shot_prompt_weight,
            "threshold": self.threshold,
            "version": self.version,
            **({"zero_shot": asdict(self.zero_shot)} if self.zero_shot else {}),
            **({"few_shot": asdict(self.few_shot)} if self.few_shot else {}),
            **({"trained": asdict(self.trained)} if self.trained else {}),
            **extra,
        }
        (artifact_dir / CALIBRATION_FILE).write_text(json.dumps(config, indent=2) + "\n")

    def features(self, vectors: np.ndarray) -> np.ndarray:
        """Unit embeddings -> centred unit vectors, the input of every tagger."""
        centred = np.asarray(vectors, dtype=np.float32) - self.centre
        return centred / np.maximum(np.linalg.norm(centred, axis=-1, keepdims=True), 1e-12)

    def label_directions(self, prompts: np.ndarray) -> np.ndarray:
        """Centred prompt vectors (`features`) -> the unit directions zero-shot compares
        clauses with: through `relevance` when the calibration has one. A prompt ("late
        delivery: the parcel came after the promised date") and the clauses that match it
        ("colis reçu avec deux semaines de retard") are not the same kind of text; the map,
        learned on labelled clauses of other taxonomies, moves the one towards the other."""
        if self.relevance is None:
            return prompts
        moved = prompts @ self.relevance.T
        return moved / np.maximum(np.linalg.norm(moved, axis=-1, keepdims=True), 1e-12)


@dataclass(frozen=True)
class LinearTagger:
    """P(label | clause) = sigmoid(features @ weight.T + bias), one column per label."""

    ids: tuple[str, ...]
    weight: np.ndarray
    bias: np.ndarray
    mode: str

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        if len(features) == 0:
            return np.zeros((0, len(self.ids)), dtype=np.float32)
        raw = np.clip(features @ self.weight.T + self.bias, -30, 30)
        return 1.0 / (1.0 + np.exp(-raw))

    def save(self, artifact_dir: Path, extra: dict) -> None:
        artifact_dir.mkdir(parents=True, exist_ok=True)
        save_tensors({"weight": self.weight, "bias": self.bias}, artifact_dir / HEAD_FILE)
        config = {"ids": list(self.ids), "mode": self.mode, **extra}
        (artifact_dir / HEAD_CONFIG).write_text(json.dumps(config, indent=2) + "\n")

    @classmethod
    def load(cls, artifact_dir: Path) -> LinearTagger:
        config = json.loads((artifact_dir / HEAD_CONFIG).read_text())
        tensors = load_file(artifact_dir / HEAD_FILE)
        return cls(
            ids=tuple(config["ids"]),
            weight=tensors["weight"].astype(np.float32),
            bias=tensors["bias"].astype(np.float32),
            mode=config["mode"],
        )


Embed = Callable[[list[str]], np.ndarray]


def head_dirs(artifact_dir: Path) -> list[Path]:
    """The trained heads of a tagger directory: its subfolders holding a head, by taxonomy id."""
    return sorted(p for p in artifact_dir.iterdir() if (p / HEAD_FILE).is_file())


def artifact_version(artifact_dir: Path) -> str:
    """The version a tagger directory serves as: its calibration's, plus a digest of its trained
    heads when it has any, so that adding a head (`voc train root-causes --data`) makes a new
    version while the same head trained twice finds the existing one."""
    calibration = json.loads((artifact_dir / CALIBRATION_FILE).read_text())["version"]
    heads = head_dirs(artifact_dir)
    if not heads:
        return calibration
    digest = hashlib.sha256()
    for head in heads:
        ids = json.loads((head / HEAD_CONFIG).read_text())["ids"]
        digest.update(json.dumps([head.name, ids]).encode())
        digest.update((head / HEAD_FILE).read_bytes())
    return f"{calibration}+{digest.hexdigest()[:8]}"


def zero_shot_tagger(
    specs: Sequence[LabelSpec], embed: Embed, calibration: Calibration
) -> LinearTagger:
    """Weights are the label directions of the centred prompt embeddings
    (`Calibration.label_directions`); one global scale and offset for every label."""
    prompts = calibration.label_directions(calibration.features(embed([s.prompt for s in specs])))
    return LinearTagger(
        ids=tuple(s.id for s in specs),
        weight=(calibration.scale * prompts).astype(np.float32),
        bias=np.full(len(specs), calibration.offset, dtype=np.float32),
        mode="zero-shot",
    )


def fit_linear_tagger(
    ids: Sequence[str],
    features: np.ndarray,
    targets: np.ndarray,
    *,
    c: float,
    sample_weight: np.ndarray | None = None,
    mode: str,
) -> LinearTagger:
    """One-vs-rest logistic regressions on centred vectors; `targets` is (n, labels) of 0/1.

    Each label's positives and negatives weigh the same in total, so a label with five
    examples among two hundred is not drowned by the others.
    """
    from sklearn.linear_model import LogisticRegression

    weights, biases = [], []
    base = np.ones(len(features)) if sample_weight is None else sample_weight
    for k in range(targets.shape[1]):
        y = targets[:, k].astype(int)
        if y.min() == y.max():  # a label never (or always) seen: keep it silent
            weights.append(np.zeros(features.shape[1]))
            biases.append(-10.0 if y.max() == 0 else 10.0)
            continue
        positive = (base * y).sum()
        negative = (base * (1 - y)).sum()
        balance = np.where(y == 1, 0.5 / positive, 0.5 / negative) * len(y)
        model = LogisticRegression(C=c, max_iter=1000)
        model.fit(features, y, sample_weight=base * balance)
        weights.append(model.coef_[0])
        biases.append(float(model.intercept_[0]))
    return LinearTagger(
        ids=tuple(ids),
        weight=np.asarray(weights, dtype=np.float32),
        bias=np.asarray(biases, dtype=np.float32),
        mode=mode,
    )


def few_shot_tagger(
    specs: Sequence[LabelSpec], embed: Embed, calibration: Calibration, *, background: bool = True
) -> LinearTagger:
    """A head fitted on the labels' examples plus their prompts; zero-shot when none has any.

    An example is a positive of every label that lists it and a negative of the others: a
    comment on the food and the service, listed under both, teaches both (learnt once per
    label it was listed under, it was a positive of one and a negative of the other). Such a
    comment speaks of each label in a part of it, and the head reads clauses, so it also
    teaches each label through its sentence nearest the label's prompt
    (`nearest_sentences`). On the aspect datasets, with each drawn comment listed under all
    its categories (`voc.nlp.root_cause_data.dataset_taxonomy`), few-shot micro-F1 rose from
    0.504 to 0.535 by the first rule, and leave one dataset out from 0.565 to 0.598 by the
    second (docs/models.md). With `background`, real feedback is a "none of these" negative
    for every label: right for root causes (most comments show none), wrong for touchpoints
    (almost every comment is somewhere in the journey).
    """
    if not any(s.examples for s in specs):
        return zero_shot_tagger(specs, embed, calibration)
    listed = [
        [*s.examples, *nearest]
        for s, nearest in zip(specs, nearest_sentences(specs, embed, calibration), strict=True)
    ]
    examples = list(dict.fromkeys(e for label in listed for e in label))
    texts = [s.prompt for s in specs] + examples
    negatives = calibration.background if background else calibration.background[:0]
    features = np.concatenate([calibration.features(embed(texts)), calibration.features(negatives)])
    targets = np.zeros((len(features), len(specs)), dtype=np.int8)
    targets[np.arange(len(specs)), np.arange(len(specs))] = 1
    row = {text: len(specs) + n for n, text in enumerate(examples)}
    for k, label in enumerate(listed):
        targets[[row[e] for e in label], k] = 1
    sample_weight = np.ones(len(features))
    sample_weight[: len(specs)] = calibration.few_shot_prompt_weight
    # the background, all negatives, weighs as much as the labelled texts together
    sample_weight[len(texts) :] = len(texts) / max(len(negatives), 1)
    return fit_linear_tagger(
        [s.id for s in specs],
        features,
        targets,
        c=calibration.few_shot_c,
        sample_weight=sample_weight,
        mode="few-shot",
    )


EXAMPLE_SENTENCES = Segmenter()
"""Splits the examples listed under several labels into sentences (rule-based, no model)."""
MIN_SENTENCE_WORDS = 3
"""Shorter sentences ("Wow.", "Merci !") say nothing of a label."""


def nearest_sentences(
    specs: Sequence[LabelSpec], embed: Embed, calibration: Calibration
) -> list[list[str]]:
    """Per label, the sentence nearest its prompt (centred cosine) of each example of several
    sentences that is also listed under another label; one encoder call for all of them."""
    counts = Counter(example for spec in specs for example in set(spec.examples))
    sentences: dict[str, list[str]] = {}
    for example in (e for e, count in counts.items() if count > 1):
        found = [
            s.text
            # an example has no language: spaCy's multi-language rules ("xx") cut it
            for s in EXAMPLE_SENTENCES.segment(example, "xx")
            if len(s.text.split()) >= MIN_SENTENCE_WORDS
        ]
        if len(found) > 1:
            sentences[example] = found
    nearest: list[list[str]] = [[] for _ in specs]
    if not sentences:
        return nearest
    flat = [s for found in sentences.values() for s in found]
    vectors = dict(zip(flat, calibration.features(embed(flat)), strict=True))
    prompts = calibration.features(embed([s.prompt for s in specs]))
    for k, spec in enumerate(specs):
        for example in dict.fromkeys(spec.examples):
            if example in sentences:
                found = sentences[example]
                scores = np.stack([vectors[s] for s in found]) @ prompts[k]
                nearest[k].append(found[int(np.argmax(scores))])
    return nearest


class TaggerCache:
    """Taggers per label set, built once, bounded, thread-safe.

    Keyed by the set's name (`taxonomy:id@version`) and its content: two stored objects may
    share a name (each tenant numbers its own `acme` from 1) and must never share a tagger.
    """

    def __init__(self, embed: Embed, calibration: Calibration, *, size: int = 64) -> None:
        self._embed = embed
        self.calibration = calibration
        self._size = size
        self._taggers: OrderedDict[tuple[str, tuple[LabelSpec, ...]], LinearTagger] = OrderedDict()
        self._lock = threading.Lock()

    def get(
        self,
        key: str,
        specs: Sequence[LabelSpec],
        *,
        trained: LinearTagger | None = None,
        background: bool = True,
    ) -> LinearTagger:
        key_and_content = (key, tuple(specs))
        with self._lock:
            tagger = self._taggers.get(key_and_content)
            if tagger is not None:
                self._taggers.move_to_end(key_and_content)
                return tagger
        tagger = trained or few_shot_tagger(
            specs, self._embed, self.calibration, background=background
        )
        with self._lock:
            self._taggers[key_and_content] = tagger
            while len(self._taggers) > self._size:
                self._taggers.popitem(last=False)
        return tagger


def tag_root_causes(
    taxonomy: Taxonomy,
    clauses: Sequence[Segment],
    proba: np.ndarray,
    clause_sentiment: np.ndarray,
    complaint: np.ndarray,
    text_proba: np.ndarray,
    *,
    rule: Abstention,
) -> tuple[RootCauseTag, ...]:
    """One document's root causes from its clauses' tag probabilities (clauses x causes)
    and its whole text's (causes,).

    A cause explains dissatisfaction, so only a complaint clause (`complaint`, from the
    sentiment head) gives one: in "fast delivery but the screen arrived cracked" the first
    clause is about delivery speed, but praised, and only the second is evidence (of the
    damage); "I ordered a phone last week." is about ordering, but no complaint. A text of
    many clauses must support the cause as a whole too (`text_proba`, its whole vector's
    probabilities; `Abstention.supported`). A cause the whole text fires where no clause does
    (`Abstention.from_whole_text`) has as evidence the complaint clause closest to it, and the
    whole text's probability as its score. Sorted by score.
    """
    complaint = np.asarray(complaint, dtype=bool)
    fired = rule.on_clauses(proba, text_proba) & complaint[:, None]
    whole = rule.from_whole_text(text_proba)
    tags = []
    for k, cause in enumerate(taxonomy.root_causes):
        hits = np.flatnonzero(fired[:, k])
        if not len(hits) and whole[k] and complaint.any():
            hits = np.flatnonzero(complaint)[[int(np.argmax(proba[complaint, k]))]]
        if not len(hits):
            continue
        best = max(hits, key=lambda i: proba[i, k])
        tags.append(
            RootCauseTag(
                id=cause.id,
                label=cause.label,
                score=float(proba[best, k] if fired[best, k] else text_proba[k]),
                sentiment=SENTIMENT_LABELS[int(np.argmax(clause_sentiment[best]))],
                touchpoint=cause.touchpoint,
                evidence=tuple(clauses[i] for i in hits),
            )
        )
    return tuple(sorted(tags, key=lambda t: -t.score))


def tag_touchpoints(
    journey: Journey,
    proba: np.ndarray,
    root_causes: Sequence[RootCauseTag],
    metadata_touchpoint: str | None,
    *,
    rule: Abstention,
) -> tuple[TouchpointTag, ...]:
    """One document's touchpoints, each from its strongest source.

    `metadata.touchpoint` is taken as given (score 1); root causes bring their own
    touchpoint at their score; the text itself (the clause x touchpoint probabilities
    `proba`, whatever the clause's sentiment: praise is somewhere in the journey too) adds
    the touchpoints `rule` fires on any clause.
    """
    found: dict[str, TouchpointTag] = {}

    def add(touchpoint_id: str, score: float, source: str) -> None:
        if touchpoint_id in found:
            return
        touchpoint = journey.touchpoint(touchpoint_id)
        label = touchpoint.label if touchpoint else touchpoint_id
        found[touchpoint_id] = TouchpointTag(touchpoint_id, label, round(score, 6), source)

    if metadata_touchpoint:
        add(metadata_touchpoint, 1.0, "metadata")
    for cause in root_causes:  # sorted by score: the first per touchpoint is the strongest
        if cause.touchpoint is not None:
            add(cause.touchpoint, cause.score, "root_cause")
    fired = rule.fires(proba).any(axis=0) if len(proba) else np.zeros(len(journey.touchpoints))
    best = proba.max(axis=0) if len(proba) else np.zeros(len(journey.touchpoints))
    for k in np.argsort(-best):
        if fired[k]:
            add(journey.touchpoints[k].id, float(best[k]), "text")
    return tuple(found.values())


@dataclass(frozen=True)
class DocumentClauses:
    """What tagging needs from one analysed document; no extra encoder pass."""

    clauses: tuple[Segment, ...]
    vectors: np.ndarray
    """(clauses, dim) unit embeddings, as the Analyzer computed them."""
    text_vector: np.ndarray
    """(dim,) the whole text's own unit embedding (`DocumentVectors.text`)."""
    sentiment: np.ndarray
    """(clauses, 3) sentiment probabilities in `SENTIMENT_LABELS` order."""
    complaint: np.ndarray
    """(clauses,) True where the clause may hold a complaint (`SentimentHead.complaints`)."""
    metadata_touchpoint: str | None = None


class RootCauseTagger:
    """The Analyzer's component for `root_causes` and `touchpoints`.

    Holds the calibration, the shipped default taxonomy and journey, trained heads (by
    taxonomy id) and a cache of fitted taggers; `embed` is only called to fit a tagger for a
    label set it has not seen (prompts and examples, once per `id@version`).
    """

    def __init__(
        self,
        *,
        calibration: Calibration,
        embed: Embed,
        default_taxonomy: Taxonomy,
        default_journey: Journey,
        trained: dict[str, LinearTagger] | None = None,
        version: str | None = None,
    ) -> None:
        self.calibration = calibration
        self.version = version or calibration.version
        """What `model_versions.root_causes` reports (`artifact_version` when loaded)."""
        self.default_taxonomy = default_taxonomy
        self.default_journey = default_journey
        self._trained = trained or {}
        self._cache = TaggerCache(embed, calibration)

    @classmethod
    def load(cls, artifact_dir: Path, *, embed: Embed, limits: Limits) -> RootCauseTagger:
        """Calibration from `artifact_dir`; trained heads from its subfolders holding a head."""
        journey = load_default_journey(limits)
        return cls(
            calibration=Calibration.load(artifact_dir),
            embed=embed,
            default_taxonomy=load_default_taxonomy(journey, limits),
            default_journey=journey,
            trained={path.name: LinearTagger.load(path) for path in head_dirs(artifact_dir)},
            version=artifact_version(artifact_dir),
        )

    def warm(self) -> None:
        """Fit the default taxonomy's and journey's taggers now, not on the first request."""
        self.taxonomy_tagger(self.default_taxonomy)
        self.journey_tagger(self.default_journey)

    def taxonomy_tagger(self, taxonomy: Taxonomy) -> LinearTagger:
        trained = self._trained.get(taxonomy.id)
        if trained is not None and trained.ids != tuple(c.id for c in taxonomy.root_causes):
            trained = None  # the taxonomy changed since the head was trained
        return self._cache.get(
            f"taxonomy:{taxonomy.key}", taxonomy_specs(taxonomy), trained=trained
        )

    def journey_tagger(self, journey: Journey) -> LinearTagger:
        return self._cache.get(f"journey:{journey.key}", journey_specs(journey), background=False)

    def tag(
        self,
        documents: Sequence[DocumentClauses],
        *,
        taxonomy: Taxonomy | None = None,
        journey: Journey | None = None,
        touchpoints: bool = True,
    ) -> list[tuple[tuple[RootCauseTag, ...], tuple[TouchpointTag, ...] | None]]:
        """Root causes (and touchpoints when asked) per document; all clauses of the batch go
        through each tagger as one matrix."""
        taxonomy = taxonomy or self.default_taxonomy
        journey = journey or self.default_journey
        sizes = [len(d.clauses) for d in documents]
        features = self.calibration.features(
            np.concatenate(
                [d.vectors.reshape(-1, self.calibration.centre.shape[0]) for d in documents]
            )
        )
        offsets = np.cumsum([0, *sizes])
        cause_tagger = self.taxonomy_tagger(taxonomy)
        cause_proba = cause_tagger.predict_proba(features)
        text_proba = cause_tagger.predict_proba(
            self.calibration.features(np.stack([d.text_vector for d in documents]))
        )
        cause_rule = self.calibration.abstention(cause_tagger.mode)
        touch_tagger = self.journey_tagger(journey) if touchpoints else None
        touch_proba = touch_tagger.predict_proba(features) if touch_tagger else None
        results = []
        for n, document in enumerate(documents):
            rows = slice(offsets[n], offsets[n + 1])
            causes = tag_root_causes(
                taxonomy,
                document.clauses,
                cause_proba[rows],
                document.sentiment,
                document.complaint,
                text_proba[n],
                rule=cause_rule,
            )
            results.append(
                (
                    causes,
                    tag_touchpoints(
                        journey,
                        touch_proba[rows],
                        causes,
                        document.metadata_touchpoint,
                        rule=self.calibration.abstention(touch_tagger.mode),
                    )
                    if touch_tagger is not None
                    else None,
                )
            )
        return results
