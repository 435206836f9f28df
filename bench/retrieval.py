"""Retrieval benchmark: swaps, rollback, search latency and throughput over gRPC.

    .venv/bin/python bench/retrieval.py [--examples 12000] [--seconds 20]

Starts the retrieval service as its own process (as deployed) on a fresh data
directory, then measures on one ecosystem of ~12K examples (10K positive +
2K negative, the generated Continue set):
- fresh swap time (nothing cached) and a second swap of the same data;
- rollback (re-activation of the previous version);
- SearchExamples p50/p99 with 1 and 16 concurrent clients, and QPS;
- searches that failed while a swap ran under 16-client load.
Queries are the held-out requests (never indexed). Results go to
bench/results/retrieval.json and are printed as a table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import grpc

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hybridtools.core.channels import aio_channel  # noqa: E402
from hybridtools.ecosystems.catalog import load_builtin_catalog  # noqa: E402
from hybridtools.ecosystems.generator import generate_ecosystem_examples  # noqa: E402
from hybridtools.retrieval.v1 import retrieval_service_pb2 as rpb  # noqa: E402
from hybridtools.retrieval.v1 import retrieval_service_pb2_grpc as rpb_grpc  # noqa: E402
from hybridtools.supervisor import ServiceSpec, Supervisor  # noqa: E402
from hybridtools.topology import RETRIEVAL_HEALTH  # noqa: E402
from retrieval_svc.embedder import RUNTIMES  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


STAGE_NAMES = {
    rpb.SwapEcosystemResponse.STAGE_VALIDATING: "validating",
    rpb.SwapEcosystemResponse.STAGE_EMBEDDING: "embedding",
    rpb.SwapEcosystemResponse.STAGE_INDEXING: "indexing",
    rpb.SwapEcosystemResponse.STAGE_SWITCHING: "switching",
    rpb.SwapEcosystemResponse.STAGE_FITTING_ROUTER: "fitting_router",
}


async def timed_swap(
    stub: rpb_grpc.RetrievalServiceStub, request: rpb.SwapEcosystemRequest
) -> tuple[float, dict[str, float]]:
    """The swap's wall time to the switch, and the seconds from each stage's first report to
    the next's; with `wait_for_tool_router`, the router's fit is the last stage (ADR 0009)."""
    started = time.perf_counter()
    stage_starts: dict[str, float] = {}
    async for event in stub.SwapEcosystem(request):
        stage = STAGE_NAMES.get(event.stage)
        if stage and stage not in stage_starts:
            stage_starts[stage] = time.perf_counter()
    ended = time.perf_counter()
    marks = [*stage_starts.values(), ended]
    stages = {stage: round(marks[i + 1] - marks[i], 2) for i, stage in enumerate(stage_starts)}
    return stage_starts.get("fitting_router", ended) - started, stages


def peak_rss_mb(pid: int) -> float:
    """A process's peak resident memory so far (Linux's VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def search_load(
    stub: rpb_grpc.RetrievalServiceStub,
    queries: list[str],
    clients: int,
    seconds: float,
    rank_tools: bool = False,
) -> tuple[list[float], int, int]:
    """`clients` concurrent loops for `seconds`; latencies in ms, calls, failures."""
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def client(offset: int) -> None:
        nonlocal failures
        i = offset
        while time.perf_counter() < deadline:
            query = queries[i % len(queries)]
            i += clients
            started = time.perf_counter()
            try:
                await stub.SearchExamples(
                    rpb.SearchExamplesRequest(query=query, limit=3, rank_tools=rank_tools),
                    timeout=10,
                )
                latencies.append((time.perf_counter() - started) * 1000)
            except grpc.aio.AioRpcError:
                failures += 1

    await asyncio.gather(*(client(n) for n in range(clients)))
    return latencies, len(latencies) + failures, failures


