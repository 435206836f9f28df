"""Where a training worker runs: a local subprocess, or a Kubernetes Job.

Both start `accelerate launch -m trainer_svc.worker --job-dir DIR` and report
how it ended; the job directory is the only channel to the worker. A launch
returns a `WorkerHandle` whose `ref` is persisted in the job record, so a
restarted server can find the worker again (`attach`).

The Kubernetes launcher talks to the API server with plain HTTP and the pod's
service-account token. It is tested here only as far as this machine allows
(rendering the Job from the template and checking the contract of
docs/deployment.md); it has not run against a cluster.
"""

from __future__ import annotations

import asyncio
import copy
import os
import signal
import ssl
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import structlog
import yaml

from hybridtools.core.errors import FailedPreconditionError, UnavailableError

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class WorkerExit:
    """How a worker ended: exit code 0 is success; `detail` says why otherwise.

    `observed` is False where nobody could read the exit code (a local worker
    re-attached after a server restart is not the new server's child): then
    the job's files tell how it ended.
    """

    code: int
    detail: str = ""
    observed: bool = True

    @property
    def succeeded(self) -> bool:
        return self.code == 0


class WorkerHandle(Protocol):
    # What the job record keeps to find the worker again: {"kind": ..., ...}.
    ref: dict[str, Any]

    async def poll(self) -> WorkerExit | None:
        """None while it runs."""
        ...

    async def stop(self, grace_s: float) -> None:
        """Asks it to stop, then kills it after `grace_s` seconds."""
        ...


class Launcher(Protocol):
    async def launch(self, job_id: str, job_dir: Path) -> WorkerHandle: ...

    async def attach(self, ref: dict[str, Any], job_dir: Path) -> WorkerHandle | None:
        """The worker of a persisted ref if it still exists, else None."""
        ...


# ---------------------------------------------------------------------------
# Local subprocess


def accelerate_command(job_dir: Path, gpus: int) -> list[str]:
    """`accelerate launch` for this machine: the CPU, one GPU, or one process per GPU."""
    launcher = [sys.executable, "-m", "accelerate.commands.launch"]
    if gpus == 0:
        # One process: a second on the same cores would only split them.
        flags = ["--cpu", "--num_processes=1"]
    elif gpus == 1:
        flags = ["--num_processes=1"]
    else:
        flags = ["--multi_gpu", f"--num_processes={gpus}"]
    flags += ["--num_machines=1", "--mixed_precision=no", "--dynamo_backend=no"]
    return [*launcher, *flags, "-m", "trainer_svc.worker", "--job-dir", str(job_dir)]


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(code).name
    except ValueError:
        return f"signal {code}"


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        name = _signal_name(-returncode)
        return f"the worker was killed by {name}" + (
            " (out of memory?)" if name == "SIGKILL" else ""
        )
    # accelerate launch exits 1 when its child failed; a child killed by a
    # signal shows as 128+N or -N in its message, so also read the log.
    return f"the worker exited with code {returncode}"


class LocalProcessHandle:
    def __init__(self, process: asyncio.subprocess.Process | None, pid: int) -> None:
        self._process = process
        self.pid = pid
        self.ref = {"kind": "local", "pid": pid}

    async def poll(self) -> WorkerExit | None:
        if self._process is not None:
            code = self._process.returncode
            if code is None:
                return None
            return WorkerExit(code, "" if code == 0 else describe_exit(code))
        # Adopted after a server restart: not our child, so no exit code.
        if _pid_alive(self.pid):
            return None
        return WorkerExit(-1, "the re-attached worker ended", observed=False)

    async def stop(self, grace_s: float) -> None:
        # The worker is a process group (accelerate launch and its child): signal all of it.
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.pid, sig)
            except ProcessLookupError:
                return
            try:
                await asyncio.wait_for(self._wait(), grace_s)
                return
            except TimeoutError:
                continue

    async def _wait(self) -> None:
        if self._process is not None:
            await self._process.wait()
        else:
            while _pid_alive(self.pid):
                await asyncio.sleep(0.2)
        # `accelerate launch` can exit before the worker it started has (seen
        # in the tests): a stopped job means the whole group is gone.
        while _group_alive(self.pid):
            await asyncio.sleep(0.05)


