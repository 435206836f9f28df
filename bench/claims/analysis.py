"""From the results JSON to findings: the targets of condition 5, the claims' verdicts,
and why a target was missed. Pure functions of the results, so the report can be
regenerated (and these rules changed) without running anything again."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bench.claims.metrics import (
    AnswerRecord,
    RequestEvidence,
    Summary,
    evidence_summary,
    miss_cause,
    summarise,
)

# The targets for condition 5, on every ecosystem.
TARGETS = {
    "right_tool_rate": (">=", 0.90),
    "right_arguments_rate": (">=", 0.80),
    "schema_valid_rate": (">=", 1.00),
    "spurious_rate": ("<=", 0.10),
}
TARGET_LABELS = {
    "right_tool_rate": "right tool",
    "right_arguments_rate": "right arguments",
    "schema_valid_rate": "schema-valid",
    "spurious_rate": "spurious calls",
}
# "Condition 6 falls clearly below on the IDEs it was not trained on": at least this
# many points of right tool below condition 5 in the same IDE.
CLEARLY_BELOW = 0.20
# The seed's figures for an injection.
SEED_INJECTION_TOKENS = 300
SEED_INJECTION_MS = 150.0
# "About": within this factor of the seed's figure.
ABOUT_FACTOR = 1.5
# "Never calls tools": at most this share of tool requests answered with a call.
NEVER_CALLS = 0.02
# A plain answer that declines (the guardrail set teaches refusals of destructive commands).
REFUSAL = re.compile(r"^\W*(?:no,?\s+)?i\s+(?:won't|will\s+not|can't|cannot)\b", re.IGNORECASE)


@dataclass
class Loaded:
    """The results document with its records and evidence as objects."""

    results: dict[str, Any]
    records: list[AnswerRecord]
    evidence: dict[tuple[str, int], RequestEvidence]

    @property
    def ecosystems(self) -> list[str]:
        return list(self.results["datasets"])

    def condition_ids(self) -> list[int]:
        return [c["id"] for c in self.results["conditions"]]

    def select(self, condition: int, ecosystem: str | None = None) -> list[AnswerRecord]:
        return [
            r
            for r in self.records
            if r.condition == condition and (ecosystem is None or r.ecosystem == ecosystem)
        ]

    def summary(self, condition: int, ecosystem: str | None = None) -> Summary | None:
        records = self.select(condition, ecosystem)
        return summarise(records, self.evidence) if records else None

    def retrieval(self, ecosystem: str) -> dict[str, Any] | None:
        """Recall, candidates and detection of one ecosystem's requests, recomputed."""
        block = (self.results.get("retrieval") or {}).get(ecosystem)
        return evidence_summary(block["requests"]) if block else None

    def ecosystems_of(self, condition: int) -> list[str]:
        asked = {r.ecosystem for r in self.select(condition)}
        return [e for e in self.ecosystems if e in asked]


def load(results: dict[str, Any]) -> Loaded:
    records = [AnswerRecord.from_json(row) for row in results.get("records", [])]
    evidence = {
        (ecosystem, row["index"]): RequestEvidence(row["detected"], tuple(row["candidate_tools"]))
        for ecosystem, block in (results.get("retrieval") or {}).items()
        for row in block["requests"]
    }
    return Loaded(results, records, evidence)


def meets(metric: str, value: float | None) -> bool | None:
    if value is None:
        return None
    op, threshold = TARGETS[metric]
    return value >= threshold - 1e-9 if op == ">=" else value <= threshold + 1e-9


# Arguments that explain the call in words (Copilot's and Cursor's `explanation`,
# Cursor's `instructions`): the expected wording is the data's own, not a span
# of the request, so a call can be right in every other respect and miss on it.
PROSE_ARGUMENTS = frozenset({"explanation", "instructions", "reason"})


def missed_only_on_prose(record: AnswerRecord) -> bool:
    """The right tool, and every wrong required argument a prose explanation."""
    wrong = set(record.wrong_arguments)
    return record.right_tool and bool(wrong) and wrong <= PROSE_ARGUMENTS


