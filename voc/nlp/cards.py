"""Model cards: the Markdown page committed next to each trained artifact."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_card(
    path: Path,
    *,
    title: str,
    summary: str,
    command: str,
    data: Sequence[dict[str, str]],
    sections: Sequence[tuple[str, str]],
) -> None:
    """Title, what it is, the command that rebuilt it, the data (with hashes), metric sections."""
    data_table = markdown_table(["file", "sha256"], [(d["file"], d["sha256"][:16]) for d in data])
    body = [f"# {title}", "", summary, "", "## Rebuild", "", f"```\n{command}\n```", ""]
    body += ["## Data (read from ../shared/data, never copied)", "", data_table, ""]
    for heading, content in sections:
        body += [f"## {heading}", "", content, ""]
    path.write_text("\n".join(body))