async def run(examples: int, seconds: float, runtime: str, threads: int) -> dict[str, object]:
    data_dir = Path(tempfile.mkdtemp(prefix="bench-retrieval-"))
    import_dir = data_dir / "import"
    import_dir.mkdir(parents=True)
    catalog = load_builtin_catalog("continue")
    negatives = examples // 6
    generated = generate_ecosystem_examples(
        catalog, positives=examples - negatives, negatives=negatives, held_out=300
    )
    (import_dir / "continue.jsonl").write_text(
        "\n".join(json.dumps(r.to_json_dict()) for r in generated.indexed) + "\n"
    )
    queries = [r.request for r in generated.held_out]
    port = free_port()
    supervisor = Supervisor(data_dir / "logs")
    service = supervisor.start(
        ServiceSpec(
            "retrieval",
            "retrieval_svc",
            port,
            RETRIEVAL_HEALTH,
            {
                "RETRIEVAL_PORT": str(port),
                "RETRIEVAL_DATA_DIR": str(data_dir / "retrieval"),
                "RETRIEVAL_IMPORT_DIR": str(import_dir),
                "RETRIEVAL_EMBEDDER_RUNTIME": runtime,
                "RETRIEVAL_EMBEDDER_THREADS": str(threads),
                "LOG_LEVEL": "WARNING",
            },
        )
    )
    results: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "examples": len(generated.indexed),
        "embedder_runtime": runtime,
        "embedder_threads": threads,
    }
    try:
        supervisor.wait_healthy(timeout_s=300)
        channel = aio_channel(f"127.0.0.1:{port}")
        stub = rpb_grpc.RetrievalServiceStub(channel)
        # Each swap waits for its tool router, so no fit runs beside the searches measured.
        swap = rpb.SwapEcosystemRequest(
            ecosystem="continue",
            jsonl_path="continue.jsonl",
            activate=True,
            wait_for_tool_router=True,
        )
        fresh_s, results["fresh_swap_stages_s"] = await timed_swap(stub, swap)
        results["fresh_swap_s"] = round(fresh_s, 2)
        cached_s, results["second_swap_stages_s"] = await timed_swap(stub, swap)
        results["second_swap_cached_embeddings_s"] = round(cached_s, 2)
        started = time.perf_counter()
        await stub.RollbackEcosystem(rpb.RollbackEcosystemRequest(ecosystem="continue"))
        results["rollback_s"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        await stub.ActivateEcosystem(rpb.ActivateEcosystemRequest(ecosystem="continue"))
        results["activate_s"] = round(time.perf_counter() - started, 3)

        for _ in range(20):  # warm-up
            await stub.SearchExamples(rpb.SearchExamplesRequest(query=queries[0], limit=3))
        server_pid = service.process.pid
        # The plain search at 1 and 16 clients; then as the inference service asks, with the
        # tool router's likelihoods (ADR 0009), at 1 client.
        for name, clients, rank_tools in (
            ("search_1_clients", 1, False),
            ("search_16_clients", 16, False),
            ("search_1_clients_rank_tools", 1, True),
        ):
            server_cpu = cpu_seconds(server_pid)
            own_cpu = cpu_seconds(os.getpid())
            latencies, calls, failures = await search_load(
                stub, queries, clients, seconds, rank_tools
            )
            results[name] = {
                "p50_ms": round(statistics.median(latencies), 2),
                "p99_ms": round(percentile(latencies, 99), 2),
                "qps": round(calls / seconds, 1),
                "failures": failures,
                # Where a search's CPU goes: the service, and the clients beside it.
                "server_cpu_ms_per_search": round(
                    (cpu_seconds(server_pid) - server_cpu) / calls * 1000, 2
                ),
                "client_cpu_ms_per_search": round(
                    (cpu_seconds(os.getpid()) - own_cpu) / calls * 1000, 2
                ),
            }

        # Searches under 16-client load while a fresh version is indexed.
        other = generate_ecosystem_examples(
            catalog, positives=examples - negatives, negatives=negatives, held_out=0, seed=7
        )
        (import_dir / "continue-v2.jsonl").write_text(
            "\n".join(json.dumps(r.to_json_dict()) for r in other.indexed) + "\n"
        )
        swap_task = asyncio.ensure_future(
            timed_swap(
                stub, rpb.SwapEcosystemRequest(ecosystem="continue", jsonl_path="continue-v2.jsonl")
            )
        )
        during: list[float] = []
        calls = failures = 0
        while not swap_task.done():
            latencies, batch_calls, batch_failures = await search_load(stub, queries, 16, 2.0)
            during += latencies
            calls += batch_calls
            failures += batch_failures
        results["swap_under_load"] = {
            "swap_s": round(swap_task.result()[0], 2),
            "searches": calls,
            "failed": failures,
            "p50_ms": round(statistics.median(during), 2) if during else None,
            "p99_ms": round(percentile(during, 99), 2) if during else None,
        }
        # Against the k8s memory limit (2 GiB): the model, the store, the routers' fits.
        results["server_peak_rss_mb"] = peak_rss_mb(server_pid)
        await channel.close()
    finally:
        supervisor.stop()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=12_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--runtime",
        choices=RUNTIMES,
        default=RUNTIMES[0],
        help="RETRIEVAL_EMBEDDER_RUNTIME of the service under test",
    )
    parser.add_argument("--threads", type=int, default=2, help="RETRIEVAL_EMBEDDER_THREADS")
    parser.add_argument(
        "--output", type=Path, default=ROOT / "bench" / "results" / "retrieval.json"
    )
    args = parser.parse_args()
    results = asyncio.run(run(args.examples, args.seconds, args.runtime, args.threads))
    out = args.output
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
