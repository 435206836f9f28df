"""The usage timeline loses nothing under concurrent writers, threads or processes."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from inference_svc.timeline import ToolCallEvent, UsageTimeline


def _write_from_process(path: str, count: int, tool: str) -> None:
    timeline = UsageTimeline(Path(path))
    for _ in range(count):
        timeline.record(ToolCallEvent("cursor", tool, "tool-awareness", 12.5, True))
    timeline.close()


def test_concurrent_threads_and_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "timeline.sqlite"
    timeline = UsageTimeline(path)

    def write(tool: str) -> None:
        for i in range(250):
            timeline.record(
                ToolCallEvent("continue", tool, "tool-awareness", float(i), i % 10 != 0)
            )

    threads = [threading.Thread(target=write, args=(f"tool_{n}",)) for n in range(4)]
    context = multiprocessing.get_context("spawn")
    processes = [
        context.Process(target=_write_from_process, args=(str(path), 300, "read_file"))
        for _ in range(2)
    ]
    for worker in [*threads, *processes]:
        worker.start()
    for worker in [*threads, *processes]:
        worker.join()
    rows = timeline.usage(days=1)
    by_tool = {(r.ecosystem, r.tool_name): r for r in rows}
    assert sum(r.calls for r in rows) == 4 * 250 + 2 * 300
    assert by_tool[("cursor", "read_file")].calls == 600
    assert by_tool[("continue", "tool_0")].valid_calls == 225
    assert by_tool[("continue", "tool_0")].mean_latency_ms == sum(range(250)) / 250
    timeline.close()


def test_usage_by_day_and_ecosystem(tmp_path: Path) -> None:
    timeline = UsageTimeline(tmp_path / "t.sqlite")
    today = datetime(2026, 11, 25, 12, tzinfo=UTC)
    for days_ago, count in ((0, 3), (1, 2), (5, 7)):
        for _ in range(count):
            timeline.record(
                ToolCallEvent(
                    "cline", "read_file", "base", 1.0, True, time=today - timedelta(days=days_ago)
                )
            )
    timeline.record(ToolCallEvent("cursor", "grep", "base", 1.0, False, time=today))
    assert [(r.day, r.calls) for r in timeline.usage(days=1, ecosystem="cline", today=today)] == [
        ("2026-11-25", 3)
    ]
    assert [(r.day, r.calls) for r in timeline.usage(days=2, ecosystem="cline", today=today)] == [
        ("2026-11-24", 2),
        ("2026-11-25", 3),
    ]
    assert {r.ecosystem for r in timeline.usage(days=1, today=today)} == {"cline", "cursor"}
    timeline.close()