@dataclass
class TargetCheck:
    ecosystem: str
    values: dict[str, float | None]
    passed: dict[str, bool | None]
    causes: dict[str, int]
    wrong_arguments: Counter[str] = field(default_factory=Counter)
    wrong_tools: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def all_met(self) -> bool:
        return all(value is not False for value in self.passed.values())


def target_checks(loaded: Loaded, condition: int = 5) -> list[TargetCheck]:
    checks = []
    for ecosystem in loaded.ecosystems_of(condition):
        summary = loaded.summary(condition, ecosystem)
        assert summary is not None
        values = {metric: getattr(summary, metric) for metric in TARGETS}
        check = TargetCheck(
            ecosystem,
            values,
            {metric: meets(metric, value) for metric, value in values.items()},
            dict(summary.causes),
        )
        for record in loaded.select(condition, ecosystem):
            if record.kind != "tool":
                continue
            if record.right_tool and not record.right_arguments:
                check.wrong_arguments.update(
                    f"{record.expected_name}.{name}" for name in record.wrong_arguments
                )
            elif record.called and not record.right_tool:
                check.wrong_tools[(record.expected_name, record.name)] += 1
        checks.append(check)
    return checks


def why_missed(loaded: Loaded, check: TargetCheck, condition: int = 5) -> list[str]:
    """Sentences on what caused the misses, from the data."""
    lines: list[str] = []
    records = loaded.select(condition, check.ecosystem)
    tool_records = [r for r in records if r.kind == "tool"]
    misses = [r for r in tool_records if not r.right_arguments]
    by_cause: Counter[str] = Counter()
    for record in misses:
        by_cause[miss_cause(record, loaded.evidence.get((record.ecosystem, record.index)))] += 1
    if misses:
        parts = ", ".join(f"{cause} {count}" for cause, count in by_cause.most_common())
        lines.append(f"{len(misses)} of {len(tool_records)} tool requests missed: {parts}.")
    summary = loaded.retrieval(check.ecosystem) or {}
    if by_cause.get("retrieval"):
        lines.append(
            f"Retrieval: the right tool was among the prompt's candidate tools for "
            f"{_pct(summary.get('candidate_recall'))} of the detected tool requests (recall@3 of "
            f"the nearest examples alone "
            f"{_pct(summary.get('recall_at_3'))}); with constrained decoding the grammar "
            "allows only the candidates, so a request whose tool is not offered cannot succeed."
        )
    if by_cause.get("detection"):
        lines.append(
            f"Detection: {by_cause['detection']} tool requests were answered as plain questions "
            "(the detector found no tool need, so no tools or examples were offered)."
        )
    if by_cause.get("model"):
        # Only the model's own misses: a wrong tool that was the only one offered is retrieval's.
        model_misses = [
            r
            for r in misses
            if miss_cause(r, loaded.evidence.get((r.ecosystem, r.index))) == "model"
        ]
        wrong_tool = sum(1 for r in model_misses if r.called and not r.right_tool)
        no_call = [r for r in model_misses if not r.called and r.detected]
        malformed = sum(1 for r in no_call if r.malformed)
        refused = sum(1 for r in no_call if REFUSAL.match(r.text))
        bad_args = sum(1 for r in model_misses if r.right_tool and not r.right_arguments)
        parts = []
        if wrong_tool:
            parts.append(f"{wrong_tool} picked another offered tool")
        if bad_args:
            parts.append(f"{bad_args} had the right tool with a wrong required argument")
        if malformed:
            parts.append(f"{malformed} wrote a call that does not parse")
        if refused:
            parts.append(f'{refused} declined to act ("I won\'t ...")')
        others = len(no_call) - malformed - refused
        if others:
            parts.append(f"{others} answered in plain text although tools were offered")
        lines.append("The model: " + "; ".join(parts) + "." if parts else "The model.")
        if check.wrong_arguments:
            common = ", ".join(f"`{n}` ({c})" for n, c in check.wrong_arguments.most_common(4))
            lines.append(f"Arguments most often wrong: {common}.")
        prose = sum(1 for r in misses if missed_only_on_prose(r))
        if prose:
            lines.append(
                f"{prose} of the calls with the right tool missed only on a prose argument "
                "(`explanation`, `instructions`): the call explained in the data's own words, "
                "compared word for word like every required argument, and counted as a miss."
            )
        if check.wrong_tools:
            common = ", ".join(
                f"`{got}` for `{want}` ({c})" for (want, got), c in check.wrong_tools.most_common(3)
            )
            lines.append(f"Tools most often confused: {common}.")
    if check.passed.get("spurious_rate") is False:
        lines.append(
            "Spurious calls come from detection: a request that needs no tool was taken for a "
            "tool request, tools and examples were offered, and the model called one."
        )
    if check.passed.get("schema_valid_rate") is False:
        # Calls that parsed but failed the schema, and calls that never closed (they do
        # not parse): both count against schema-valid.
        invalid = [
            r for r in records if (r.called and not r.valid) or (r.malformed and not r.called)
        ]
        cut = sum(1 for r in invalid if r.finish_reason == "length")
        errors = Counter(r.validation_error for r in invalid if r.validation_error)
        common = "; ".join(f"{error} ({count})" for error, count in errors.most_common(2))
        lines.append(
            f"{len(invalid)} calls were invalid despite the grammar, {cut} of them cut by the "
            "token limit" + (f"; the validator said: {common}" if common else "") + "."
        )
    return lines


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


