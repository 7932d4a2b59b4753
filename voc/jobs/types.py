"""Job values shared by the store, the engines and the API document (no database here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STATUSES = (
    "SUBMITTED",
    "IN_PROGRESS",
    "COMPLETED",
    "PARTIALLY_COMPLETED",
    "FAILED",
    "STOP_REQUESTED",
    "STOPPED",
)
RECEIVING = "RECEIVING"
"""Internal: the documents are still being stored; shown as SUBMITTED, never claimed."""
RUNNABLE = ("SUBMITTED", "IN_PROGRESS")
FINISHED = ("COMPLETED", "PARTIALLY_COMPLETED", "FAILED", "STOPPED")


@dataclass(frozen=True)
class ResultRow:
    position: int
    doc_id: str | None
    body: dict[str, Any] | None = None
    error_code: str | None = None
    error_message: str | None = None
