"""docs/claims.md and docs/claims/*.png from the results JSON, and nothing else.

    python -m bench.claims.report [--results bench/results/claims.json] [--out docs]

Every figure is recomputed from the stored answers (metrics.py, analysis.py),
so the report can be regenerated, or its rules changed, without a new run.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.claims.analysis import (
    ABOUT_FACTOR,
    CLEARLY_BELOW,
    NEVER_CALLS,
    SEED_INJECTION_MS,
    SEED_INJECTION_TOKENS,
    TARGET_LABELS,
    TARGETS,
    Loaded,
    injection,
    load,
    old_approach_check,
    retrain_estimate,
    target_checks,
    verdicts,
    why_missed,
)
from bench.claims.metrics import Summary, miss_cause, ordered_like, wilson_interval

ROOT = Path(__file__).resolve().parents[2]
IMAGE_DIR = "claims"
ECOSYSTEM_LABELS = {
    "continue": "Continue",
    "cursor": "Cursor",
    "copilot": "Copilot",
    "cline": "Cline",
}
SHORT_NAMES = {
    1: "base",
    2: "base+ex",
    3: "gen",
    4: "gen+ex",
    5: "+grammar",
    6: "old way",
    7: "swapped",
}
MAX_MISS_EXAMPLES = 10


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def frac(successes: int, total: int) -> str:
    if not total:
        return "–"
    interval = wilson_interval(successes, total)
    low, high = interval if interval else (0.0, 0.0)
    return f"{successes / total:.0%} ({successes}/{total}; {low:.0%}–{high:.0%})"


def number(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def label(ecosystem: str) -> str:
    return ECOSYSTEM_LABELS.get(ecosystem, ecosystem)


# -- plots ---------------------------------------------------------------------------


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_accuracy(loaded: Loaded, path: Path) -> None:
    plt = _pyplot()
    ecosystems = loaded.ecosystems
    conditions = loaded.condition_ids()
    columns = 2 if len(ecosystems) > 1 else 1
    rows = (len(ecosystems) + columns - 1) // columns
    figure, axes = plt.subplots(rows, columns, figsize=(6 * columns, 3.2 * rows), squeeze=False)
    for slot, ecosystem in enumerate(ecosystems):
        axis = axes[slot // columns][slot % columns]
        tool, args, names = [], [], []
        for condition in conditions:
            summary = loaded.summary(condition, ecosystem)
            if summary is None:
                continue
            names.append(f"{condition}\n{SHORT_NAMES.get(condition, '')}")
            tool.append(summary.right_tool_rate or 0.0)
            args.append(summary.right_arguments_rate or 0.0)
        positions = range(len(names))
        axis.bar([p - 0.2 for p in positions], tool, width=0.4, label="right tool")
        axis.bar([p + 0.2 for p in positions], args, width=0.4, label="right required arguments")
        axis.axhline(TARGETS["right_tool_rate"][1], color="grey", linestyle="--", linewidth=0.8)
        axis.axhline(TARGETS["right_arguments_rate"][1], color="grey", linestyle=":", linewidth=0.8)
        axis.set_xticks(list(positions), names, fontsize=7)
        axis.set_ylim(0, 1.05)
        axis.set_title(label(ecosystem))
        axis.set_ylabel("share of tool requests")
    for slot in range(len(ecosystems), rows * columns):
        axes[slot // columns][slot % columns].axis("off")
    axes[0][0].legend(fontsize=7, loc="upper left")
    figure.suptitle("Right tool and right required arguments (dashed: condition 5's targets)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_spurious_validity(loaded: Loaded, path: Path) -> None:
    plt = _pyplot()
    conditions = loaded.condition_ids()
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.4))
    width = 0.8 / max(len(loaded.ecosystems), 1)
    for offset, ecosystem in enumerate(loaded.ecosystems):
        spurious, valid, xs = [], [], []
        for position, condition in enumerate(conditions):
            summary = loaded.summary(condition, ecosystem)
            if summary is None:
                continue
            x = position - 0.4 + width * (offset + 0.5)
            xs.append(x)
            spurious.append(summary.spurious_rate or 0.0)
            valid.append(summary.schema_valid_rate or 0.0)
            if summary.schema_valid_rate is None:  # no calls: nothing to validate
                right.text(x, 0.02, "none", rotation=90, ha="center", va="bottom", fontsize=6)
        left.bar(xs, spurious, width=width, label=label(ecosystem))
        right.bar(xs, valid, width=width, label=label(ecosystem))
    ticks = [f"{c}\n{SHORT_NAMES.get(c, '')}" for c in conditions]
    for axis, title, target in (
        (left, "Calls on requests that need no tool", TARGETS["spurious_rate"][1]),
        (right, "Schema-valid share of the (attempted) calls", TARGETS["schema_valid_rate"][1]),
    ):
        axis.set_xticks(range(len(conditions)), ticks, fontsize=7)
        axis.set_ylim(0, 1.05)
        axis.axhline(target, color="grey", linestyle="--", linewidth=0.8)
        axis.set_title(title, fontsize=10)
    left.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_latency(loaded: Loaded, path: Path) -> None:
    plt = _pyplot()
    conditions = loaded.condition_ids()
    summaries = {c: loaded.summary(c) for c in conditions}
    ticks = [f"{c}\n{SHORT_NAMES.get(c, '')}" for c in conditions]
    xs = range(len(conditions))
    figure, (before, model, tokens) = plt.subplots(1, 3, figsize=(14, 3.4))

    def stack(axis: Any, keys: Sequence[tuple[str, str]], field: str) -> list[float]:
        bottoms = [0.0] * len(conditions)
        for key, name in keys:
            values = []
            for condition in conditions:
                summary = summaries[condition]
                values.append((getattr(summary, field).get(key) if summary else 0.0) or 0.0)
            axis.bar(xs, values, bottom=bottoms, label=name)
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
        return bottoms

    stack(
        before,
        (("detect_ms", "detect"), ("retrieve_ms", "retrieve"), ("build_ms", "build")),
        "latency_ms",
    )
    before.set_title("Before the model: mean ms", fontsize=10)
    before.legend(fontsize=7)
    stack(model, (("generate_ms", "generate"),), "latency_ms")
    model.set_title("Generation: mean ms", fontsize=10)
    bottoms = stack(
        tokens, (("example_tokens", "examples"), ("schema_tokens", "tool schemas")), "tokens"
    )
    rest = [
        max(((summaries[c].tokens.get("prompt_tokens") if summaries[c] else 0.0) or 0.0) - b, 0.0)
        for c, b in zip(conditions, bottoms, strict=True)
    ]
    tokens.bar(xs, rest, bottom=bottoms, label="rules, request, template")
    tokens.set_title("Prompt tokens of tool requests (mean)", fontsize=10)
    tokens.legend(fontsize=7)
    for axis in (before, model, tokens):
        axis.set_xticks(list(xs), ticks, fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_retrieval(loaded: Loaded, path: Path) -> None:
    plt = _pyplot()
    ecosystems = [e for e in loaded.ecosystems if loaded.retrieval(e)]
    series = (
        ("recall_at_1", "recall@1"),
        ("recall_at_3", "recall@3"),
        ("candidate_recall", "right tool among candidates (detected)"),
        ("detection", "tool need detected"),
    )
    figure, axis = plt.subplots(figsize=(8, 3.4))
    width = 0.8 / len(series)
    for offset, (key, name) in enumerate(series):
        values = []
        for ecosystem in ecosystems:
            summary = loaded.retrieval(ecosystem) or {}
            if key == "detection":
                total = summary["tool_requests"]
                values.append(summary["detected_tool_requests"] / total if total else 0.0)
            else:
                values.append(summary.get(key) or 0.0)
        xs = [i - 0.4 + width * (offset + 0.5) for i in range(len(ecosystems))]
        axis.bar(xs, values, width=width, label=name)
    axis.set_xticks(range(len(ecosystems)), [label(e) for e in ecosystems])
    axis.set_ylim(0, 1.05)
    axis.set_title("Retrieval and detection on the held-out tool requests", fontsize=10)
    axis.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=len(series))
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def plot_swap(loaded: Loaded, path: Path) -> bool:
    swap = loaded.results.get("swap") or {}
    retrain = retrain_estimate(loaded.results)
    if not swap:
        return False
    plt = _pyplot()
    names = [f"index swap Continue → Cursor\n({swap['examples']:,} examples)"]
    values = [swap["wall_s"]]
    if retrain is not None:
        how = "extrapolated" if retrain["extrapolated"] else "measured"
        names.append(f"retrain the old way's adapter\n({retrain['steps']} steps, {how})")
        values.append(retrain["seconds"])
    figure, axis = plt.subplots(figsize=(8, 2.2 + 0.4 * len(names)))
    axis.barh(names, values, color=["tab:green", "tab:red"][: len(names)])
    for y, value in enumerate(values):
        axis.text(value, y, f"  {value / 60:.1f} min", va="center", fontsize=8)
    axis.set_xscale("log")
    axis.set_xlim(min(values) / 3, max(values) * 4)
    axis.set_xlabel("seconds (log scale)")
    axis.set_title("Switching IDE: wall time", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


# -- markdown ------------------------------------------------------------------------


def _embedder_setting(machine: dict[str, Any]) -> str:
    runtime = machine.get("retrieval_embedder_runtime")
    if runtime is None:  # results from before the ONNX embedder (torch only)
        return f"with {machine['retrieval_torch_threads']} torch thread(s)"
    if runtime == "torch":
        return f"on torch with {machine['retrieval_torch_threads']} thread(s)"
    return f"on {runtime} with {machine['retrieval_embedder_threads']} run(s) at a time"


def _llm_setting(machine: dict[str, Any]) -> str:
    threads = machine["inference_torch_threads"]
    runtime = machine.get("inference_llm_runtime")
    if runtime is None:  # results from before the ONNX Runtime graph (torch only)
        return f"with {threads} torch thread(s)"
    return f"on {runtime} (ADR 0006) with {threads} thread(s)"


def setup_section(loaded: Loaded) -> list[str]:
    results = loaded.results
    meta = results["meta"]
    options = meta["options"]
    machine = meta["machine"]
    adapters = results.get("adapters") or {}
    lines = ["## Set-up", ""]
    system = meta["system"]
    lines.append(
        f"- Machine: {machine['cpus']} CPUs ({machine['processor']}, {machine['platform']}), "
        f"load average {number(machine.get('load_average_at_start'), 1)} at the start and "
        f"{number(machine.get('load_average_at_end'), 1)} at the end (other work on the box "
        "slows every figure); inference "
        f"{_llm_setting(machine)}, embeddings "
        f"{_embedder_setting(machine)}; commit `{machine.get('git_commit') or '?'}`."
    )
    lines.append(
        f"- System: retrieval, inference and trainer as separate processes "
        f"({'started by the bench' if system['started_by_bench'] else 'a running system'}), all "
        f"calls over gRPC; backend `{system['backend']}`, base model `{system['base_model']}`."
    )
    generic = adapters.get("generic")
    if generic:
        steps = generic.get("steps")
        accuracy = generic.get("held_out_accuracy")
        lines.append(
            f"- Generic adapter: `{generic['name']}` v{generic['version']}, {generic['source']}"
            + (f", {steps} steps" if steps else "")
            + (
                f", held-out accuracy {accuracy:.0%} on invented tools (its manifest)"
                if isinstance(accuracy, (int, float))
                else ""
            )
            + "."
        )
    old = adapters.get("old_approach")
    if old:
        settings = old["settings"]
        same = old["steps"] == old.get("generic_steps")
        lines.append(
            f"- Old approach's adapter: `{old['name']}` v{old['version']}, trained through "
            f"TrainerService on {old['samples']:,} chat samples of Continue's indexed examples "
            f"(tool list, no examples), {old['steps']} steps of {settings['batch_size']} x "
            f"{settings['sequence_length']} tokens, lr {settings['learning_rate']:g}, LoRA r="
            f"{settings['lora']['rank']}; loss {old['initial_loss']:.2f} → "
            f"{old['final_loss']:.2f}; {old['wall_s']:.0f} s wall. "
            + (
                "The same step budget as the generic adapter."
                if same
                else f"**Not** the generic adapter's budget ({old.get('generic_steps')} steps)."
            )
        )
    datasets = results["datasets"]
    first = next(iter(datasets.values()), {})
    lines.append(
        f"- Indexed per ecosystem: {first.get('positives', 0):,} positive + "
        f"{first.get('negatives', 0):,} negative generated examples (the seed says ~10K + ~2K); "
        f"asked: {_count(first.get('tool_requests', 0), 'held-out tool request')} (never "
        "indexed: each is worded with a phrasing, and holds values, that no indexed example "
        "uses; hybridtools/ecosystems/splits.py) + "
        f"{_count(first.get('no_tool_requests', 0), 'request')} that need no tool, "
        "in each of "
        f"{', '.join(label(e) for e in datasets)}."
    )
    lines.append(
        "- Every request is asked under every condition (paired), greedy, `tool_choice` AUTO "
        "(the detector decides), "
        + (
            f"a limit of {options['max_new_tokens']} tokens"
            if options.get("max_new_tokens")
            else "the service's default token limits (a reply's, and a larger one for a "
            "constrained call)"
        )
        + "."
    )
    lines += ["", "Conditions:", ""]
    rows = []
    names = results.get("adapter_names") or {}
    for condition in results["conditions"]:
        adapter = (
            "none (base)"
            if condition["adapter_role"] == "base"
            else f"`{names.get(condition['adapter_role'], condition['adapter_role'])}`"
        )
        rows.append(
            [
                str(condition["id"]),
                condition["name"],
                adapter,
                condition["examples"],
                condition["decoding"],
                "the active one (after the swap)" if condition["after_swap"] else "named",
            ]
        )
    lines.append(table(["#", "condition", "adapter", "examples", "decoding", "ecosystem"], rows))
    lines += [
        "",
        '"No examples" still shows the candidate tools\' names and parameters (the service '
        "picks them by retrieval): only the example lines are left out. The service offers up "
        "to three candidate tools, or only one when the ecosystem's tool router gives it at "
        "least 0.1 (ADR 0009) or else the retrieved examples agree on it (ADR 0007); "
        "constrained decoding on the local backend also favours argument values copied from "
        "the request (ADR 0008).",
        "",
    ]
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def verdict_section(loaded: Loaded) -> list[str]:
    lines = ["## The claims", ""]
    reduced = loaded.results["meta"]["options"].get("reduced")
    rows = [
        [
            v.claim,
            v.seed_says,
            v.measured,
            f"not judged: reduced run (would read *{v.verdict}*)"
            if reduced
            else f"**{v.verdict}**",
        ]
        for v in verdicts(loaded)
    ]
    lines.append(table(["", "the seed says", "measured", "verdict"], rows))
    lines += [
        "",
        " ".join(
            [
                "How a verdict is reached (analysis.py): (a) holds when the base model calls a",
                f"tool on at most {NEVER_CALLS:.0%} of tool requests, with or without examples,",
                "partly when it calls but almost never (≤ 10%) the right tool; (b) holds when",
                "condition 5 meets every target on every IDE, partly when it meets them",
                "somewhere or gets at least half the tools right; (c) holds when the swap",
                "switched the active IDE in under 10 minutes and faster than the retrain, and",
                "condition 7 is within 5 points of condition 4 in Cursor; (d) holds when the",
                f"examples take at most {ABOUT_FACTOR:g}x {SEED_INJECTION_TOKENS} tokens and",
                "both detect + retrieve + build and the whole request's extra time at most",
                f"{ABOUT_FACTOR:g}x {SEED_INJECTION_MS:.0f} ms, partly when only the first two do.",
            ]
        ),
        "",
    ]
    return lines


def _every_argument_sentence(loaded: Loaded, ecosystems: Sequence[str]) -> str:
    """How often condition 5's calls had every argument right, optional ones too."""
    figures = []
    for ecosystem in ecosystems:
        summary = loaded.summary(5, ecosystem)
        if summary is not None:
            figures.append(f"{label(ecosystem)} {pct(summary.every_argument_rate)}")
    return (
        "The targets count required arguments. With every argument the data gives right, "
        "optional ones too (a line range's start, a read's window), and no other: "
        + ", ".join(figures)
        + "."
    )