@dataclass
class Verdict:
    claim: str
    seed_says: str
    measured: str
    verdict: str  # "holds" | "does not hold" | "partly" | "not measured"


def _rate(summary: Summary | None, name: str) -> float | None:
    return None if summary is None else getattr(summary, name)


def verdicts(loaded: Loaded) -> list[Verdict]:
    out = [claim_a(loaded), claim_b(loaded), claim_c(loaded), claim_d(loaded)]
    return out


def claim_a(loaded: Loaded) -> Verdict:
    seed = "a model with zero tool training never calls tools"
    base = loaded.summary(1)
    with_examples = loaded.summary(2)
    if base is None:
        return Verdict("(a)", seed, "condition 1 not run", "not measured")
    call_rate = base.call_rate or 0.0
    right = base.right_tool_rate or 0.0
    measured = (
        f"base model, no examples: a call on {call_rate:.0%} of tool requests "
        f"({base.calls}/{base.tool_requests}), the right tool on {right:.0%}"
    )
    if with_examples is not None:
        measured += (
            f"; with retrieved examples: calls on {with_examples.call_rate or 0:.0%}, right tool "
            f"{with_examples.right_tool_rate or 0:.0%}"
        )
    # Judged on both base conditions: with examples in front of it, does it start calling?
    call_rate = max(call_rate, (with_examples.call_rate or 0.0) if with_examples else 0.0)
    right = max(right, (with_examples.right_tool_rate or 0.0) if with_examples else 0.0)
    if call_rate <= NEVER_CALLS:
        verdict = "holds"
    elif right <= 0.1:
        verdict = "partly"  # it calls, but almost never the right tool
    else:
        verdict = "does not hold"
    return Verdict("(a)", seed, measured, verdict)


def claim_b(loaded: Loaded) -> Verdict:
    seed = (
        "1K generic tool-awareness samples in the LoRA plus 2-3 retrieved examples give "
        "correct calls for the IDE whose examples are indexed"
    )
    checks = target_checks(loaded, 5)
    four = [loaded.summary(4, e) for e in loaded.ecosystems_of(4)]
    if not checks and not four:
        return Verdict("(b)", seed, "conditions 4 and 5 not run", "not measured")
    parts = []
    for check in checks:
        parts.append(
            f"{check.ecosystem} {_pct(check.values['right_tool_rate'])} tool / "
            f"{_pct(check.values['right_arguments_rate'])} args"
        )
    measured = "condition 5: " + ", ".join(parts) if parts else ""
    free = [s for s in four if s is not None]
    if free:
        total = summarise([r for r in loaded.records if r.condition == 4], loaded.evidence)
        measured += (
            f"; condition 4 (free decoding) over all: {_pct(total.right_tool_rate)} tool / "
            f"{_pct(total.right_arguments_rate)} args"
        )
    met = [check.all_met for check in checks]
    if met and all(met):
        verdict = "holds"
    elif any(met) or any((c.values["right_tool_rate"] or 0) >= 0.5 for c in checks):
        verdict = "partly"
    else:
        verdict = "does not hold"
    return Verdict("(b)", seed, measured, verdict)


