"""Runs the seven conditions over the services' gRPC APIs and collects every answer.

The order is the seed's story, so the swap at the end is a real one:

1. data: indexed examples and held-out requests from the generator;
2. adapters: the generic tool-awareness adapter (the store's, else trained
   here), and the old approach's adapter trained on Continue's examples
   through TrainerService, both loaded by name through InferenceService;
3. indexing: every ecosystem but Cursor through SwapEcosystem, Continue active;
4. evidence per request (SearchExamples top 3, BuildPrompt's detection and
   candidate tools) and conditions 1-6 in those ecosystems;
5. the swap: Cursor indexed and made active through SwapEcosystem, timed on
   the wall clock (its embeddings are not cached: nothing of Cursor was
   indexed before); then evidence, conditions 1-6 and, asking the active
   ecosystem by leaving `ecosystem` empty, condition 7.

Every request of an ecosystem is asked under every condition (paired).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format

from bench.claims.datasets import (
    BenchRequest,
    EcosystemData,
    build_ecosystem_data,
    negatives_for,
    old_approach_samples,
    write_chat_jsonl,
)
from bench.claims.metrics import (
    AnswerRecord,
    RequestEvidence,
    evidence_summary,
    looks_like_call,
    summarise,
)
from bench.claims.system import System, say
from hybridtools.adapter_store import BASE_ADAPTER, PACKAGED_DEFAULT
from hybridtools.common.v1 import tools_pb2
from hybridtools.ecosystems.catalog import BUILTIN_ECOSYSTEMS
from hybridtools.ecosystems.schemas import integral_floats_to_int
from hybridtools.inference.v1 import inference_service_pb2 as ipb
from hybridtools.ops_cli import admin_metadata
from hybridtools.retrieval.v1 import retrieval_service_pb2 as rpb
from hybridtools.trainer.v1 import trainer_service_pb2 as tpb
from inference_svc.config import InferenceSettings
from retrieval_svc.config import RetrievalSettings

GENERIC_ADAPTER = "tool-awareness"
# Names of the adapters the bench trains itself.
OLD_APPROACH_ADAPTER = "claims-old-continue"
FALLBACK_GENERIC_ADAPTER = "claims-generic"
OLD_APPROACH_DATASET = "claims-old-continue.jsonl"
SWAP_FROM, SWAP_TO = "continue", "cursor"
# The generic adapter's step count when its manifest is not at hand: one
# epoch of its 2,000-sample mix in batches of 4 x 640 tokens.
GENERIC_STEPS_FALLBACK = 277
# trainer_svc/default_adapter.py's settings, used when the manifest is missing.
GENERIC_CONFIG_FALLBACK = {
    "batch_size": 4,
    "sequence_length": 640,
    "learning_rate": 1e-3,
    "lora": {"rank": 16, "alpha": 32.0},
}
GENERIC_SOURCES = (
    ("tool_awareness", "builtin:tool_awareness"),
    ("guardrails", "builtin:guardrails"),
)
GENERATE_TIMEOUT_S = 600.0
TRAINING_POLL_S = 1.0
_TERMINAL = {tpb.JOB_STATE_SUCCEEDED, tpb.JOB_STATE_FAILED, tpb.JOB_STATE_CANCELLED}


class BenchError(RuntimeError):
    """The run cannot go on; the message says why."""


@dataclass(frozen=True)
class Condition:
    id: int
    name: str
    adapter_role: str  # "base" | "generic" | "old"
    no_examples: bool
    constrained: bool
    # Asks the active ecosystem (empty `ecosystem`) after the swap, in SWAP_TO only.
    after_swap: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "decoding": "constrained" if self.constrained else "free",
            "examples": "none" if self.no_examples else "retrieved",
        }


CONDITIONS = (
    Condition(1, "base model, no examples", "base", True, False),
    Condition(2, "base model + retrieved examples", "base", False, False),
    Condition(3, "generic adapter, no examples", "generic", True, False),
    Condition(
        4, "generic adapter + retrieved examples (the seed's design)", "generic", False, False
    ),
    Condition(5, "as 4, grammar-constrained decoding", "generic", False, True),
    Condition(6, "old approach: adapter trained on Continue only, no examples", "old", True, False),
    Condition(7, "as 4 after a swap from Continue to Cursor", "generic", False, False, True),
)


@dataclass
class Options:
    ecosystems: tuple[str, ...] = BUILTIN_ECOSYSTEMS
    requests_per_ecosystem: int = 40
    no_tool_requests: int = 10
    examples_per_ecosystem: int = 10_000
    # None: the generic adapter's own step count (its manifest).
    old_approach_steps: int | None = None
    # None: the generic adapter's own settings.
    batch_size: int | None = None
    sequence_length: int | None = None
    max_new_tokens: int = 0  # 0 = the service's default
    # Samples of each generic set when the bench trains the generic adapter itself.
    generic_samples: int = 1000
    seed: int = 0
    reduced: bool = False
    conditions: tuple[int, ...] = tuple(c.id for c in CONDITIONS)
    # Keep each request's built prompt in the evidence (to see why a call went wrong).
    with_prompts: bool = False
    command: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Run:
    options: Options
    system: System
    data: dict[str, EcosystemData] = field(default_factory=dict)
    adapters: dict[str, str] = field(default_factory=dict)  # role -> adapter name
    records: list[AnswerRecord] = field(default_factory=list)
    evidence: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def conditions(self) -> list[Condition]:
        return [c for c in CONDITIONS if c.id in self.options.conditions]


# -- adapters ----------------------------------------------------------------------


def packaged_manifest() -> dict[str, Any] | None:
    path = PACKAGED_DEFAULT / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else None


def generic_budget(manifest: dict[str, Any] | None) -> tuple[int, dict[str, Any], str]:
    """The generic adapter's steps and settings, and where they came from."""
    if manifest is None:
        return GENERIC_STEPS_FALLBACK, dict(GENERIC_CONFIG_FALLBACK), "trainer_svc defaults"
    config = manifest.get("config") or {}
    lora = config.get("lora") or {}
    steps = int((manifest.get("training") or {}).get("steps") or GENERIC_STEPS_FALLBACK)
    settings = {
        "batch_size": int(config.get("batch_size") or 4),
        "sequence_length": int(config.get("sequence_length") or 640),
        "learning_rate": float(config.get("learning_rate") or 1e-3),
        "lora": {"rank": int(lora.get("rank") or 16), "alpha": float(lora.get("alpha") or 32.0)},
    }
    return steps, settings, "hybridtools/default_adapter/manifest.json"


