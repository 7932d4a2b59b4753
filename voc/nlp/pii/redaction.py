"""Redact an analysis result (the JSON of `POST /v1/analyze`) as a redaction mode asks.

The analysis ran on the original text; its result quotes that text (sentences, clauses,
evidence, cues) and points into it with `start`/`end`. Under "mask" every object holding
`start`/`end` is moved to the masked text and its `text` re-cut from it, and any other string
that quotes a personal value has that value masked; so offsets refer to the text as returned.
Under "drop_text" every quote is removed (None) and offsets keep pointing into the caller's
own copy of the text."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from voc.nlp.pii import PiiSpan, mask

QUOTE_KEYS = ("text", "expected", "actual")
"""Keys whose values quote the document (dropped under "drop_text")."""


def redact_result(
    result: dict[str, Any], text: str, spans: Sequence[PiiSpan], mode: str
) -> tuple[dict[str, Any], str | None]:
    """(the result as `mode` lets it out, the document text as it may be returned/kept)."""
    if mode == "none":
        return result, text
    if mode == "drop_text":
        return _drop_quotes(result), None
    if mode != "mask":
        raise ValueError(f"unknown redaction mode {mode!r}")
    masked, moved = mask(text, spans)
    if not spans:
        return result, text
    mapping = _OffsetMap(spans, moved)
    values = sorted(
        ((text[s.start : s.end], f"[{s.type}]") for s in spans), key=lambda v: -len(v[0])
    )
    return _mask(result, masked, mapping, values), masked


class _OffsetMap:
    """Original offsets -> masked-text offsets; an offset inside a span snaps to its mask."""

    def __init__(self, spans: Sequence[PiiSpan], moved: Sequence[PiiSpan]) -> None:
        self._spans = sorted(spans, key=lambda s: s.start)
        self._moved = sorted(moved, key=lambda s: s.start)
        self._starts = [s.start for s in self._spans]

    def __call__(self, offset: int, *, end: bool) -> int:
        i = bisect_right(self._starts, offset) - 1
        if i < 0:
            return offset
        span, new = self._spans[i], self._moved[i]
        if offset >= span.end:
            return new.end + offset - span.end
        if offset == span.start and not end:
            return new.start
        return new.end if end else new.start


def _mask(node: Any, masked: str, mapping: _OffsetMap, values: list[tuple[str, str]]) -> Any:
    if isinstance(node, list):
        return [_mask(item, masked, mapping, values) for item in node]
    if isinstance(node, str):
        for value, label in values:
            node = node.replace(value, label)
        return node
    if not isinstance(node, dict):
        return node
    out = {key: _mask(value, masked, mapping, values) for key, value in node.items()}
    if isinstance(node.get("start"), int) and isinstance(node.get("end"), int):
        out["start"] = mapping(node["start"], end=False)
        out["end"] = mapping(node["end"], end=True)
        if isinstance(node.get("text"), str):
            out["text"] = masked[out["start"] : out["end"]]
    return out


def _drop_quotes(node: Any) -> Any:
    if isinstance(node, list):
        return [_drop_quotes(item) for item in node]
    if not isinstance(node, dict):
        return node
    return {
        key: None if key in QUOTE_KEYS and isinstance(value, str) else _drop_quotes(value)
        for key, value in node.items()
    }
