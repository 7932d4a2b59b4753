"""`voc train root-causes`: the tagger's calibration, its evaluation card, and trained heads.

Without `--data`: fit the global calibration (feedback centre, zero-shot slope and offset) on
the train splits of the aspect datasets in `../shared/data`, then measure zero-shot, few-shot
(at most 20 examples per category) and trained heads on each dataset's dev split, with a
taxonomy built from that dataset's own categories, beside the baseline of issue #10 fitted on
the same texts; write the calibration and its card.
With `--data FILE`: fit a trained head on a labelled file and store it under the taxonomy id.
Both write into a directory the registry then registers as a new version
(`voc.registry.training.train_root_causes_version`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import numpy as np

from voc.config import Limits
from voc.nlp.cards import markdown_table, write_card
from voc.nlp.datasets import Example, file_fingerprint, iter_examples
from voc.nlp.encoder import Encoder
from voc.nlp.root_cause_data import (
    ASPECT_DATASETS,
    AspectDataset,
    api_example,
    dataset_taxonomy,
    label_field,
)
from voc.nlp.root_causes import (
    FEW_SHOT_RECIPE,
    HEAD_CONFIG,
    Abstention,
    Calibration,
    LinearTagger,
    few_shot_tagger,
    fit_linear_tagger,
    rank_and_abstain,
    taxonomy_specs,
    zero_shot_tagger,
)
from voc.nlp.segment import Segmenter
from voc.nlp.taxonomy import Taxonomy, taxonomy_to_dict
from voc.nlp.train import embed_cached

log = logging.getLogger(__name__)

CENTRE_FILES = (
    "en_uci_sentiment_labelled_sentences.jsonl",
    "fr_allocine_tvseries_sentiment.jsonl",
    "indonlu_smsa.jsonl",
    "ms_news_sentiment.jsonl",
    "id_prdect_tokopedia.jsonl",
    "ms_translated_uci_sentences.jsonl",
    "fr_tripadvisor_restaurants_absa.jsonl",
    "nusax_senti_en_id.jsonl",
)
MODES = ("zero-shot", "few-shot", "trained")
BASELINES = {"few-shot": "few-shot baseline", "trained": "trained baseline"}
"""Supervised mode -> the metrics key of its baseline, fitted on that mode's training texts.
Zero-shot has none: its labels are never seen, and nothing supervised can learn them."""
DEV_COLUMNS = ("zero-shot", "few-shot", "few-shot baseline", "trained", "trained baseline")


@dataclass(frozen=True)
class RootCauseTrainingArgs:
    """Validated options of `voc train root-causes`."""

    max_examples: int = 20
    max_train: int = 3000
    centre_per_file: int = 250
    background: int = 400
    """Feedback embeddings kept as the few-shot heads' "no label" negatives."""
    trained_c: float = 3.0
    few_shot_c: float = 3.0
    """C of the trained and few-shot heads' logistic regressions: 3 of 0.3, 1, 3 and 10 gave
    the best leave-one-dataset-out mean micro-F1 of both, chosen on the other datasets for
    every left-out one but TripAdvisor's few-shot (10) (docs/models.md, "What the whole text
    fires")."""
    few_shot_prompt_weight: float = 1.0
    threshold: float = 0.5
    baseline_c: float = 1.0
    """C of the baseline's logistic regressions (sklearn's default, as the heads' C)."""
    relevance_l2: float = 0.1
    """How strongly the learned relevance map is held to the identity (`fit_relevance`): 0.1
    of 0.001-1 gave the best zero-shot leave-one-family-out mean (docs/models.md)."""
    support_from_clauses: int = 6
    support_margin: float = 1.0
    """The few-shot and trained heads' `Abstention.support_from_clauses` and
    `support_margin`: from six clauses on (a narrative, a support ticket), a text gets a label
    only where its whole vector gives it the floor or ranks it within one logit of its best
    label. Asked of shorter texts it gains more on the aspect datasets but costs comments
    whose clauses are each a complaint ("Barang rosak dan duit belum dipulangkan, saya nak
    batal langganan" lost `damaged_item` from three clauses on); from six it keeps most of the
    gain on long complaints and leaves the rest as they were (docs/models.md, "A cause the
    whole text supports"). Zero-shot is not asked: leave one dataset out it gained nothing."""
    whole_text_fires: bool = True
    """The few-shot and trained heads' `Abstention.whole_text_fires`: a label the whole text
    fires is the text's even where no clause reaches it (leave one dataset out, few-shot
    MAMS and SemEval-14 rose above their baselines; docs/models.md, "What the whole text
    fires")."""
    seed: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.max_examples <= 50:
            raise ValueError("max_examples must be between 1 and 50")
        if self.max_train < 100:
            raise ValueError("max_train must be >= 100")
        if not 0 < self.threshold < 1:
            raise ValueError("threshold must be in (0, 1)")
        if min(self.trained_c, self.few_shot_c, self.baseline_c) <= 0:
            raise ValueError("trained_c, few_shot_c and baseline_c must be > 0")
        if self.relevance_l2 <= 0:
            raise ValueError("relevance_l2 must be > 0")
        if self.support_from_clauses < 1:
            raise ValueError("support_from_clauses must be >= 1")
        if self.support_margin < 0:
            raise ValueError("support_margin must be >= 0")