def claim_c(loaded: Loaded) -> Verdict:
    seed = (
        "switching IDE is an index swap of minutes, while the old way (the IDE's samples in "
        "the LoRA) needs a retrain"
    )
    swap = loaded.results.get("swap") or {}
    old = (loaded.results.get("adapters") or {}).get("old_approach") or {}
    if not swap:
        return Verdict("(c)", seed, "condition 7 not run", "not measured")
    retrain = retrain_estimate(loaded.results)
    measured = (
        f"swap Continue -> Cursor: {swap['wall_s']:.0f} s for {swap['examples']} examples "
        f"(active before {swap.get('active_before')}, after {swap.get('active_after')})"
    )
    if retrain is not None:
        measured += f"; retraining the old approach's adapter: {_duration(retrain['seconds'])}"
        if retrain["extrapolated"]:
            measured += (
                f" (extrapolated to {retrain['steps']} full-size steps from {old.get('steps')} "
                "measured)"
            )
    seven, four = loaded.summary(7), loaded.summary(4, "cursor")
    six = loaded.summary(6, "cursor")
    if seven is not None:
        measured += f"; after the swap, Cursor right tool {_pct(seven.right_tool_rate)}"
        if four is not None:
            measured += f" (condition 4 in Cursor: {_pct(four.right_tool_rate)})"
        if six is not None:
            measured += f", old approach in Cursor {_pct(six.right_tool_rate)}"
    swapped = swap.get("active_after") == "cursor"
    fast = swap["wall_s"] < 600 and (retrain is None or swap["wall_s"] < retrain["seconds"])
    quality = (
        seven is not None
        and four is not None
        and (seven.right_tool_rate or 0) >= (four.right_tool_rate or 0) - 0.05
    )
    if swapped and fast and quality:
        verdict = "holds"
    elif swapped and (fast or quality):
        verdict = "partly"
    else:
        verdict = "does not hold"
    return Verdict("(c)", seed, measured, verdict)


def retrain_estimate(results: Mapping[str, Any]) -> dict[str, Any] | None:
    """Wall time to retrain the old approach's adapter at the generic adapter's budget.

    Measured when the old approach ran that budget; else its start-up plus its
    measured time per step, scaled to the generic's steps and tokens per step
    (a step's time grows with the tokens it packs).
    """
    old = (results.get("adapters") or {}).get("old_approach") or {}
    if not old:
        return None
    steps = int(old.get("steps") or 0)
    target = int(old.get("generic_steps") or steps)
    seconds = float(old.get("wall_s") or 0.0)
    used = old.get("settings") or {}
    full = old.get("generic_settings") or used
    used_tokens = int(used.get("batch_size", 1)) * int(used.get("sequence_length", 1))
    full_tokens = int(full.get("batch_size", 1)) * int(full.get("sequence_length", 1))
    if steps and (target != steps or used_tokens != full_tokens):
        per_step = float(old.get("seconds_per_step") or seconds / steps)
        per_step *= full_tokens / max(used_tokens, 1)
        overhead = float(old.get("overhead_s") or 0.0)
        return {"seconds": overhead + per_step * target, "steps": target, "extrapolated": True}
    return {"seconds": seconds, "steps": steps, "extrapolated": False}


