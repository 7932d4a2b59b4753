"""Personal data in feedback: find it (offsets + type) and redact it, offline, in en/fr/id/ms.

`detect(text)` returns non-overlapping `PiiSpan`s. Structured types (e-mail, URL, IP, card,
IBAN, national id, phone) come from patterns checked by checksum or format
(`voc.nlp.pii.structured`); account numbers, names and addresses from cue rules
(`voc.nlp.pii.context`). When candidates overlap, the more certain type wins (a checksum beats
a cue), then the longer span.

`redact(text, spans, mode)` applies a redaction mode: "none" keeps the text, "mask" replaces
each span by its type in brackets ("[EMAIL]"), "drop_text" drops the text entirely. It returns
the new text and the spans moved to refer to it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from voc.nlp.pii import context, structured

PII_TYPES = (
    "EMAIL",
    "URL",
    "IBAN",
    "NATIONAL_ID",
    "CARD",
    "IP",
    "ACCOUNT",
    "PHONE",
    "ADDRESS",
    "NAME",
)
"""Every type `detect` reports, most certain first (the order overlaps are settled in)."""
REDACT_MODES = ("none", "mask", "drop_text")
FINDERS: tuple[Callable[[str], Iterator[tuple[int, int, str]]], ...] = (
    structured.emails,
    structured.urls,
    structured.ibans,
    structured.national_ids,
    structured.cards,
    structured.ips,
    context.accounts,
    structured.phones,
    context.addresses,
    context.names,
)
_RANK = {kind: i for i, kind in enumerate(PII_TYPES)}
NEED_DIGITS = frozenset(
    {
        structured.ibans,
        structured.national_ids,
        structured.cards,
        context.accounts,
        structured.phones,
    }
)
"""Finders whose every match holds a digit (`\\d`): a text without one skips them."""
DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class PiiSpan:
    start: int
    end: int
    type: str


def detect(text: str) -> list[PiiSpan]:
    """Personal data in `text`, in order, never overlapping."""
    finders = FINDERS if DIGIT.search(text) else [f for f in FINDERS if f not in NEED_DIGITS]
    candidates = {found for finder in finders for found in finder(text)}
    kept: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(candidates, key=lambda c: (_RANK[c[2]], c[0] - c[1], c[0])):
        if all(end <= s or start >= e for s, e, _ in kept):
            kept.append((start, end, kind))
    return [PiiSpan(s, e, k) for s, e, k in sorted(kept)]


def mask(text: str, spans: Iterable[PiiSpan]) -> tuple[str, list[PiiSpan]]:
    """Replace each span by "[TYPE]"; the returned spans cover the masks in the new text."""
    parts: list[str] = []
    moved: list[PiiSpan] = []
    position = length = 0
    for span in sorted(spans, key=lambda s: s.start):
        kept = text[position : span.start]
        label = f"[{span.type}]"
        parts += [kept, label]
        length += len(kept)
        moved.append(PiiSpan(length, length + len(label), span.type))
        length += len(label)
        position = span.end
    parts.append(text[position:])
    return "".join(parts), moved


def redact(text: str, spans: Sequence[PiiSpan], mode: str) -> tuple[str | None, list[PiiSpan]]:
    """The text as `mode` lets it out, and the spans in that text (none when it is dropped)."""
    if mode == "none":
        return text, list(spans)
    if mode == "mask":
        return mask(text, spans)
    if mode == "drop_text":
        return None, []
    raise ValueError(f"unknown redaction mode {mode!r}; known: {REDACT_MODES}")
