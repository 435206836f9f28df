"""InferenceService: proto <-> domain conversion, nothing else."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import grpc
from google.protobuf import struct_pb2, timestamp_pb2
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from hybridtools.common.v1 import tools_pb2
from hybridtools.core.errors import InvalidArgumentError, UnavailableError
from hybridtools.inference.v1 import inference_service_pb2 as pb
from hybridtools.inference.v1 import inference_service_pb2_grpc as pb_grpc
from inference_svc.generation import GenerateInput, GenerateOutput, ToolCallingGenerator
from inference_svc.prompt_builder import BuiltPrompt, schema_json
from inference_svc.timeline import UsageTimeline

ADMIN_METHODS = frozenset({"LoadAdapter", "UnloadAdapter"})
_TOOL_CHOICE = {
    pb.TOOL_CHOICE_UNSPECIFIED: "auto",
    pb.TOOL_CHOICE_AUTO: "auto",
    pb.TOOL_CHOICE_REQUIRED: "required",
    pb.TOOL_CHOICE_NONE: "none",
}
_FINISH = {
    "stop": pb.FINISH_REASON_STOP,
    "length": pb.FINISH_REASON_LENGTH,
    "grammar": pb.FINISH_REASON_TOOL_CALL,
}
_ROLES = {
    tools_pb2.ROLE_USER: "user",
    tools_pb2.ROLE_ASSISTANT: "assistant",
    tools_pb2.ROLE_TOOL: "user",
}


def _enum_name(enum: EnumTypeWrapper, value: int) -> str:
    """The value's name, or its number where this build of the proto has no such value."""
    try:
        return enum.Name(value)
    except ValueError:
        return str(value)


def history_from_proto(messages: list[tools_pb2.ChatMessage]) -> list[dict[str, str]]:
    history = []
    for number, message in enumerate(messages, start=1):
        role = _ROLES.get(message.role)
        if role is None:
            raise InvalidArgumentError(
                f"history message {number} has role {_enum_name(tools_pb2.Role, message.role)}; "
                "use ROLE_USER, ROLE_ASSISTANT or ROLE_TOOL (the service writes the system message)"
            )
        content = message.content
        if message.role == tools_pb2.ROLE_TOOL:
            content = f"Tool result:\n{content}"
        history.append({"role": role, "content": content})
    return history


def tool_choice_from_proto(value: int) -> str:
    choice = _TOOL_CHOICE.get(value)
    if choice is None:
        raise InvalidArgumentError(
            f"tool_choice {value} is not one of TOOL_CHOICE_AUTO, TOOL_CHOICE_REQUIRED or "
            "TOOL_CHOICE_NONE"
        )
    return choice


def _constrained(decoding: int) -> bool:
    if decoding not in (pb.DECODING_UNSPECIFIED, pb.DECODING_CONSTRAINED, pb.DECODING_FREE):
        raise InvalidArgumentError(
            f"decoding {decoding} is not one of DECODING_CONSTRAINED or DECODING_FREE"
        )
    return decoding != pb.DECODING_FREE


def _input(request: pb.GenerateRequest) -> GenerateInput:
    config = request.generation_config
    return GenerateInput(
        query=request.query,
        ecosystem=request.ecosystem,
        history=history_from_proto(list(request.history)),
        adapter=request.adapter,
        tool_choice=tool_choice_from_proto(request.tool_choice),
        max_examples=request.max_examples,
        no_examples=request.no_examples,
        constrained=_constrained(config.decoding),
        max_new_tokens=config.max_new_tokens,
        temperature=config.temperature,
        top_p=config.top_p,
        seed=config.seed,
    )


def _used_examples(prompt: BuiltPrompt) -> list[pb.UsedExample]:
    return [
        pb.UsedExample(
            id=e.id,
            tool_name=e.tool_name,
            score=e.score,
            kind=tools_pb2.EXAMPLE_KIND_NEGATIVE
            if e.kind == "negative"
            else tools_pb2.EXAMPLE_KIND_POSITIVE,
        )
        for e in prompt.examples
    ]


def _response(output: GenerateOutput) -> pb.GenerateResponse:
    prompt = output.prompt
    response = pb.GenerateResponse(
        text=output.text,
        tool_detected=prompt.tool_detected,
        examples=_used_examples(prompt),
        usage=pb.TokenUsage(
            prompt_tokens=prompt.prompt_tokens,
            example_tokens=prompt.example_tokens,
            schema_tokens=prompt.schema_tokens,
            completion_tokens=output.completion_tokens,
        ),
        timings=pb.Timings(
            detect_ms=prompt.detect_ms,
            retrieve_ms=prompt.retrieve_ms,
            build_ms=prompt.build_ms,
            generate_ms=output.generate_ms,
            total_ms=output.total_ms,
            decode_tokens_per_second=output.decode_tokens_per_second,
            first_token_ms=output.first_token_ms,
        ),
        finish_reason=_FINISH.get(output.finish_reason, pb.FINISH_REASON_STOP),
        ecosystem=prompt.ecosystem,
        adapter=output.adapter,
    )
    if output.call is not None:
        arguments = struct_pb2.Struct()
        arguments.update(output.call.arguments)
        response.tool_call.CopyFrom(
            tools_pb2.ToolCall(
                name=output.call.name, arguments=arguments, rendered=output.call.rendered
            )
        )
        response.tool_call_valid = output.call.valid
        response.validation_error = output.call.error
    return response


