"""The usage timeline: every tool call the service answered, in embedded SQLite.

The evening loop's input (through InferenceService.GetToolUsage). Writes
come from the request path, so they are queued and written by one thread in
batches; a full queue never drops an event (the writer blocks instead), and
WAL plus a busy timeout lets several processes append to one file.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tool_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL,          -- ISO 8601, UTC
    day TEXT NOT NULL,           -- YYYY-MM-DD, UTC
    ecosystem TEXT NOT NULL,
    tool_name TEXT NOT NULL,
    adapter TEXT NOT NULL,
    latency_ms REAL NOT NULL,
    valid INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tool_calls_day ON tool_calls (day, ecosystem, tool_name);
"""


@dataclass(frozen=True)
class ToolCallEvent:
    ecosystem: str
    tool_name: str
    adapter: str
    latency_ms: float
    valid: bool
    time: datetime | None = None


@dataclass(frozen=True)
class UsageRow:
    day: str
    ecosystem: str
    tool_name: str
    calls: int
    valid_calls: int
    mean_latency_ms: float


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(str(path), timeout=30.0, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA busy_timeout=30000")
    return connection


class UsageTimeline:
    """Append-only tool-call log with a background writer."""

    def __init__(self, path: Path, max_queue: int = 10_000) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        with _connect(path) as connection:
            connection.executescript(_SCHEMA)
        self._queue: queue.Queue[ToolCallEvent | None] = queue.Queue(maxsize=max_queue)
        self._writer = threading.Thread(
            target=self._write_loop, name="timeline-writer", daemon=True
        )
        self._writer.start()

    def record(self, event: ToolCallEvent) -> None:
        """Queues one event; blocks only when the writer is far behind."""
        self._queue.put(event)

    def _write_loop(self) -> None:
        connection = _connect(self.path)
        while True:
            first = self._queue.get()
            batch = [first]
            while len(batch) < 500:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            events = [e for e in batch if e is not None]
            if events:
                self._insert(connection, events)
            for _ in batch:
                self._queue.task_done()
            if None in batch:
                connection.close()
                return

    @staticmethod
    def _insert(connection: sqlite3.Connection, events: list[ToolCallEvent]) -> None:
        rows = []
        for event in events:
            stamp = (event.time or datetime.now(UTC)).astimezone(UTC)
            rows.append(
                (
                    stamp.isoformat(),
                    stamp.date().isoformat(),
                    event.ecosystem,
                    event.tool_name,
                    event.adapter,
                    float(event.latency_ms),
                    int(event.valid),
                )
            )
        for attempt in range(10):
            try:
                with connection:
                    connection.executemany(
                        "INSERT INTO tool_calls"
                        " (time, day, ecosystem, tool_name, adapter, latency_ms, valid)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)",
                        rows,
                    )
                return
            except sqlite3.OperationalError:
                # Another process holds the write lock past the busy timeout.
                time.sleep(0.1 * (attempt + 1))
        raise RuntimeError(f"could not append {len(rows)} tool calls to {connection}")

    def flush(self) -> None:
        """Waits until every queued event is on disk."""
        self._queue.join()

    def close(self) -> None:
        self.flush()
        self._queue.put(None)
        self._writer.join(timeout=10)

    def usage(
        self, days: int = 1, ecosystem: str = "", today: datetime | None = None
    ) -> list[UsageRow]:
        """Calls per day, ecosystem and tool over the last `days` days (UTC)."""
        self.flush()
        end = (today or datetime.now(UTC)).astimezone(UTC).date()
        start = end - timedelta(days=max(days, 1) - 1)
        query = (
            "SELECT day, ecosystem, tool_name, COUNT(*), SUM(valid), AVG(latency_ms)"
            " FROM tool_calls WHERE day BETWEEN ? AND ?"
        )
        parameters: list[str] = [start.isoformat(), end.isoformat()]
        if ecosystem:
            query += " AND ecosystem = ?"
            parameters.append(ecosystem)
        query += " GROUP BY day, ecosystem, tool_name ORDER BY day, ecosystem, COUNT(*) DESC"
        connection = _connect(self.path)
        try:
            rows = connection.execute(query, parameters).fetchall()
        finally:
            connection.close()
        return [
            UsageRow(r[0], r[1], r[2], int(r[3]), int(r[4] or 0), float(r[5] or 0.0)) for r in rows
        ]