def _proc_stat(pid: int | str) -> list[str] | None:
    """/proc/<pid>/stat after the command name (state, ppid, pgrp, ...); None if unreadable."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    fields = _proc_stat(pid)
    return fields is None or fields[0] != "Z"


def _group_alive(group: int) -> bool:
    """Whether a process of the group still runs (zombies do not count)."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _proc_stat(entry)  # None: it ended while we looked
            if fields is not None and int(fields[2]) == group and fields[0] != "Z":
                return True
    return False


class LocalLauncher:
    """Runs the worker as a subprocess of the server, in its own process group."""

    def __init__(self, gpus: int | None = None, extra_env: dict[str, str] | None = None) -> None:
        if gpus is None:
            import torch

            gpus = torch.cuda.device_count()
        self.gpus = gpus
        self.extra_env = extra_env or {}

    async def launch(self, job_id: str, job_dir: Path) -> LocalProcessHandle:
        command = accelerate_command(job_dir, self.gpus)
        env = {**os.environ, **self.extra_env, "PYTHONUNBUFFERED": "1"}
        env.setdefault("HF_HUB_OFFLINE", "1")
        env.setdefault("TOKENIZERS_PARALLELISM", "false")
        log_file = open(job_dir / "worker.log", "ab")  # noqa: SIM115 (the child owns it)
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=str(Path.cwd()),
                start_new_session=True,
            )
        finally:
            log_file.close()
        log.info("worker started", job=job_id, pid=process.pid, command=" ".join(command))
        return LocalProcessHandle(process, process.pid)

    async def attach(self, ref: dict[str, Any], job_dir: Path) -> LocalProcessHandle | None:
        pid = int(ref.get("pid", 0))
        if ref.get("kind") != "local" or pid <= 0 or not _pid_alive(pid):
            return None
        # The pid may have been reused: it must still be this job's worker.
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            return None
        if str(job_dir) not in cmdline:
            return None
        return LocalProcessHandle(None, pid)


# ---------------------------------------------------------------------------
# Kubernetes Job

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
WORKER_CONTAINER = "worker"
JOB_DIR_ENV = "TRAINER_JOB_DIR"
JOB_ID_LABEL = "hybridtools.io/training-job"


def render_job(template: dict[str, Any], job_id: str, job_dir: Path) -> dict[str, Any]:
    """The Job for one run, changed from the template only as its contract allows.

    docs/deployment.md, "Training Jobs": set the name (or keep generateName),
    add labels/annotations, set TRAINER_JOB_DIR in container "worker";
    nothing else.
    """
    if template.get("kind") != "Job" or not str(template.get("apiVersion", "")).startswith(
        "batch/"
    ):
        raise ValueError("the job template must be a batch/v1 Job")
    job = copy.deepcopy(template)
    metadata = job.setdefault("metadata", {})
    safe_id = job_id.lower().replace("_", "-")
    if "generateName" not in metadata:
        metadata["name"] = f"train-{safe_id}"[:63].rstrip("-")
    metadata.setdefault("labels", {})[JOB_ID_LABEL] = safe_id[:63]
    metadata.setdefault("annotations", {})["hybridtools.io/job-dir"] = str(job_dir)
    pod_metadata = job["spec"]["template"].setdefault("metadata", {})
    pod_metadata.setdefault("labels", {})[JOB_ID_LABEL] = safe_id[:63]
    containers = job["spec"]["template"]["spec"]["containers"]
    worker = next((c for c in containers if c.get("name") == WORKER_CONTAINER), None)
    if worker is None:
        raise ValueError(f"the job template has no container named {WORKER_CONTAINER!r}")
    env = worker.setdefault("env", [])
    entry = next((e for e in env if e.get("name") == JOB_DIR_ENV), None)
    if entry is None:
        raise ValueError(
            f"container {WORKER_CONTAINER!r} must declare env {JOB_DIR_ENV} "
            "(its args pass --job-dir $(TRAINER_JOB_DIR))"
        )
    entry.pop("valueFrom", None)
    entry["value"] = str(job_dir)
    return job


def load_job_template(path: Path) -> dict[str, Any]:
    template = yaml.safe_load(path.read_text())
    if not isinstance(template, dict):
        raise ValueError(f"{path} is not a YAML mapping")
    return template


