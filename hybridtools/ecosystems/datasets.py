"""Building the generated data into a directory, reproducibly, with a manifest.

Nothing generated is committed: `build_datasets` writes it on demand into
`$HYBRIDTOOLS_DATA_DIR/datasets` (./.data/datasets by default). The manifest
records the generator version, seed, parameters, counts and each file's
sha256; it has no timestamp, so the same inputs give byte-identical output.

Files:
  <ecosystem>.indexed.jsonl        positives + negatives to index (ToolExample JSON)
  <ecosystem>.held_out.jsonl       evaluation requests with their correct calls
  no_tool.held_out.jsonl           evaluation requests that need no tool (call unset)
  tool_awareness.jsonl             chat samples for the generic adapter
  tool_awareness.held_out.jsonl    chat samples on invented tools unseen in training
  guardrails.jsonl                 chat samples: plain answers, refusals, confirmations
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hybridtools.core.settings import default_data_root
from hybridtools.ecosystems.catalog import (
    BUILTIN_ECOSYSTEMS,
    EXAMPLE_CUSTOM_ECOSYSTEM,
    Catalog,
    load_builtin_catalog,
    load_catalog_file,
)
from hybridtools.ecosystems.examples import ToolExampleRecord, stable_id
from hybridtools.ecosystems.generator import (
    GENERATOR_VERSION,
    GeneratedSet,
    generate_ecosystem_examples,
    synthesize_custom_examples,
)
from hybridtools.ecosystems.no_tool import no_tool_items
from hybridtools.ecosystems.training_sets import (
    guardrail_samples,
    held_out_tool_awareness,
    tool_awareness_samples,
)

MANIFEST_NAME = "manifest.json"
Progress = Callable[[str], None]


def default_datasets_dir() -> Path:
    """`$HYBRIDTOOLS_DATA_DIR/datasets`, ./.data/datasets when unset."""
    return default_data_root() / "datasets"


@dataclass(frozen=True)
class BuildOptions:
    out_dir: Path
    seed: int = 0
    positives: int = 10_000
    negatives: int = 2_000
    held_out: int = 200
    ecosystems: tuple[str, ...] = BUILTIN_ECOSYSTEMS
    # OpenAI-format definition files, synthesized like the shipped `ticketing` example.
    custom_files: tuple[Path, ...] = ()
    include_example_custom: bool = True
    custom_positives_per_tool: int = 50
    custom_negatives_per_tool: int = 10
    custom_held_out_per_tool: int = 5
    no_tool_held_out: int = 200
    tool_awareness: int = 1000
    tool_awareness_held_out: int = 200
    guardrails: int = 1000


@dataclass
class BuildResult:
    manifest: dict[str, Any]
    generated: dict[str, GeneratedSet] = field(default_factory=dict)
    training_sets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def build_steps(options: BuildOptions) -> int:
    """How many progress steps `build_datasets` reports."""
    custom = len(options.custom_files) + int(options.include_example_custom)
    return len(options.ecosystems) + custom + 4


def build_datasets(options: BuildOptions, progress: Progress | None = None) -> BuildResult:
    report = progress or (lambda step: None)
    out = options.out_dir
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict[str, Any]] = {}
    catalogs: dict[str, dict[str, Any]] = {}
    counts: dict[str, Any] = {}
    result = BuildResult(manifest={})

    for ecosystem, catalog, generated in _generated_sets(options, report):
        result.generated[ecosystem] = generated
        catalogs[ecosystem] = {
            "version": catalog.version,
            "call_format": catalog.call_format,
            "tools": len(catalog.tools),
            "source": catalog.source,
        }
        counts[ecosystem] = generated.counts()
        files[f"{ecosystem}.indexed.jsonl"] = _write_jsonl(
            out / f"{ecosystem}.indexed.jsonl", (r.to_json_dict() for r in generated.indexed)
        )
        files[f"{ecosystem}.held_out.jsonl"] = _write_jsonl(
            out / f"{ecosystem}.held_out.jsonl", (r.to_json_dict() for r in generated.held_out)
        )

    report("no-tool held-out requests")
    no_tool = no_tool_records(options.no_tool_held_out, options.seed)
    files["no_tool.held_out.jsonl"] = _write_jsonl(
        out / "no_tool.held_out.jsonl", (record.to_json_dict() for record in no_tool)
    )
    counts["no_tool_held_out"] = len(no_tool)

    for name, make, size in (
        ("tool_awareness", tool_awareness_samples, options.tool_awareness),
        ("tool_awareness.held_out", held_out_tool_awareness, options.tool_awareness_held_out),
        ("guardrails", guardrail_samples, options.guardrails),
    ):
        report(f"{name} samples")
        samples = make(size, options.seed)
        result.training_sets[name] = samples
        files[f"{name}.jsonl"] = _write_jsonl(out / f"{name}.jsonl", samples)
        counts[name] = len(samples)

    options_record = {
        key: (str(value) if isinstance(value, Path) else value)
        for key, value in asdict(options).items()
        if key != "out_dir"
    }
    options_record["custom_files"] = [Path(path).name for path in options.custom_files]
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "seed": options.seed,
        "options": options_record,
        "catalogs": catalogs,
        "counts": counts,
        "files": dict(sorted(files.items())),
    }
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    result.manifest = manifest
    return result


def no_tool_records(count: int, seed: int) -> list[ToolExampleRecord]:
    """Held-out requests that need no tool, as ToolExamples with no call (the proto's
    way of saying the right answer is no call)."""
    records = []
    for item in no_tool_items(count, seed, "held_out"):
        records.append(
            ToolExampleRecord(
                id=stable_id("", "positive", item.request, "", {}),
                ecosystem="",
                tool_name="",
                request=item.request,
                call_name="",
                call_arguments={},
                call_rendered="",
                usage_pattern=item.category,
                kind="positive",
                tool_version="",
            )
        )
    return records


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST_NAME
    if not path.is_file():
        raise FileNotFoundError(
            f"no {MANIFEST_NAME} in {directory}: run `hybridtools ecosystems build`"
        )
    return json.loads(path.read_text())


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def catalog_for(
    ecosystem: str, directory: Path | None = None, custom_files: Iterable[Path] = ()
) -> Catalog:
    """The catalog a dataset file was generated from (built-in, shipped example, or custom)."""
    if ecosystem in BUILTIN_ECOSYSTEMS or ecosystem == EXAMPLE_CUSTOM_ECOSYSTEM:
        return load_builtin_catalog(ecosystem)
    for path in custom_files:
        catalog = load_catalog_file(path)
        if catalog.ecosystem == ecosystem:
            return catalog
    raise ValueError(f"no catalog for ecosystem {ecosystem!r}; pass its definitions with --custom")


def _generated_sets(
    options: BuildOptions, report: Progress
) -> Iterable[tuple[str, Catalog, GeneratedSet]]:
    for ecosystem in options.ecosystems:
        report(f"{ecosystem} examples")
        catalog = load_builtin_catalog(ecosystem)
        yield (
            ecosystem,
            catalog,
            generate_ecosystem_examples(
                catalog, options.positives, options.negatives, options.held_out, options.seed
            ),
        )
    custom_catalogs = [load_catalog_file(path) for path in options.custom_files]
    if options.include_example_custom:
        custom_catalogs.insert(0, load_builtin_catalog(EXAMPLE_CUSTOM_ECOSYSTEM))
    for catalog in custom_catalogs:
        report(f"{catalog.ecosystem} examples (custom)")
        yield (
            catalog.ecosystem,
            catalog,
            synthesize_custom_examples(
                catalog,
                options.custom_positives_per_tool,
                options.custom_negatives_per_tool,
                options.custom_held_out_per_tool,
                options.seed,
            ),
        )


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    lines = 0
    digest = hashlib.sha256()
    temporary = path.with_suffix(path.suffix + ".tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        for row in rows:
            line = json.dumps(row, ensure_ascii=False) + "\n"
            handle.write(line)
            digest.update(line.encode("utf-8"))
            lines += 1
    temporary.replace(path)  # a reader never sees half a file
    return {"sha256": digest.hexdigest(), "lines": lines, "bytes": path.stat().st_size}
