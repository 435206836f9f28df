"""The cost of injection: prompt tokens and detect/retrieve/build latency over gRPC.

Run: `.venv/bin/python -m bench inference_overhead` (or `bench/inference_overhead.py`;
`--quick` for a few requests). Prints a table and writes
bench/results/inference_overhead.json.

Starts the retrieval and inference services as their own processes (as
deployed; the packaged SmolLM2's tokenizer counts the tokens), indexes the
four built-in ecosystems (`--positives` each, a sixth of them negatives), then
calls InferenceService.BuildPrompt, which runs the whole prompt builder and
no generation, one call at a time:

- each held-out tool request three times: no injection (tool_choice NONE),
  candidate tools' schemas without examples (REQUIRED, no_examples), and the
  full injection (REQUIRED: schemas plus 2-3 examples and a negative);
- each held-out no-tool request once with tool_choice AUTO: what detection
  costs a request that ends up with no tool.

Reported: prompt tokens of each variant and the tokens the examples and the
schemas take, and p50/p95 of the server's detect, retrieve and build times and
of the client's round trip. The seed's claim: ~300 tokens and ~150 ms.
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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.detection import ECOSYSTEMS, index_ecosystems  # noqa: E402
from hybridtools.core.channels import aio_channel  # noqa: E402
from hybridtools.ecosystems.no_tool import no_tool_requests  # noqa: E402
from hybridtools.inference.v1 import inference_service_pb2 as pb  # noqa: E402
from hybridtools.inference.v1 import inference_service_pb2_grpc as pb_grpc  # noqa: E402
from hybridtools.llm.packaged import default_model_cache_dir  # noqa: E402
from hybridtools.retrieval.v1 import retrieval_service_pb2_grpc as rpb_grpc  # noqa: E402
from hybridtools.supervisor import ServiceSpec, Supervisor  # noqa: E402
from hybridtools.topology import INFERENCE_HEALTH, RETRIEVAL_HEALTH  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "inference_overhead.json"
VARIANTS = {
    "no injection": {"tool_choice": pb.TOOL_CHOICE_NONE},
    "schemas only": {"tool_choice": pb.TOOL_CHOICE_REQUIRED, "no_examples": True},
    "schemas + examples": {"tool_choice": pb.TOOL_CHOICE_REQUIRED},
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def summary(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "mean": round(statistics.fmean(values), 1),
        "p50": round(statistics.median(values), 1),
        "p95": round(percentile(values, 95), 1),
        "max": round(max(values), 1),
    }


async def build(
    stub: pb_grpc.InferenceServiceStub, query: str, ecosystem: str, **options: Any
) -> dict[str, Any]:
    started = time.perf_counter()
    response = await stub.BuildPrompt(
        pb.BuildPromptRequest(query=query, ecosystem=ecosystem, **options), timeout=60
    )
    round_trip_ms = (time.perf_counter() - started) * 1000
    return {
        "tool_detected": response.tool_detected,
        "prompt_tokens": response.usage.prompt_tokens,
        "example_tokens": response.usage.example_tokens,
        "schema_tokens": response.usage.schema_tokens,
        "examples": len(response.examples),
        "detect_ms": response.timings.detect_ms,
        "retrieve_ms": response.timings.retrieve_ms,
        "build_ms": response.timings.build_ms,
        "round_trip_ms": round_trip_ms,
    }


def aggregate(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    keys = ("prompt_tokens", "example_tokens", "schema_tokens", "examples")
    keys += ("detect_ms", "retrieve_ms", "build_ms", "round_trip_ms")
    return {
        "requests": len(rows),
        "tool_detected_share": round(sum(r["tool_detected"] for r in rows) / len(rows), 3),
        **{key: summary([float(r[key]) for r in rows]) for key in keys},
    }


async def measure(
    inference_address: str, retrieval_address: str, positives: int, tool_requests: int
) -> dict[str, Any]:
    retrieval_channel = aio_channel(retrieval_address)
    channel = aio_channel(inference_address)
    try:
        started = time.perf_counter()
        generated = await index_ecosystems(
            rpb_grpc.RetrievalServiceStub(retrieval_channel), ECOSYSTEMS, positives, tool_requests
        )
        index_s = time.perf_counter() - started
        stub = pb_grpc.InferenceServiceStub(channel)
        for ecosystem in ECOSYSTEMS:  # warm-up: catalogs cached, tokenizer and embedder warm
            for options in VARIANTS.values():
                await build(stub, "Read Header.tsx", ecosystem, **options)
        per_variant: dict[str, list[dict[str, Any]]] = {name: [] for name in VARIANTS}
        for ecosystem, examples in generated.items():
            for record in examples.held_out[:tool_requests]:
                for name, options in VARIANTS.items():
                    per_variant[name].append(
                        await build(stub, record.request, ecosystem, **options)
                    )
        no_tool = [
            await build(stub, query, ECOSYSTEMS[n % len(ECOSYSTEMS)])
            for n, query in enumerate(no_tool_requests(tool_requests * 2, 0, held_out=True))
        ]
    finally:
        await channel.close()
        await retrieval_channel.close()
    full = per_variant["schemas + examples"]
    plain = per_variant["no injection"]
    added = [f["prompt_tokens"] - p["prompt_tokens"] for f, p in zip(full, plain, strict=True)]
    injection_ms = [r["detect_ms"] + r["retrieve_ms"] + r["build_ms"] for r in full]
    return {
        "index_s": round(index_s, 1),
        "variants": {name: aggregate(rows) for name, rows in per_variant.items()},
        "no_tool_requests_auto": aggregate(no_tool),
        "tokens_added_by_injection": summary(added),
        "injection_ms_detect_retrieve_build": summary(injection_ms),
    }


def run(data_dir: Path, positives: int, tool_requests: int) -> dict[str, Any]:
    retrieval_port, inference_port = free_port(), free_port()
    supervisor = Supervisor(data_dir / "logs")
    common = {"HYBRIDTOOLS_DATA_DIR": str(data_dir), "LOG_LEVEL": "WARNING"}
    supervisor.start(
        ServiceSpec(
            "retrieval",
            "retrieval_svc",
            retrieval_port,
            RETRIEVAL_HEALTH,
            {**common, "RETRIEVAL_PORT": str(retrieval_port)},
        )
    )
    supervisor.start(
        ServiceSpec(
            "inference",
            "inference_svc",
            inference_port,
            INFERENCE_HEALTH,
            {
                **common,
                "INFERENCE_PORT": str(inference_port),
                "INFERENCE_RETRIEVAL_ADDRESS": f"127.0.0.1:{retrieval_port}",
                # The converted model already in this checkout's cache; BuildPrompt
                # needs only its tokenizer, so no adapter is loaded.
                "INFERENCE_MODEL_DIR": str(default_model_cache_dir()),
                "INFERENCE_DEFAULT_ADAPTER": "base",
            },
        )
    )
    try:
        supervisor.wait_healthy(timeout_s=300)
        measured = asyncio.run(
            measure(
                f"127.0.0.1:{inference_port}",
                f"127.0.0.1:{retrieval_port}",
                positives,
                tool_requests,
            )
        )
    finally:
        supervisor.stop()
    return {
        "machine": {
            "cpus_available": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "load_average_at_end": os.getloadavg()[0],
        },
        "setup": {
            "ecosystems": list(ECOSYSTEMS),
            "indexed_positives_per_ecosystem": positives,
            "tool_requests_per_ecosystem": tool_requests,
            "tokenizer": "smollm2-135m-instruct",
        },
        **measured,
    }


def table(results: dict[str, Any]) -> str:
    lines = [
        "| variant | prompt tokens p50 | example tokens p50 | schema tokens p50 "
        "| detect ms p50 | retrieve ms p50/p95 | build ms p50/p95 | round trip ms p50/p95 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rows = {**results["variants"], "no-tool requests (auto)": results["no_tool_requests_auto"]}
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['prompt_tokens']['p50']:.0f} | {r['example_tokens']['p50']:.0f} "
            f"| {r['schema_tokens']['p50']:.0f} | {r['detect_ms']['p50']:.2f} "
            f"| {r['retrieve_ms']['p50']:.0f} / {r['retrieve_ms']['p95']:.0f} "
            f"| {r['build_ms']['p50']:.0f} / {r['build_ms']['p95']:.0f} "
            f"| {r['round_trip_ms']['p50']:.0f} / {r['round_trip_ms']['p95']:.0f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--positives", type=int, default=1000, help="indexed positives per ecosystem"
    )
    parser.add_argument(
        "--tool-requests", type=int, default=25, help="held-out tool requests per ecosystem"
    )
    parser.add_argument("--quick", action="store_true", help="a few requests")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    positives, tool_requests = (60, 3) if args.quick else (args.positives, args.tool_requests)
    with tempfile.TemporaryDirectory(prefix="bench-inference-overhead-") as tmp:
        results = run(Path(tmp), positives, tool_requests)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    added = results["tokens_added_by_injection"]
    spent = results["injection_ms_detect_retrieve_build"]
    print(
        f"injection adds {added['p50']:.0f} prompt tokens (p50), "
        f"costs {spent['p50']:.0f} ms (p50, p95 {spent['p95']:.0f}); wrote {args.output}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