def training_settings(options: Options, base: dict[str, Any]) -> dict[str, Any]:
    settings = json.loads(json.dumps(base))
    if options.batch_size:
        settings["batch_size"] = options.batch_size
    if options.sequence_length:
        settings["sequence_length"] = options.sequence_length
    return settings


def epochs_for(steps: int, settings: dict[str, Any], total_tokens: int) -> float:
    """Enough passes over the mix for `steps` steps (max_steps cuts the plan there)."""
    tokens_needed = steps * settings["batch_size"] * settings["sequence_length"]
    # Packing leaves part of each row empty; 1.5 covers it with room.
    return float(max(1, math.ceil(1.5 * tokens_needed / max(total_tokens, 1))))


def train_adapter(
    system: System,
    name: str,
    sources: Sequence[tpb.DatasetSource],
    steps: int,
    settings: dict[str, Any],
    seed: int,
) -> dict[str, Any]:
    """One TrainingJob through TrainerService, watched to its end; what it produced."""
    preview = system.trainer.PreviewDatasetMix(
        tpb.PreviewDatasetMixRequest(sources=list(sources)), timeout=600
    ).mix
    epochs = epochs_for(steps, settings, preview.total_tokens)
    spec = tpb.TrainingJobSpec(
        adapter_name=name,
        sources=list(sources),
        lora=tpb.LoraSettings(rank=settings["lora"]["rank"], alpha=settings["lora"]["alpha"]),
        max_steps=steps,
        epochs=epochs,
        sequence_length=settings["sequence_length"],
        batch_size=settings["batch_size"],
        learning_rate=settings["learning_rate"],
        seed=seed,
    )
    started = time.perf_counter()
    job = system.trainer.CreateTrainingJob(
        tpb.CreateTrainingJobRequest(spec=spec), metadata=admin_metadata(), timeout=600
    ).job
    say(f"  training {name} ({job.name}): {steps} steps, {preview.total_samples} samples")
    shown = -1
    # When each step was first seen: the time per step without the worker's start-up
    # (process, model load, packing) and its end (saving, committing the adapter).
    step_seen: dict[int, float] = {}
    # Polled rather than watched: nothing to keep open for the hour a full job takes.
    try:
        while True:
            job = system.trainer.GetTrainingJob(
                tpb.GetTrainingJobRequest(name=job.name), timeout=60
            ).job
            step, total = job.progress.step, job.progress.total_steps
            if step > 0:
                step_seen.setdefault(step, time.perf_counter() - started)
            if step != shown and step > 0 and (step % 10 == 0 or step == total):
                shown = step
                say(
                    f"    step {step}/{total} loss {job.progress.loss:.3f} "
                    f"({job.progress.tokens_per_second:.0f} tokens/s)"
                )
            if job.state in _TERMINAL:
                break
            time.sleep(TRAINING_POLL_S)
    finally:
        if job.state not in _TERMINAL:
            # Interrupted: a worker left running would hold the CPUs after the bench ends.
            with contextlib.suppress(grpc.RpcError):
                system.trainer.CancelTrainingJob(
                    tpb.CancelTrainingJobRequest(name=job.name),
                    metadata=admin_metadata(),
                    timeout=60,
                )
    wall_s = time.perf_counter() - started
    if job.state != tpb.JOB_STATE_SUCCEEDED:
        raise BenchError(
            f"training job {job.name} for {name} ended {tpb.JobState.Name(job.state)}: {job.error}"
        )
    train_s = None
    if job.HasField("start_time") and job.HasField("end_time"):
        train_s = (job.end_time.ToDatetime() - job.start_time.ToDatetime()).total_seconds()
    steps_done = job.progress.step
    per_step = wall_s / max(steps_done, 1)
    seen = sorted(step_seen.items())
    if len(seen) >= 2 and seen[-1][0] > seen[0][0]:
        per_step = (seen[-1][1] - seen[0][1]) / (seen[-1][0] - seen[0][0])
    mix = job.mix
    return {
        "name": name,
        "version": job.adapter.version,
        "job": job.name,
        "steps": steps_done,
        "planned_steps": steps,
        "epochs_limit": epochs,
        "settings": settings,
        "initial_loss": round(job.initial_loss, 4),
        "final_loss": round(job.progress.loss, 4),
        "tokens_per_second": round(job.progress.tokens_per_second, 1),
        "wall_s": round(wall_s, 1),
        "job_s": None if train_s is None else round(train_s, 1),
        "seconds_per_step": round(per_step, 2),
        # Start-up and finishing: the wall time that does not grow with the steps.
        "overhead_s": round(max(wall_s - per_step * steps_done, 0.0), 1),
        "mix": {
            "sources": [
                {"name": s.name, "samples": s.samples, "tokens": s.tokens} for s in mix.sources
            ],
            "total_samples": mix.total_samples,
            "total_tokens": mix.total_tokens,
            "trainable_tokens": mix.trainable_tokens,
            "dataset_hash": mix.dataset_hash,
        },
        "size_bytes": job.adapter.size_bytes,
    }