class Vectors:
    """Embeddings by text for one dataset: computed in a few cached batches, then looked up;
    texts not seen before (prompts) are embedded on demand."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self._vectors: dict[str, np.ndarray] = {}

    def add(self, texts: list[str]) -> None:
        self._vectors.update(zip(texts, embed_cached(self.encoder, texts), strict=True))

    def __call__(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            self._vectors.update(zip(missing, self.encoder.embed(missing), strict=True))
        return np.stack([self._vectors[t] for t in texts])


def feedback_sample(data_dir: Path, encoder: Encoder, args: RootCauseTrainingArgs) -> np.ndarray:
    """Embeddings of real feedback, sampled evenly from files in the four languages."""
    rng = np.random.default_rng(args.seed)
    texts = []
    for name in CENTRE_FILES:
        pool = [e.text for e in iter_examples(data_dir / name) if e.split == "train"]
        keep = rng.choice(len(pool), min(args.centre_per_file, len(pool)), replace=False)
        texts += [pool[i] for i in sorted(keep)]
    return embed_cached(encoder, texts)


@dataclass
class Split:
    """One dataset, ready to measure: train/dev rows, dev clauses, all rows' categories."""

    dataset: AspectDataset
    train: list[tuple[Example, tuple[str, ...]]]
    dev: list[tuple[Example, tuple[str, ...]]]
    dev_clauses: list[list[str]]


def load_split(
    dataset: AspectDataset,
    data_dir: Path,
    vectors: Vectors,
    segmenter: Segmenter,
    args: RootCauseTrainingArgs,
) -> Split:
    rows = dataset.load(data_dir)
    train = [r for r in rows if r[0].split == "train"][: args.max_train]
    dev = [r for r in rows if r[0].split == "dev"]
    sentences = segmenter.segment_batch([e.text for e, _ in dev], [e.lang for e, _ in dev])
    clauses = [
        [c.text for s in doc for c in s.clauses] or [e.text]
        for (e, _), doc in zip(dev, sentences, strict=True)
    ]
    vectors.add(sorted({c for doc in clauses for c in doc} | {e.text for e, _ in dev}))
    vectors.add([e.text for e, _ in train])
    return Split(dataset, train, dev, clauses)


def _targets(rows: list[tuple[Example, tuple[str, ...]]], ids: list[str], names: dict[str, str]):
    column = {cause_id: k for k, cause_id in enumerate(ids)}
    y = np.zeros((len(rows), len(ids)), dtype=np.int8)
    for n, (_, labels) in enumerate(rows):
        for category in labels:
            y[n, column[names[category]]] = 1
    return y


@dataclass(frozen=True)
class DocumentsProba:
    """One tagger's probabilities on a list of documents (a dev split, a file to evaluate):
    (clauses, labels), the clauses of all documents in order, and (documents, labels) of the
    whole texts."""

    clauses: np.ndarray
    texts: np.ndarray


def document_tags(proba: DocumentsProba, sizes: list[int], rule: Abstention) -> np.ndarray:
    """Per document (`sizes` consecutive clause rows), the labels `rule` fires on any of its
    clauses and the document supports (`Abstention.supported`) and those its whole text
    fires, as the Analyzer tags them (`Abstention.on_clauses`, `from_whole_text`)."""
    whole = rule.from_whole_text(proba.texts)
    if not rule.clauses_fire:
        return whole.astype(np.int8)
    fired = rule.fires(proba.clauses)
    bounds = np.cumsum([0, *sizes])
    any_clause = np.stack([fired[a:b].any(axis=0) for a, b in pairwise(bounds)])
    supported = any_clause & rule.supported(proba.texts, np.asarray(sizes))
    return (supported | whole).astype(np.int8)


def dev_proba(
    tagger: LinearTagger, split: Split, vectors: Vectors, calibration: Calibration
) -> DocumentsProba:
    """`tagger` read on the dev clauses and on the dev texts whole."""
    flat = [c for doc in split.dev_clauses for c in doc]
    return DocumentsProba(
        tagger.predict_proba(calibration.features(vectors(flat))),
        tagger.predict_proba(calibration.features(vectors([e.text for e, _ in split.dev]))),
    )