def targets_section(loaded: Loaded) -> list[str]:
    checks = target_checks(loaded, 5)
    if not checks:
        return []
    lines = ["## Condition 5 against its targets", ""]
    header = ["ecosystem"] + [f"{TARGET_LABELS[m]} ({_target_text(m)})" for m in TARGETS]
    rows = []
    for check in checks:
        cells = [label(check.ecosystem)]
        for metric in TARGETS:
            passed = check.passed[metric]
            if passed is None:
                cells.append("– (no calls)" if metric == "schema_valid_rate" else "–")
            else:
                cells.append(f"{pct(check.values[metric])} {'✅' if passed else '❌'}")
        rows.append(cells)
    lines.append(table(header, rows))
    lines.append("")
    lines += [_every_argument_sentence(loaded, [check.ecosystem for check in checks]), ""]
    missed = [check for check in checks if not check.all_met]
    if not missed:
        lines += ["Every target is met on every ecosystem.", ""]
        return lines
    lines += ["### Why targets were missed", ""]
    lines.append(
        "Each miss is put down to the first stage that failed: *detection* (the request was "
        "not taken for a tool request), *retrieval* (the right tool was not among the candidate "
        "tools offered), else *the model* (offered the right tool, it chose another, left it, "
        "or got a required argument wrong)."
    )
    lines.append("")
    for check in missed:
        failed = ", ".join(TARGET_LABELS[m] for m, ok in check.passed.items() if ok is False)
        lines.append(f"**{label(check.ecosystem)}** (missed: {failed}).")
        lines += [f"- {sentence}" for sentence in why_missed(loaded, check, 5)]
        lines.append("")
    return lines