def injection(loaded: Loaded) -> dict[str, float | None]:
    """The examples' cost: tokens in the prompt and time, from conditions 3 and 4 (paired)."""
    four = {(r.ecosystem, r.index): r for r in loaded.select(4) if r.kind == "tool" and not r.error}
    three = {
        (r.ecosystem, r.index): r for r in loaded.select(3) if r.kind == "tool" and not r.error
    }
    detected = [r for r in four.values() if r.detected]
    paired = [(three[key], four[key]) for key in four if key in three and four[key].detected]

    def mean(values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    return {
        "requests": float(len(detected)),
        "example_tokens": mean([r.usage.get("example_tokens", 0) for r in detected]),
        "prompt_tokens": mean([r.usage.get("prompt_tokens", 0) for r in detected]),
        "prompt_tokens_delta": mean(
            [b.usage.get("prompt_tokens", 0) - a.usage.get("prompt_tokens", 0) for a, b in paired]
        ),
        "retrieve_ms": mean([r.timings.get("retrieve_ms", 0.0) for r in detected]),
        "build_ms": mean([r.timings.get("build_ms", 0.0) for r in detected]),
        "detect_ms": mean([r.timings.get("detect_ms", 0.0) for r in detected]),
        "generate_ms_delta": mean(
            [
                b.timings.get("generate_ms", 0.0) - a.timings.get("generate_ms", 0.0)
                for a, b in paired
            ]
        ),
        # Of the generation's delta, the part before the first token: the prefill of
        # the longer prompt (results written before it was recorded have none).
        "first_token_ms_delta": mean(
            [
                b.timings["first_token_ms"] - a.timings["first_token_ms"]
                for a, b in paired
                if "first_token_ms" in a.timings and "first_token_ms" in b.timings
            ]
        ),
        "total_ms_delta": mean(
            [b.timings.get("total_ms", 0.0) - a.timings.get("total_ms", 0.0) for a, b in paired]
        ),
    }


def claim_d(loaded: Loaded) -> Verdict:
    seed = f"injection costs ~{SEED_INJECTION_TOKENS} tokens and ~{SEED_INJECTION_MS:.0f} ms"
    cost = injection(loaded)
    tokens = cost["example_tokens"]
    if tokens is None:
        return Verdict("(d)", seed, "condition 4 not run or nothing detected", "not measured")
    work_ms = (cost["retrieve_ms"] or 0.0) + (cost["build_ms"] or 0.0) + (cost["detect_ms"] or 0.0)
    delta = cost["prompt_tokens_delta"] or 0.0
    first_token = cost["first_token_ms_delta"]
    before_first = (
        f", {first_token:.0f} ms of it before the first token (prefill)"
        if first_token is not None
        else ""
    )
    measured = (
        f"{tokens:.0f} example tokens per tool request (prompt +{delta:.0f} "
        f"tokens against no examples); detect + retrieve + build {work_ms:.0f} ms; the longer "
        f"prompt adds {cost['generate_ms_delta'] or 0:.0f} ms of generation{before_first} "
        f"(total +{cost['total_ms_delta'] or 0:.0f} ms per request)"
    )
    tokens_ok = tokens <= SEED_INJECTION_TOKENS * ABOUT_FACTOR
    ms_ok = work_ms <= SEED_INJECTION_MS * ABOUT_FACTOR
    total_ok = (cost["total_ms_delta"] or 0.0) <= SEED_INJECTION_MS * ABOUT_FACTOR
    if tokens_ok and ms_ok and total_ok:
        verdict = "holds"
    elif tokens_ok and ms_ok:
        verdict = "partly"
    else:
        verdict = "does not hold"
    return Verdict("(d)", seed, measured, verdict)


def old_approach_check(loaded: Loaded) -> list[dict[str, Any]]:
    """Condition 6 against condition 5 in each IDE it was not trained on."""
    rows = []
    for ecosystem in loaded.ecosystems_of(6):
        six, five = loaded.summary(6, ecosystem), loaded.summary(5, ecosystem)
        six_rate = _rate(six, "right_tool_rate")
        five_rate = _rate(five, "right_tool_rate")
        below = None
        if six_rate is not None and five_rate is not None and ecosystem != "continue":
            # Rounded: 14/20 - 10/20 is 0.19999999999999996 in floating point.
            below = round(five_rate - six_rate, 9) >= CLEARLY_BELOW
        calls = [r for r in loaded.select(6, ecosystem) if r.called]
        rows.append(
            {
                "ecosystem": ecosystem,
                "trained_on": ecosystem == "continue",
                "calls": len(calls),
                # Calls naming a tool this IDE does not have (a trained-in one, or invented).
                "unknown_tool_calls": sum(
                    1 for r in calls if r.validation_error.startswith("unknown tool")
                ),
                "old_right_tool": six_rate,
                "old_right_arguments": _rate(six, "right_arguments_rate"),
                "design_right_tool": five_rate,
                "design_right_arguments": _rate(five, "right_arguments_rate"),
                "clearly_below": below,
            }
        )
    return rows


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 120:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"
