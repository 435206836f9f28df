"""`make run` end to end, and `hybridtools status` against the running system.

`make run` is `python -m hybridtools.launcher`; here it runs once
(`HYBRIDTOOLS_RUN_ONCE`) on free ports and a temporary data directory, with
small built-in sets (`HYBRIDTOOLS_RUN_EXAMPLES`; the full ones take minutes to
embed on 2 cores): it starts the three services as processes, indexes the four
built-in ecosystems, answers "Read Header.tsx" with a tool call in three of
them, and stops every service cleanly.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hybridtools.core.channels import sync_channel
from hybridtools.inference.v1 import inference_service_pb2 as ipb
from hybridtools.inference.v1 import inference_service_pb2_grpc as ipb_grpc
from hybridtools.launcher import BUILTIN_ORDER, SAMPLE_REQUEST
from hybridtools.llm.packaged import default_model_cache_dir
from hybridtools.supervisor import health_status
from hybridtools.topology import DEFAULT_PORTS, RETRIEVAL_HEALTH

from .system import SystemUnderTest, free_ports

pytestmark = pytest.mark.slow

RUN_EXAMPLES = 100
SAMPLE_ECOSYSTEMS = ("continue", "cursor", "cline")


def launcher_env(data_dir: Path, ports: dict[str, int]) -> dict[str, str]:
    env = dict(os.environ)
    # The converted base model is shared with the rest of the run (converting is ~30 s).
    env.setdefault("HYBRIDTOOLS_MODEL_DIR", str(default_model_cache_dir()))
    env.pop("HYBRIDTOOLS_ADMIN_TOKEN", None)  # `make run` sets none
    env["HYBRIDTOOLS_DATA_DIR"] = str(data_dir)
    env["HYBRIDTOOLS_RUN_ONCE"] = "1"
    env["HYBRIDTOOLS_RUN_EXAMPLES"] = str(RUN_EXAMPLES)
    env["TRAINER_WORKER_THREADS"] = "1"
    for service, port in ports.items():
        env[f"{service.upper()}_PORT"] = str(port)
    return env


def test_make_run_once_starts_indexes_answers_and_stops(tmp_path: Path) -> None:
    data_dir = tmp_path / ".data"
    ports = dict(zip(DEFAULT_PORTS, free_ports(len(DEFAULT_PORTS)), strict=True))
    completed = subprocess.run(
        [sys.executable, "-m", "hybridtools.launcher"],
        cwd=tmp_path,
        env=launcher_env(data_dir, ports),
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = completed.stdout
    assert completed.returncode == 0, f"{output}\n{completed.stderr}"
    assert "all services SERVING" in output
    negatives = RUN_EXAMPLES // 5
    for ecosystem in BUILTIN_ORDER:
        indexed = rf"  {ecosystem}: v1, {RUN_EXAMPLES} positive \+ {negatives} negative examples"
        assert re.search(indexed, output), output
    for ecosystem in SAMPLE_ECOSYSTEMS:
        answer = re.search(
            rf"{SAMPLE_REQUEST!r} in {ecosystem} \(adapter [\w-]+\):\n  (.*)\n", output
        )
        assert answer, output
        assert answer.group(1).startswith("tool call (valid)"), answer.group(0)
    assert "Try (grpcurl is in .venv/bin):" in output
    assert output.rstrip().endswith("stopped")
    for service in DEFAULT_PORTS:
        log = (data_dir / "logs" / f"{service}.log").read_text()
        assert '"server stopped"' in log, f"{service} did not stop cleanly:\n{log[-2000:]}"
    assert health_status(f"127.0.0.1:{ports['retrieval']}", RETRIEVAL_HEALTH) == "UNREACHABLE"


def test_status_reports_health_active_ecosystem_and_adapter(system: SystemUnderTest) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "hybridtools.cli", "status"],
        env={**system.client_env(), "COLUMNS": "250"},  # one table row per service
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, f"{completed.stdout}\n{completed.stderr}"
    rows = {
        cells[1].strip(): [cell.strip() for cell in cells[2:-1]]
        for line in completed.stdout.splitlines()
        if len(cells := line.split("│")) == 6
    }
    assert set(rows) == set(DEFAULT_PORTS), completed.stdout
    for service, (address, health, _detail) in rows.items():
        assert (address, health) == (system.address(service), "SERVING")
    assert rows["retrieval"][2].startswith("active: continue;")
    assert "continue v1 (300+60)" in rows["retrieval"][2]
    with sync_channel(system.address("inference")) as channel:
        listed = ipb_grpc.InferenceServiceStub(channel).ListAdapters(ipb.ListAdaptersRequest())
    assert rows["inference"][2].endswith(f"serving adapter: {listed.default_adapter}")
    assert rows["trainer"][2] == "no training jobs" or rows["trainer"][2].startswith("latest job")
