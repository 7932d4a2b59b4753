"""`voc train sentiment --fine-tune`: LoRA adapters on the encoder, trained with the head.

Linear probe, then fine-tune: the head starts from the frozen-encoder logistic regression
(trained first, by `train_sentiment`, on the same rows), then LoRA adapters on the attention
query/value projections and the head are trained together on the same rows (cross-entropy,
each (language, label) cell weighted equally), on CPU or on a GPU when torch sees one. Only
the adapter is saved (peft format, safetensors: about 0.6 MB at rank 8) next to the head.
Serving merges it into the base weights and runs the torch backend for sentiment.

The frozen-encoder head of the same run is evaluated on the same dev rows, so the card states
what fine-tuning gains, with the time it took.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from voc.config import Settings
from voc.nlp.cards import markdown_table, write_card
from voc.nlp.datasets import file_fingerprint
from voc.nlp.encoder import PREFIX, Encoder, load_torch_encoder
from voc.nlp.evaluation import classification_report, report_markdown
from voc.nlp.sentiment import ADAPTER_DIR, SentimentHead
from voc.nlp.train import (
    SentimentTrainingArgs,
    calibration_split,
    document_vectors,
    fit_temperature,
    load_sentiment_split,
    sentiment_command,
    train_sentiment,
    training_weights,
)
from voc.nlp.types import SENTIMENT_LABELS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FineTuneArgs:
    """Validated options of `voc train sentiment --fine-tune`."""

    epochs: int = 1
    max_length: int = 64
    """Tokens per training text (serving still reads up to 512)."""
    batch_size: int = 16
    learning_rate: float = 5e-4
    """For the LoRA adapters; the head (already fitted) moves at a fifth of it."""
    lora_rank: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.1
    target_modules: tuple[str, ...] = ("query", "value")

    def __post_init__(self) -> None:
        if not 1 <= self.epochs <= 20:
            raise ValueError("epochs must be between 1 and 20")
        if not 8 <= self.max_length <= 512:
            raise ValueError("max_length must be between 8 and 512")
        if self.batch_size < 1 or self.lora_rank < 1:
            raise ValueError("batch_size and lora_rank must be >= 1")
        if not 0 < self.learning_rate < 1:
            raise ValueError("learning_rate must be in (0, 1)")


def _device():
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _length_bucketed_batches(lengths: list[int], batch_size: int, generator) -> list[list[int]]:
    """Shuffled batches of similar length (padding is most of the cost on CPU): shuffle, sort
    each window of 50 batches by length, cut into batches, shuffle the batches."""
    import torch

    order = torch.randperm(len(lengths), generator=generator).tolist()
    window = batch_size * 50
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start : start + window], key=lengths.__getitem__)
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]


def _train_adapter(
    settings: Settings,
    texts: list[str],
    labels: np.ndarray,
    weights: np.ndarray,
    head: SentimentHead,
    fine_tune: FineTuneArgs,
    seed: int,
) -> tuple[Any, np.ndarray, np.ndarray, dict[str, Any]]:
    """Train LoRA + head; returns (peft model, head weight, head bias, training facts)."""
    import torch
    from peft import LoraConfig, get_peft_model
    from tokenizers import Tokenizer

    torch.manual_seed(seed)
    if settings.threads:
        torch.set_num_threads(settings.threads)
    device = _device()
    tokenizer = Tokenizer.from_file(str(settings.base_model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(fine_tune.max_length)
    tokenizer.enable_padding(pad_id=1, pad_token="<pad>")
    module = load_torch_encoder(settings.base_model_dir)
    bert = get_peft_model(
        module.bert,
        LoraConfig(
            r=fine_tune.lora_rank,
            lora_alpha=fine_tune.lora_alpha,
            lora_dropout=fine_tune.lora_dropout,
            target_modules=list(fine_tune.target_modules),
        ),
    ).to(device)
    weight = torch.nn.Parameter(torch.from_numpy(head.weight.copy()).to(device))
    bias = torch.nn.Parameter(torch.from_numpy(head.bias.copy()).to(device))
    adapters = [p for p in bert.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [
            {"params": adapters, "lr": fine_tune.learning_rate},
            {"params": [weight, bias], "lr": fine_tune.learning_rate / 5, "weight_decay": 0.0},
        ]
    )
    y = torch.from_numpy(labels).to(device)
    w = torch.from_numpy(weights.astype(np.float32)).to(device)
    generator = torch.Generator().manual_seed(seed)
    lengths = [len(e.ids) for e in tokenizer.encode_batch([PREFIX + t for t in texts])]
    steps, losses, started = 0, [], time.perf_counter()
    bert.train()
    for _ in range(fine_tune.epochs):
        for batch in _length_bucketed_batches(lengths, fine_tune.batch_size, generator):
            encoded = tokenizer.encode_batch([PREFIX + texts[i] for i in batch])
            ids = torch.tensor([e.ids for e in encoded], device=device)
            mask = torch.tensor([e.attention_mask for e in encoded], device=device)
            states = bert(input_ids=ids, attention_mask=mask)[0]
            pooled = (states * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
            logits = torch.nn.functional.normalize(pooled, dim=-1) @ weight.T + bias
            loss = (
                torch.nn.functional.cross_entropy(logits, y[batch], reduction="none") * w[batch]
            ).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            steps += 1
            losses.append(loss.item())
            if steps % 20 == 0:
                log.info(
                    "finetune.step", extra={"step": steps, "loss": round(np.mean(losses[-20:]), 4)}
                )
    bert.eval()
    facts = {
        "steps": steps,
        "train_seconds": round(time.perf_counter() - started, 1),
        "first_loss": round(float(np.mean(losses[:10])), 4),
        "last_loss": round(float(np.mean(losses[-10:])), 4),
        "trainable_parameters": int(sum(p.numel() for p in adapters)) + weight.numel() + 3,
        "device": str(device),
    }
    return (
        bert,
        weight.detach().cpu().numpy(),
        bias.detach().cpu().numpy(),
        facts,
    )


def fine_tune_sentiment(
    data_dir: Path,
    out_dir: Path,
    *,
    settings: Settings,
    args: SentimentTrainingArgs,
    fine_tune: FineTuneArgs,
) -> dict[str, Any]:
    """Frozen-encoder head first, then LoRA + head; write adapter, head, config, card."""
    started = time.perf_counter()
    serving = Encoder(
        settings.base_model_dir, backend=settings.encoder_backend, threads=settings.threads or None
    )
    with tempfile.TemporaryDirectory() as frozen_dir:
        frozen = train_sentiment(data_dir, Path(frozen_dir), encoder=serving, args=args)
        frozen_head = SentimentHead.load(Path(frozen_dir))
    frozen_seconds = round(time.perf_counter() - started, 1)

    train, train_y, dev, dev_y = load_sentiment_split(data_dir, args)
    fit_idx, cal_idx = calibration_split(train, train_y, args)
    labels = np.array([SENTIMENT_LABELS.index(train_y[i]) for i in fit_idx])
    weights = training_weights(
        [train[i] for i in fit_idx], [train_y[i] for i in fit_idx], args.weighting
    )
    model, weight, bias, facts = _train_adapter(
        settings,
        [train[i].text for i in fit_idx],
        labels,
        weights,
        frozen_head,
        fine_tune,
        args.seed,
    )
    adapter_dir = out_dir / ADAPTER_DIR
    model.save_pretrained(adapter_dir)  # adapter_model.safetensors + adapter_config.json
    (adapter_dir / "README.md").unlink(missing_ok=True)
    del model

    # Measure through the path that serves it: the saved adapter merged into the base weights.
    tuned = Encoder(
        settings.base_model_dir,
        backend="torch",
        threads=settings.threads or None,
        adapter=adapter_dir,
    )
    x_cal = document_vectors(tuned, [train[i] for i in cal_idx])
    y_cal = np.array([SENTIMENT_LABELS.index(train_y[i]) for i in cal_idx])
    temperature = fit_temperature(x_cal @ weight.T + bias, y_cal)
    digest = hashlib.sha256(
        weight.tobytes() + bias.tobytes() + (adapter_dir / "adapter_model.safetensors").read_bytes()
    ).hexdigest()[:8]
    head = SentimentHead(
        weight,
        bias,
        temperature,
        args.mixed_threshold,
        f"sentiment@ft-{digest}",
        complaint_threshold=frozen_head.complaint_threshold,
        clause_complaint_threshold=frozen_head.clause_complaint_threshold,
    )
    report = classification_report(
        dev,
        dev_y,
        head.predict_proba(document_vectors(tuned, dev)),
        SENTIMENT_LABELS,
    )
    metrics = {
        "dev": report["groups"],
        "per_class": report["per_class"],
        "confusion": report["confusion"],
        "dev_ece": report["calibration_error"],
        "frozen_head_dev": frozen["dev"],
        "frozen_head_dev_ece": frozen["dev_ece"],
        "baselines_dev": frozen["baselines_dev"],
        "temperature": round(temperature, 4),
        "train_examples": len(fit_idx),
        "calibration_examples": len(cal_idx),
        "frozen_head_seconds": frozen_seconds,
        "fine_tune": facts,
        "adapter_bytes": sum(p.stat().st_size for p in adapter_dir.iterdir()),
        "seconds": round(time.perf_counter() - started, 1),
    }
    data = [file_fingerprint(data_dir / name) for name in args.files]
    head.save(
        out_dir,
        {
            "encoder": tuned.version,
            "encoder_backend": "torch",
            "data": data,
            "args": {k: v for k, v in args.__dict__.items() if k != "files"},
            "fine_tune": asdict(fine_tune),
            "metrics": metrics,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
    _write_card(out_dir, head.version, metrics, data, args, fine_tune)
    log.info("finetune.done", extra={"version": head.version, "seconds": metrics["seconds"]})
    return metrics


def _write_card(
    out_dir: Path,
    version: str,
    metrics: dict[str, Any],
    data: list[dict[str, str]],
    args: SentimentTrainingArgs,
    fine_tune: FineTuneArgs,
) -> None:
    frozen, tuned = metrics["frozen_head_dev"], metrics["dev"]
    rows = [
        (
            group,
            tuned[group]["n"],
            frozen[group]["macro_f1"],
            tuned[group]["macro_f1"],
            f"{tuned[group]['macro_f1'] - frozen[group]['macro_f1']:+.4f}",
        )
        for group in tuned
    ]
    facts = metrics["fine_tune"]
    dev_note = (
        "the whole dev splits"
        if args.max_dev_per_file is None
        else f"a seeded sample of at most {args.max_dev_per_file} dev rows per file"
    )
    write_card(
        out_dir / "CARD.md",
        title=f"Sentiment, fine-tuned encoder ({version})",
        summary=(
            __doc__.strip().split("\n\n", 1)[1]
            + f"\n\nLoRA rank {fine_tune.lora_rank} (alpha {fine_tune.lora_alpha}, dropout "
            f"{fine_tune.lora_dropout}) on {list(fine_tune.target_modules)}, "
            f"{fine_tune.epochs} epoch(s), max length {fine_tune.max_length}, batch "
            f"{fine_tune.batch_size}, learning rate {fine_tune.learning_rate}; "
            f"{metrics['train_examples']} training examples, {facts['steps']} steps on "
            f"{facts['device']}: {facts['train_seconds']} s of training, "
            f"{metrics['seconds']} s in all (frozen head, fine-tuning, calibration and "
            f"evaluation). Loss {facts['first_loss']} -> {facts['last_loss']}; "
            f"{facts['trainable_parameters']} trainable parameters; adapter "
            f"{metrics['adapter_bytes']} bytes. Temperature {metrics['temperature']}, dev ECE "
            f"{metrics['dev_ece']} (frozen head: {metrics['frozen_head_dev_ece']}). "
            f"Evaluated on {dev_note}."
        ),
        command=sentiment_command(args, fine_tune=True),
        data=data,
        sections=[
            (
                "Macro-F1 on the same dev rows: frozen-encoder head vs fine-tuned",
                markdown_table(["group", "n", "frozen head", "fine-tuned", "gain"], rows),
            ),
            (
                "Per class on the dev rows (fine-tuned)",
                report_markdown({**metrics, "calibration_error": metrics["dev_ece"]}),
            ),
        ],
    )
