"""The trainer's pieces that need no running worker: packing, attention, mixes,
the step plan, evaluation scoring, the publish decision, the Kubernetes Job."""

from __future__ import annotations

import asyncio
import copy
import json
import math
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch
import yaml
from transformers import LlamaForCausalLM

from hybridtools.adapter_store import AdapterStore
from hybridtools.core.errors import (
    FailedPreconditionError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
)
from hybridtools.core.files import write_json_atomic
from hybridtools.llm.packaged import default_model_cache_dir, ensure_model_dir, load_tokenizer
from trainer_svc.attention import register_packed_attention
from trainer_svc.composer import (
    MAX_MIX_SAMPLES,
    ComposeStopped,
    RetrievalSpec,
    SourceSpec,
    compose,
    read_chat_jsonl,
    sample_counts,
    take,
    validate_sources,
)
from trainer_svc.evaluation import evaluate, score_reply
from trainer_svc.job_files import JobPaths, WorkerConfig, read_events
from trainer_svc.jobs import JobManager, JobRecord, JobState, parse_job_name
from trainer_svc.launchers import LocalLauncher, accelerate_command, job_exit, render_job
from trainer_svc.packing import IGNORE, TokenizedSample, pack, plan_steps, tokenize_sample
from trainer_svc.pipeline import TokenizerCache, TrainingPipeline
from trainer_svc.publishing import AdapterPublisher
from trainer_svc.specs import TrainingSpec, validate_spec

from .tiny_models import tiny_llama as shared_tiny_llama

REPO = Path(__file__).resolve().parents[1]
JOB_TEMPLATES = sorted(REPO.glob("k8s/**/job-template.yaml"))


# -- packing and attention ----------------------------------------------------------


def tiny_llama(attention: str) -> LlamaForCausalLM:
    return shared_tiny_llama(
        vocab_size=64, hidden_size=32, intermediate_size=64, attn_implementation=attention
    )


def test_packed_samples_see_only_themselves() -> None:
    """A packed row gives each sample exactly the logits it gets alone."""
    attention = register_packed_attention()
    model = tiny_llama("sdpa")
    rng = random.Random(0)
    samples = [[rng.randrange(64) for _ in range(n)] for n in (7, 1, 12, 5)]
    alone = [model(input_ids=torch.tensor([ids])).logits[0] for ids in samples]
    batch = pack([TokenizedSample(ids, [IGNORE] * len(ids)) for ids in samples])
    model.config._attn_implementation = attention
    packed = model(
        input_ids=torch.tensor([batch.input_ids]),
        position_ids=torch.tensor([batch.position_ids]),
        cu_seq_lens=torch.tensor(batch.boundaries),
    ).logits[0]
    for index, expected in enumerate(alone):
        start, end = batch.boundaries[index], batch.boundaries[index + 1]
        torch.testing.assert_close(packed[start:end], expected, atol=1e-5, rtol=1e-4)


def test_a_shared_prefix_is_computed_once_with_the_same_result() -> None:
    """Logits and gradients equal those of each sample run on its own."""
    import torch.nn.functional as F

    attention = register_packed_attention()
    rng = random.Random(1)
    prefix = [rng.randrange(64) for _ in range(20)]
    samples = []
    for extra in (5, 9, 3):
        ids = prefix + [rng.randrange(64) for _ in range(extra)]
        labels = [IGNORE] * (len(prefix) + 1) + ids[len(prefix) + 1 :]
        samples.append(TokenizedSample(ids, labels))

    def loss_alone(model: LlamaForCausalLM) -> torch.Tensor:
        total = torch.zeros(())
        for sample in samples:
            logits = model(input_ids=torch.tensor([sample.input_ids])).logits[0, :-1]
            target = torch.tensor(sample.labels[1:])
            total = total + F.cross_entropy(logits, target, ignore_index=IGNORE, reduction="sum")
        return total

    reference = tiny_llama("sdpa")
    expected = loss_alone(reference)
    expected.backward()

    model = tiny_llama(attention)
    batch = pack(samples, share_prefix=True)
    assert batch.shared_prefix == 20 and batch.boundaries[:2] == [0, 20]
    assert batch.tokens == 20 + 5 + 9 + 3 and batch.sample_tokens == 3 * 20 + 17
    targets = torch.tensor(batch.targets)
    keep = targets != IGNORE
    out = model(
        input_ids=torch.tensor([batch.input_ids]),
        position_ids=torch.tensor([batch.position_ids]),
        cu_seq_lens=torch.tensor(batch.boundaries),
        shared_prefix=batch.shared_prefix,
        logits_to_keep=keep.unsqueeze(0),
    )
    loss = F.cross_entropy(out.logits.reshape(-1, 64), targets[keep], reduction="sum")
    loss.backward()
    torch.testing.assert_close(loss, expected, atol=1e-4, rtol=1e-5)
    for (name, got), (_, want) in zip(
        model.named_parameters(), reference.named_parameters(), strict=True
    ):
        torch.testing.assert_close(got.grad, want.grad, atol=1e-5, rtol=1e-4, msg=name)