def _target_text(metric: str) -> str:
    op, threshold = TARGETS[metric]
    if threshold >= 1.0 and op == ">=":
        return "100%"
    return f"{'≥' if op == '>=' else '≤'} {threshold:.0%}"


def results_section(loaded: Loaded) -> list[str]:
    lines = ["## Every condition in every ecosystem", ""]
    lines.append(
        "Rates with their count and 95% Wilson interval. *Call made*: tool requests answered "
        "with a call that parsed. *Schema-valid*: of the answers that are calls or try to be "
        '(text with a `"name"` key that does not parse counts as an invalid call). Tokens '
        "are means over tool requests, latency over all requests (service-side total, mean and "
        "p95)."
    )
    lines.append("")
    rows = []
    for condition in loaded.condition_ids():
        for ecosystem in [*loaded.ecosystems_of(condition), None]:
            if ecosystem is None and len(loaded.ecosystems_of(condition)) < 2:
                continue
            summary = loaded.summary(condition, ecosystem)
            if summary is None:
                continue
            rows.append(_result_row(condition, ecosystem, summary))
    lines.append(
        table(
            [
                "#",
                "ecosystem",
                "right tool",
                "right args",
                "call made",
                "schema-valid",
                "spurious",
                "prompt tok",
                "example tok",
                "total ms (p95)",
            ],
            rows,
        )
    )
    lines += ["", f"![Right tool and arguments]({IMAGE_DIR}/accuracy.png)", ""]
    lines += [f"![Spurious calls and validity]({IMAGE_DIR}/spurious_validity.png)", ""]
    return lines


