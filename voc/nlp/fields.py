"""Read configuration objects (taxonomies, journeys) field by field, naming the bad field's path.

Configuration is data sent by users; every problem becomes an `InvalidFieldError` whose
`path` (for example `touchpoints[2].owner.webhook_url`) says exactly which field to change.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
"""Ids of taxonomies, journeys, root causes and touchpoints: lower-case, URL- and log-safe."""


class InvalidFieldError(ValueError):
    """One field of a configuration object is wrong; `path` names it, the message says why."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def require_object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidFieldError(path, "must be an object")
    return value


def reject_unknown_keys(obj: dict[str, Any], allowed: set[str], path: str) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise InvalidFieldError(
            join(path, unknown[0]), f"unknown field; allowed fields: {sorted(allowed)}"
        )


def read_id(obj: dict[str, Any], key: str, path: str) -> str:
    value = obj.get(key)
    where = join(path, key)
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise InvalidFieldError(
            where,
            "must be 1-64 characters of a-z, 0-9, '_', '.' or '-', starting with a letter or "
            f"digit (got {value!r:.80})",
        )
    return value


def read_text(obj: dict[str, Any], key: str, path: str, *, max_chars: int, required: bool) -> str:
    """`obj[key]` as a string with content; "" when it is optional and absent or null."""
    return read_string(obj.get(key), join(path, key), max_chars=max_chars, required=required)


def read_string(value: Any, path: str, *, max_chars: int, required: bool) -> str:
    """A string, stripped, at most `max_chars`; a required one must have content."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise InvalidFieldError(path, "must be a string" + ("" if required else " or null"))
    value = value.strip()
    if required and not value:
        raise InvalidFieldError(path, "must not be empty")
    if len(value) > max_chars:
        raise InvalidFieldError(path, f"has {len(value)} characters; the limit is {max_chars}")
    return value


def read_list(obj: dict[str, Any], key: str, path: str, *, max_items: int) -> list[Any]:
    """A list of at most `max_items` items; [] when absent or null."""
    value = obj.get(key)
    where = join(path, key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidFieldError(where, "must be a list")
    if len(value) > max_items:
        raise InvalidFieldError(where, f"has {len(value)} items; the limit is {max_items}")
    return value


def read_examples(
    obj: dict[str, Any], path: str, *, max_items: int, max_chars: int
) -> tuple[str, ...]:
    """`examples`: short texts in any language, each with content."""
    where = join(path, "examples")
    return tuple(
        read_string(item, join(where, i), max_chars=max_chars, required=True)
        for i, item in enumerate(read_list(obj, "examples", path, max_items=max_items))
    )


def check_unique(ids: list[str], path: str, key: str) -> None:
    seen: dict[str, int] = {}
    for i, value in enumerate(ids):
        if value in seen:
            raise InvalidFieldError(
                join(join(path, i), key),
                f"duplicate id {value!r} (already used at {join(path, seen[value])})",
            )
        seen[value] = i


def version_key(config_id: str, version: int, content: object) -> str:
    """ "id@version" for a stored object; an inline one (version 0) adds a digest of its content,
    so whatever is cached for one inline object is never reused for a different one."""
    if version:
        return f"{config_id}@{version}"
    digest = hashlib.sha256(repr(content).encode("utf-8")).hexdigest()[:10]
    return f"{config_id}@inline-{digest}"
