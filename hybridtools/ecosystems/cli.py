"""`hybridtools ecosystems build|validate|list`: the generated data, on demand.

build     generate every file into a directory (default $HYBRIDTOOLS_DATA_DIR/datasets)
          with a progress bar, then print counts and token lengths per tool
validate  re-check a built directory: hashes, proto parsing, call validity,
          negatives wrong as they say, held-out disjointness, training samples
list      the catalogs (and the built files, when there are any)
"""

from __future__ import annotations

import argparse
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hybridtools.common.v1 import tools_pb2
from hybridtools.ecosystems import validation
from hybridtools.ecosystems.catalog import (
    BUILTIN_ECOSYSTEMS,
    EXAMPLE_CUSTOM_ECOSYSTEM,
    builtin_catalog_notes,
    load_builtin_catalog,
)
from hybridtools.ecosystems.datasets import (
    BuildOptions,
    build_datasets,
    build_steps,
    catalog_for,
    default_datasets_dir,
    file_sha256,
    read_jsonl,
    read_manifest,
)
from hybridtools.ecosystems.examples import ToolExampleRecord
from hybridtools.ecosystems.tokens import TokenCounter, load_token_counter


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ecosystems", help="build, validate and list tool catalogs and generated examples"
    )
    commands = parser.add_subparsers(dest="ecosystems_command", required=True)

    build = commands.add_parser("build", help="generate the example and training files")
    build.add_argument(
        "--out", type=Path, default=None, help="default: $HYBRIDTOOLS_DATA_DIR/datasets"
    )
    build.add_argument("--seed", type=int, default=0)
    build.add_argument("--positives", type=int, default=10_000, help="per ecosystem")
    build.add_argument("--negatives", type=int, default=2_000, help="per ecosystem")
    build.add_argument("--held-out", type=int, default=200, help="per ecosystem")
    build.add_argument(
        "--ecosystem",
        action="append",
        choices=BUILTIN_ECOSYSTEMS,
        help="repeatable; default: all built-in ecosystems",
    )
    build.add_argument(
        "--custom",
        type=Path,
        action="append",
        default=[],
        help="OpenAI function definitions of a custom ecosystem (repeatable)",
    )
    build.add_argument("--tool-awareness", type=int, default=1000)
    build.add_argument("--tool-awareness-held-out", type=int, default=200)
    build.add_argument("--guardrails", type=int, default=1000)
    build.add_argument("--no-tool-held-out", type=int, default=200)
    build.add_argument(
        "--tokenizer",
        default="whitespace",
        help="whitespace (default), smollm2, a tokenizer dir or a .gguf file",
    )
    build.set_defaults(func=_build)

    check = commands.add_parser("validate", help="re-check a built directory")
    check.add_argument(
        "--dir", type=Path, default=None, help="default: $HYBRIDTOOLS_DATA_DIR/datasets"
    )
    check.add_argument(
        "--custom",
        type=Path,
        action="append",
        default=[],
        help="definitions of the custom ecosystems the directory holds",
    )
    check.set_defaults(func=_validate)

    listing = commands.add_parser("list", help="list catalogs, their tools, and built files")
    listing.add_argument("--tools", metavar="ECOSYSTEM", help="list this ecosystem's tools")
    listing.add_argument(
        "--dir", type=Path, default=None, help="default: $HYBRIDTOOLS_DATA_DIR/datasets"
    )
    listing.set_defaults(func=_list)


def _build(args: argparse.Namespace) -> int:
    console = Console()
    options = BuildOptions(
        out_dir=args.out or default_datasets_dir(),
        seed=args.seed,
        positives=args.positives,
        negatives=args.negatives,
        held_out=args.held_out,
        ecosystems=tuple(args.ecosystem or BUILTIN_ECOSYSTEMS),
        custom_files=tuple(args.custom),
        tool_awareness=args.tool_awareness,
        tool_awareness_held_out=args.tool_awareness_held_out,
        guardrails=args.guardrails,
        no_tool_held_out=args.no_tool_held_out,
    )
    try:
        label, count_tokens = load_token_counter(args.tokenizer)
    except ValueError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("starting", total=build_steps(options))
        first = [True]

        def step(description: str) -> None:
            if not first[0]:
                progress.advance(task)
            first[0] = False
            progress.update(task, description=description)

        result = build_datasets(options, step)
        progress.advance(task)
    console.print(_examples_table(result.generated, count_tokens, label))
    console.print(_training_table(result.training_sets, count_tokens, label))
    console.print(
        f"wrote {len(result.manifest['files'])} files and manifest.json to {options.out_dir}"
    )
    return 0


