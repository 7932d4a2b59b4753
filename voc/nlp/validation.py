"""Validate raw documents at the boundary (API, jobs, CLI) into `Feedback` or a per-document error.

A bad document never fails its batch: it becomes a `DocumentError` naming what to change.
Text is checked as the tokenizers will see it: it must encode as UTF-8 (a lone surrogate,
which JSON can spell as `"\\ud800"`, cannot, and would fail the whole encoder batch), and C1
control characters, nearly always cp1252 text decoded as Latin-1, are repaired (ftfy) rather
than refused. Ids and metadata holding what cannot be encoded are refused without being echoed.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from ftfy import TextFixerConfig, fix_text

from voc.nlp.types import Feedback

LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")
ALLOWED_CONTROLS = {"\n", "\r", "\t"}
C1_CONTROLS = re.compile("[\x80-\x9f]")
MOJIBAKE_REPAIR = TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    fix_surrogates=False,
    remove_control_chars=False,
    normalization=None,
    explain=False,
)
"""Only the encoding repairs (mojibake, C1 controls as cp1252): the rest of the text is the
customer's own and stays as written."""
MAX_ID_LENGTH = 200
MAX_DEPTH = 32
"""Nesting allowed in metadata and request bodies (json and the JSON writers recurse)."""
SCORE_RANGES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "stars5": (1, 5)}


@dataclass(frozen=True)
class DocumentError:
    id: str | None
    code: str
    message: str


def _control_characters(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) == "Cc" and c not in ALLOWED_CONTROLS]


def is_encodable(text: str) -> bool:
    """False for strings holding lone surrogates: UTF-8 (and so every tokenizer) refuses them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def repair_text(text: str) -> str:
    """C1 control characters (U+0080-U+009F) read as the cp1252 characters they were meant to
    be, with the mojibake around them; text without any is returned unchanged."""
    return fix_text(text, MOJIBAKE_REPAIR) if C1_CONTROLS.search(text) else text


def _id_problem(doc_id: Any) -> str | None:
    if not isinstance(doc_id, str) or not doc_id.strip() or len(doc_id) > MAX_ID_LENGTH:
        return f"must be a non-empty string of at most {MAX_ID_LENGTH} characters"
    if not is_encodable(doc_id):
        return "holds a lone surrogate (not UTF-8)"
    if any(unicodedata.category(c) == "Cc" for c in doc_id):
        return "holds a control character"
    return None


def validate_document(
    raw: Any, *, index: int, max_characters: int, supported_languages: tuple[str, ...]
) -> Feedback | DocumentError:
    """One raw document (a parsed JSON object) -> `Feedback`, or the first problem found."""
    if not isinstance(raw, dict):
        return DocumentError(None, "InvalidDocument", f"documents[{index}] must be an object")
    doc_id = raw.get("id")
    problem = _id_problem(doc_id)
    if problem:
        return DocumentError(None, "InvalidDocument", f"documents[{index}].id {problem}")
    text = raw.get("text")
    if not isinstance(text, str):
        return DocumentError(doc_id, "InvalidText", "text must be a string")
    if not is_encodable(text):
        return DocumentError(
            doc_id,
            "InvalidText",
            "text holds a lone surrogate (U+D800-U+DFFF), which is not UTF-8; send the "
            "surrogate pair or the character itself",
        )
    text = repair_text(text)
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
    problem = value_problem(metadata, "metadata")
    if problem:
        return problem
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


def value_problem(
    value: Any, where: str, *, strings: bool = True, max_depth: int = MAX_DEPTH
) -> str | None:
    """The first part of a parsed JSON value that voc cannot store or write back, or None:
    a string that is not UTF-8 (lone surrogate; `strings=False` leaves those to per-document
    validation), a number that is not finite (NaN, Infinity, 1e400), nesting deeper than
    `max_depth`. The message names the field, never echoes it. Iterative, so a hostile
    nesting depth cannot exhaust the stack here."""
    stack = [(value, where, 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, str):
            if strings and not is_encodable(item):
                return f"{path} holds a lone surrogate (not UTF-8)"
        elif isinstance(item, float):
            if not math.isfinite(item):
                return f"{path} is not a finite number (NaN, Infinity and 1e400 are refused)"
        elif isinstance(item, dict | list):
            if depth >= max_depth:
                return f"{path} is nested more than {max_depth} levels deep"
            if isinstance(item, list):
                children = [(v, f"{path}[{i}]") for i, v in enumerate(item)]
            else:
                children = []
                for number, (key, v) in enumerate(item.items()):
                    if strings and not is_encodable(key):
                        return f"{path} key #{number + 1} holds a lone surrogate (not UTF-8)"
                    children.append((v, f"{path}.{key}"))
            stack.extend((v, p, depth + 1) for v, p in reversed(children))
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