def load_adapter(system: System, name: str, version: int = 0) -> dict[str, Any]:
    response = system.inference.LoadAdapter(
        ipb.LoadAdapterRequest(name=name, version=version),
        metadata=admin_metadata(),
        timeout=600,
    )
    return {
        "name": response.adapter.name,
        "version": response.adapter.version,
        "load_ms": round(response.load_ms, 1),
        "dataset_hash": response.adapter.dataset_hash,
        "size_bytes": response.adapter.size_bytes,
    }


def prepare_generic(run: Run) -> dict[str, Any]:
    """The store's tool-awareness adapter when there is one, else one trained here."""
    system, options = run.system, run.options
    manifest = packaged_manifest()
    steps, settings, settings_source = generic_budget(manifest)
    listed = system.inference.ListAdapters(ipb.ListAdaptersRequest(), timeout=60)
    if any(adapter.name == GENERIC_ADAPTER for adapter in listed.adapters):
        loaded = load_adapter(system, GENERIC_ADAPTER)
        packaged_hash = (manifest or {}).get("dataset_hash", "")
        same = bool(packaged_hash) and packaged_hash == loaded["dataset_hash"]
        run.adapters["generic"] = GENERIC_ADAPTER
        return {
            **loaded,
            "source": "served from the adapter store, seeded from hybridtools/default_adapter/",
            "steps": steps if same else None,
            "settings": settings if same else None,
            "settings_source": settings_source if same else "",
            "final_loss": (manifest or {}).get("final_loss") if same else None,
            "held_out_accuracy": (manifest or {}).get("held_out_accuracy") if same else None,
            "trained_by_bench": False,
        }
    # No generic adapter yet (hybridtools/default_adapter/ not committed): train one with
    # its recipe, at the same step budget as the old approach's.
    budget = options.old_approach_steps or steps
    settings = training_settings(options, settings)
    say(f"no {GENERIC_ADAPTER!r} adapter in the store: training {FALLBACK_GENERIC_ADAPTER!r}")
    sources = [
        tpb.DatasetSource(name=label, path=path, sample_count=options.generic_samples)
        for label, path in GENERIC_SOURCES
    ]
    trained = train_adapter(
        system, FALLBACK_GENERIC_ADAPTER, sources, budget, settings, options.seed
    )
    loaded = load_adapter(system, FALLBACK_GENERIC_ADAPTER, trained["version"])
    run.adapters["generic"] = FALLBACK_GENERIC_ADAPTER
    return {
        **trained,
        **loaded,
        "source": "trained by the bench with trainer_svc/default_adapter.py's sources",
        "settings_source": settings_source,
        "trained_by_bench": True,
    }