class KubernetesApi:
    """The few calls the launcher needs, over HTTPS with the pod's service account."""

    def __init__(
        self,
        base_url: str | None = None,
        token_path: Path = SERVICE_ACCOUNT_DIR / "token",
        ca_path: Path = SERVICE_ACCOUNT_DIR / "ca.crt",
        namespace: str | None = None,
    ) -> None:
        host = os.environ.get("KUBERNETES_SERVICE_HOST", "")
        port = os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        self.base_url = base_url or (f"https://{host}:{port}" if host else "")
        self.token_path = token_path
        self.ca_path = ca_path
        namespace_file = SERVICE_ACCOUNT_DIR / "namespace"
        self.namespace = namespace or (
            namespace_file.read_text().strip() if namespace_file.exists() else "default"
        )

    def _client(self) -> Any:
        import httpx

        if not self.base_url:
            raise UnavailableError(
                "TRAINER_LAUNCHER=kubernetes but KUBERNETES_SERVICE_HOST is not set "
                "(not running in a pod?)"
            )
        # The token is re-read per call: Kubernetes rotates projected tokens.
        token = self.token_path.read_text().strip()
        verify: Any = (
            ssl.create_default_context(cafile=str(self.ca_path)) if self.ca_path.exists() else True
        )
        return httpx.AsyncClient(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {token}"},
            verify=verify,
            timeout=30.0,
        )

    def _jobs_path(self, name: str = "") -> str:
        path = f"/apis/batch/v1/namespaces/{self.namespace}/jobs"
        return f"{path}/{name}" if name else path

    async def create_job(self, job: dict[str, Any]) -> dict[str, Any]:
        async with self._client() as client:
            response = await client.post(self._jobs_path(), json=job)
        return _checked(response, "create the training Job")

    async def get_job(self, name: str) -> dict[str, Any] | None:
        async with self._client() as client:
            response = await client.get(self._jobs_path(name))
        if response.status_code == 404:
            return None
        return _checked(response, f"read Job {name}")

    async def delete_job(self, name: str, grace_s: float) -> None:
        body = {"propagationPolicy": "Background", "gracePeriodSeconds": int(grace_s)}
        async with self._client() as client:
            response = await client.request("DELETE", self._jobs_path(name), json=body)
        if response.status_code != 404:
            _checked(response, f"delete Job {name}")


def _checked(response: Any, what: str) -> dict[str, Any]:
    if response.status_code >= 400:
        message = response.text[:500]
        if response.status_code in (401, 403):
            raise FailedPreconditionError(
                f"cannot {what}: the trainer's service account is not allowed ({message})"
            )
        raise UnavailableError(
            f"cannot {what}: Kubernetes API answered {response.status_code} ({message})"
        )
    result: dict[str, Any] = response.json()
    return result


def job_exit(job: dict[str, Any] | None) -> WorkerExit | None:
    """A Job's outcome from its status conditions (None while it runs)."""
    if job is None:
        return WorkerExit(-1, "the training Job was deleted")
    status = job.get("status") or {}
    for condition in status.get("conditions") or []:
        if condition.get("status") != "True":
            continue
        if condition.get("type") == "Complete":
            return WorkerExit(0)
        if condition.get("type") == "Failed":
            reason = condition.get("reason", "Failed")
            message = condition.get("message", "")
            return WorkerExit(1, f"the training Job failed: {reason} {message}".strip())
    return None


class KubernetesJobHandle:
    def __init__(self, api: KubernetesApi, name: str) -> None:
        self._api = api
        self.name = name
        self.ref = {"kind": "kubernetes", "job": name, "namespace": api.namespace}

    async def poll(self) -> WorkerExit | None:
        return job_exit(await self._api.get_job(self.name))

    async def stop(self, grace_s: float) -> None:
        await self._api.delete_job(self.name, grace_s)


class KubernetesLauncher:
    """One Kubernetes Job per run, from the mounted template (TRAINER_JOB_TEMPLATE)."""

    def __init__(self, template_path: Path, api: KubernetesApi | None = None) -> None:
        self.template_path = template_path
        self.api = api or KubernetesApi()

    async def launch(self, job_id: str, job_dir: Path) -> KubernetesJobHandle:
        job = render_job(load_job_template(self.template_path), job_id, job_dir)
        created = await self.api.create_job(job)
        name = created["metadata"]["name"]
        log.info("training Job created", job=job_id, kubernetes_job=name)
        return KubernetesJobHandle(self.api, name)

    async def attach(self, ref: dict[str, Any], job_dir: Path) -> KubernetesJobHandle | None:
        if ref.get("kind") != "kubernetes" or not ref.get("job"):
            return None
        handle = KubernetesJobHandle(self.api, str(ref["job"]))
        # A Job that still exists is followed to its end, running or finished.
        return handle if await self.api.get_job(handle.name) is not None else None