def _result_row(condition: int, ecosystem: str | None, summary: Summary) -> list[str]:
    errors = f" ({summary.errors} errors)" if summary.errors else ""
    latency = summary.latency_ms
    return [
        str(condition),
        ("**all**" if ecosystem is None else label(ecosystem)) + errors,
        frac(summary.right_tool, summary.tool_requests),
        frac(summary.right_arguments, summary.tool_requests),
        pct(summary.call_rate),
        f"{pct(summary.schema_valid_rate)} ({summary.valid_calls}/"
        f"{summary.calls_made + summary.malformed})",
        f"{pct(summary.spurious_rate)} ({summary.spurious}/{summary.no_tool_requests})",
        number(summary.tokens.get("prompt_tokens")),
        number(summary.tokens.get("example_tokens")),
        f"{number(latency.get('total_ms'))} ({number(latency.get('total_p95_ms'))})",
    ]


def old_approach_section(loaded: Loaded) -> list[str]:
    rows = old_approach_check(loaded)
    if not rows:
        return []
    lines = ["## The old approach in IDEs it was not trained on (condition 6)", ""]
    lines.append(
        f'"Clearly below" is read as at least {CLEARLY_BELOW * 100:.0f} percentage points less '
        "right tool than the seed's design with a grammar (condition 5) in the same IDE."
    )
    lines.append("")
    body = []
    for row in rows:
        below = row["clearly_below"]
        body.append(
            [
                label(row["ecosystem"]) + (" (trained on)" if row["trained_on"] else ""),
                pct(row["old_right_tool"]),
                pct(row["old_right_arguments"]),
                pct(row["design_right_tool"]),
                pct(row["design_right_arguments"]),
                f"{row['unknown_tool_calls']}/{row['calls']}",
                "–" if below is None else ("yes" if below else "**no**"),
            ]
        )
    lines.append(
        table(
            [
                "IDE",
                "old way: right tool",
                "old way: right args",
                "condition 5: right tool",
                "condition 5: right args",
                "old way: calls to tools the IDE lacks",
                "clearly below",
            ],
            body,
        )
    )
    lines.append("")
    return lines