def prepare_old_approach(run: Run, generic: dict[str, Any]) -> dict[str, Any]:
    system, options = run.system, run.options
    if system.dataset_dir is None:
        raise BenchError(
            "condition 6 writes its training set into the trainer's dataset folder: pass "
            "--system-data-dir (the running system's HYBRIDTOOLS_DATA_DIR) or leave out "
            "condition 6"
        )
    manifest = packaged_manifest()
    generic_steps, default_settings, settings_source = generic_budget(manifest)
    if generic.get("trained_by_bench"):
        default_settings = generic["settings"]
    steps = options.old_approach_steps or generic_steps
    settings = training_settings(options, default_settings)
    samples = old_approach_samples(run.data[SWAP_FROM], options.seed)
    write_chat_jsonl(system.dataset_dir / OLD_APPROACH_DATASET, samples)
    sources = [tpb.DatasetSource(name="continue_examples", path=OLD_APPROACH_DATASET)]
    trained = train_adapter(system, OLD_APPROACH_ADAPTER, sources, steps, settings, options.seed)
    loaded = load_adapter(system, OLD_APPROACH_ADAPTER, trained["version"])
    run.adapters["old"] = OLD_APPROACH_ADAPTER
    return {
        **trained,
        **loaded,
        "samples": len(samples),
        "settings_source": settings_source,
        # The generic adapter's full budget, what a fair retrain costs.
        "generic_steps": generic_steps,
        "generic_settings": generic_budget(manifest)[1],
    }


# -- indexing ----------------------------------------------------------------------


_STAGES = {
    value.number: value.name.removeprefix("STAGE_").lower()
    for value in rpb.SwapEcosystemResponse.Stage.DESCRIPTOR.values
}