def f1_scores(y: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import f1_score

    return {
        "micro_f1": round(float(f1_score(y, predicted, average="micro", zero_division=0)), 4),
        "macro_f1": round(float(f1_score(y, predicted, average="macro", zero_division=0)), 4),
    }


def baseline_proba(
    train_vectors: np.ndarray, train_targets: np.ndarray, dev_vectors: np.ndarray, *, c: float
) -> np.ndarray:
    """The reference of issue #10: a one-vs-rest logistic regression (classes balanced) on the
    encoder's whole-text vectors, what a user would build without voc: no clauses, no
    centring, no prompts, no background negatives. Returns (dev texts, labels) probabilities."""
    import warnings

    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    model = OneVsRestClassifier(LogisticRegression(C=c, class_weight="balanced", max_iter=1000))
    with warnings.catch_warnings():
        # a label without train texts (only in dev) gets a constant "no", which sklearn warns of
        warnings.filterwarnings("ignore", message="Label .* is present in all training examples")
        model.fit(train_vectors, train_targets)
    return model.predict_proba(dev_vectors)


def few_shot_rows(
    taxonomy: Taxonomy, train: list[tuple[Example, tuple[str, ...]]]
) -> list[tuple[Example, tuple[str, ...]]]:
    """The train documents voc's few-shot head learns from (the taxonomy's examples, which
    may be their beginnings, `api_example`), each once, whole and with all its categories:
    the few-shot baseline's training set."""
    examples = {text for cause in taxonomy.root_causes for text in cause.examples}
    rows: dict[str, tuple[Example, tuple[str, ...]]] = {}
    for example, labels in train:
        if api_example(example.text) in examples:
            rows.setdefault(example.text, (example, labels))
    return list(rows.values())


def baseline_scores(
    split: Split,
    vectors: Vectors,
    taxonomy: Taxonomy,
    names: dict[str, str],
    args: RootCauseTrainingArgs,
) -> dict[str, dict[str, float]]:
    """Micro/macro-F1 of the baseline fitted on each supervised mode's training documents
    (few-shot: its examples; trained: the train split), on the same dev documents, whole."""
    ids = [c.id for c in taxonomy.root_causes]
    dev = vectors([e.text for e, _ in split.dev])
    training = {"few-shot": few_shot_rows(taxonomy, split.train), "trained": split.train}
    scores = {}
    for mode, rows in training.items():
        proba = baseline_proba(
            vectors([e.text for e, _ in rows]), _targets(rows, ids, names), dev, c=args.baseline_c
        )
        scores[BASELINES[mode]] = f1_scores(
            _targets(split.dev, ids, names), (proba >= args.threshold).astype(np.int8)
        )
    return scores


@dataclass
class Heads:
    """One dataset's few-shot and trained heads, fitted once, as their clause probabilities on
    the dev split with what scoring them needs: `head_rule_scores` scans their rules and
    `score_split` scores them with the chosen ones. The heads read only the calibration's
    centre, background and head constants, which fitting zero-shot leaves as they are."""

    taxonomy: Taxonomy
    """The dataset's categories with few-shot examples (`dataset_taxonomy`)."""
    names: dict[str, str]
    targets: np.ndarray
    """(dev documents, labels) gold labels."""
    sizes: list[int]
    """Clauses per dev document."""
    proba: dict[str, DocumentsProba]
    """Per head mode, its dev probabilities."""


def fit_heads(
    split: Split, vectors: Vectors, calibration: Calibration, args: RootCauseTrainingArgs
) -> Heads:
    """The few-shot head on the dataset's taxonomy (categories of train and dev) and the
    trained head on its train split, read on its dev clauses."""
    few, names = dataset_taxonomy(
        "dataset", split.train + split.dev, max_examples=args.max_examples, seed=args.seed
    )
    ids = [c.id for c in few.root_causes]
    taggers = {
        "few-shot": few_shot_tagger(taxonomy_specs(few), vectors, calibration),
        "trained": fit_linear_tagger(
            ids,
            calibration.features(vectors([e.text for e, _ in split.train])),
            _targets(split.train, ids, names),
            c=args.trained_c,
            mode="trained",
        ),
    }
    return Heads(
        few,
        names,
        _targets(split.dev, ids, names),
        [len(doc) for doc in split.dev_clauses],
        {mode: dev_proba(tagger, split, vectors, calibration) for mode, tagger in taggers.items()},
    )


def evaluate_split(
    split: Split, vectors: Vectors, calibration: Calibration, args: RootCauseTrainingArgs
) -> dict:
    """Every mode and both baselines on a dataset's dev split, its heads fitted here."""
    return score_split(
        split, vectors, calibration, args, fit_heads(split, vectors, calibration, args)
    )


def score_split(
    split: Split,
    vectors: Vectors,
    calibration: Calibration,
    args: RootCauseTrainingArgs,
    heads: Heads,
) -> dict:
    """Zero-shot with `calibration`, the fitted heads with its rules, and the baselines."""
    report = {
        "dev_documents": len(split.dev),
        "labels": heads.targets.shape[1],
        "train_documents": len(split.train),
        "dev_clauses": sum(heads.sizes),
        "dev_labels": int(heads.targets.sum()),
        "zero-shot": evaluate_zero_shot(split, vectors, calibration),
    }
    for mode in HEAD_MODES:
        fired = document_tags(heads.proba[mode], heads.sizes, calibration.abstention(mode))
        report[mode] = f1_scores(heads.targets, fired)
    report.update(baseline_scores(split, vectors, heads.taxonomy, heads.names, args))
    return report


ZERO_SHOT_MARGINS = (*np.round(np.linspace(0.0, 0.12, 13), 3).tolist(), None)
"""Cosine margins tried for zero-shot's rank-and-abstain rule (0: the best label alone;
None: no margin, a plain threshold, the rule before rank-and-abstain)."""


@dataclass
class ZeroShotData:
    """One dataset's train texts and its own labels' prompts, centred, with the gold labels:
    what the relevance map and zero-shot's constants are fitted on."""

    texts: np.ndarray
    prompts: np.ndarray
    targets: np.ndarray


@dataclass
class ZeroShotScores:
    """One dataset's train texts against its own labels' directions: cosines and gold."""

    cosines: np.ndarray
    targets: np.ndarray


def zero_shot_data(split: Split, vectors: Vectors, unit: Calibration) -> ZeroShotData:
    taxonomy, names = dataset_taxonomy("dataset", split.train + split.dev, max_examples=0)
    specs = taxonomy_specs(taxonomy)
    return ZeroShotData(
        unit.features(vectors([e.text for e, _ in split.train])),
        unit.features(vectors([s.prompt for s in specs])),
        _targets(split.train, [s.id for s in specs], names),
    )


def zero_shot_scores(data: ZeroShotData, unit: Calibration) -> ZeroShotScores:
    """The cosines zero-shot's constants are fitted on, through `unit`'s relevance map."""
    return ZeroShotScores(data.texts @ unit.label_directions(data.prompts).T, data.targets)


RELEVANCE_STEPS = 60
"""Full-batch Adam steps of `fit_relevance` (200 gave the same leave-one-family-out mean)."""


def fit_relevance(data: list[ZeroShotData], *, l2: float) -> np.ndarray:
    """The (dim, dim) map M that moves a centred prompt p to M p, the direction of the texts
    labelled with it, learned across taxonomies: on each dataset, every labelled text's
    distribution over the dataset's own labels, softmax(s * cos(text, M p)) with s learned too,
    is fitted to its gold labels (cross-entropy, the datasets weighing the same), with
    `l2` * |M - I|^2 keeping M near the identity, the prompts' own geometry."""
    import torch

    dim = data[0].prompts.shape[1]
    delta = torch.nn.Parameter(torch.zeros(dim, dim))
    scale = torch.nn.Parameter(torch.tensor(10.0))
    sets = []
    for d in data:
        labelled = d.targets.sum(axis=1) > 0
        gold = torch.tensor(d.targets[labelled], dtype=torch.float32)
        sets.append(
            (
                torch.tensor(d.texts[labelled]),
                torch.tensor(d.prompts),
                gold / gold.sum(dim=1, keepdim=True),
            )
        )
    optimizer = torch.optim.Adam([delta, scale], lr=3e-3)
    for _ in range(RELEVANCE_STEPS):
        optimizer.zero_grad()
        relevance = torch.eye(dim) + delta
        loss = l2 * (delta**2).sum()
        for texts, prompts, gold in sets:
            directions = prompts @ relevance.T
            directions = directions / directions.norm(dim=1, keepdim=True)
            logits = scale * (texts @ directions.T)
            loss = loss - (gold * torch.log_softmax(logits, dim=1)).sum(dim=1).mean() / len(sets)
        loss.backward()
        optimizer.step()
    # stored as float16 (`Calibration.save`): measure what will be served
    return (torch.eye(dim) + delta).detach().numpy().astype(np.float16).astype(np.float32)


@dataclass(frozen=True)
class ZeroShotFit:
    """Zero-shot's constants: probability = sigmoid(slope * (cosine - floor)), and a label
    fires within `margin` (cosine) of the clause's best label and at or above the floor."""

    slope: float
    floor: float
    margin: float | None

    def apply(self, unit: Calibration) -> Calibration:
        """`unit` (a calibration with slope 1, offset 0) with these constants."""
        margin = None if self.margin is None else self.margin * self.slope
        return versioned(
            replace(
                unit,
                scale=self.slope,
                offset=-self.slope * self.floor,
                zero_shot=Abstention(margin=margin, floor=0.5),
            )
        )


def versioned(calibration: Calibration) -> Calibration:
    """`calibration` with its version: a digest of the centre, the background, the relevance
    map, every constant and the few-shot rule's revision (`FEW_SHOT_RECIPE`), so a change of
    any of them is a new version, measured by `voc train root-causes` into its own card."""
    zero_shot = calibration.zero_shot.margin if calibration.zero_shot else None
    constants = (calibration.scale, calibration.offset, zero_shot, calibration.threshold)
    heads = (calibration.few_shot_c, calibration.few_shot_prompt_weight)
    rules = tuple(rule for rule in (calibration.few_shot, calibration.trained) if rule)
    relevance = calibration.relevance
    digest = hashlib.sha256(
        calibration.centre.tobytes()
        + calibration.background.astype(np.float16).tobytes()
        + (b"" if relevance is None else relevance.astype(np.float16).tobytes())
        + repr((constants, *heads, *rules, FEW_SHOT_RECIPE)).encode()
    ).hexdigest()
    return replace(calibration, version=f"root-causes@{digest[:8]}")


HEAD_MARGINS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, None)
"""Logit margins tried for the few-shot and trained heads' rank-and-abstain rule (None: the
plain threshold)."""
HeadRule = tuple[bool, float | None]
"""(whether clauses fire labels, logit margin) of a few-shot or trained head."""
HEAD_RULES: tuple[HeadRule, ...] = (
    *((True, margin) for margin in HEAD_MARGINS),
    *((False, margin) for margin in HEAD_MARGINS),
)
"""Rules tried for the heads: labels from the clauses (with the whole text's support and what
it fires), or from the whole text alone (`Abstention.clauses_fire` False), each margin."""
THRESHOLD_ON_CLAUSES: HeadRule = (True, None)
"""The heads' rule before rank-and-abstain, a column of the leave-one-dataset-out table."""
HEAD_MODES = ("few-shot", "trained")


