"""The three services, their default ports, and how they find each other.

In the cluster the addresses are Kubernetes Service names (k8s/); locally
they are loopback ports, one process each, the same topology.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from pathlib import Path

from hybridtools.supervisor import ServiceSpec

RETRIEVAL_HEALTH = "hybridtools.retrieval.v1.RetrievalService"
INFERENCE_HEALTH = "hybridtools.inference.v1.InferenceService"
TRAINER_HEALTH = "hybridtools.trainer.v1.TrainerService"
DEFAULT_PORTS = {"retrieval": 50051, "inference": 50052, "trainer": 50053}


def port_of(name: str, env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    return int(env.get(f"{name.upper()}_PORT", DEFAULT_PORTS[name]))


def address_of(name: str, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    host = env.get(f"{name.upper()}_HOST", "127.0.0.1")
    host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    return f"{host}:{port_of(name, env)}"


def available(module: str) -> bool:
    return importlib.util.find_spec(f"{module}.__main__") is not None


def local_specs(data_dir: Path, env: Mapping[str, str] | None = None) -> list[ServiceSpec]:
    """Specs for the services this checkout has, wired to each other on loopback."""
    env = os.environ if env is None else env
    ports = {name: port_of(name, env) for name in DEFAULT_PORTS}
    addresses = {name: f"127.0.0.1:{port}" for name, port in ports.items()}
    shared = {"HYBRIDTOOLS_DATA_DIR": str(data_dir)}
    specs = [
        ServiceSpec(
            "retrieval",
            "retrieval_svc",
            ports["retrieval"],
            RETRIEVAL_HEALTH,
            {**shared, "RETRIEVAL_PORT": str(ports["retrieval"])},
        ),
        ServiceSpec(
            "inference",
            "inference_svc",
            ports["inference"],
            INFERENCE_HEALTH,
            {
                **shared,
                "INFERENCE_PORT": str(ports["inference"]),
                "INFERENCE_RETRIEVAL_ADDRESS": addresses["retrieval"],
            },
        ),
        ServiceSpec(
            "trainer",
            "trainer_svc",
            ports["trainer"],
            TRAINER_HEALTH,
            {
                **shared,
                "TRAINER_PORT": str(ports["trainer"]),
                "TRAINER_RETRIEVAL_ADDRESS": addresses["retrieval"],
                "TRAINER_INFERENCE_ADDRESS": addresses["inference"],
            },
        ),
    ]
    return [spec for spec in specs if available(spec.module)]