def test_no_prefix_is_shared_when_it_would_hide_a_target() -> None:
    common = list(range(30))
    first = TokenizedSample(common + [40, 41], [IGNORE] * 30 + [40, 41])
    second = TokenizedSample(common + [50], [IGNORE] * 30 + [50])
    # Position 29 predicts token 30, a target that differs per sample: share 29 at most.
    assert pack([first, second], share_prefix=True).shared_prefix == 29
    learn_early = TokenizedSample(common + [1], [IGNORE] * 5 + common[5:] + [1])
    assert pack([first, learn_early], share_prefix=True).shared_prefix == 0
    assert pack([first], share_prefix=True).shared_prefix == 0


def test_pack_targets_stop_at_sample_edges() -> None:
    first = TokenizedSample([1, 2, 3], [IGNORE, 2, 3])
    second = TokenizedSample([4, 5], [IGNORE, 5])
    batch = pack([first, second])
    assert batch.boundaries == [0, 3, 5]
    assert batch.position_ids == [0, 1, 2, 0, 1]
    # Position t predicts the label at t+1; a sample's last token predicts nothing.
    assert batch.targets == [2, 3, IGNORE, 5, IGNORE]
    assert batch.target_count == 3


@pytest.fixture(scope="module")
def tokenizer():  # type: ignore[no-untyped-def]
    return load_tokenizer(ensure_model_dir(cache_dir=default_model_cache_dir()))


def test_loss_only_on_assistant_turns(tokenizer) -> None:  # type: ignore[no-untyped-def]
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Hello."},
        {"role": "user", "content": "read a.py"},
        {"role": "assistant", "content": '{"name": "read_file"}'},
    ]
    sample = tokenize_sample(tokenizer, messages)
    trained = [
        tokenizer.decode([t])
        for t, label in zip(sample.input_ids, sample.labels, strict=True)
        if label != IGNORE
    ]
    assert "".join(trained) == 'Hello.<|im_end|>{"name": "read_file"}<|im_end|>'
    full = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True)["input_ids"]
    assert sample.input_ids == full[: len(sample.input_ids)]
    with pytest.raises(ValueError, match="assistant"):
        tokenize_sample(tokenizer, messages[:2])


def test_step_plan_is_fixed_by_the_seed_and_fills_the_budget() -> None:
    lengths = [30, 50, 70, 20, 90, 40, 60, 10]
    plan = plan_steps(lengths, token_budget=100, epochs=2, seed=7)
    assert plan == plan_steps(lengths, token_budget=100, epochs=2, seed=7)
    assert plan != plan_steps(lengths, token_budget=100, epochs=2, seed=8)
    seen = sorted(index for step in plan.steps for index in step)
    assert seen == sorted(list(range(8)) * 2)
    for step in plan.steps:
        assert len(step) == 1 or sum(lengths[i] for i in step) <= 100
    assert plan.steps_per_epoch == pytest.approx(3.7)
    half = plan_steps(lengths, token_budget=100, epochs=0.5, seed=7)
    assert sum(len(step) for step in half.steps) == 4
    capped = plan_steps(lengths, token_budget=100, epochs=1, seed=7, max_steps=20)
    assert capped.total_steps == 20  # goes round the data again