def head_rule_scores(heads: Heads, args: RootCauseTrainingArgs) -> dict[str, list[float]]:
    """Per head mode, micro-F1 on a dataset's dev split with each of `HEAD_RULES`."""
    return {
        mode: [
            f1_scores(
                heads.targets,
                document_tags(heads.proba[mode], heads.sizes, head_rule(rule, args)),
            )["micro_f1"]
            for rule in HEAD_RULES
        ]
        for mode in HEAD_MODES
    }


def head_rule(rule: HeadRule, args: RootCauseTrainingArgs) -> Abstention:
    """A few-shot or trained head's `Abstention`: from its clauses, asking the whole text's
    support, or from the whole text alone, with the rule's margin."""
    clauses_fire, margin = rule
    return Abstention(
        margin,
        args.threshold,
        args.support_from_clauses,
        args.support_margin,
        args.whole_text_fires or not clauses_fire,
        clauses_fire,
    )


def best_rule(scores: list[list[float]]) -> HeadRule:
    """The rule of best micro-F1 averaged over datasets (rows of `head_rule_scores`)."""
    return HEAD_RULES[int(np.argmax(np.mean(scores, axis=0)))]


def rule_text(rule: Abstention) -> str:
    """How a head's rule reads, for its card."""
    margin = "the plain threshold" if rule.margin is None else f"margin {rule.margin} logits"
    return f"{'clauses' if rule.clauses_fire else 'whole text'}, {margin}"


