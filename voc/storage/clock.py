"""The database's clock, for the times several processes compare (lease and claim ends, the
rate limit's token buckets).

Processes on different machines share one database; their own clocks may disagree, the
database's is one. So a time another process will compare is set and compared inside the
SQL statement, as `db_now()` (plus seconds), never as a process's `time.time()`. Its value is
epoch seconds, as the Float columns holding those times have always stored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class db_now(FunctionElement):
    """Now, in epoch seconds, by the database's clock: one value within a statement."""

    type = Float()
    inherit_cache = True


@compiles(db_now, "sqlite")
def _sqlite_now(element: db_now, compiler: Any, **kw: Any) -> str:
    # julianday('now') keeps milliseconds (unixepoch('subsec') needs SQLite 3.42)
    return "((julianday('now') - 2440587.5) * 86400.0)"


@compiles(db_now, "postgresql")
def _postgresql_now(element: db_now, compiler: Any, **kw: Any) -> str:
    return "CAST(EXTRACT(EPOCH FROM statement_timestamp()) AS DOUBLE PRECISION)"


@compiles(db_now)
def _unsupported(element: db_now, compiler: Any, **kw: Any) -> str:
    raise CompileError(
        f"db_now() has no SQL for {compiler.dialect.name}: voc runs on SQLite or PostgreSQL"
    )