def swap_ecosystem(system: System, data: EcosystemData, activate: bool) -> dict[str, Any]:
    """SwapEcosystem with the examples inline; wall time from request to the final message."""
    request = rpb.SwapEcosystemRequest(
        ecosystem=data.catalog.ecosystem,
        activate=activate,
        catalog=data.catalog.to_proto(),
        wait_for_tool_router=True,
    )
    request.examples.examples.extend(record.to_proto() for record in data.indexed)
    stages: dict[str, float] = {}
    last = None
    started = time.perf_counter()
    for message in system.retrieval.SwapEcosystem(request, metadata=admin_metadata()):
        stages.setdefault(_STAGES.get(message.stage, "?"), time.perf_counter() - started)
        last = message
    ended_s = time.perf_counter() - started
    # The version serves from the switch on; the router's fit follows it.
    wall_s = stages.get("fitting_router", ended_s)
    if last is None or last.stage != rpb.SwapEcosystemResponse.STAGE_DONE:
        raise BenchError(f"the swap of {data.catalog.ecosystem} ended without a result")
    examples = data.positives + data.negatives
    return {
        "ecosystem": data.catalog.ecosystem,
        "version": last.ecosystem.version,
        "previous_version": last.previous_version,
        "active": last.ecosystem.active,
        "positives": last.ecosystem.positive_count,
        "negatives": last.ecosystem.negative_count,
        "examples": examples,
        "wall_s": round(wall_s, 2),
        "router_fit_s": round(ended_s - wall_s, 2),
        "tool_router_ready": last.ecosystem.tool_router_ready,
        "server_ms": round(last.elapsed_ms, 1),
        "examples_per_second": round(examples / wall_s, 1) if wall_s else None,
        "stage_started_s": {stage: round(offset, 2) for stage, offset in stages.items()},
    }


def active_ecosystem_for(system: System, query: str) -> str:
    """The ecosystem a request that names none is answered in."""
    built = system.inference.BuildPrompt(
        ipb.BuildPromptRequest(query=query, tool_choice=ipb.TOOL_CHOICE_REQUIRED), timeout=120
    )
    return built.ecosystem


# -- evidence and answers ------------------------------------------------------------


def gather_evidence(
    system: System, data: EcosystemData, with_prompts: bool = False
) -> list[dict[str, Any]]:
    """Per request: the top 3 examples' tools, and the prompt's detection and candidates
    (and the whole prompt, `with_prompts`)."""
    ecosystem = data.catalog.ecosystem
    rows = []
    for request in data.requests:
        started = time.perf_counter()
        try:
            search = system.retrieval.SearchExamples(
                rpb.SearchExamplesRequest(
                    query=request.request, ecosystem=ecosystem, limit=3, rank_tools=True
                ),
                timeout=120,
            )
            search_ms = (time.perf_counter() - started) * 1000
            built = system.inference.BuildPrompt(
                ipb.BuildPromptRequest(
                    query=request.request, ecosystem=ecosystem, tool_choice=ipb.TOOL_CHOICE_AUTO
                ),
                timeout=120,
            )
        except grpc.RpcError as error:
            say(f"  evidence for request {request.index}: {error.code().name} {error.details()}")
            search, built, search_ms = rpb.SearchExamplesResponse(), ipb.BuildPromptResponse(), 0.0
        rows.append(
            {
                "index": request.index,
                "kind": request.kind,
                "expected_name": request.expected_name,
                "top3": [result.example.tool_name for result in search.results],
                "top3_scores": [round(result.score, 4) for result in search.results],
                # The tool router's likeliest tool (ADR 0009); "" without a router.
                "router_tool": search.tool_likelihoods[0].tool_name
                if search.tool_likelihoods
                else "",
                "router_probability": round(search.tool_likelihoods[0].probability, 4)
                if search.tool_likelihoods
                else 0.0,
                "search_ms": round(search_ms, 1),
                "detected": built.tool_detected,
                "candidate_tools": [tool.name for tool in built.candidate_tools],
                "example_tools": [
                    e.tool_name for e in built.examples if e.kind != tools_pb2.EXAMPLE_KIND_NEGATIVE
                ],
            }
        )
        if with_prompts:
            rows[-1]["prompt"] = built.prompt
    return rows


