"""Validate raw documents at the boundary (API, jobs, CLI) into `Feedback` or a per-document error.

A bad document never fails its batch: it becomes a `DocumentError` naming what to change.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from voc.nlp.types import Feedback

LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")
ALLOWED_CONTROLS = {"\n", "\r", "\t"}
MAX_ID_LENGTH = 200
SCORE_RANGES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "stars5": (1, 5)}


@dataclass(frozen=True)
class DocumentError:
    id: str | None
    code: str
    message: str


def _control_characters(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) == "Cc" and c not in ALLOWED_CONTROLS]


def validate_document(
    raw: Any, *, index: int, max_characters: int, supported_languages: tuple[str, ...]
) -> Feedback | DocumentError:
    """One raw document (a parsed JSON object) -> `Feedback`, or the first problem found."""
    if not isinstance(raw, dict):
        return DocumentError(None, "InvalidDocument", f"documents[{index}] must be an object")
    doc_id = raw.get("id")
    if not isinstance(doc_id, str) or not doc_id.strip() or len(doc_id) > MAX_ID_LENGTH:
        return DocumentError(
            None,
            "InvalidDocument",
            f"documents[{index}].id must be a non-empty string of at most "
            f"{MAX_ID_LENGTH} characters",
        )
    text = raw.get("text")
    if not isinstance(text, str):
        return DocumentError(doc_id, "InvalidText", "text must be a string")
    if not text.strip():
        return DocumentError(
            doc_id, "EmptyText", "text is empty or only whitespace; send some words"
        )
    if len(text) > max_characters:
        return DocumentError(
            doc_id,
            "TextTooLong",
            f"text has {len(text)} characters; the limit is {max_characters}",
        )
    controls = _control_characters(text)
    if controls:
        return DocumentError(
            doc_id,
            "InvalidText",
            f"text contains control character U+{ord(controls[0]):04X}; remove control "
            "characters other than newline, carriage return and tab",
        )
    language = raw.get("language", "auto")
    if language is None:
        language = "auto"
    if not isinstance(language, str) or not (language == "auto" or LANGUAGE_CODE.match(language)):
        return DocumentError(
            doc_id, "InvalidLanguage", 'language must be "auto" or an ISO 639-1 code such as "fr"'
        )
    if language != "auto" and language not in supported_languages:
        return DocumentError(
            doc_id,
            "UnsupportedLanguage",
            f"language {language!r} is not supported; use one of {list(supported_languages)} "
            'or "auto"',
        )
    metadata = raw.get("metadata") or {}
    problem = _metadata_problem(metadata)
    if problem:
        return DocumentError(doc_id, "InvalidMetadata", problem)
    return Feedback(id=doc_id, text=text, language=language, metadata=metadata)


def _metadata_problem(metadata: Any) -> str | None:
    """The known metadata keys have a meaning (API.md); other keys pass through untouched."""
    if not isinstance(metadata, dict):
        return "metadata must be an object"
    score, score_type = metadata.get("score"), metadata.get("score_type")
    if score_type is not None and score_type not in SCORE_RANGES:
        return f"metadata.score_type must be one of {sorted(SCORE_RANGES)}"
    if score is not None:
        if isinstance(score, bool) or not isinstance(score, int | float):
            return "metadata.score must be a number"
        if score_type is None:
            return "metadata.score needs metadata.score_type (nps, csat, ces or stars5)"
        low, high = SCORE_RANGES[score_type]
        if not low <= score <= high:
            return f"metadata.score {score} is outside {low}-{high} for {score_type}"
    value = metadata.get("customer_value")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        return "metadata.customer_value must be a number"
    return None


def validate_unique_document(
    raw: Any,
    *,
    index: int,
    max_characters: int,
    supported_languages: tuple[str, ...],
    seen: set[str],
) -> Feedback | DocumentError:
    """`validate_document` within a batch: an id already in `seen` is refused (DuplicateId);
    an accepted id is added to `seen`."""
    result = validate_document(
        raw, index=index, max_characters=max_characters, supported_languages=supported_languages
    )
    if isinstance(result, Feedback):
        if result.id in seen:
            return DocumentError(
                result.id, "DuplicateId", f"id {result.id!r} appears twice; ids must be unique"
            )
        seen.add(result.id)
    return result
