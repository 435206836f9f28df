"""Scoring one answer, and summing answers up per condition and ecosystem.

No service is needed here: the runner stores every answer as a plain record
(`AnswerRecord.to_json`), and both the runner and the report compute their
figures from those records with these functions, so a report regenerated
from the JSON says exactly what the run said.

What counts:
- right tool: the answer holds a call whose name is the expected tool;
- right arguments: right tool, and every *required* argument of that tool
  has the expected value once both sides are normalised (`normalise_value`:
  surrounding quotes and whitespace, `./` prefixes, backslashes, trailing
  slashes); optional arguments are not compared;
- schema-valid: of the answers that are calls or try to be (`malformed`: text
  with a `"name"` key that does not parse as a call, say an invalid JSON
  escape), those that parsed and the service validated against the tool's
  schema;
- spurious: a call in answer to a request that needs no tool.

A miss is put down to one cause, in the order the pipeline runs:
detection (the request was not taken for a tool request, or a no-tool request
was), retrieval (the right tool was not among the candidate tools the prompt
offered), else the model.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

_QUOTES = "\"'`"
# first_token_ms: of generate_ms, until the first generated token (the prefill).
TIMING_KEYS = (
    "detect_ms",
    "retrieve_ms",
    "build_ms",
    "generate_ms",
    "first_token_ms",
    "total_ms",
)
USAGE_KEYS = ("prompt_tokens", "example_tokens", "schema_tokens", "completion_tokens")
CAUSES = ("detection", "retrieval", "model")


def normalise_value(value: Any) -> Any:
    """A value as compared: text stripped of quotes, `./`, backslashes and extra spaces."""
    if isinstance(value, str):
        return _normalise_text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        number = float(value)
        return int(number) if number.is_integer() else number
    if isinstance(value, Mapping):
        return {str(key): normalise_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalise_value(item) for item in value]
    return value


def _normalise_text(text: str) -> str:
    text = text.strip()
    while len(text) >= 2 and text[0] == text[-1] and text[0] in _QUOTES:
        text = text[1:-1].strip()
    text = text.replace("\\", "/")
    while text.startswith("./"):
        text = text[2:]
    text = " ".join(text.split())
    if len(text) > 1 and text.endswith("/"):
        text = text.rstrip("/") or "/"
    return text


def values_match(expected: Any, actual: Any) -> bool:
    """Equal after normalisation; a string and a non-string compare as text ("8" == 8)."""
    left, right = normalise_value(expected), normalise_value(actual)
    if left == right and type(left) is type(right):
        return True
    if isinstance(left, str) != isinstance(right, str):
        return _as_text(left) == _as_text(right)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(
            values_match(a, b) for a, b in zip(left, right, strict=True)
        )
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(values_match(left[k], right[k]) for k in left)
    return left == right and not isinstance(left, bool) and not isinstance(right, bool)


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return _normalise_text(value)
    return _normalise_text(json.dumps(value, ensure_ascii=False))


def ordered_like(reference: Mapping[str, Any], arguments: Mapping[str, Any]) -> dict[str, Any]:
    """`arguments` in `reference`'s key order (the expected call's: the tool schema's),
    then by name, for the report. The service returns a call's arguments as a protobuf
    Struct, a map without order, so the results hold them in another order from run to
    run."""
    rank = {key: index for index, key in enumerate(reference)}
    return {
        key: arguments[key]
        for key in sorted(arguments, key=lambda key: (rank.get(key, len(rank)), key))
    }


def required_arguments_match(
    required: Sequence[str], expected: Mapping[str, Any], actual: Mapping[str, Any]
) -> tuple[bool, list[str]]:
    """Whether every required argument matches, and the names of those that do not."""
    wrong = [
        name
        for name in required
        if name in expected
        and (name not in actual or not values_match(expected[name], actual[name]))
    ]
    return not wrong, wrong


@dataclass
class AnswerRecord:
    """One request asked under one condition, and what came back."""

    condition: int
    ecosystem: str  # the ecosystem asked in
    index: int  # the request's position in its ecosystem's request list
    kind: str  # "tool" | "no_tool"
    request: str
    expected_name: str = ""
    expected_arguments: dict[str, Any] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    # What came back.
    error: str = ""
    answered_ecosystem: str = ""
    adapter: str = ""
    detected: bool = False
    called: bool = False
    name: str = ""
    arguments: dict[str, Any] = field(default_factory=dict)
    valid: bool = False
    validation_error: str = ""
    text: str = ""
    # No call parsed, yet the text tries to be one.
    malformed: bool = False
    finish_reason: str = ""  # stop | length | tool_call (the grammar ended it)
    example_tools: list[str] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    wall_ms: float = 0.0
    # Scored.
    right_tool: bool = False
    right_arguments: bool = False
    wrong_arguments: list[str] = field(default_factory=list)

    def score(self) -> AnswerRecord:
        if self.kind != "tool" or not self.called:
            self.right_tool = self.right_arguments = False
            self.wrong_arguments = []
            return self
        self.right_tool = self.name == self.expected_name
        if self.right_tool:
            self.right_arguments, self.wrong_arguments = required_arguments_match(
                self.required, self.expected_arguments, self.arguments
            )
        else:
            self.right_arguments, self.wrong_arguments = False, []
        return self

    @property
    def spurious(self) -> bool:
        return self.kind == "no_tool" and self.called

    @property
    def every_argument_right(self) -> bool:
        """The right tool with every argument the data gives right, optional ones too
        (a line range's start, a read's window), and no argument it does not give.
        No target counts it: they are on the required arguments."""
        if not self.right_tool:
            return False
        expected, actual = self.expected_arguments, self.arguments
        return set(actual) <= set(expected) and all(
            name in actual and values_match(value, actual[name]) for name, value in expected.items()
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> AnswerRecord:
        known = set(cls.__dataclass_fields__)
        record = cls(**{key: item for key, item in value.items() if key in known})
        if "malformed" not in value:
            # Results written before `malformed` was recorded: derived as the runner does.
            record.malformed = bool(record.detected) and looks_like_call(record.text or "")
        return record


def looks_like_call(text: str) -> bool:
    """Text that tries to be a JSON call: a "name" key in something brace-shaped."""
    return '"name"' in text and "{" in text


@dataclass(frozen=True)
class RequestEvidence:
    """What the pipeline did for a request before the model: detection and candidates."""

    detected: bool
    candidate_tools: tuple[str, ...]


def miss_cause(record: AnswerRecord, evidence: RequestEvidence | None) -> str:
    """detection / retrieval / model for a tool request answered wrongly or a spurious call;
    "" for a right answer."""
    if record.error:
        return "model"
    if record.kind == "no_tool":
        return "detection" if record.spurious else ""
    if record.right_arguments and (not record.called or record.valid):
        return ""
    if not record.detected:
        return "detection"
    candidates = evidence.candidate_tools if evidence is not None else ()
    if evidence is not None and record.expected_name not in candidates:
        return "retrieval"
    return "model"


def rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def wilson_interval(successes: int, total: int, z: float = 1.96) -> tuple[float, float] | None:
    """95% score interval of a proportion (honest error bars for small samples)."""
    if not total:
        return None
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - margin), min(1.0, centre + margin)


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _mean(values: Iterable[float]) -> float | None:
    items = list(values)
    return statistics.fmean(items) if items else None


@dataclass
class Summary:
    """The figures of one condition in one ecosystem (or over several)."""

    tool_requests: int = 0
    no_tool_requests: int = 0
    errors: int = 0
    detected: int = 0  # tool requests taken for tool requests
    calls: int = 0  # tool requests answered with a call
    right_tool: int = 0
    right_arguments: int = 0
    every_argument: int = 0  # right tool, every argument right (`every_argument_right`)
    calls_made: int = 0  # every call, tool and no-tool requests
    valid_calls: int = 0
    malformed: int = 0  # answers that try to be a call and do not parse
    spurious: int = 0
    causes: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, float | None] = field(default_factory=dict)
    latency_ms: dict[str, float | None] = field(default_factory=dict)

    @property
    def right_tool_rate(self) -> float | None:
        return rate(self.right_tool, self.tool_requests)

    @property
    def right_arguments_rate(self) -> float | None:
        return rate(self.right_arguments, self.tool_requests)

    @property
    def every_argument_rate(self) -> float | None:
        return rate(self.every_argument, self.tool_requests)

    @property
    def call_rate(self) -> float | None:
        return rate(self.calls, self.tool_requests)

    @property
    def detection_rate(self) -> float | None:
        return rate(self.detected, self.tool_requests)

    @property
    def schema_valid_rate(self) -> float | None:
        return rate(self.valid_calls, self.calls_made + self.malformed)

    @property
    def spurious_rate(self) -> float | None:
        return rate(self.spurious, self.no_tool_requests)

    def to_json(self) -> dict[str, Any]:
        value = asdict(self)
        for name in (
            "right_tool_rate",
            "right_arguments_rate",
            "every_argument_rate",
            "call_rate",
            "detection_rate",
            "schema_valid_rate",
            "spurious_rate",
        ):
            figure = getattr(self, name)
            value[name] = None if figure is None else round(figure, 4)
        return value


def summarise(
    records: Sequence[AnswerRecord],
    evidence: Mapping[tuple[str, int], RequestEvidence] | None = None,
) -> Summary:
    """Counts, rates, token means and latency means / percentiles over `records`.

    `evidence` is keyed by (ecosystem asked in, request index); it places
    each miss with a cause.
    """
    summary = Summary(causes={cause: 0 for cause in CAUSES})
    evidence = evidence or {}
    for record in records:
        summary.errors += int(bool(record.error))
        if record.kind == "tool":
            summary.tool_requests += 1
            summary.detected += int(record.detected)
            summary.calls += int(record.called)
            summary.right_tool += int(record.right_tool)
            summary.right_arguments += int(record.right_arguments)
            summary.every_argument += int(record.every_argument_right)
        else:
            summary.no_tool_requests += 1
            summary.spurious += int(record.spurious)
        if record.called:
            summary.calls_made += 1
            summary.valid_calls += int(record.valid)
        summary.malformed += int(record.malformed and not record.called)
        cause = miss_cause(record, evidence.get((record.ecosystem, record.index)))
        if cause:
            summary.causes[cause] += 1
    answered = [r for r in records if not r.error]
    tool_answers = [r for r in answered if r.kind == "tool"]
    for key in USAGE_KEYS:
        summary.tokens[key] = _round(_mean(r.usage.get(key, 0) for r in tool_answers))
    for key in TIMING_KEYS:
        # Results written before a key existed have none: unknown, not 0.
        timed = [r.timings[key] for r in answered if key in r.timings]
        summary.latency_ms[key] = _round(_mean(timed))
    totals = [r.timings.get("total_ms", 0.0) for r in answered]
    summary.latency_ms["total_p50_ms"] = _round(percentile(totals, 50))
    summary.latency_ms["total_p95_ms"] = _round(percentile(totals, 95))
    summary.latency_ms["wall_ms"] = _round(_mean(r.wall_ms for r in answered))
    return summary


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def recall_at_k(
    expected: Sequence[str], retrieved: Sequence[Sequence[str]], k: int = 3
) -> float | None:
    """Share of requests whose expected tool is among the first k retrieved tool names."""
    hits = sum(name in list(names)[:k] for name, names in zip(expected, retrieved, strict=True))
    return rate(hits, len(expected))


def evidence_summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    tool_rows = [row for row in rows if row["kind"] == "tool"]
    no_tool_rows = [row for row in rows if row["kind"] == "no_tool"]
    expected = [row["expected_name"] for row in tool_rows]
    # Of the tool requests the prompt builder took for tool requests (the others get no
    # candidates at all: a detection miss, not a retrieval one).
    detected = [row for row in tool_rows if row["detected"]]
    candidate_hits = sum(row["expected_name"] in row["candidate_tools"] for row in detected)
    # One candidate: the retrieved examples agreed on a tool (ADR 0007).
    single = [row for row in detected if len(row["candidate_tools"]) == 1]
    searches = [row["search_ms"] for row in rows]
    routed = [row for row in tool_rows if row.get("router_tool")]
    return {
        "tool_requests": len(tool_rows),
        "recall_at_3": recall_at_k(expected, [row["top3"] for row in tool_rows], 3),
        "recall_at_1": recall_at_k(expected, [row["top3"] for row in tool_rows], 1),
        "candidate_recall": candidate_hits / len(detected) if detected else None,
        "single_candidate": len(single),
        "single_candidate_right": sum(
            row["candidate_tools"] == [row["expected_name"]] for row in single
        ),
        "detected_tool_requests": sum(row["detected"] for row in tool_rows),
        # The tool router's likeliest tool (ADR 0009), over the tool requests it ranked.
        "router_ranked": len(routed),
        "router_right_first": sum(row["router_tool"] == row["expected_name"] for row in routed),
        "no_tool_requests": len(no_tool_rows),
        "detected_no_tool_requests": sum(row["detected"] for row in no_tool_rows),
        "search_ms_mean": round(sum(searches) / len(searches), 1) if searches else None,
    }