def ask(
    system: System,
    condition: Condition,
    request: BenchRequest,
    adapter: str,
    max_new_tokens: int,
) -> AnswerRecord:
    record = AnswerRecord(
        condition=condition.id,
        ecosystem=request.ecosystem,
        index=request.index,
        kind=request.kind,
        request=request.request,
        expected_name=request.expected_name,
        expected_arguments=dict(request.expected_arguments),
        required=list(request.required),
    )
    generate = ipb.GenerateRequest(
        query=request.request,
        ecosystem="" if condition.after_swap else request.ecosystem,
        adapter=adapter,
        tool_choice=ipb.TOOL_CHOICE_AUTO,
        no_examples=condition.no_examples,
        generation_config=ipb.GenerationConfig(
            max_new_tokens=max_new_tokens,
            decoding=ipb.DECODING_CONSTRAINED if condition.constrained else ipb.DECODING_FREE,
        ),
    )
    started = time.perf_counter()
    try:
        response = system.inference.Generate(generate, timeout=GENERATE_TIMEOUT_S)
    except grpc.RpcError as error:
        record.error = f"{error.code().name}: {error.details()}"
        record.wall_ms = round((time.perf_counter() - started) * 1000, 1)
        return record
    record.wall_ms = round((time.perf_counter() - started) * 1000, 1)
    record.answered_ecosystem = response.ecosystem
    record.adapter = response.adapter
    record.detected = response.tool_detected
    record.text = response.text[:400]
    record.finish_reason = (
        ipb.FinishReason.Name(response.finish_reason).removeprefix("FINISH_REASON_").lower()
    )
    record.example_tools = [
        e.tool_name for e in response.examples if e.kind != tools_pb2.EXAMPLE_KIND_NEGATIVE
    ]
    usage, timings = response.usage, response.timings
    record.usage = {
        "prompt_tokens": usage.prompt_tokens,
        "example_tokens": usage.example_tokens,
        "schema_tokens": usage.schema_tokens,
        "completion_tokens": usage.completion_tokens,
    }
    record.timings = {
        "detect_ms": round(timings.detect_ms, 2),
        "retrieve_ms": round(timings.retrieve_ms, 2),
        "build_ms": round(timings.build_ms, 2),
        "generate_ms": round(timings.generate_ms, 2),
        "total_ms": round(timings.total_ms, 2),
    }
    if timings.first_token_ms > 0:  # 0: the backend could not tell (TGI without streaming)
        record.timings["first_token_ms"] = round(timings.first_token_ms, 2)
    if response.HasField("tool_call") and response.tool_call.name:
        record.called = True
        record.name = response.tool_call.name
        record.arguments = integral_floats_to_int(
            json_format.MessageToDict(response.tool_call.arguments)
        )
        record.valid = response.tool_call_valid
        record.validation_error = response.validation_error
    else:
        # Only where tools were offered (and the service tried to parse a call).
        record.malformed = response.tool_detected and looks_like_call(response.text)
    return record.score()


def run_condition(run: Run, condition: Condition, data: EcosystemData) -> list[AnswerRecord]:
    adapter = (
        BASE_ADAPTER if condition.adapter_role == "base" else run.adapters[condition.adapter_role]
    )
    started = time.perf_counter()
    records = [
        ask(run.system, condition, request, adapter, run.options.max_new_tokens)
        for request in data.requests
    ]
    elapsed = time.perf_counter() - started
    summary = summarise(records)
    errors = f", {summary.errors} errors" if summary.errors else ""
    say(
        f"  [{condition.id}] {data.catalog.ecosystem}: right tool {summary.right_tool}/"
        f"{summary.tool_requests}, right args {summary.right_arguments}/{summary.tool_requests}, "
        f"valid {summary.valid_calls}/{summary.calls_made + summary.malformed}, "
        f"spurious {summary.spurious}/"
        f"{summary.no_tool_requests}{errors} ({elapsed / max(len(records), 1):.1f} s/request)"
    )
    return records


def run_ecosystem(run: Run, data: EcosystemData, conditions: Sequence[Condition]) -> None:
    ecosystem = data.catalog.ecosystem
    say(f"{ecosystem}: evidence (SearchExamples, BuildPrompt) for {len(data.requests)} requests")
    run.evidence[ecosystem] = gather_evidence(run.system, data, run.options.with_prompts)
    for condition in conditions:
        if condition.after_swap and ecosystem != SWAP_TO:
            continue
        if condition.adapter_role not in ("base", *run.adapters):
            continue
        run.records.extend(run_condition(run, condition, data))


