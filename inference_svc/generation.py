"""One request end to end: prompt, generation, the call parsed, checked and rendered."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hybridtools.adapter_store import BASE_ADAPTER
from hybridtools.core.errors import InvalidArgumentError
from hybridtools.ecosystems.calls import parse_json_call, render_call, validate_call
from hybridtools.llm.copy_hints import CopyHints
from inference_svc.adapters import AdapterManager
from inference_svc.backends.base import GenerationParams, LLMBackend, TextCallback
from inference_svc.grounding import ground_arguments
from inference_svc.prompt_builder import (
    BuildOptions,
    BuiltPrompt,
    ToolAwarePromptBuilder,
    schema_json,
)
from inference_svc.regex_values import repair_regexes
from inference_svc.timeline import ToolCallEvent, UsageTimeline

MAX_NEW_TOKENS_LIMIT = 1024
MAX_QUERY_CHARS = 8000
# A conversation's history is trimmed, oldest turns first, to the context window;
# past these sizes (many times any window served: ~50K tokens of text) a request
# is refused instead, so that one request cannot hold the server tokenising it.
MAX_HISTORY_MESSAGES = 256
MAX_HISTORY_CHARS = 200_000


@dataclass(frozen=True)
class GenerateInput:
    query: str
    ecosystem: str = ""
    history: Sequence[dict[str, str]] = ()
    adapter: str = ""
    tool_choice: str = "auto"
    max_examples: int = 0  # 0 = the server's default
    no_examples: bool = False
    constrained: bool = True
    max_new_tokens: int = 0
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0


@dataclass
class ParsedCall:
    name: str
    arguments: dict[str, Any]
    rendered: str
    valid: bool
    error: str = ""


@dataclass
class GenerateOutput:
    text: str
    prompt: BuiltPrompt
    adapter: str
    finish_reason: str
    completion_tokens: int
    generate_ms: float
    total_ms: float
    decode_tokens_per_second: float
    first_token_ms: float = 0.0
    call: ParsedCall | None = None
    timings: dict[str, float] = field(default_factory=dict)


def parse_tool_call(text: str, prompt: BuiltPrompt) -> ParsedCall | None:
    """The model's JSON call, validated and rendered in the ecosystem's format."""
    parsed = parse_json_call(text)
    if parsed is None or prompt.catalog is None:
        return None
    name, arguments = parsed
    if prompt.catalog.has_tool(name):
        request = next((m["content"] for m in reversed(prompt.messages) if m["role"] == "user"), "")
        tool = prompt.catalog.tool(name)
        arguments = repair_regexes(ground_arguments(arguments, request, tool.properties), tool)
    problems = validate_call(prompt.catalog, name, arguments)
    rendered = render_call(prompt.catalog.call_format, name, arguments)
    return ParsedCall(name, arguments, rendered, not problems, "; ".join(problems))


@dataclass(frozen=True)
class TokenLimits:
    """Default generation limits, for plain text and for a constrained tool call. A
    call's grammar ends it when its JSON closes, so its limit only stops a runaway
    value; it needs more room than a reply (96 tokens had cut Cursor's `edit_file`
    calls: a path, a sentence and the pasted code)."""

    text: int
    call: int

    def for_request(self, requested: int, constrained: bool, call: bool | None = None) -> int:
        """`requested` if set, else the default for a call (`call`) or for text. `call`
        None: before the prompt is built says which the answer is, the larger of the
        two it may be (the prompt leaves room for it)."""
        if call is None:
            default = max(self.text, self.call) if constrained else self.text
        else:
            default = self.call if call else self.text
        value = requested or default
        if not 1 <= value <= MAX_NEW_TOKENS_LIMIT:
            raise InvalidArgumentError(
                f"max_new_tokens must be 1..{MAX_NEW_TOKENS_LIMIT}, got {value}"
            )
        return value


class ToolCallingGenerator:
    def __init__(
        self,
        builder: ToolAwarePromptBuilder,
        backend: LLMBackend,
        adapters: AdapterManager,
        timeline: UsageTimeline | None,
        default_max_new_tokens: int,
        default_examples: int,
        default_max_call_tokens: int,
    ) -> None:
        self.builder = builder
        self.backend = backend
        self.adapters = adapters
        self._timeline = timeline
        self._limits = TokenLimits(default_max_new_tokens, default_max_call_tokens)
        self._default_examples = default_examples

    def _options(self, request: GenerateInput, reserve: int) -> BuildOptions:
        if not request.query.strip():
            raise InvalidArgumentError("query is empty")
        if len(request.query) > MAX_QUERY_CHARS:
            raise InvalidArgumentError(
                f"query has {len(request.query)} characters, more than {MAX_QUERY_CHARS}"
            )
        if len(request.history) > MAX_HISTORY_MESSAGES:
            raise InvalidArgumentError(
                f"history has {len(request.history)} messages, more than "
                f"{MAX_HISTORY_MESSAGES}; send the recent turns only (older ones would not fit "
                "the context window)"
            )
        history_chars = sum(len(turn["content"]) for turn in request.history)
        if history_chars > MAX_HISTORY_CHARS:
            raise InvalidArgumentError(
                f"history has {history_chars} characters, more than {MAX_HISTORY_CHARS}; send "
                "the recent turns only (older ones would not fit the context window)"
            )
        if not 0 <= request.max_examples <= 5:
            raise InvalidArgumentError(f"max_examples must be 0..5, got {request.max_examples}")
        examples = 0 if request.no_examples else (request.max_examples or self._default_examples)
        return BuildOptions(
            ecosystem=request.ecosystem,
            history=request.history,
            tool_choice=request.tool_choice,
            max_examples=examples,
            generation_reserve=reserve,
        )

    def _max_new_tokens(self, request: GenerateInput, call: bool | None = None) -> int:
        return self._limits.for_request(request.max_new_tokens, request.constrained, call)

    async def build(self, request: GenerateInput, max_prompt_tokens: int = 0) -> BuiltPrompt:
        options = self._options(request, self._max_new_tokens(request))
        if max_prompt_tokens:
            options = BuildOptions(**{**options.__dict__, "max_prompt_tokens": max_prompt_tokens})
        return await self.builder.augment_with_tools(request.query, options)

    async def generate(
        self, request: GenerateInput, on_text: TextCallback | None = None
    ) -> GenerateOutput:
        started = time.perf_counter()
        if not 0.0 <= request.temperature <= 2.0:
            raise InvalidArgumentError(f"temperature must be 0..2, got {request.temperature}")
        if not 0.0 <= request.top_p <= 1.0:
            raise InvalidArgumentError(f"top_p must be 0..1, got {request.top_p}")
        adapter = self.adapters.resolve(request.adapter)
        prompt = await self.builder.augment_with_tools(
            request.query, self._options(request, self._max_new_tokens(request))
        )
        schema = (
            schema_json(prompt.call_schema) if request.constrained and prompt.call_schema else None
        )
        max_new_tokens = self._max_new_tokens(request, call=schema is not None)
        output = await self.backend.generate(
            prompt.messages,
            GenerationParams(
                max_new_tokens=max_new_tokens,
                temperature=request.temperature,
                top_p=request.top_p or 1.0,
                seed=request.seed,
                json_schema=schema,
                adapter=adapter,
                copy_source=request.query if schema else "",
                copy_hints=prompt.copy_hints if schema else CopyHints(),
            ),
            on_text,
        )
        call = parse_tool_call(output.text, prompt) if prompt.tool_detected else None
        total_ms = (time.perf_counter() - started) * 1000
        adapter_name = adapter or BASE_ADAPTER
        if call is not None and self._timeline is not None:
            self._timeline.record(
                ToolCallEvent(prompt.ecosystem, call.name, adapter_name, total_ms, call.valid)
            )
        return GenerateOutput(
            text=output.text,
            prompt=prompt,
            adapter=adapter_name,
            finish_reason=output.finish_reason,
            completion_tokens=output.completion_tokens,
            generate_ms=output.generate_ms,
            total_ms=total_ms,
            decode_tokens_per_second=output.decode_tokens_per_second,
            first_token_ms=output.first_token_ms,
            call=call,
        )