def swap_section(loaded: Loaded) -> list[str]:
    swap = loaded.results.get("swap") or {}
    if not swap:
        return []
    lines = ["## Switching IDE (claim c)", ""]
    stages = ", ".join(
        f"{stage} at {offset:.1f} s" for stage, offset in swap["stage_started_s"].items()
    )
    lines.append(
        f"`SwapEcosystem(cursor, activate)` with {swap['examples']:,} examples (none cached): "
        f"**{swap['wall_s']:.1f} s** on the wall clock ({swap['examples_per_second']} examples/s; "
        f"stages: {stages}), serving from the switch on; its tool router was fitted in the "
        f"{swap.get('router_fit_s', 0.0):.1f} s after that (ADR 0009; the requests were asked "
        "once it was). Requests naming no ecosystem were answered in "
        f"`{swap.get('active_before')}` before and `{swap.get('active_after')}` after; no "
        "service restarted and no adapter changed."
    )
    indexing = loaded.results.get("indexing") or {}
    rows = [
        [
            label(e),
            f"{info['examples']:,}",
            f"{info['wall_s']:.1f}",
            str(info.get("examples_per_second")),
            info["version"],
        ]
        for e, info in indexing.items()
    ]
    lines += ["", table(["ecosystem", "examples", "swap s", "examples/s", "version"], rows), ""]
    retrain = retrain_estimate(loaded.results)
    old = (loaded.results.get("adapters") or {}).get("old_approach") or {}
    if retrain is not None:
        used, full = old.get("settings") or {}, old.get("generic_settings") or {}
        how = (
            f"extrapolated from {old.get('steps')} measured steps of {used.get('batch_size')} x "
            f"{used.get('sequence_length')} tokens at {old.get('seconds_per_step')} s each, "
            f"scaled to {full.get('batch_size')} x {full.get('sequence_length')}, plus "
            f"{old.get('overhead_s')} s of start-up"
            if retrain["extrapolated"]
            else "measured, job creation to adapter"
        )
        lines.append(
            f"The old way needs a new adapter per IDE: training Continue's examples into one took "
            f"**{retrain['seconds'] / 60:.1f} min** for {retrain['steps']} steps ({how}), before "
            "publishing and loading it."
        )
        lines.append("")
    seven, four = loaded.summary(7), loaded.summary(4, "cursor")
    if seven is not None:
        cells = []
        for name, summary in (
            ("7: after the swap, no ecosystem named", seven),
            ("4: Cursor named", four),
            ("6: old way's adapter", loaded.summary(6, "cursor")),
        ):
            if summary is not None:
                cells.append(
                    [
                        name,
                        frac(summary.right_tool, summary.tool_requests),
                        frac(summary.right_arguments, summary.tool_requests),
                    ]
                )
        lines += [table(["in Cursor", "right tool", "right args"], cells), ""]
    lines += [f"![Swap against retrain]({IMAGE_DIR}/swap_vs_retrain.png)", ""]
    return lines