# -- mixes ---------------------------------------------------------------------------


def test_sample_counts_follow_counts_and_weights() -> None:
    fixed = SourceSpec(name="domain", path="d.jsonl", sample_count=95)
    tools = SourceSpec(name="tools", path="builtin:tool_awareness", weight=0.03)
    guard = SourceSpec(name="guard", path="builtin:guardrails", weight=0.02)
    assert sample_counts([fixed, tools, guard], [10, 1000, 1000]) == [95, 3, 2]
    everything_once = SourceSpec(name="all", path="x.jsonl")
    assert sample_counts([everything_once, tools], [97, 1000]) == [97, 3]
    both_weighted = [
        SourceSpec(name="a", path="a", weight=3),
        SourceSpec(name="b", path="b", weight=1),
    ]
    assert sample_counts(both_weighted, [100, 300]) == [300, 100]


def test_take_repeats_then_samples() -> None:
    samples = [{"i": i} for i in range(4)]
    taken = take(samples, 10, random.Random(0))
    assert len(taken) == 10 and taken[:8] == samples * 2
    assert len({s["i"] for s in taken[8:]}) == 2


def test_bad_mixes_and_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="empty"):
        validate_sources([], tmp_path)
    twice = [SourceSpec(path="builtin:guardrails"), SourceSpec(path="builtin:guardrails")]
    with pytest.raises(InvalidArgumentError, match="unique"):
        validate_sources(twice, tmp_path)
    heavy = [
        SourceSpec(name="a", path="builtin:guardrails", sample_count=5),
        SourceSpec(name="b", path="builtin:tool_awareness", weight=1.0),
    ]
    with pytest.raises(InvalidArgumentError, match="weights"):
        validate_sources(heavy, tmp_path)
    with pytest.raises(NotFoundError):
        validate_sources([SourceSpec(path="nope.jsonl")], tmp_path)
    with pytest.raises(PermissionDeniedError):
        validate_sources([SourceSpec(path="/etc/passwd")], tmp_path)
    bad = tmp_path / "bad.jsonl"
    good = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    bad.write_text(
        json.dumps(good)
        + "\n"
        + json.dumps({"messages": [{"role": "user", "content": "q"}]})
        + "\n"
    )
    with pytest.raises(InvalidArgumentError, match="line 2: no assistant turn"):
        read_chat_jsonl(bad)


@pytest.mark.parametrize("weight", [math.nan, math.inf, -math.inf])
def test_a_weight_must_be_a_finite_number(tmp_path: Path, weight: float) -> None:
    source = SourceSpec(name="a", path="builtin:guardrails", weight=weight)
    with pytest.raises(InvalidArgumentError, match="source 'a': weight must be a finite number"):
        validate_sources([source], tmp_path)


@pytest.mark.parametrize(("path", "words"), [("a\x00b", "NUL byte"), ("a" * 5000, "too long")])
def test_a_path_no_file_can_have_is_an_invalid_argument(
    tmp_path: Path, path: str, words: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=words):
        validate_sources([SourceSpec(name="a", path=path)], tmp_path)