class InferenceServicer(pb_grpc.InferenceServiceServicer):
    """Registered before the model loads; `attach` hands it the generator."""

    def __init__(self, timeline: UsageTimeline) -> None:
        self._timeline = timeline
        self._generator: ToolCallingGenerator | None = None

    def attach(self, generator: ToolCallingGenerator) -> None:
        self._generator = generator

    @property
    def generator(self) -> ToolCallingGenerator:
        if self._generator is None:
            raise UnavailableError("the inference service is loading its model; retry shortly")
        return self._generator

    async def Generate(
        self, request: pb.GenerateRequest, context: grpc.aio.ServicerContext
    ) -> pb.GenerateResponse:
        return _response(await self.generator.generate(_input(request)))

    async def StreamGenerate(
        self, request: pb.GenerateRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.StreamGenerateResponse]:
        generator = self.generator
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[str] = asyncio.Queue()
        cancelled = False

        def on_text(text: str) -> None:
            # Called on the generation thread; an exception here stops generation.
            if cancelled:
                raise RuntimeError("client went away")
            loop.call_soon_threadsafe(chunks.put_nowait, text)

        work = asyncio.ensure_future(generator.generate(_input(request), on_text))
        try:
            while not work.done() or not chunks.empty():
                getter = asyncio.ensure_future(chunks.get())
                await asyncio.wait({work, getter}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield pb.StreamGenerateResponse(text=getter.result())
                else:
                    getter.cancel()
            output = work.result()
        except asyncio.CancelledError:
            cancelled = True
            raise
        yield pb.StreamGenerateResponse(final=_response(output))

    async def BuildPrompt(
        self, request: pb.BuildPromptRequest, context: grpc.aio.ServicerContext
    ) -> pb.BuildPromptResponse:
        generator = self.generator
        if request.max_prompt_tokens < 0:
            raise InvalidArgumentError("max_prompt_tokens must not be negative")
        prompt = await generator.build(
            GenerateInput(
                query=request.query,
                ecosystem=request.ecosystem,
                history=history_from_proto(list(request.history)),
                tool_choice=tool_choice_from_proto(request.tool_choice),
                max_examples=request.max_examples,
                no_examples=request.no_examples,
            ),
            max_prompt_tokens=request.max_prompt_tokens,
        )
        role_of = {
            "system": tools_pb2.ROLE_SYSTEM,
            "user": tools_pb2.ROLE_USER,
            "assistant": tools_pb2.ROLE_ASSISTANT,
        }
        return pb.BuildPromptResponse(
            messages=[
                tools_pb2.ChatMessage(role=role_of[m["role"]], content=m["content"])
                for m in prompt.messages
            ],
            prompt=generator.backend.tokenizer.render(prompt.messages),
            tool_detected=prompt.tool_detected,
            examples=_used_examples(prompt),
            candidate_tools=[tool.to_proto() for tool in prompt.tools],
            usage=pb.TokenUsage(
                prompt_tokens=prompt.prompt_tokens,
                example_tokens=prompt.example_tokens,
                schema_tokens=prompt.schema_tokens,
            ),
            timings=pb.Timings(
                detect_ms=prompt.detect_ms, retrieve_ms=prompt.retrieve_ms, build_ms=prompt.build_ms
            ),
            ecosystem=prompt.ecosystem,
            call_schema_json=schema_json(prompt.call_schema),
        )

    async def ListAdapters(
        self, request: pb.ListAdaptersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListAdaptersResponse:
        generator = self.generator
        manager = generator.adapters
        loaded = manager.loaded()
        versions = await asyncio.to_thread(manager.store.all_versions)
        return pb.ListAdaptersResponse(
            adapters=[
                v.to_proto(loaded=v.name in loaded and loaded[v.name].version == v.version)
                for v in versions
            ],
            default_adapter=manager.default,
            backend=generator.backend.name,
            base_model=generator.backend.base_model,
        )

    async def LoadAdapter(
        self, request: pb.LoadAdapterRequest, context: grpc.aio.ServicerContext
    ) -> pb.LoadAdapterResponse:
        started = datetime.now(UTC)
        adapter = await self.generator.adapters.load(
            request.name, request.version, request.make_default
        )
        elapsed = (datetime.now(UTC) - started).total_seconds() * 1000
        return pb.LoadAdapterResponse(adapter=adapter.to_proto(loaded=True), load_ms=elapsed)

    async def UnloadAdapter(
        self, request: pb.UnloadAdapterRequest, context: grpc.aio.ServicerContext
    ) -> pb.UnloadAdapterResponse:
        return pb.UnloadAdapterResponse(
            default_adapter=await self.generator.adapters.unload(request.name)
        )

    async def GetToolUsage(
        self, request: pb.GetToolUsageRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetToolUsageResponse:
        if not 0 <= request.days <= 90:
            raise InvalidArgumentError(f"days must be 1..90 (0 = 1), got {request.days}")
        rows = await asyncio.to_thread(self._timeline.usage, request.days or 1, request.ecosystem)
        stamp = timestamp_pb2.Timestamp()
        stamp.GetCurrentTime()
        return pb.GetToolUsageResponse(
            usage=[
                pb.ToolUsage(
                    day=r.day,
                    ecosystem=r.ecosystem,
                    tool_name=r.tool_name,
                    calls=r.calls,
                    valid_calls=r.valid_calls,
                    mean_latency_ms=r.mean_latency_ms,
                )
                for r in rows
            ],
            generated_time=stamp,
        )
