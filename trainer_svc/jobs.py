"""Training jobs: records on disk, a FIFO queue, one running worker at a time.

Decisions (the API's contract):
- One job runs at a time (a CPU box has its cores, a GPU node its GPUs); a
  job created while another runs is QUEUED behind it, up to
  `max_queued_jobs`, beyond which CreateTrainingJob answers RESOURCE_EXHAUSTED.
- Every state change is written to `<jobs>/<id>/job.json` (atomic replace),
  so a restarted server knows every job. A job that was RUNNING when the
  server went down is re-attached to its worker if that still runs (a local
  process, a Kubernetes Job), else relaunched first in the queue, and the
  worker resumes from its newest checkpoint.
- Cancel: a QUEUED job ends CANCELLED at once; a RUNNING one has its worker
  stopped (SIGTERM, then SIGKILL after the grace period; a Kubernetes Job is
  deleted) and ends CANCELLED when it is gone. Cancelling a CANCELLED job
  returns it unchanged; a SUCCEEDED or FAILED one is FAILED_PRECONDITION.
- A worker that exits non-zero or is killed ends the job FAILED with the
  reason (its last error, or how it died). Nothing is published then, so the
  adapter that was serving keeps serving.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import structlog

from hybridtools.core.errors import (
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    ResourceExhaustedError,
    ServiceError,
)
from hybridtools.core.files import write_json_atomic
from trainer_svc.job_files import JobPaths, read_events
from trainer_svc.launchers import Launcher, WorkerExit, WorkerHandle
from trainer_svc.specs import TrainingSpec

log = structlog.get_logger(__name__)

NAME_PREFIX = "trainingJobs/"
_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")
_KILLED_BY = re.compile(r"died with <Signals\.(SIG[A-Z0-9]+)")


class _CancelledBeforeLaunch(Exception):
    """A cancel landed while the job was being prepared: no worker is started."""


class JobState(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def final(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)


@dataclass
class Progress:
    step: int = 0
    total_steps: int = 0
    loss: float = 0.0
    tokens_per_second: float = 0.0
    eta_seconds: float = 0.0
    epoch: float = 0.0


@dataclass
class JobRecord:
    id: str
    spec: TrainingSpec
    state: JobState = JobState.QUEUED
    create_time: str = ""
    start_time: str = ""
    end_time: str = ""
    error: str = ""
    outcome: str = ""
    # What the job is doing within RUNNING: preparing, training, evaluating, finishing.
    phase: str = ""
    mix: dict[str, Any] | None = None
    progress: Progress = field(default_factory=Progress)
    initial_loss: float | None = None
    # The adapter version it produced: {"name": ..., "version": ...}.
    adapter: dict[str, Any] | None = None
    # How to find the worker again: the launcher's ref, plus the worker's own pid.
    worker: dict[str, Any] | None = None
    launches: int = 0
    cancel_requested: bool = False

    @property
    def name(self) -> str:
        return NAME_PREFIX + self.id

    def to_json(self) -> dict[str, Any]:
        value = asdict(self)
        value["spec"] = self.spec.to_json()
        value["state"] = str(self.state)
        return value

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> JobRecord:
        value = dict(value)
        spec = TrainingSpec.from_json(value.pop("spec"))
        progress = Progress(**value.pop("progress", {}))
        state = JobState(value.pop("state"))
        known = set(cls.__dataclass_fields__)
        rest = {key: item for key, item in value.items() if key in known}
        return cls(spec=spec, progress=progress, state=state, **rest)


class JobHooks(Protocol):
    """What happens around the worker: composing its data, and using its adapter."""

    async def prepare(self, record: JobRecord, paths: JobPaths) -> dict[str, Any]:
        """Writes dataset.jsonl and worker.json; returns the mix report."""
        ...

    async def finish(
        self, record: JobRecord, paths: JobPaths, result: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, str]:
        """Commits (and maybe publishes) the adapter; returns (adapter ref, outcome)."""
        ...


def _now() -> str:
    return datetime.now(UTC).isoformat()


def new_job_id() -> str:
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def parse_job_name(name: str) -> str:
    job_id = name.removeprefix(NAME_PREFIX)
    if not _ID.match(job_id):
        raise InvalidArgumentError(
            f"job name {name!r} is not 'trainingJobs/<id>' (an id like 20261125-230000-a1b2c3)"
        )
    return job_id


def _page_token(job_id: str) -> str:
    return base64.urlsafe_b64encode(job_id.encode()).decode()


def _token_id(token: str) -> str:
    try:
        job_id = base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidArgumentError("page_token is not one this service returned") from exc
    if not _ID.match(job_id):
        raise InvalidArgumentError("page_token is not one this service returned")
    return job_id


class JobManager:
    def __init__(
        self,
        jobs_dir: Path,
        launcher: Launcher,
        hooks: JobHooks,
        *,
        max_queued: int = 16,
        poll_interval_s: float = 0.5,
        cancel_grace_s: float = 10.0,
        launcher_poll_s: float = 0.0,
    ) -> None:
        self.jobs_dir = jobs_dir
        self.jobs_dir.mkdir(parents=True, exist_ok=True)
        self._launcher = launcher
        self._hooks = hooks
        self._max_queued = max_queued
        self._poll_interval_s = poll_interval_s
        # A Kubernetes Job is polled less often than a local process.
        self._launcher_poll_s = max(launcher_poll_s, poll_interval_s)
        self._cancel_grace_s = cancel_grace_s
        self._records: dict[str, JobRecord] = {}
        self._revisions: dict[str, int] = {}
        self._pending: list[str] = []
        self._attached: dict[str, WorkerHandle] = {}
        self._wakeup = asyncio.Event()
        self._changed = asyncio.Condition()
        self._save_lock = asyncio.Lock()
        self._runner: asyncio.Task[None] | None = None

    def paths(self, job_id: str) -> JobPaths:
        return JobPaths(self.jobs_dir / job_id)

    # -- lifecycle -----------------------------------------------------------

    async def start(self) -> None:
        """Loads every job record; re-attaches or requeues the interrupted one."""
        for record_path in sorted(self.jobs_dir.glob("*/job.json")):
            try:
                record = JobRecord.from_json(_read_json(record_path))
            except (ValueError, KeyError, TypeError) as exc:
                log.warning("unreadable job record skipped", path=str(record_path), error=str(exc))
                continue
            self._records[record.id] = record
            self._revisions[record.id] = 0
        interrupted = [r for r in self._records.values() if r.state == JobState.RUNNING]
        queued = sorted(
            (r for r in self._records.values() if r.state == JobState.QUEUED),
            key=lambda r: (r.create_time, r.id),
        )
        for record in interrupted:
            handle = None
            if record.worker:
                handle = await self._launcher.attach(record.worker, self.paths(record.id).root)
            if record.cancel_requested:
                if handle is not None:
                    await handle.stop(self._cancel_grace_s)
                await self._end(record, JobState.CANCELLED, "cancelled by request")
                continue
            if handle is not None:
                self._attached[record.id] = handle
                log.info("job re-attached to its worker", job=record.id)
            else:
                record.phase = "resuming"
                record.outcome = "the server restarted; the job resumes from its last checkpoint"
                self._save(record)
                log.info("job requeued after a restart", job=record.id)
            self._pending.append(record.id)
        self._pending.extend(record.id for record in queued)
        self._runner = asyncio.create_task(self._run_loop(), name="training-jobs")
        if self._pending:
            self._wakeup.set()

    async def stop(self) -> None:
        """Stops following jobs; workers go on (a restart re-attaches to them)."""
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner

    # -- API -----------------------------------------------------------------

    async def create(self, spec: TrainingSpec) -> JobRecord:
        waiting = sum(1 for r in self._records.values() if r.state == JobState.QUEUED)
        if waiting >= self._max_queued:
            raise ResourceExhaustedError(
                f"{waiting} jobs are already queued (TRAINER_MAX_QUEUED_JOBS={self._max_queued}); "
                "retry when one has finished"
            )
        record = JobRecord(id=new_job_id(), spec=spec, create_time=_now())
        while record.id in self._records:
            record.id = new_job_id()
        self.paths(record.id).root.mkdir(parents=True)
        self._records[record.id] = record
        self._revisions[record.id] = 0
        await self._update(record)
        self._pending.append(record.id)
        self._wakeup.set()
        log.info("job created", job=record.id, adapter=spec.adapter_name)
        return record

    def get(self, name: str) -> JobRecord:
        job_id = parse_job_name(name)
        record = self._records.get(job_id)
        if record is None:
            raise NotFoundError(f"no training job {NAME_PREFIX + job_id}")
        return record

    def list(self, page_size: int, page_token: str) -> tuple[list[JobRecord], str]:
        if page_size < 0 or page_size > 100:
            raise InvalidArgumentError(f"page_size must be 0..100, got {page_size}")
        size = page_size or 20
        ordered = sorted(self._records.values(), key=lambda r: (r.create_time, r.id), reverse=True)
        if page_token:
            after = _token_id(page_token)
            ids = [r.id for r in ordered]
            if after not in ids:
                raise InvalidArgumentError("page_token names a job that no longer exists")
            ordered = ordered[ids.index(after) + 1 :]
        page = ordered[:size]
        next_token = _page_token(page[-1].id) if len(ordered) > size else ""
        return page, next_token

    def running(self) -> JobRecord | None:
        return next((r for r in self._records.values() if r.state == JobState.RUNNING), None)

    async def cancel(self, name: str) -> JobRecord:
        record = self.get(name)
        if record.state == JobState.CANCELLED:
            return record
        if record.state.final:
            raise FailedPreconditionError(
                f"job {record.name} already ended {record.state}; only a queued or running job "
                "can be cancelled"
            )
        record.cancel_requested = True
        if record.state == JobState.QUEUED and record.id not in self._attached:
            if record.id in self._pending:
                self._pending.remove(record.id)
            await self._end(record, JobState.CANCELLED, "cancelled by request")
            return record
        await self._update(record)
        # The runner stops the worker (`_follow`) and ends the job.
        await self.wait(record.id)
        return record

    async def wait(self, job_id: str, timeout_s: float | None = None) -> JobRecord:
        """Waits until the job has ended."""

        async def ended() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: self._records[job_id].state.final)

        await asyncio.wait_for(ended(), timeout_s)
        return self._records[job_id]

    async def watch(self, name: str) -> AsyncIterator[JobRecord]:
        """The job now, then after every change, until it has ended."""
        record = self.get(name)
        seen = -1

        def changed() -> bool:
            return self._revisions[record.id] != seen

        while True:
            async with self._changed:
                await self._changed.wait_for(changed)
                seen = self._revisions[record.id]
                # A copy: the live record may turn final (`_end`) while this one is on its
                # way, and a watch that checked the live one ended without sending the end.
                snapshot = copy.deepcopy(record)
            yield snapshot
            if snapshot.state.final:
                return

    # -- running ---------------------------------------------------------------

    async def _run_loop(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending:
                job_id = self._pending.pop(0)
                record = self._records[job_id]
                if record.state.final:
                    continue
                try:
                    await self._run(record)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # a bug: the job fails, the queue goes on
                    log.exception("job runner error", job=job_id)
                    await self._end(
                        record, JobState.FAILED, f"internal error: {type(exc).__name__}"
                    )

    async def _run(self, record: JobRecord) -> None:
        paths = self.paths(record.id)
        record.state = JobState.RUNNING
        record.start_time = record.start_time or _now()
        await self._update(record)
        handle = self._attached.pop(record.id, None)
        try:
            if handle is None and record.launches and paths.result.exists():
                # The worker had finished when the server went down: only finishing is left.
                ended = WorkerExit(0)
            else:
                ended = await self._train(record, paths, handle)
                if not ended.observed and paths.result.exists():
                    ended = WorkerExit(0)  # the re-attached worker wrote its result last
                elif not ended.observed and not record.cancel_requested:
                    # Whether it crashed or was killed, nobody can tell: as after a
                    # restart that found it gone, go on from its last checkpoint.
                    record.phase = "resuming"
                    record.outcome = "the re-attached worker ended; resuming from its checkpoint"
                    log.info("re-attached worker ended without a result", job=record.id)
                    ended = await self._train(record, paths, None)
        except _CancelledBeforeLaunch:
            await self._end(record, JobState.CANCELLED, "cancelled by request")
            return
        except ServiceError as exc:
            await self._end(record, JobState.FAILED, exc.message)
            return
        if record.cancel_requested:
            await self._end(record, JobState.CANCELLED, "cancelled by request")
            return
        if not ended.succeeded or not paths.result.exists():
            await self._end(record, JobState.FAILED, self._failure_reason(paths, ended))
            return
        record.phase = "finishing"
        await self._update(record)
        try:
            result = _read_json(paths.result)
            record.adapter, record.outcome = await self._hooks.finish(record, paths, result)
        except ServiceError as exc:
            await self._end(record, JobState.FAILED, f"training finished, then: {exc.message}")
            return
        await self._end(record, JobState.SUCCEEDED, "")

    async def _train(
        self, record: JobRecord, paths: JobPaths, handle: WorkerHandle | None
    ) -> WorkerExit:
        """Follows `handle` (a re-attached worker) or launches a worker, until it exits."""
        # A re-attached worker's earlier events are its own; a new launch starts after them.
        offset = 0
        if handle is None:
            if not paths.worker_config.exists():
                record.phase = "preparing"
                await self._update(record)
                record.mix = await self._hooks.prepare(record, paths)
            if record.cancel_requested:
                raise _CancelledBeforeLaunch
            offset = paths.progress.stat().st_size if paths.progress.exists() else 0
            handle = await self._launcher.launch(record.id, paths.root)
            record.launches += 1
        record.worker = dict(handle.ref)
        record.phase = "training"
        await self._update(record)
        return await self._follow(record, paths, handle, offset)

    async def _follow(
        self, record: JobRecord, paths: JobPaths, handle: WorkerHandle, offset: int
    ) -> WorkerExit:
        """Mirrors the worker's progress into the record until it exits.

        The one place that stops a worker on cancel, so a cancel that lands
        between the launch and this loop is not lost.
        """
        last_poll = 0.0
        stopping = False
        try:
            while True:
                events, offset = read_events(paths.progress, offset)
                if events:
                    self._apply(record, events)
                    await self._update(record)
                if record.cancel_requested and not stopping:
                    stopping = True
                    await handle.stop(self._cancel_grace_s)
                now = time.monotonic()
                if stopping or now - last_poll >= self._launcher_poll_s:
                    last_poll = now
                    ended = await handle.poll()
                    if ended is not None:
                        events, offset = read_events(paths.progress, offset)
                        self._apply(record, events)
                        return ended
                await asyncio.sleep(self._poll_interval_s)
        except asyncio.CancelledError:
            raise  # the server is stopping: the worker goes on, a restart re-attaches
        except Exception:
            await handle.stop(self._cancel_grace_s)  # never leave a worker nobody follows
            raise

    @staticmethod
    def _apply(record: JobRecord, events: list[dict[str, Any]]) -> None:
        for event in events:
            kind = event.get("event")
            if kind == "started" and record.worker is not None:
                record.worker["worker_pid"] = event.get("pid")
            elif kind == "plan":
                record.progress.total_steps = int(event["total_steps"])
            elif kind == "step":
                progress = record.progress
                progress.step = int(event["step"])
                progress.total_steps = int(event["total_steps"])
                progress.loss = float(event["loss"])
                progress.tokens_per_second = float(event["tokens_per_second"])
                progress.eta_seconds = float(event["eta_seconds"])
                progress.epoch = float(event["epoch"])
                if record.initial_loss is None:
                    record.initial_loss = progress.loss
            elif kind in ("evaluating", "eval"):
                record.phase = "evaluating"
                record.progress.eta_seconds = 0.0

    def _failure_reason(self, paths: JobPaths, ended: WorkerExit) -> str:
        events, _ = read_events(paths.progress)
        errors = []
        for event in events:
            if event.get("event") == "started":
                errors = []  # only the last launch's errors count
            elif event.get("event") == "error":
                errors.append(str(event.get("error", "")))
        if errors:
            return f"training failed: {errors[-1]}"
        killed = self._killed_by(paths)
        if killed:
            return f"the training worker was killed by {killed}" + (
                " (out of memory, or killed by hand)" if killed == "SIGKILL" else ""
            )
        if ended.succeeded:
            return "the worker exited without writing its result"
        return ended.detail or "the training worker failed"

    @staticmethod
    def _killed_by(paths: JobPaths) -> str:
        if not paths.log.exists():
            return ""
        with open(paths.log, "rb") as handle:
            handle.seek(0, 2)
            handle.seek(max(0, handle.tell() - 20_000))
            tail = handle.read().decode(errors="replace")
        found = _KILLED_BY.findall(tail)
        return found[-1] if found else ""

    async def _end(self, record: JobRecord, state: JobState, error: str) -> None:
        record.state = state
        record.error = error
        record.phase = ""
        record.end_time = _now()
        if state != JobState.SUCCEEDED:
            record.progress.eta_seconds = 0.0
        await self._update(record)
        log.info("job ended", job=record.id, state=str(state), error=error or None)

    def _save(self, record: JobRecord) -> None:
        write_json_atomic(self.paths(record.id).record, record.to_json())

    async def _update(self, record: JobRecord) -> None:
        # Serialized here, written in order: a slow write must not land after a newer one.
        snapshot = record.to_json()
        async with self._save_lock:
            await asyncio.to_thread(write_json_atomic, self.paths(record.id).record, snapshot)
        async with self._changed:
            self._revisions[record.id] = self._revisions.get(record.id, 0) + 1
            self._changed.notify_all()


def _read_json(path: Path) -> dict[str, Any]:
    import json

    value = json.loads(path.read_text())
    if not isinstance(value, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return value