def test_a_symlink_loop_in_the_dataset_directory_is_the_operators_to_fix(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.jsonl").symlink_to(tmp_path / "b.jsonl")
    (tmp_path / "b.jsonl").symlink_to(tmp_path / "a.jsonl")
    with pytest.raises(FailedPreconditionError, match="symlink loop"):
        validate_sources([SourceSpec(name="a", path="a.jsonl")], tmp_path)


def test_sample_counts_are_capped_before_any_sample_is_built(tmp_path: Path) -> None:
    huge = SourceSpec(name="a", path="builtin:guardrails", sample_count=1_000_000_000)
    with pytest.raises(
        InvalidArgumentError,
        match=f"source 'a': sample_count 1000000000 is above the cap of {MAX_MIX_SAMPLES}",
    ):
        validate_sources([huge], tmp_path)
    # Under the cap one by one, past it together.
    halves = [
        SourceSpec(name=n, path="builtin:guardrails", sample_count=MAX_MIX_SAMPLES // 2 + 1)
        for n in ("a", "b")
    ]
    with pytest.raises(InvalidArgumentError, match=f"above the cap of {MAX_MIX_SAMPLES}"):
        validate_sources(halves, tmp_path)
    # Shares beside a fixed source scale the mix up: 1000 / (1 - 0.999) samples.
    scaled = [
        SourceSpec(name="fixed", path="builtin:guardrails", sample_count=1000),
        SourceSpec(name="share", path="builtin:tool_awareness", weight=0.999),
    ]
    with pytest.raises(InvalidArgumentError, match=f"above the cap of {MAX_MIX_SAMPLES}"):
        validate_sources(scaled, tmp_path)
    # The largest real mix: an IDE's 12K examples beside the generic sets.
    validate_sources(
        [
            SourceSpec(name="ide", retrieval=RetrievalSpec("vscode"), sample_count=12_000),
            SourceSpec(path="builtin:tool_awareness", sample_count=1000),
            SourceSpec(path="builtin:guardrails", sample_count=1000),
        ],
        tmp_path,
    )


def test_a_mix_that_loads_past_the_cap_is_refused_before_tokenizing(tmp_path: Path) -> None:
    """A file's size is known only once read: its 30 samples, beside a share that leaves them
    30 / (2 x cap) of the mix, make twice the cap."""
    sample = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    (tmp_path / "thirty.jsonl").write_text((json.dumps(sample) + "\n") * 30)
    sources = [
        SourceSpec(name="thirty", path="thirty.jsonl"),
        SourceSpec(name="share", path="builtin:guardrails", weight=1 - 30 / (2 * MAX_MIX_SAMPLES)),
    ]
    validate_sources(sources, tmp_path)  # one sample is all it can tell before reading
    with pytest.raises(InvalidArgumentError, match=f"above the cap of {MAX_MIX_SAMPLES}"):
        compose(sources, tmp_path, tokenizer=None)  # refused before it would need one


def test_a_mix_no_longer_wanted_stops_between_samples(tmp_path: Path, tokenizer) -> None:
    """A preview's client that leaves sets `stop`; the mix is not built to its end."""
    sample = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    (tmp_path / "many.jsonl").write_text((json.dumps(sample) + "\n") * 100_000)
    sources = [SourceSpec(name="many", path="many.jsonl")]
    stop = threading.Event()
    threading.Timer(1.0, stop.set).start()
    with pytest.raises(ComposeStopped):
        compose(sources, tmp_path, tokenizer, stop=stop)


@pytest.mark.parametrize("field", ["epochs", "learning_rate", "lora.alpha", "lora.dropout"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_spec_number_must_be_finite(tmp_path: Path, field: str, value: float) -> None:
    spec = TrainingSpec("a", sources=[SourceSpec(path="builtin:guardrails")])
    validate_spec(spec, tmp_path)
    owner = spec.lora if field.startswith("lora.") else spec
    setattr(owner, field.removeprefix("lora."), value)
    with pytest.raises(InvalidArgumentError, match=field):
        validate_spec(spec, tmp_path)


# -- evaluation ----------------------------------------------------------------------


def test_scoring_a_reply() -> None:
    expected = {"name": "get_weather", "arguments": {"city": "Oslo", "days": 3}}
    right = 'Sure: {"name": "get_weather", "arguments": {"days": 3, "city": "Oslo"}}'
    assert score_reply(expected, right) == (True, True, True)
    assert score_reply(expected, '{"name": "get_weather", "arguments": {"city": "oslo"}}') == (
        True,
        False,
        True,
    )
    assert score_reply(expected, "It is sunny.") == (False, False, False)
    assert score_reply(None, '{"name": "x", "arguments": {}}') == (False, False, True)


def test_evaluate_counts_calls_and_plain_answers() -> None:
    call = {"name": "t", "arguments": {"a": 1}}
    samples = [
        {"messages": [{"role": "user", "content": "1"}], "meta": {"expected_call": call}},
        {"messages": [{"role": "user", "content": "2"}], "meta": {"expected_call": call}},
        {"messages": [{"role": "user", "content": "3"}], "meta": {"expected_call": None}},
        {"messages": [{"role": "user", "content": "4"}], "meta": {"expected_call": None}},
    ]
    replies = {
        "1": json.dumps(call),
        "2": '{"name": "t", "arguments": {"a": 2}}',
        "3": "hi",
        "4": json.dumps(call),
    }
    report = evaluate(lambda messages: replies[messages[-1]["content"]], samples)
    assert (report.right_tool, report.right_arguments, report.spurious_calls) == (2, 1, 1)
    assert report.accuracy == 0.5 and report.spurious_rate == 0.5


# -- after a job: the publish decision ------------------------------------------------


def finished_job(
    root: Path, accuracy: float, baseline: float | None
) -> tuple[JobRecord, JobPaths, dict]:
    paths = JobPaths(root / "job")
    paths.adapter.mkdir(parents=True)
    (paths.adapter / "adapter_config.json").write_text('{"peft_type": "LORA"}')
    (paths.adapter / "adapter_model.safetensors").write_bytes(b"weights")
    write_json_atomic(
        paths.worker_config,
        WorkerConfig("smollm2-135m-instruct", "", lora=TrainingSpec("a").lora).to_json(),
    )
    result = {
        "steps": 3,
        "final_loss": 0.5,
        "initial_loss": 2.0,
        "eval": {"accuracy": accuracy, "samples": 10},
    }
    if baseline is not None:
        result["baseline_eval"] = {"accuracy": baseline, "samples": 10}
    record = JobRecord(id="20260101-000000-abcdef", spec=TrainingSpec("evening", publish=True))
    return record, paths, result


def local_pipeline(store: AdapterStore, tmp_path: Path) -> TrainingPipeline:
    """A pipeline with no retrieval or inference service behind it."""
    return TrainingPipeline(
        store=store,
        publisher=AdapterPublisher(store, None),
        retrieval=None,
        tokenizers=TokenizerCache(tmp_path),
        dataset_dir=tmp_path,
    )


@pytest.mark.parametrize(
    ("accuracy", "baseline", "published"), [(0.7, 0.8, False), (0.8, 0.8, True), (0.5, None, True)]
)
async def test_publishes_only_if_not_worse(
    tmp_path: Path, accuracy: float, baseline: float | None, published: bool
) -> None:
    store = AdapterStore(tmp_path / "adapters")
    pipeline = local_pipeline(store, tmp_path)
    record, paths, result = finished_job(tmp_path, accuracy, baseline)
    adapter, outcome = await pipeline.finish(record, paths, result)
    assert adapter == {"name": "evening", "version": 1}
    version = store.get("evening", 1)
    assert (
        version.manifest["held_out_accuracy"] == accuracy and version.manifest["final_loss"] == 0.5
    )
    assert (store.serving() is not None) == published
    assert ("not published" in outcome) != published


@pytest.mark.parametrize("name", ["../adapters/tool-awareness", "./tool-awareness", "base", "A"])
async def test_publishing_refuses_a_name_that_is_not_an_adapter_name(
    tmp_path: Path, name: str
) -> None:
    """A name is a folder in the store: "../adapters/x" reached x through the path and
    wrote a serving.json the inference service could not resolve."""
    store = AdapterStore(tmp_path / "adapters")
    staging = store.staging_dir("tool-awareness")
    (staging / "adapter_config.json").write_text("{}")
    store.commit("tool-awareness", staging, {})
    with pytest.raises(InvalidArgumentError, match="adapter name"):
        await AdapterPublisher(store, None).publish(name)
    assert not (store.root / "serving.json").exists()
    assert not (store.root / "tool-awareness" / "published.json").exists()


# -- records, names, launch commands ----------------------------------------------------


def test_job_record_survives_a_round_trip(tmp_path: Path) -> None:
    spec = TrainingSpec(
        "x",
        sources=[SourceSpec(name="s", path="builtin:guardrails", sample_count=3)],
        mark_trained=[],
    )
    record = JobRecord(
        id="20260101-000000-abcdef", spec=spec, state=JobState.RUNNING, initial_loss=2.5
    )
    write_json_atomic(tmp_path / "job.json", record.to_json())
    again = JobRecord.from_json(json.loads((tmp_path / "job.json").read_text()))
    assert again == record
    assert parse_job_name("trainingJobs/20260101-000000-abcdef") == parse_job_name(
        "20260101-000000-abcdef"
    )
    with pytest.raises(InvalidArgumentError):
        parse_job_name("../../etc")


async def test_a_watch_sends_the_final_state_even_if_it_lands_mid_send(tmp_path: Path) -> None:
    """`_end` sets the state, then saves and notifies: a watch that looked at the live record
    between the two ended without ever sending SUCCEEDED (a CI failure)."""
    pipeline = local_pipeline(AdapterStore(tmp_path / "adapters"), tmp_path)
    jobs = JobManager(tmp_path / "jobs", LocalLauncher(), pipeline)  # not started: nothing runs
    spec = TrainingSpec(
        "x", sources=[SourceSpec(name="s", path="builtin:guardrails", sample_count=3)]
    )
    record = await jobs.create(spec)
    stream = jobs.watch(record.name)
    assert (await anext(stream)).state == JobState.QUEUED
    record.state = JobState.RUNNING
    await jobs._update(record)
    sent = await anext(stream)
    record.state = JobState.SUCCEEDED  # what `_end` does before its save and notify
    assert sent.state == JobState.RUNNING
    following = asyncio.create_task(anext(stream))
    await jobs._update(record)
    assert (await asyncio.wait_for(following, 5)).state == JobState.SUCCEEDED
    with pytest.raises(StopAsyncIteration):
        await anext(stream)


def test_progress_reader_skips_a_torn_last_line(tmp_path: Path) -> None:
    path = tmp_path / "progress.jsonl"
    path.write_text('{"event": "step", "step": 1}\n{"event": "st')
    events, offset = read_events(path)
    assert events == [{"event": "step", "step": 1}]
    with open(path, "a") as handle:
        handle.write('ep", "step": 2}\n')
    more, _ = read_events(path, offset)
    assert more == [{"event": "step", "step": 2}]


def test_accelerate_command_per_machine() -> None:
    cpu = accelerate_command(Path("/data/jobs/x"), 0)
    assert "--cpu" in cpu and "--num_processes=1" in cpu
    assert cpu[-4:] == ["-m", "trainer_svc.worker", "--job-dir", "/data/jobs/x"]
    many = accelerate_command(Path("/j"), 4)
    assert "--multi_gpu" in many and "--num_processes=4" in many and "--cpu" not in many


# -- the Kubernetes Job (untested against a cluster; rendered and validated here) -------


@pytest.mark.parametrize("template_path", JOB_TEMPLATES, ids=lambda p: str(p.relative_to(REPO)))
def test_job_is_rendered_within_the_template_contract(template_path: Path) -> None:
    import kubernetes_validate

    template = yaml.safe_load(template_path.read_text())
    job = render_job(
        template, "20260101-000000-abcdef", Path("/data/trainer/jobs/20260101-000000-abcdef")
    )
    kubernetes_validate.validate(job, "1.37.0", strict=True)
    # Only what docs/deployment.md allows changed: labels, annotations, the job dir.
    expected = copy.deepcopy(template)
    worker = next(c for c in job["spec"]["template"]["spec"]["containers"] if c["name"] == "worker")
    job_dir = next(e["value"] for e in worker["env"] if e["name"] == "TRAINER_JOB_DIR")
    assert job_dir == "/data/trainer/jobs/20260101-000000-abcdef"
    assert job["metadata"]["labels"]["hybridtools.io/training-job"] == "20260101-000000-abcdef"
    assert job["metadata"].get("generateName") == template["metadata"].get("generateName")
    for document in (job, expected):
        document["metadata"].pop("labels", None)
        document["metadata"].pop("annotations", None)
        document["metadata"].pop("name", None)
        document["spec"]["template"]["metadata"].pop("labels", None)
        for container in document["spec"]["template"]["spec"]["containers"]:
            for env in container.get("env", []):
                if env["name"] == "TRAINER_JOB_DIR":
                    env["value"] = "-"
    assert job == expected


def test_a_template_without_the_contract_is_refused() -> None:
    template = yaml.safe_load(JOB_TEMPLATES[0].read_text())
    broken = copy.deepcopy(template)
    broken["spec"]["template"]["spec"]["containers"][0]["name"] = "trainer"
    with pytest.raises(ValueError, match="worker"):
        render_job(broken, "20260101-000000-abcdef", Path("/data/x"))
    broken = copy.deepcopy(template)
    broken["spec"]["template"]["spec"]["containers"][0]["env"] = []
    with pytest.raises(ValueError, match="TRAINER_JOB_DIR"):
        render_job(broken, "20260101-000000-abcdef", Path("/data/x"))


def test_job_status_to_exit() -> None:
    assert job_exit({"status": {"active": 1}}) is None
    assert job_exit({"status": {"conditions": [{"type": "Complete", "status": "True"}]}}).succeeded
    failed = job_exit(
        {
            "status": {
                "conditions": [
                    {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}
                ]
            }
        }
    )
    assert failed is not None and not failed.succeeded and "BackoffLimitExceeded" in failed.detail
    assert not job_exit(None).succeeded


# -- the GPU benchmark ------------------------------------------------------------------


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is here: the gpu test runs it")
def test_gpu_benchmark_skips_cleanly_without_cuda() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "trainer_gpu.py")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and "skipped" in done.stdout


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_qlora_trains_on_a_gpu(tmp_path: Path) -> None:
    output = tmp_path / "gpu.json"
    command = [sys.executable, str(REPO / "bench" / "trainer_gpu.py"), "--steps", "3"]
    command += ["--sequence-length", "512", "--batch-size", "2", "--output", str(output)]
    subprocess.run(command, check=True, timeout=900)
    (row,) = json.loads(output.read_text())["rows"]
    assert row["steps"] == 3 and row["real_tokens_per_second"] > 0 and row["peak_memory_mb"] > 0


def test_publish_detail_points_tgi_at_the_rollout(tmp_path: Path) -> None:
    import grpc

    from trainer_svc.publishing import not_loaded_detail

    store = AdapterStore(tmp_path)
    staging = store.staging_dir("vscode-tools")
    (staging / "adapter_config.json").write_text("{}")
    adapter = store.commit(
        "vscode-tools", staging, {"base_model": "Qwen/Qwen2.5-Coder-7B-Instruct"}
    )
    tgi = not_loaded_detail(
        adapter, "not among TGI's adapters", grpc.StatusCode.FAILED_PRECONDITION
    )
    assert "docs/deployment.md" in tgi and "Publishing an adapter to TGI" in tgi
    down = not_loaded_detail(adapter, "connection refused", grpc.StatusCode.UNAVAILABLE)
    assert "when it starts" in down and "docs/deployment.md" not in down


def test_hub_base_models_only_where_workers_download(tmp_path: Path) -> None:
    from trainer_svc.specs import base_model_known

    assert base_model_known("smollm2-135m-instruct")
    assert not base_model_known("Qwen/Qwen2.5-Coder-7B-Instruct")
    assert base_model_known("Qwen/Qwen2.5-Coder-7B-Instruct", hub_allowed=True)
    assert not base_model_known("no-such-model", hub_allowed=True)
    (tmp_path / "config.json").write_text("{}")
    assert base_model_known(str(tmp_path))