def injection_section(loaded: Loaded) -> list[str]:
    cost = injection(loaded)
    if cost["example_tokens"] is None:
        return []
    lines = ["## What injecting examples costs (claim d)", ""]
    lines.append(
        "Condition 4 against condition 3 on the same tool requests (those detected as such): "
        "the same adapter and prompt, with and without the example lines."
    )
    lines.append("")
    rows = [
        [
            "example tokens in the prompt",
            number(cost["example_tokens"]),
            f"~{SEED_INJECTION_TOKENS}",
        ],
        ["prompt tokens, with − without examples", number(cost["prompt_tokens_delta"]), ""],
        ["detect ms", number(cost["detect_ms"], 1), ""],
        ["retrieve ms (search + catalog)", number(cost["retrieve_ms"], 1), ""],
        ["build ms (layout, token budget)", number(cost["build_ms"], 1), ""],
        [
            "detect + retrieve + build ms",
            number(
                (cost["detect_ms"] or 0) + (cost["retrieve_ms"] or 0) + (cost["build_ms"] or 0), 1
            ),
            f"~{SEED_INJECTION_MS:.0f}",
        ],
        ["generation ms, with − without examples", number(cost["generate_ms_delta"]), ""],
        [
            "of it, until the first token (prefill), with − without",
            number(cost["first_token_ms_delta"]),
            "",
        ],
        ["total ms, with − without examples", number(cost["total_ms_delta"]), ""],
    ]
    lines += [table(["", "measured (mean)", "the seed"], rows), ""]
    lines.append(
        "Retrieval runs in condition 3 too (it picks the candidate tools), so the total delta "
        "is the prefill of the longer prompt (the time to the first token) and any change in "
        "the answer's length (the rest of the generation)."
    )
    lines.append("")
    return lines