def fit_zero_shot(
    scores: list[ZeroShotScores], margins: tuple[float | None, ...] = ZERO_SHOT_MARGINS
) -> ZeroShotFit:
    """Zero-shot's slope, floor and margin, from train texts only.

    The slope comes from a logistic regression on (cosine, label) pairs pooled over datasets;
    then the margin and floor with the best micro-F1 averaged over datasets (pooled pairs
    would let the datasets with a hundred labels decide for the small taxonomies).
    """
    from sklearn.linear_model import LogisticRegression

    x = np.concatenate([s.cosines.ravel() for s in scores])
    y = np.concatenate([s.targets.ravel() for s in scores])
    slope = float(LogisticRegression(C=10.0).fit(x[:, None], y).coef_[0, 0])
    floors = np.quantile(x, np.linspace(0.3, 0.995, 60)).tolist()

    def mean_f1(margin: float | None, floor: float) -> float:
        return float(
            np.mean(
                [
                    _micro_f1(s.targets, rank_and_abstain(s.cosines, margin=margin, floor=floor))
                    for s in scores
                ]
            )
        )

    margin, floor = max(((m, f) for m in margins for f in floors), key=lambda mf: mean_f1(*mf))
    return ZeroShotFit(slope, floor, margin)


def _micro_f1(y: np.ndarray, predicted: np.ndarray) -> float:
    true_positive = float((predicted & (y == 1)).sum())
    return 2 * true_positive / max(float(predicted.sum() + y.sum()), 1.0)