# -- the whole run -------------------------------------------------------------------


def _load_average() -> float | None:
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def source_commit() -> str:
    """The checkout's commit, "+dirty" when tracked files differ from it ("" outside git)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return f"{commit}+dirty" if dirty else commit


# Read when the bench starts, before the services it starts load their code: a
# commit made while a long run goes on must not be credited with its answers.
SOURCE_COMMIT = source_commit()


def machine_info() -> dict[str, Any]:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 0
    # What the retrieval service started from this environment reads (its defaults when unset).
    retrieval = RetrievalSettings()
    inference = InferenceSettings()
    return {
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpus": cpus,
        "python": platform.python_version(),
        "load_average_at_start": _load_average(),
        "inference_torch_threads": inference.torch_threads,
        "inference_llm_runtime": inference.llm_runtime,
        "retrieval_torch_threads": retrieval.torch_threads,
        "retrieval_embedder_runtime": retrieval.embedder_runtime,
        "retrieval_embedder_threads": retrieval.embedder_threads,
        "git_commit": SOURCE_COMMIT,
    }


def check_options(options: Options) -> None:
    unknown = sorted(set(options.ecosystems) - set(BUILTIN_ECOSYSTEMS))
    if unknown:
        raise BenchError(f"unknown ecosystems {unknown}; built-in: {', '.join(BUILTIN_ECOSYSTEMS)}")
    if 6 in options.conditions and SWAP_FROM not in options.ecosystems:
        raise BenchError("condition 6 trains on Continue: keep continue among the ecosystems")
    if 7 in options.conditions and not {SWAP_FROM, SWAP_TO} <= set(options.ecosystems):
        raise BenchError("condition 7 swaps Continue for Cursor: keep both among the ecosystems")
    if options.requests_per_ecosystem < 1 or options.examples_per_ecosystem < 1:
        raise BenchError("requests and examples per ecosystem must be at least 1")


def run_bench(options: Options, system: System, checkpoint: Path | None = None) -> dict[str, Any]:
    """Everything, in order; returns the results document (report.py reads it).

    With `checkpoint`, the document so far (`"complete": false`) is written there
    after each phase, so a long run that stops half-way still leaves its answers.
    """
    check_options(options)
    run = Run(options, system)
    started_at = datetime.now(UTC)
    started = time.perf_counter()
    phases: dict[str, float] = {}
    adapters: dict[str, Any] = {}
    indexing: dict[str, Any] = {}
    swap: dict[str, Any] = {}
    machine = machine_info()
    listed = system.inference.ListAdapters(ipb.ListAdaptersRequest(), timeout=60)

    def document(complete: bool) -> dict[str, Any]:
        return {
            "schema": 1,
            "complete": complete,
            "meta": {
                "started": started_at.isoformat(timespec="seconds"),
                "duration_s": round(time.perf_counter() - started, 1),
                "phases_s": dict(phases),
                "options": options.to_json(),
                "machine": {**machine, "load_average_at_end": _load_average()},
                "system": {
                    "started_by_bench": system.started,
                    "addresses": system.addresses,
                    "backend": listed.backend,
                    "base_model": listed.base_model,
                    "default_adapter": listed.default_adapter,
                },
            },
            "conditions": [c.to_json() for c in run.conditions],
            "adapters": adapters,
            "adapter_names": dict(run.adapters),
            "datasets": {
                e: {
                    "positives": d.positives,
                    "negatives": d.negatives,
                    "tool_requests": len(d.tool_requests),
                    "no_tool_requests": len(d.requests) - len(d.tool_requests),
                    "tools": len(d.catalog.tools),
                    "call_format": d.catalog.call_format,
                }
                for e, d in run.data.items()
            },
            "indexing": indexing,
            "swap": swap,
            "retrieval": {
                e: {"summary": evidence_summary(rows), "requests": rows}
                for e, rows in run.evidence.items()
            },
            "summaries": summaries(run.records, run.evidence),
            "records": [record.to_json() for record in run.records],
        }

    def phase(name: str, work: Callable[[], Any]) -> Any:
        begun = time.perf_counter()
        value = work()
        phases[name] = round(time.perf_counter() - begun, 1)
        if checkpoint is not None:
            write_results(document(complete=False), checkpoint)
        return value

    say(
        f"generating data: {options.examples_per_ecosystem} positive + "
        f"{negatives_for(options.examples_per_ecosystem)} negative examples to index and "
        f"{options.requests_per_ecosystem} + {options.no_tool_requests} held-out requests "
        f"per ecosystem"
    )
    run.data = phase(
        "data",
        lambda: build_ecosystem_data(
            options.ecosystems,
            options.examples_per_ecosystem,
            options.requests_per_ecosystem,
            options.no_tool_requests,
            options.seed,
        ),
    )
    needs_generic = any(c.adapter_role == "generic" for c in run.conditions)
    if needs_generic or 6 in options.conditions:
        say("adapters:")
        adapters["generic"] = phase("generic_adapter", lambda: prepare_generic(run))
    if 6 in options.conditions:
        adapters["old_approach"] = phase(
            "old_approach_adapter", lambda: prepare_old_approach(run, adapters["generic"])
        )

    swap_last = 7 in options.conditions
    first = [e for e in options.ecosystems if not (swap_last and e == SWAP_TO)]
    first.sort(key=lambda e: e != SWAP_FROM)  # Continue first: the active one

    def index_first() -> None:
        for ecosystem in first:
            info = swap_ecosystem(system, run.data[ecosystem], activate=ecosystem == first[0])
            indexing[ecosystem] = info
            say(
                f"indexed {ecosystem}: {info['examples']} examples in {info['wall_s']:.1f} s "
                f"({info['version']})"
            )

    phase("indexing", index_first)
    before_swap = [c for c in run.conditions if not c.after_swap]
    for ecosystem in first:
        phase(f"ask_{ecosystem}", lambda e=ecosystem: run_ecosystem(run, run.data[e], before_swap))

    if swap_last:
        cursor = run.data[SWAP_TO]
        probe = cursor.tool_requests[0].request if cursor.tool_requests else "Read README.md"
        before = active_ecosystem_for(system, probe)
        say(f"swap: {SWAP_FROM} -> {SWAP_TO} (active before: {before})")
        swap.update(phase("swap", lambda: swap_ecosystem(system, cursor, activate=True)))
        after = active_ecosystem_for(system, probe)
        swap.update({"active_before": before, "active_after": after, "from": SWAP_FROM})
        indexing[SWAP_TO] = swap
        say(
            f"swapped in {swap['wall_s']:.1f} s ({swap['examples']} examples, "
            f"{swap['examples_per_second']} /s); active now: {after}"
        )
        phase(f"ask_{SWAP_TO}", lambda: run_ecosystem(run, cursor, run.conditions))

    run.results = document(complete=True)
    return run.results


def evidence_map(
    evidence: dict[str, list[dict[str, Any]]],
) -> dict[tuple[str, int], RequestEvidence]:
    return {
        (ecosystem, row["index"]): RequestEvidence(row["detected"], tuple(row["candidate_tools"]))
        for ecosystem, rows in evidence.items()
        for row in rows
    }


def summaries(
    records: Sequence[AnswerRecord], evidence: dict[str, list[dict[str, Any]]]
) -> dict[str, dict[str, Any]]:
    """{condition id: {ecosystem: summary, "all": summary}} as JSON."""
    by_evidence = evidence_map(evidence)
    result: dict[str, dict[str, Any]] = {}
    for condition in sorted({r.condition for r in records}):
        mine = [r for r in records if r.condition == condition]
        per: dict[str, Any] = {}
        for ecosystem in sorted({r.ecosystem for r in mine}, key=_ecosystem_order):
            per[ecosystem] = summarise(
                [r for r in mine if r.ecosystem == ecosystem], by_evidence
            ).to_json()
        per["all"] = summarise(mine, by_evidence).to_json()
        result[str(condition)] = per
    return result


def _ecosystem_order(name: str) -> int:
    return BUILTIN_ECOSYSTEMS.index(name) if name in BUILTIN_ECOSYSTEMS else len(BUILTIN_ECOSYSTEMS)


def write_results(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    temporary.replace(path)