def latency_section(loaded: Loaded) -> list[str]:
    lines = ["## Latency split", ""]
    rows = []
    for condition in loaded.condition_ids():
        summary = loaded.summary(condition)
        if summary is None:
            continue
        latency = summary.latency_ms
        rows.append(
            [
                f"{condition} {SHORT_NAMES.get(condition, '')}",
                number(latency.get("detect_ms"), 1),
                number(latency.get("retrieve_ms"), 1),
                number(latency.get("build_ms"), 1),
                number(latency.get("generate_ms")),
                number(latency.get("first_token_ms")),
                number(latency.get("total_ms")),
                number(latency.get("total_p50_ms")),
                number(latency.get("total_p95_ms")),
                number(latency.get("wall_ms")),
            ]
        )
    lines.append(
        table(
            [
                "condition",
                "detect",
                "retrieve",
                "build",
                "generate",
                "of it, first token",
                "total",
                "p50",
                "p95",
                "client wall",
            ],
            rows,
        )
    )
    lines += [
        "",
        "Mean ms per request over all requests; *of it, first token*: the part of generate "
        "until the first generated token, mostly the prompt's prefill.",
        "",
    ]
    lines += [f"![Latency split and prompt tokens]({IMAGE_DIR}/latency_tokens.png)", ""]
    return lines


def retrieval_section(loaded: Loaded) -> list[str]:
    if not any(loaded.retrieval(e) for e in loaded.ecosystems):
        return []
    lines = ["## Retrieval on its own", ""]
    lines.append(
        "`SearchExamples(limit=3)` with each held-out tool request: is the right tool among the "
        "three nearest examples (recall@3) or the first (recall@1)? Is it the tool router's "
        "likeliest tool (ADR 0009)? And `BuildPrompt`: is it "
        "among the candidate tools the prompt offers, did it offer a single tool (the router "
        "was confident or the retrieved examples agreed on one) and was that the right one, was "
        "the request detected as a tool request, and were no-tool requests (wrongly) detected?"
    )
    lines.append("")
    rows = []
    for ecosystem in loaded.ecosystems:
        s = loaded.retrieval(ecosystem)
        if s is None:
            continue
        rows.append(
            [
                label(ecosystem),
                pct(s.get("recall_at_1")),
                pct(s.get("recall_at_3")),
                f"{s['router_right_first']}/{s['router_ranked']}"
                if s.get("router_ranked")
                else "–",
                pct(s.get("candidate_recall")),
                f"{s.get('single_candidate_right', 0)}/{s.get('single_candidate', 0)}"
                if "single_candidate" in s
                else "–",
                f"{s['detected_tool_requests']}/{s['tool_requests']}",
                f"{s['detected_no_tool_requests']}/{s['no_tool_requests']}",
                number(s.get("search_ms_mean"), 1),
            ]
        )
    lines.append(
        table(
            [
                "ecosystem",
                "recall@1",
                "recall@3",
                "router's first tool right",
                "right tool among candidates (detected)",
                "single candidate: right / offered",
                "tool requests detected",
                "no-tool requests detected",
                "search ms",
            ],
            rows,
        )
    )
    lines += ["", f"![Retrieval and detection]({IMAGE_DIR}/retrieval.png)", ""]
    return lines


