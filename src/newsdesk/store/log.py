"""The fetch log and the store's counts."""

from __future__ import annotations

from datetime import datetime

from newsdesk.store.base import StoreBase
from newsdesk.store.records import _iso


class FetchLog(StoreBase):
    """Mixed into ``Store``: the fetch log and the store's counts."""

    def log_fetch(
        self,
        *,
        url: str,
        now: datetime,
        outcome: str,
        source_id: int | None = None,
        status: int | None = None,
        error_kind: str | None = None,
        elapsed: float | None = None,
        size: int | None = None,
    ) -> None:
        with self._tx():
            self._db.execute(
                "INSERT INTO fetch_log (at, url, source_id, status, outcome, error_kind, "
                "elapsed_ms, bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    _iso(now),
                    url,
                    source_id,
                    status,
                    outcome,
                    error_kind,
                    int(elapsed * 1000) if elapsed is not None else None,
                    size,
                ),
            )

    def counts(self) -> dict[str, int]:
        out = {}
        for table in ("sources", "entries", "articles", "fetch_log"):
            out[table] = int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        return out

    def fetch_outcomes(self) -> dict[str, int]:
        rows = self._db.execute("SELECT outcome, COUNT(*) FROM fetch_log GROUP BY outcome")
        return {row[0]: int(row[1]) for row in rows}