def _validate(args: argparse.Namespace) -> int:
    console = Console()
    directory = args.dir or default_datasets_dir()
    try:
        manifest = read_manifest(directory)
    except FileNotFoundError as exc:
        console.print(f"[red]{exc}[/red]")
        return 2
    results: list[tuple[str, str, list[str]]] = []
    for name, expected in manifest["files"].items():
        path = directory / name
        problems = [] if path.is_file() else ["missing"]
        if not problems and file_sha256(path) != expected["sha256"]:
            problems.append("sha256 differs from the manifest")
        results.append((name, "file", problems))
    indexed_requests: set[str] = set()
    for ecosystem in manifest["catalogs"]:
        catalog = catalog_for(ecosystem, directory, args.custom)
        indexed = _records(directory / f"{ecosystem}.indexed.jsonl")
        held_out = _records(directory / f"{ecosystem}.held_out.jsonl")
        indexed_requests |= {record.request for record in indexed}
        results.append(
            (f"{ecosystem}.indexed.jsonl", "examples", validation.check_records(catalog, indexed))
        )
        results.append(
            (f"{ecosystem}.held_out.jsonl", "examples", validation.check_records(catalog, held_out))
        )
        results.append(
            (
                f"{ecosystem}.held_out.jsonl",
                "disjoint",
                validation.check_disjoint(indexed, held_out, catalog),
            )
        )
    no_tool = _records(directory / "no_tool.held_out.jsonl")
    training = read_jsonl(directory / "tool_awareness.jsonl") + read_jsonl(
        directory / "guardrails.jsonl"
    )
    train_requests = indexed_requests | {sample["messages"][-2]["content"] for sample in training}
    results.append(
        (
            "no_tool.held_out.jsonl",
            "no call",
            [f"has a call: {r.request!r}" for r in no_tool if r.call_name],
        )
    )
    results.append(
        (
            "no_tool.held_out.jsonl",
            "disjoint",
            validation.check_requests_disjoint(train_requests, [r.request for r in no_tool]),
        )
    )
    for name in ("tool_awareness", "tool_awareness.held_out", "guardrails"):
        samples = read_jsonl(directory / f"{name}.jsonl")
        results.append((f"{name}.jsonl", "samples", validation.check_training_samples(samples)))
    held_samples = read_jsonl(directory / "tool_awareness.held_out.jsonl")
    results.append(
        (
            "tool_awareness.held_out.jsonl",
            "disjoint",
            validation.check_requests_disjoint(
                train_requests, [sample["messages"][-2]["content"] for sample in held_samples]
            ),
        )
    )
    results.append(("invented tools", "names", validation.check_invented_names()))

    table = Table(title=f"validation of {directory}")
    for column in ("file", "check", "problems", "first problem"):
        table.add_column(column)
    failed = 0
    for name, check, problems in results:
        failed += bool(problems)
        table.add_row(name, check, str(len(problems)), problems[0][:100] if problems else "ok")
    console.print(table)
    console.print(
        "[green]all checks passed[/green]" if not failed else f"[red]{failed} checks failed[/red]"
    )
    return 1 if failed else 0