def misses_section(loaded: Loaded, condition: int = 5) -> list[str]:
    misses = [
        r
        for r in loaded.select(condition)
        if (r.kind == "tool" and not r.right_arguments) or r.spurious
    ]
    if not misses:
        return []
    lines = [f"## Misses of condition {condition}, a sample", ""]
    rows = []
    for record in misses[:MAX_MISS_EXAMPLES]:
        cause = miss_cause(record, loaded.evidence.get((record.ecosystem, record.index)))
        expected = (
            _call_text(record.expected_name, record.expected_arguments)
            if record.kind == "tool"
            else "no call"
        )
        got = (
            _call_text(record.name, ordered_like(record.expected_arguments, record.arguments))
            if record.called
            else "no call"
        )
        rows.append(
            [label(record.ecosystem), _cell(record.request, 80), _cell(expected), _cell(got), cause]
        )
    lines.append(table(["IDE", "request", "expected", "got", "cause"], rows))
    more = len(misses) - len(rows)
    lines += ["", f"({more} more in the results JSON.)" if more > 0 else "", ""]
    return lines


def _call_text(name: str, arguments: dict[str, Any]) -> str:
    return f"{name} {json.dumps(arguments, ensure_ascii=False)}"


def _cell(text: str, limit: int = 90) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return "`" + (text if len(text) <= limit else text[: limit - 1] + "…").replace("`", "'") + "`"


def reproduce_section(loaded: Loaded, results_path: Path) -> list[str]:
    meta = loaded.results["meta"]
    phases = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in meta["phases_s"].items())
    try:
        shown = results_path.resolve().relative_to(ROOT)
    except ValueError:
        shown = results_path
    return [
        "## Reproducing",
        "",
        "```sh",
        meta["options"].get("command") or "python -m bench.claims",
        f"python -m bench.claims.report --results {shown}   # this page again from the JSON",
        "```",
        "",
        f"This run started {meta['started']} and took {meta['duration_s'] / 60:.1f} min "
        f"({phases}).",
        "",
    ]


def render_markdown(loaded: Loaded, results_path: Path, has_swap_plot: bool) -> str:
    options = loaded.results["meta"]["options"]
    lines = ["# The seed's claims, measured", ""]
    lines.append(
        "Generated by `bench/claims` from "
        f"`{results_path.name}`: every answer comes from the packaged SmolLM2-135M-Instruct "
        "through the services' gRPC APIs on this machine. Do not edit by hand; rerun."
    )
    lines.append("")
    if options.get("reduced"):
        lines += [
            "> **Reduced run** (the CI size): a request or two per condition, a few dozen "
            "indexed examples, a couple of training steps. It shows that the bench works, "
            "not what the claims are worth; the full run is `python -m bench.claims`.",
            "",
        ]
    if loaded.results.get("complete") is False:
        lines += [
            "> **Partial results**: the run stopped before its end; what it asked is below.",
            "",
        ]
    lines += verdict_section(loaded)
    lines += setup_section(loaded)
    lines += targets_section(loaded)
    lines += results_section(loaded)
    lines += old_approach_section(loaded)
    swap = swap_section(loaded)
    if not has_swap_plot:
        swap = [line for line in swap if "swap_vs_retrain.png" not in line]
    lines += swap
    lines += injection_section(loaded)
    lines += latency_section(loaded)
    lines += retrieval_section(loaded)
    lines += misses_section(loaded)
    lines += reproduce_section(loaded, results_path)
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.rstrip() + "\n"


def render_report(results_path: Path, out_dir: Path) -> Path:
    """Writes <out_dir>/claims.md and <out_dir>/claims/*.png; returns the markdown's path."""
    results = json.loads(results_path.read_text())
    loaded = load(results)
    images = out_dir / IMAGE_DIR
    images.mkdir(parents=True, exist_ok=True)
    plot_accuracy(loaded, images / "accuracy.png")
    plot_spurious_validity(loaded, images / "spurious_validity.png")
    plot_latency(loaded, images / "latency_tokens.png")
    plot_retrieval(loaded, images / "retrieval.png")
    has_swap_plot = plot_swap(loaded, images / "swap_vs_retrain.png")
    markdown = out_dir / "claims.md"
    markdown.write_text(render_markdown(loaded, results_path, has_swap_plot))
    return markdown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.claims.report", description=__doc__)
    parser.add_argument("--results", type=Path, default=ROOT / "bench" / "results" / "claims.json")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args(argv)
    print(f"report: {render_report(args.results, args.out)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
