"""Operator commands against running services: status, swap, rollback, search.

hybridtools status
hybridtools swap cursor --builtin cursor --activate
hybridtools swap cursor --jsonl cursor.indexed.jsonl
hybridtools swap ticketing --tools ticketing_tools.json
hybridtools rollback cursor
hybridtools search "Read Header.tsx" --ecosystem cursor
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import grpc
from google.protobuf import json_format
from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from hybridtools.core.channels import bearer_metadata, sync_channel
from hybridtools.retrieval.v1 import retrieval_service_pb2 as rpb
from hybridtools.retrieval.v1 import retrieval_service_pb2_grpc as rpb_grpc
from hybridtools.supervisor import health_status
from hybridtools.topology import (
    INFERENCE_HEALTH,
    RETRIEVAL_HEALTH,
    TRAINER_HEALTH,
    address_of,
)

_STAGE_LABELS = {
    rpb.SwapEcosystemResponse.STAGE_VALIDATING: "validating",
    rpb.SwapEcosystemResponse.STAGE_EMBEDDING: "embedding",
    rpb.SwapEcosystemResponse.STAGE_INDEXING: "indexing",
    rpb.SwapEcosystemResponse.STAGE_SWITCHING: "switching",
    rpb.SwapEcosystemResponse.STAGE_FITTING_ROUTER: "serving; fitting the tool router",
    rpb.SwapEcosystemResponse.STAGE_DONE: "done",
}


def admin_metadata() -> tuple[tuple[str, str], ...]:
    token = os.environ.get("HYBRIDTOOLS_ADMIN_TOKEN", "")
    return bearer_metadata(token)


def stream_swap(
    stub: rpb_grpc.RetrievalServiceStub,
    request: rpb.SwapEcosystemRequest,
    show_progress: bool = True,
) -> rpb.SwapEcosystemResponse:
    """Runs a swap, drawing its progress; returns the final message."""
    bar = None
    last = None
    for message in stub.SwapEcosystem(request, metadata=admin_metadata()):
        last = message
        if not show_progress:
            continue
        label = f"{request.ecosystem}: {_STAGE_LABELS.get(message.stage, '?')}"
        if message.total and bar is None:
            bar = tqdm(total=message.total, desc=label, unit="ex", leave=False)
        if bar is not None:
            bar.set_description(label)
            bar.n = message.processed
            bar.refresh()
    if bar is not None:
        bar.close()
    if last is None or last.stage != rpb.SwapEcosystemResponse.STAGE_DONE:
        raise RuntimeError("swap stream ended without a result")
    return last


def _status(args: argparse.Namespace) -> int:
    console = Console()
    table = Table(title="hybridtools services")
    for column in ("service", "address", "health", "detail"):
        table.add_column(column)
    checks = [
        ("retrieval", RETRIEVAL_HEALTH, _retrieval_detail),
        ("inference", INFERENCE_HEALTH, _inference_detail),
        ("trainer", TRAINER_HEALTH, _trainer_detail),
    ]
    all_serving = True
    for name, health_name, detail in checks:
        address = address_of(name)
        status = health_status(address, health_name)
        all_serving &= status == "SERVING"
        info = detail(address) if status == "SERVING" else ""
        table.add_row(name, address, status, info)
    console.print(table)
    return 0 if all_serving else 1


def _retrieval_detail(address: str) -> str:
    with sync_channel(address) as channel:
        listed = rpb_grpc.RetrievalServiceStub(channel).ListEcosystems(
            rpb.ListEcosystemsRequest(summary_only=True), timeout=10
        )
    parts = [
        f"{e.name} {e.version} ({e.positive_count}+{e.negative_count})" for e in listed.ecosystems
    ]
    return f"active: {listed.active_ecosystem or 'none'}; " + ", ".join(parts)


def _inference_detail(address: str) -> str:
    try:
        from hybridtools.inference.v1 import inference_service_pb2 as ipb
        from hybridtools.inference.v1 import inference_service_pb2_grpc as ipb_grpc

        with sync_channel(address) as channel:
            listed = ipb_grpc.InferenceServiceStub(channel).ListAdapters(
                ipb.ListAdaptersRequest(), timeout=10
            )
        return (
            f"backend {listed.backend}, model {listed.base_model}, "
            f"serving adapter: {listed.default_adapter}"
        )
    except grpc.RpcError as error:
        return f"ListAdapters failed: {error.code().name}"


def _trainer_detail(address: str) -> str:
    try:
        from hybridtools.trainer.v1 import trainer_service_pb2 as tpb
        from hybridtools.trainer.v1 import trainer_service_pb2_grpc as tpb_grpc

        with sync_channel(address) as channel:
            jobs = tpb_grpc.TrainerServiceStub(channel).ListTrainingJobs(
                tpb.ListTrainingJobsRequest(page_size=1), timeout=10
            )
        if not jobs.jobs:
            return "no training jobs"
        job = jobs.jobs[0]
        return f"latest job {job.name}: {tpb.JobState.Name(job.state)}"
    except grpc.RpcError as error:
        return f"ListTrainingJobs failed: {error.code().name}"


def _swap(args: argparse.Namespace) -> int:
    request = rpb.SwapEcosystemRequest(
        ecosystem=args.ecosystem,
        activate=args.activate,
        wait_for_tool_router=not args.no_router_wait,
    )
    if args.builtin:
        request.builtin_catalog = args.builtin
    elif args.jsonl:
        request.jsonl_path = args.jsonl
    elif args.tools:
        with open(args.tools) as handle:
            functions = json.load(handle)
        request.tool_definitions.openai_functions_json.extend(json.dumps(f) for f in functions)
    else:
        print("name a source: --builtin, --jsonl or --tools", file=sys.stderr)
        return 2
    with sync_channel(args.address) as channel:
        done = stream_swap(rpb_grpc.RetrievalServiceStub(channel), request)
    info = done.ecosystem
    print(
        f"{info.name} {info.version} serving ({info.positive_count} positive, "
        f"{info.negative_count} negative examples) in {done.elapsed_ms / 1000:.1f} s; "
        f"previous: {done.previous_version or 'none'}"
        + ("; active" if info.active else "")
        + ("; tool router fitted" if info.tool_router_ready else "")
    )
    return 0


def _rollback(args: argparse.Namespace) -> int:
    with sync_channel(args.address) as channel:
        done = rpb_grpc.RetrievalServiceStub(channel).RollbackEcosystem(
            rpb.RollbackEcosystemRequest(ecosystem=args.ecosystem), metadata=admin_metadata()
        )
    print(f"{done.ecosystem.name} back on {done.ecosystem.version} (was {done.rolled_back_from})")
    return 0


def _search(args: argparse.Namespace) -> int:
    with sync_channel(args.address) as channel:
        found = rpb_grpc.RetrievalServiceStub(channel).SearchExamples(
            rpb.SearchExamplesRequest(query=args.query, ecosystem=args.ecosystem, limit=args.limit)
        )
    for result in found.results:
        example: dict[str, Any] = json_format.MessageToDict(
            result.example, preserving_proto_field_name=True
        )
        print(f"{result.score:.3f}  {example['tool_name']:<24} {example['request']}")
    return 0


def _run_guarded(func: Any) -> Any:
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except grpc.RpcError as error:
            print(f"{error.code().name}: {error.details()}", file=sys.stderr)
            return 1

    return wrapper


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    status = subparsers.add_parser(
        "status", help="health, active ecosystem and serving adapter of each service"
    )
    status.set_defaults(func=_status)

    retrieval_address = address_of("retrieval")
    swap = subparsers.add_parser(
        "swap", help="index an ecosystem into a new version and switch to it"
    )
    swap.add_argument("ecosystem")
    source = swap.add_mutually_exclusive_group(required=True)
    source.add_argument("--builtin", help="a built-in catalog: continue, cursor, copilot, cline")
    source.add_argument(
        "--jsonl", help="a JSONL file inside the retrieval service's import directory"
    )
    source.add_argument("--tools", help="a local JSON file of OpenAI function definitions")
    swap.add_argument("--activate", action="store_true", help="also make it the active ecosystem")
    swap.add_argument(
        "--no-router-wait",
        action="store_true",
        help="return once the version serves, before its tool router is fitted",
    )
    swap.add_argument("--address", default=retrieval_address)
    swap.set_defaults(func=_run_guarded(_swap))

    rollback = subparsers.add_parser(
        "rollback", help="switch an ecosystem back to its previous version"
    )
    rollback.add_argument("ecosystem")
    rollback.add_argument("--address", default=retrieval_address)
    rollback.set_defaults(func=_run_guarded(_rollback))

    search = subparsers.add_parser("search", help="nearest tool examples to a request")
    search.add_argument("query")
    search.add_argument("--ecosystem", default="")
    search.add_argument("--limit", type=int, default=3)
    search.add_argument("--address", default=retrieval_address)
    search.set_defaults(func=_run_guarded(_search))
