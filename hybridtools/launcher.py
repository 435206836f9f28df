"""`make run`: the whole system on the embedded defaults, until Ctrl-C.

Starts each service as its own process on its own port (the cluster's
topology), waits for their health checks, indexes the built-in ecosystems
that are not indexed yet (Continue active, the others served by name),
answers one sample request with a tool call, prints grpcurl commands to try,
and stops everything cleanly on Ctrl-C.

Settings (environment):
  HYBRIDTOOLS_RUN_EXAMPLES    positive examples per built-in ecosystem to index
                              (plus a fifth as many negatives); unset = the full
                              generated sets (~10K + 2K each), which take minutes
                              to embed on a small CPU
  HYBRIDTOOLS_RUN_ONCE        stop after the sample request (a smoke test)
  HYBRIDTOOLS_START_TIMEOUT_S seconds to wait for the health checks (600)
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import grpc

from hybridtools.core.channels import sync_channel
from hybridtools.core.settings import default_data_root
from hybridtools.ecosystems.catalog import load_builtin_catalog
from hybridtools.ecosystems.generator import generate_ecosystem_examples
from hybridtools.ops_cli import admin_metadata, stream_swap
from hybridtools.retrieval.v1 import retrieval_service_pb2 as rpb
from hybridtools.retrieval.v1 import retrieval_service_pb2_grpc as rpb_grpc
from hybridtools.supervisor import ServiceFailedError, Supervisor
from hybridtools.topology import local_specs

BUILTIN_ORDER = ("continue", "cursor", "copilot", "cline")
ACTIVE_ECOSYSTEM = "continue"
SAMPLE_REQUEST = "Read Header.tsx"


def say(text: str) -> None:
    print(text, flush=True)


def builtin_swap_request(name: str, positives: int = 0) -> rpb.SwapEcosystemRequest:
    """The full set is generated on the server; a reduced one here, sent inline."""
    # Waits for the tool router, so the sample answer is the one it will keep giving.
    request = rpb.SwapEcosystemRequest(
        ecosystem=name, activate=name == ACTIVE_ECOSYSTEM, wait_for_tool_router=True
    )
    if not positives:
        request.builtin_catalog = name
        return request
    generated = generate_ecosystem_examples(
        load_builtin_catalog(name), positives=positives, negatives=positives // 5, held_out=0
    )
    request.examples.examples.extend(record.to_proto() for record in generated.indexed)
    return request


def index_builtin_ecosystems(address: str, positives: int = 0) -> None:
    with sync_channel(address) as channel:
        stub = rpb_grpc.RetrievalServiceStub(channel)
        listed = stub.ListEcosystems(rpb.ListEcosystemsRequest(summary_only=True))
        present = {e.name for e in listed.ecosystems}
        for name in BUILTIN_ORDER:
            if name in present:
                say(f"  {name}: already indexed")
                continue
            started = time.perf_counter()
            done = stream_swap(stub, builtin_swap_request(name, positives))
            info = done.ecosystem
            say(
                f"  {name}: {info.version}, {info.positive_count} positive + "
                f"{info.negative_count} negative examples in "
                f"{time.perf_counter() - started:.1f} s"
            )
        if listed.active_ecosystem != ACTIVE_ECOSYSTEM and ACTIVE_ECOSYSTEM in present:
            stub.ActivateEcosystem(
                rpb.ActivateEcosystemRequest(ecosystem=ACTIVE_ECOSYSTEM), metadata=admin_metadata()
            )


def answer_sample(addresses: dict[str, str]) -> None:
    """One request end to end: a tool call when inference runs, else the examples."""
    if "inference" in addresses:
        from hybridtools.sample import print_sample_generation

        print_sample_generation(addresses["inference"], SAMPLE_REQUEST)
        return
    with sync_channel(addresses["retrieval"]) as channel:
        found = rpb_grpc.RetrievalServiceStub(channel).SearchExamples(
            rpb.SearchExamplesRequest(query=SAMPLE_REQUEST, limit=3)
        )
    say(f"examples {found.ecosystem} {found.ecosystem_version} retrieves for {SAMPLE_REQUEST!r}:")
    for result in found.results:
        say(f"  {result.score:.3f}  {result.example.call.rendered}")


def print_try_commands(addresses: dict[str, str]) -> None:
    retrieval = addresses["retrieval"]
    say("\nTry (grpcurl is in .venv/bin):")
    say(f"  grpcurl -plaintext {retrieval} list")
    say(
        f"  grpcurl -plaintext -d '{{\"summary_only\": true}}' {retrieval} "
        "hybridtools.retrieval.v1.RetrievalService/ListEcosystems"
    )
    say(
        "  grpcurl -plaintext -d "
        '\'{"query": "Read Header.tsx", "ecosystem": "cursor", "limit": 3}\' '
        f"{retrieval} hybridtools.retrieval.v1.RetrievalService/SearchExamples"
    )
    if "inference" in addresses:
        say(
            f'  grpcurl -plaintext -d \'{{"query": "Read Header.tsx", "ecosystem": "cline"}}\' '
            f"{addresses['inference']} hybridtools.inference.v1.InferenceService/Generate"
        )
    say("  .venv/bin/hybridtools status")
    say("More in docs/operations.md. Ctrl-C stops all services.")


def main() -> int:
    data_dir = default_data_root()
    supervisor = Supervisor(data_dir / "logs")
    specs = local_specs(data_dir)
    addresses = {spec.name: spec.address for spec in specs}
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    say(f"state in {data_dir}; logs in {supervisor.log_dir}")
    try:
        for spec in specs:
            supervisor.start(spec)
            say(f"started {spec.name} on {spec.address} ({spec.module})")
        say("waiting for health checks (first start converts the packaged model: ~30 s) ...")
        supervisor.wait_healthy(
            timeout_s=float(os.environ.get("HYBRIDTOOLS_START_TIMEOUT_S", "600"))
        )
        say("all services SERVING")
        say("indexing the built-in ecosystems:")
        index_builtin_ecosystems(
            addresses["retrieval"], int(os.environ.get("HYBRIDTOOLS_RUN_EXAMPLES", "0"))
        )
        answer_sample(addresses)
        print_try_commands(addresses)
        if os.environ.get("HYBRIDTOOLS_RUN_ONCE"):
            return 0
        while not stop.is_set():
            for service in supervisor.services:
                if service.process.poll() is not None:
                    say(
                        f"{service.spec.name} exited ({service.process.returncode}); "
                        f"see {service.log_path}"
                    )
                    return 1
            stop.wait(1.0)
        return 0
    except ServiceFailedError as error:
        say(str(error))
        return 1
    except grpc.RpcError as error:
        say(f"{error.code().name}: {error.details()}")
        return 1
    finally:
        say("stopping services ...")
        supervisor.stop()
        say("stopped")


if __name__ == "__main__":
    sys.exit(main())