def _list(args: argparse.Namespace) -> int:
    console = Console()
    if args.tools:
        catalog = load_builtin_catalog(args.tools)
        table = Table(
            title=f"{catalog.ecosystem} tools ({catalog.call_format}, version {catalog.version})"
        )
        for column in ("tool", "required", "optional", "description"):
            table.add_column(column)
        for tool in catalog.tools:
            optional = [name for name in tool.properties if name not in tool.required]
            table.add_row(
                tool.name, ", ".join(tool.required), ", ".join(optional), tool.description
            )
        console.print(table)
        return 0
    table = Table(title="tool catalogs")
    for column in ("ecosystem", "version", "call format", "tools", "skipped", "source"):
        table.add_column(column)
    for name in (*BUILTIN_ECOSYSTEMS, EXAMPLE_CUSTOM_ECOSYSTEM):
        catalog = load_builtin_catalog(name)
        notes = builtin_catalog_notes(name)
        call_format = catalog.call_format
        if notes.get("fallback_call_format"):
            call_format += f" (fallback {notes['fallback_call_format']})"
        skipped = ", ".join(item["name"] for item in notes.get("skipped", []))
        table.add_row(
            name,
            catalog.version,
            call_format,
            str(len(catalog.tools)),
            skipped,
            catalog.source[:60],
        )
    console.print(table)
    directory = args.dir or default_datasets_dir()
    try:
        manifest = read_manifest(directory)
    except FileNotFoundError:
        console.print(f"no built datasets in {directory} (hybridtools ecosystems build)")
        return 0
    files = Table(
        title=f"built datasets in {directory} (generator {manifest['generator_version']}, "
        f"seed {manifest['seed']})"
    )
    for column in ("file", "lines", "bytes", "sha256"):
        files.add_column(column)
    for name, entry in manifest["files"].items():
        files.add_row(name, str(entry["lines"]), str(entry["bytes"]), entry["sha256"][:16])
    console.print(files)
    return 0


def _records(path: Path) -> list[ToolExampleRecord]:
    # ParseDict first: the check is that each line is a valid ToolExample as the proto says.
    records = []
    for row in read_jsonl(path):
        json_format.ParseDict(row, tools_pb2.ToolExample())
        records.append(ToolExampleRecord.from_json_dict(row))
    return records


def _examples_table(generated: dict[str, Any], count: TokenCounter, label: str) -> Table:
    table = Table(title=f"examples per tool (tokens: {label}, mean/max)")
    for column in (
        "ecosystem",
        "tool",
        "positive",
        "negative",
        "held-out",
        "request tok",
        "call tok",
    ):
        table.add_column(column, justify="right" if column not in ("ecosystem", "tool") else "left")
    for ecosystem, generated_set in generated.items():
        kinds: Counter[tuple[str, str]] = Counter()
        requests: dict[str, list[int]] = defaultdict(list)
        calls: dict[str, list[int]] = defaultdict(list)
        for record in generated_set.indexed:
            kinds[(record.tool_name, record.kind)] += 1
            requests[record.tool_name].append(count(record.request))
            calls[record.tool_name].append(
                count(record.call_rendered or record.wrong_call_rendered)
            )
        held = Counter(record.tool_name for record in generated_set.held_out)
        for tool in generated_set.catalog.tool_names:
            table.add_row(
                ecosystem,
                tool,
                str(kinds[(tool, "positive")]),
                str(kinds[(tool, "negative")]),
                str(held[tool]),
                _mean_max(requests[tool]),
                _mean_max(calls[tool]),
            )
    return table


def _training_table(
    sets: dict[str, list[dict[str, Any]]], count: TokenCounter, label: str
) -> Table:
    table = Table(title=f"chat samples (tokens: {label}, mean/max)")
    for column in ("file", "samples", "kinds", "system tok", "whole sample tok"):
        table.add_column(column)
    for name, samples in sets.items():
        kinds = Counter(sample["meta"]["kind"] for sample in samples)
        system = [count(sample["messages"][0]["content"]) for sample in samples]
        whole = [
            sum(count(message["content"]) for message in sample["messages"]) for sample in samples
        ]
        kind_text = ", ".join(f"{kind} {number}" for kind, number in sorted(kinds.items()))
        table.add_row(
            f"{name}.jsonl", str(len(samples)), kind_text, _mean_max(system), _mean_max(whole)
        )
    return table


def _mean_max(values: Iterable[int]) -> str:
    values = list(values)
    if not values:
        return "-"
    return f"{statistics.mean(values):.0f}/{max(values)}"