def calibrate_and_evaluate(
    data_dir: Path,
    out_dir: Path,
    *,
    encoder: Encoder,
    args: RootCauseTrainingArgs | None = None,
    datasets: tuple[AspectDataset, ...] = ASPECT_DATASETS,
) -> dict:
    """Fit the calibration, write it with the card, return the per-dataset metrics."""
    args = args or RootCauseTrainingArgs()
    started = time.perf_counter()
    vectors = Vectors(encoder)
    segmenter = Segmenter()
    sample = feedback_sample(data_dir, encoder, args)
    centre = sample.mean(axis=0).astype(np.float32)
    background = sample[
        np.random.default_rng(args.seed).permutation(len(sample))[: args.background]
    ]
    splits = [load_split(d, data_dir, vectors, segmenter, args) for d in datasets]
    unit = Calibration(
        centre,
        background,
        1.0,
        0.0,
        args.few_shot_c,
        args.few_shot_prompt_weight,
        args.threshold,
        "unit",
    )
    zero_shot = [zero_shot_data(split, vectors, unit) for split in splits]
    relevant = replace(unit, relevance=fit_relevance(zero_shot, l2=args.relevance_l2))
    fit = fit_zero_shot([zero_shot_scores(d, relevant) for d in zero_shot])
    fitted = [fit_heads(split, vectors, unit, args) for split in splits]
    heads = [head_rule_scores(h, args) for h in fitted]
    rules = {mode: best_rule([h[mode] for h in heads]) for mode in HEAD_MODES}
    calibration = versioned(
        replace(
            fit.apply(relevant),
            few_shot=head_rule(rules["few-shot"], args),
            trained=head_rule(rules["trained"], args),
        )
    )
    metrics = {
        split.dataset.name: score_split(split, vectors, calibration, args, h)
        for split, h in zip(splits, fitted, strict=True)
    }
    lodo = leave_one_dataset_out(splits, zero_shot, heads, vectors, unit, args)
    data = [file_fingerprint(data_dir / name) for name in CENTRE_FILES] + [
        file_fingerprint(data_dir / d.file) for d in datasets if d.file not in CENTRE_FILES
    ]
    seconds = round(time.perf_counter() - started, 1)
    calibration.save(
        out_dir,
        {
            "encoder": encoder.version,
            "encoder_backend": encoder.backend,
            "args": args.__dict__,
            "few_shot_recipe": FEW_SHOT_RECIPE,
            "data": data,
            "datasets": [{"name": d.name, "file": d.file, "lang": d.lang} for d in datasets],
            "zero_shot_fit": asdict(fit),
            "metrics": metrics,
            "lodo": lodo,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
    _write_card(out_dir, calibration, fit, metrics, lodo, data, args, seconds)
    return metrics


def other_families(datasets: list[AspectDataset], n: int) -> list[int]:
    """Indices of the datasets that may teach what is measured on dataset `n`: those of
    another family (`AspectDataset.family`), so no label set is learned on a sibling."""
    return [k for k, d in enumerate(datasets) if d.lineage != datasets[n].lineage]


def leave_one_dataset_out(
    splits: list[Split],
    zero_shot: list[ZeroShotData],
    heads: list[dict[str, list[float]]],
    vectors: Vectors,
    unit: Calibration,
    args: RootCauseTrainingArgs,
) -> dict:
    """Each dataset's dev split scored with everything fitted on other datasets only (other
    families: `AspectDataset.family`), what a taxonomy never seen gets. Zero-shot three ways:
    the plain threshold (margin None, the rule before rank-and-abstain), rank-and-abstain on
    the prompts themselves, and rank-and-abstain through a relevance map learned on the other
    datasets (the served rule). The few-shot and trained heads with their margins chosen on
    the other datasets' dev splits (`heads`: each dataset's `head_rule_scores`), and with
    the plain threshold on clauses, the rule before it."""
    report = {}
    prompts = [zero_shot_scores(d, unit) for d in zero_shot]  # the same in every fold
    for n, split in enumerate(splits):
        others = other_families([s.dataset for s in splits], n)
        relevant = replace(
            unit, relevance=fit_relevance([zero_shot[k] for k in others], l2=args.relevance_l2)
        )
        moved = [zero_shot_scores(zero_shot[k], relevant) for k in others]
        row = {}
        for name, margins, calibration, scores in (
            ("threshold", (None,), unit, [prompts[k] for k in others]),
            ("rank-and-abstain", ZERO_SHOT_MARGINS, unit, [prompts[k] for k in others]),
            ("learned relevance", ZERO_SHOT_MARGINS, relevant, moved),
        ):
            fit = fit_zero_shot(scores, margins)
            row[name] = {
                **evaluate_zero_shot(split, vectors, fit.apply(calibration)),
                "margin": fit.margin,
                "floor": round(fit.floor, 4),
            }
        for mode in HEAD_MODES:
            rule = best_rule([heads[k][mode] for k in others])
            row[mode] = {
                "micro_f1": heads[n][mode][HEAD_RULES.index(rule)],
                "margin": rule[1],
                "clauses_fire": rule[0],
            }
            row[f"{mode}, threshold"] = {
                "micro_f1": heads[n][mode][HEAD_RULES.index(THRESHOLD_ON_CLAUSES)]
            }
        report[split.dataset.name] = row
    return report


def evaluate_zero_shot(split: Split, vectors: Vectors, calibration: Calibration) -> dict:
    """Zero-shot micro/macro-F1 on a dataset's dev split, its categories' names as labels."""
    taxonomy, names = dataset_taxonomy("dataset", split.train + split.dev, max_examples=0)
    tagger = zero_shot_tagger(taxonomy_specs(taxonomy), vectors, calibration)
    proba = dev_proba(tagger, split, vectors, calibration)
    fired = document_tags(
        proba, [len(doc) for doc in split.dev_clauses], calibration.abstention("zero-shot")
    )
    return f1_scores(_targets(split.dev, list(tagger.ids), names), fired)


def _write_card(
    out_dir: Path,
    calibration: Calibration,
    fit: ZeroShotFit,
    metrics: dict,
    lodo: dict,
    data: list[dict],
    args: RootCauseTrainingArgs,
    seconds: float,
) -> None:
    rows = [
        (
            name,
            m["labels"],
            m["dev_documents"],
            f"{m['dev_clauses'] / m['dev_documents']:.1f} / "
            f"{m['dev_labels'] / m['dev_documents']:.2f}",
            *(f"{m[mode]['micro_f1']:.3f} / {m[mode]['macro_f1']:.3f}" for mode in DEV_COLUMNS),
        )
        for name, m in metrics.items()
    ]
    lodo_rows = [
        (
            name,
            metrics[name]["labels"],
            f"{r['threshold']['micro_f1']:.3f}",
            *(
                f"{r[rule]['micro_f1']:.3f} ({r[rule]['margin']} / {r[rule]['floor']:.3f})"
                for rule in ("rank-and-abstain", "learned relevance")
            ),
            *(
                cell
                for mode in HEAD_MODES
                for cell in (
                    f"{r[f'{mode}, threshold']['micro_f1']:.3f}",
                    f"{r[mode]['micro_f1']:.3f} ("
                    + ("" if r[mode]["clauses_fire"] else "whole text, ")
                    + f"{r[mode]['margin']})",
                    f"{metrics[name][BASELINES[mode]]['micro_f1']:.3f}",
                )
            ),
        )
        for name, r in lodo.items()
    ]
    margin = "none" if fit.margin is None else f"{fit.margin}"
    head_rules = {mode: rule_text(calibration.abstention(mode)) for mode in HEAD_MODES}
    write_card(
        out_dir / "CARD.md",
        title=f"Root-cause and touchpoint tagger ({calibration.version})",
        summary=(
            "Multi-label clause tagger on frozen multilingual-e5-small embeddings (ONNX int8, "
            "the serving path), centred on the mean embedding of real feedback "
            f"({args.centre_per_file} train texts from each of {len(CENTRE_FILES)} files in "
            "en/fr/id/ms). Zero-shot: each label's score is the centred cosine of the clause "
            "and the label's direction, its centred prompt moved by a relevance map learned "
            "across the datasets below (each labelled train text's distribution over its own "
            "dataset's labels fitted to its gold labels, the map held near the identity with "
            f"weight {args.relevance_l2}); it ranks and abstains: a label fires when its "
            "cosine is "
            f"within {margin} of the clause's best label and at least {fit.floor:.3f} "
            f"(probability sigmoid({fit.slope:.2f} x (cosine - {fit.floor:.3f})) >= 0.5); "
            "slope, margin and floor fitted on the train splits below (best mean micro-F1 over "
            "datasets). Few-shot: one-vs-rest logistic regression "
            f"(C={args.few_shot_c}, classes balanced) on the examples plus the prompts, fitted "
            "when a taxonomy is first used and cached per id@version. Trained: the same head "
            f"on up to {args.max_train} train texts (C={args.trained_c}). Few-shot and trained "
            f"tags reach probability {args.threshold} and rank (a label fires within the "
            "margin of the best label of the clause, or of the whole text where the whole text "
            "alone decides): few-shot "
            f"{head_rules['few-shot']}, trained {head_rules['trained']}, the rules of best mean "
            "micro-F1 over the dev splits below.\n\n"
            "Measured per dataset on its dev split, with a taxonomy built from the dataset's own "
            f"categories (few-shot: {args.max_examples} random train examples drawn for each, "
            "each drawn example listed under all of its categories, at most "
            f"{Limits().max_examples_per_item} per label as in a taxonomy sent to the API). "
            "A document's labels, where clauses fire, are the labels its clauses fire and, in "
            f"a document of {args.support_from_clauses} clauses or more, its whole text "
            "supports (the text's own vector gives the label the floor or ranks it within "
            f"{args.support_margin} logits of its best label)"
            + (", and the labels its whole text fires" if args.whole_text_fires else "")
            + ", as the Analyzer tags them "
            "(here without the rule that skips clearly positive clauses, since aspect labels "
            f"also mark praise). {seconds} s in all (embeddings cached).\n\n"
            "Baseline (issue #10), fitted in the same run on the same texts: one-vs-rest "
            f"logistic regression (C={args.baseline_c}, classes balanced) on the encoder's "
            "vectors of whole texts (no clauses, no centring, no prompts, no background), "
            "labels = each document's categories, tags = probability >= "
            f"{args.threshold}. The few-shot baseline learns from the documents drawn as "
            "few-shot examples (with all their categories, so a label can have more than "
            f"{args.max_examples} positives), the trained baseline from the same train texts as "
            "the trained head. Zero-shot has no supervised baseline: its labels are never seen, "
            "so the few-shot baseline is the reference a user would otherwise build, with "
            "a few labelled examples."
        ),
        command=(
            f"voc train root-causes  # {seconds} s on {os.cpu_count()} CPU cores, "
            "embeddings cached in var/cache\n"
            f"voc models promote root_causes {calibration.version}"
        ),
        data=data,
        sections=[
            (
                "Leave one dataset out: micro-F1 on a taxonomy never seen",
                "Zero-shot's constants fitted on the train splits of the other datasets only "
                "(and not on the left-out dataset's family: SemEval-15 and -16 share labels "
                "and sentences, MAMS was drawn from SemEval-14's corpus with its categories), "
                "scored on the left-out dataset's dev split: with a plain threshold (the rule "
                "before rank-and-abstain), with rank-and-abstain on the prompts themselves, "
                "and with rank-and-abstain through the relevance map learned on those other "
                "datasets (the served rule; cosine margin / floor chosen without the "
                "dataset). The few-shot and trained heads with the plain "
                "threshold on clauses, and ranking and abstaining with the rule (clauses or the "
                "whole text alone, logit margin) chosen on the "
                "other datasets' dev splits (the trained head itself learns the dataset's "
                "train split); the baselines fit nothing on other datasets, so their columns "
                "are their dev scores.\n\n"
                + markdown_table(
                    [
                        "left-out dataset",
                        "labels",
                        "zero-shot, threshold",
                        "zero-shot, rank-and-abstain (margin / floor)",
                        "zero-shot, learned relevance (margin / floor)",
                        "few-shot, threshold",
                        "few-shot, rank-and-abstain (margin)",
                        "few-shot baseline",
                        "trained, threshold",
                        "trained, rank-and-abstain (margin)",
                        "trained baseline",
                    ],
                    lodo_rows,
                ),
            ),
            (
                "Micro-F1 / macro-F1 on the dev splits (zero-shot's constants and relevance "
                "map fitted on every train split, so its labels were seen: the table above is "
                "its measure; the heads' margins on these dev splits)",
                markdown_table(
                    ["dataset", "labels", "dev docs", "clauses / labels per doc", *DEV_COLUMNS],
                    rows,
                )
                + "\n\n"
                + baseline_reading(metrics, lodo),
            ),
        ],
    )


def baseline_reading(metrics: dict, lodo: dict) -> str:
    """Where each mode beats the baseline and where not, from the measured micro-F1 (so the
    card's reading stays true to its tables when it is rebuilt), and what differs between them."""
    few = BASELINES["few-shot"]
    below = sum(
        r["learned relevance"]["micro_f1"] < metrics[name][few]["micro_f1"]
        for name, r in lodo.items()
    )
    sentences = [
        f"Zero-shot on a taxonomy never seen (leave one dataset out) is below the few-shot "
        f"baseline (a few labelled examples per label in a plain classifier) on {below} of "
        f"{len(lodo)} datasets."
    ]
    for mode in HEAD_MODES:
        delta = [
            r[mode]["micro_f1"] - metrics[name][BASELINES[mode]]["micro_f1"]
            for name, r in lodo.items()
        ]
        sentences.append(
            f"{mode.capitalize()} with its rule chosen without the dataset beats its "
            f"baseline on {sum(d > 0 for d in delta)} of {len(lodo)} (mean difference "
            f"{np.mean(delta):+.3f})."
        )
    for mode, baseline in BASELINES.items():
        delta = {name: m[mode]["micro_f1"] - m[baseline]["micro_f1"] for name, m in metrics.items()}
        macro_wins = sum(m[mode]["macro_f1"] > m[baseline]["macro_f1"] for m in metrics.values())
        behind = [f"{name} ({d:+.3f})" for name, d in delta.items() if d <= 0]
        sentences.append(
            f"{mode.capitalize()} beats its baseline in micro-F1 on "
            f"{sum(d > 0 for d in delta.values())} of {len(delta)} datasets "
            f"(mean difference {np.mean(list(delta.values())):+.3f}; macro-F1 on {macro_wins})"
            + (f"; it does not on {', '.join(behind)}." if behind else ".")
        )
    sentences.append(
        "Two differences, by construction, likely explain the losses: the gold labels are "
        "given for whole texts, where a head whose clauses fire tags each clause and reads "
        "the whole text only as a check on long ones and for the labels it fires (a clause "
        "of a short review can fire a label its text does not carry); and voc's few-shot "
        "head reads at most "
        f"{Limits().max_examples_per_item} examples per label (a taxonomy's limit), where the "
        "baseline learns from every drawn document, and a review carrying several categories "
        "adds to each. What voc adds is evidence: which clause a tag comes from."
    )
    return " ".join(sentences)


def default_taxonomy_id(data_file: Path) -> str:
    """The taxonomy a head trained on `data_file` serves when no id is given."""
    return data_file.stem.replace("_", "-").lower()[:64]


def train_from_file(
    data_file: Path,
    out_dir: Path,
    *,
    encoder: Encoder,
    calibration: Calibration,
    label: str = "aspects",
    taxonomy_id: str | None = None,
    args: RootCauseTrainingArgs | None = None,
) -> dict:
    """Fit a trained head on a labelled JSONL file (the `../shared/data` schema).

    The taxonomy is the file's categories; the head, the taxonomy and dev metrics (when the
    file has a dev split) are written to `out_dir/<taxonomy id>/`, where the Analyzer picks
    the head up for a taxonomy of that id with the same root-cause ids.
    """
    args = args or RootCauseTrainingArgs()
    read = label_field(label)
    rows = [(e, read(e)) for e in iter_examples(data_file)]
    if not any(labels for _, labels in rows):
        raise ValueError(f"{data_file}: no row has labels in {label!r}")
    taxonomy_id = taxonomy_id or default_taxonomy_id(data_file)
    train = [r for r in rows if r[0].split == "train"] or rows
    dev = [r for r in rows if r[0].split == "dev"]
    taxonomy, names = dataset_taxonomy(taxonomy_id, rows, max_examples=args.max_examples)
    ids = [c.id for c in taxonomy.root_causes]
    vectors = Vectors(encoder)
    vectors.add([e.text for e, _ in train + dev])
    head = fit_linear_tagger(
        ids,
        calibration.features(vectors([e.text for e, _ in train])),
        _targets(train, ids, names),
        c=args.trained_c,
        mode="trained",
    )
    metrics: dict = {"train_documents": len(train), "labels": len(ids)}
    if dev:
        proba = head.predict_proba(calibration.features(vectors([e.text for e, _ in dev])))
        metrics["dev"] = f1_scores(_targets(dev, ids, names), (proba >= args.threshold).astype(int))
    target = out_dir / taxonomy_id
    head.save(
        target,
        {
            "taxonomy": taxonomy_id,
            "encoder": encoder.version,
            "data": [file_fingerprint(data_file)],
            "label": label,
            "metrics": metrics,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
    (target / "taxonomy.json").write_text(
        json.dumps(taxonomy_to_dict(taxonomy), ensure_ascii=False, indent=1) + "\n"
    )
    log.info("train.root_causes", extra={"taxonomy": taxonomy_id, "labels": len(ids)})
    return metrics


def add_head_to_card(artifact_dir: Path, taxonomy_id: str) -> None:
    """Append a trained head's data and dev metrics to the version's card."""
    config = json.loads((artifact_dir / taxonomy_id / HEAD_CONFIG).read_text())
    metrics = config["metrics"]
    dev = metrics.get("dev")
    lines = [
        f"## Trained head `{taxonomy_id}`",
        "",
        f"`voc train root-causes --data FILE --label {config['label']} --taxonomy-id "
        f"{taxonomy_id}`: {metrics['labels']} labels, {metrics['train_documents']} train texts. "
        + (
            f"Dev micro-F1 {dev['micro_f1']:.3f}, macro-F1 {dev['macro_f1']:.3f}."
            if dev
            else "The file has no dev split, so the head is not measured."
        ),
        "",
        markdown_table(["file", "sha256"], [(d["file"], d["sha256"][:16]) for d in config["data"]]),
        "",
    ]
    with (artifact_dir / "CARD.md").open("a", encoding="utf-8") as card:
        card.write("\n" + "\n".join(lines))
