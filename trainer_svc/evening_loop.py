"""Tool deepening (the seed's evening loop): heavily used tools move into the adapter.

1. Reads the day's usage from the inference service (GetToolUsage).
2. Heavy tools: more calls that day than the threshold (default 100).
3. Skips those already trained (every positive example of the tool has
   trained_in_adapter, per GetEcosystem) and those already in a job of an
   earlier run that day which is queued, running or succeeded (the ledger,
   `<data>/evening/<day>.json`).
4. Tonight's mix: the selected tools' examples from retrieval, plus a replay
   of the generic tool-awareness and guardrail sets so the adapter keeps them.
5. Starts a job that extends the serving adapter (its LoRA weights as the
   start), evaluates on the held-out split, publishes only if not worse than
   the serving adapter, and then marks the examples trained (MarkTrained).

Idempotent: a second run the same day finds its tools in the ledger's live
or finished job, or already marked trained, and starts nothing. A dry run
composes and reports the mix and writes nothing.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hybridtools.adapter_store import AdapterStore, AdapterVersion, validate_adapter_name
from hybridtools.core.errors import InvalidArgumentError, NotFoundError
from hybridtools.core.files import write_json_atomic
from hybridtools.llm.packaged import DEFAULT_BASE_MODEL
from trainer_svc.composer import MixReport, RetrievalSpec, SourceSpec
from trainer_svc.job_files import LoraConfigSpec
from trainer_svc.jobs import JobManager, JobState
from trainer_svc.peers import InferenceClient, RetrievalClient, ToolCounts
from trainer_svc.pipeline import TrainingPipeline
from trainer_svc.specs import MarkTrained, TrainingSpec

# Days GetToolUsage can cover.
MAX_DAYS_BACK = 90
DEFAULT_ADAPTER_NAME = "tool-awareness"
# Continued training moves less than training from scratch.
EVENING_LEARNING_RATE = 2e-4
# Retrieved samples carry real catalogs' tool lines; leave them room.
EVENING_SEQUENCE_LENGTH = 1024


@dataclass
class HeavyTool:
    ecosystem: str
    tool_name: str
    calls: int
    examples: int = 0
    already_trained: bool = False


@dataclass
class EveningReport:
    day: str
    dry_run: bool
    heavy_tools: list[HeavyTool] = field(default_factory=list)
    selected_tools: list[HeavyTool] = field(default_factory=list)
    mix: MixReport | None = None
    job: str = ""
    actions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EveningSettings:
    threshold: int = 100
    max_steps: int = 200
    batch_size: int = 4
    replay_samples: int = 200
    eval_samples: int = 100


def parse_day(text: str, today: date) -> date:
    if not text:
        return today
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidArgumentError(f"day must be YYYY-MM-DD, got {text!r}") from exc
    if day > today:
        raise InvalidArgumentError(f"day {text} is in the future (today is {today} UTC)")
    if (today - day).days >= MAX_DAYS_BACK:
        raise InvalidArgumentError(f"day {text} is more than {MAX_DAYS_BACK} days back")
    return day


class EveningLoop:
    def __init__(
        self,
        *,
        jobs: JobManager,
        pipeline: TrainingPipeline,
        store: AdapterStore,
        inference: InferenceClient,
        retrieval: RetrievalClient,
        ledger_dir: Path,
        settings: EveningSettings,
    ) -> None:
        self.jobs = jobs
        self.pipeline = pipeline
        self.store = store
        self.inference = inference
        self.retrieval = retrieval
        self.ledger_dir = ledger_dir
        self.settings = settings
        # Two runs at once would both see the tools as untrained.
        self._lock = asyncio.Lock()

    async def run(
        self,
        *,
        dry_run: bool = False,
        threshold: int = 0,
        day: str = "",
        adapter_name: str = "",
        max_steps: int = 0,
        today: date | None = None,
    ) -> EveningReport:
        if threshold < 0 or max_steps < 0:
            raise InvalidArgumentError("threshold_per_day and max_steps must be >= 0")
        if adapter_name:
            validate_adapter_name(adapter_name)  # before the usage is read
        today = today or datetime.now(UTC).date()
        the_day = parse_day(day, today)
        threshold = threshold or self.settings.threshold
        async with self._lock:
            return await self._run(dry_run, threshold, the_day, today, adapter_name, max_steps)

    async def _run(
        self,
        dry_run: bool,
        threshold: int,
        day: date,
        today: date,
        adapter_name: str,
        max_steps: int,
    ) -> EveningReport:
        report = EveningReport(day=day.isoformat(), dry_run=dry_run)
        act = report.actions.append
        usage = await self.inference.tool_usage(days=(today - day).days + 1)
        rows = [row for row in usage if row.day == report.day and row.calls > threshold]
        act(
            f"read {len(usage)} usage rows from inference; {len(rows)} tools above "
            f"{threshold} calls on {report.day}"
        )
        counts: dict[str, dict[str, ToolCounts]] = {}
        for row in sorted(rows, key=lambda r: (-r.calls, r.ecosystem, r.tool_name)):
            tool = HeavyTool(row.ecosystem, row.tool_name, row.calls)
            if row.ecosystem not in counts:
                try:
                    counts[row.ecosystem] = (await self.retrieval.ecosystem(row.ecosystem))[1]
                except NotFoundError:
                    counts[row.ecosystem] = {}
                    act(f"ecosystem {row.ecosystem!r} is unknown to retrieval: tools skipped")
            tool_counts = counts[row.ecosystem].get(row.tool_name)
            if tool_counts is not None:
                tool.examples = tool_counts.positive + tool_counts.negative
                tool.already_trained = 0 < tool_counts.positive <= tool_counts.trained
            report.heavy_tools.append(tool)
        in_jobs = self._tools_in_live_jobs(report.day)
        for tool in report.heavy_tools:
            key = (tool.ecosystem, tool.tool_name)
            if tool.already_trained:
                act(f"{tool.ecosystem}/{tool.tool_name}: already trained into the adapter")
            elif key in in_jobs:
                act(f"{tool.ecosystem}/{tool.tool_name}: already in {in_jobs[key]} tonight")
            elif tool.examples == 0:
                act(f"{tool.ecosystem}/{tool.tool_name}: no examples in retrieval to train on")
            else:
                report.selected_tools.append(tool)
        if not report.selected_tools:
            act("nothing new to train")
            return report
        base = self._adapter_to_extend(adapter_name)
        spec = self._spec(report, base, adapter_name, max_steps)
        mix = await self.pipeline.compose(spec.sources, spec.base_model, spec.seed)
        report.mix = mix.report
        selected = ", ".join(f"{t.ecosystem}/{t.tool_name}" for t in report.selected_tools)
        verb = "would train" if dry_run else "training"
        act(
            f"{verb} {spec.adapter_name} from "
            + (f"{base.label}" if base else "fresh LoRA weights")
            + f" on {mix.report.total_samples} samples ({selected} and the generic replay), "
            f"{spec.max_steps} steps"
        )
        act(
            ("would publish" if dry_run else "publishes")
            + " only if held-out accuracy is not below the serving adapter's, then marks "
            f"the examples of {selected} trained_in_adapter=true"
        )
        if dry_run:
            return report
        record = await self.jobs.create(spec)
        report.job = record.name
        self._remember(report.day, record.name, report.selected_tools)
        act(f"started job {record.name}")
        return report

    def _adapter_to_extend(self, adapter_name: str) -> AdapterVersion | None:
        if adapter_name:
            try:
                return self.store.get(adapter_name)
            except KeyError:
                return None  # a new name: trained from fresh weights
        return self.store.serving()

    def _spec(
        self,
        report: EveningReport,
        base: AdapterVersion | None,
        adapter_name: str,
        max_steps: int,
    ) -> TrainingSpec:
        by_ecosystem: dict[str, list[str]] = {}
        for tool in report.selected_tools:
            by_ecosystem.setdefault(tool.ecosystem, []).append(tool.tool_name)
        sources = [
            SourceSpec(name=f"deepen:{eco}", retrieval=RetrievalSpec(eco, tuple(tools)))
            for eco, tools in sorted(by_ecosystem.items())
        ]
        if self.settings.replay_samples:
            sources += [
                SourceSpec(
                    name="tool_awareness_replay",
                    path="builtin:tool_awareness",
                    sample_count=self.settings.replay_samples,
                ),
                SourceSpec(
                    name="guardrails_replay",
                    path="builtin:guardrails",
                    sample_count=self.settings.replay_samples,
                ),
            ]
        lora = LoraConfigSpec()
        base_model = DEFAULT_BASE_MODEL
        if base is not None:
            # The extended adapter keeps the shape of the one it starts from.
            configured = (base.manifest.get("config") or {}).get("lora") or {}
            lora = LoraConfigSpec(**configured) if configured else lora
            base_model = base.manifest.get("base_model") or base_model
        return TrainingSpec(
            adapter_name=adapter_name or (base.name if base else DEFAULT_ADAPTER_NAME),
            base_model=base_model,
            sources=sources,
            lora=lora,
            epochs=1.0,
            max_steps=max_steps or self.settings.max_steps,
            sequence_length=EVENING_SEQUENCE_LENGTH,
            batch_size=self.settings.batch_size,
            learning_rate=EVENING_LEARNING_RATE,
            seed=int(report.day.replace("-", "")),
            publish=True,
            eval_samples=self.settings.eval_samples,
            init_adapter=str(base.path) if base else "",
            mark_trained=[MarkTrained(eco, tools) for eco, tools in sorted(by_ecosystem.items())],
            label=f"evening {report.day}",
        )

    # -- the ledger: what each run of a day started ------------------------------

    def _ledger_path(self, day: str) -> Path:
        return self.ledger_dir / f"{day}.json"

    def _ledger(self, day: str) -> dict[str, Any]:
        path = self._ledger_path(day)
        return dict(json.loads(path.read_text())) if path.exists() else {"runs": []}

    def _remember(self, day: str, job: str, tools: list[HeavyTool]) -> None:
        ledger = self._ledger(day)
        ledger["runs"].append(
            {
                "job": job,
                "tools": [[t.ecosystem, t.tool_name] for t in tools],
                "time": datetime.now(UTC).isoformat(),
            }
        )
        write_json_atomic(self._ledger_path(day), ledger)

    def _tools_in_live_jobs(self, day: str) -> dict[tuple[str, str], str]:
        """Tools of that day's earlier jobs that did not fail or get cancelled."""
        found: dict[tuple[str, str], str] = {}
        for run in self._ledger(day)["runs"]:
            try:
                state = self.jobs.get(run["job"]).state
            except (NotFoundError, InvalidArgumentError):
                continue
            if state in (JobState.FAILED, JobState.CANCELLED):
                continue
            for ecosystem, tool in run["tools"]:
                found[(ecosystem, tool)] = run["job"]
        return found
