"""InferenceService end to end over gRPC: the packaged model, the default adapter,
a real retrieval service with three ecosystems indexed."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from hybridtools.adapter_store import PACKAGED_DEFAULT
from hybridtools.common.v1 import tools_pb2
from hybridtools.core.channels import aio_channel
from hybridtools.core.server import RunningServer, start_server
from hybridtools.ecosystems.catalog import load_builtin_catalog
from hybridtools.ecosystems.generator import generate_ecosystem_examples
from hybridtools.inference.v1 import inference_service_pb2 as pb
from hybridtools.inference.v1 import inference_service_pb2_grpc as pb_grpc
from hybridtools.llm.packaged import default_model_cache_dir, ensure_model_dir, load_tokenizer
from hybridtools.retrieval.v1 import retrieval_service_pb2 as rpb
from inference_svc.backends.tokenizer import HfChatTokenizer
from inference_svc.config import InferenceSettings
from inference_svc.prompt_builder import SEARCH_DEPTH, ToolAwarePromptBuilder, ToolExamples
from inference_svc.retrieval_client import RetrievalClient, RetrievedExample
from inference_svc.server import build_service

from .conftest import RetrievalUnderTest, start_retrieval

pytestmark = pytest.mark.slow
ECOSYSTEMS = ("continue", "cursor", "cline")
HAS_DEFAULT_ADAPTER = (PACKAGED_DEFAULT / "manifest.json").exists()
needs_adapter = pytest.mark.skipif(
    not HAS_DEFAULT_ADAPTER, reason="the default adapter is not committed yet"
)


@dataclass
class InferenceUnderTest:
    server: RunningServer
    stub: pb_grpc.InferenceServiceStub
    channel: grpc.aio.Channel
    retrieval: RetrievalUnderTest
    data_dir: Path


async def start_inference(
    data_dir: Path, retrieval_address: str, **settings: object
) -> tuple[RunningServer, grpc.aio.Channel]:
    config = InferenceSettings(
        port=0,
        data_dir=data_dir,
        retrieval_address=retrieval_address,
        model_dir=default_model_cache_dir(),
        adapter_dir=data_dir / "adapters",
        **settings,
    )
    server = await start_server(build_service(config), "127.0.0.1:0", grace_s=1.0)
    return server, aio_channel(f"127.0.0.1:{server.port}")


@pytest.fixture(scope="module")
async def system(session_dir: Path) -> AsyncIterator[InferenceUnderTest]:
    retrieval = await start_retrieval(session_dir / "inference-retrieval")
    try:
        for ecosystem in ECOSYSTEMS:
            generated = generate_ecosystem_examples(
                load_builtin_catalog(ecosystem), positives=300, negatives=60, held_out=0
            )
            request = rpb.SwapEcosystemRequest(
                ecosystem=ecosystem, activate=ecosystem == "continue", wait_for_tool_router=True
            )
            request.examples.examples.extend(record.to_proto() for record in generated.indexed)
            async for _ in retrieval.stub.SwapEcosystem(request):
                pass
        data_dir = session_dir / "inference"
        server, channel = await start_inference(data_dir, retrieval.address)
        try:
            yield InferenceUnderTest(
                server, pb_grpc.InferenceServiceStub(channel), channel, retrieval, data_dir
            )
        finally:
            await channel.close()
            await server.stop()
    finally:
        await retrieval.channel.close()
        await retrieval.server.stop()


async def test_health_and_adapters(system: InferenceUnderTest) -> None:
    health = health_pb2_grpc.HealthStub(system.channel)
    status = await health.Check(
        health_pb2.HealthCheckRequest(service="hybridtools.inference.v1.InferenceService")
    )
    assert status.status == health_pb2.HealthCheckResponse.SERVING
    listed = await system.stub.ListAdapters(pb.ListAdaptersRequest())
    assert listed.backend == "local" and listed.base_model == "smollm2-135m-instruct"
    if HAS_DEFAULT_ADAPTER:
        assert listed.default_adapter == "tool-awareness"
        default = next(a for a in listed.adapters if a.name == "tool-awareness")
        assert default.loaded and default.published and default.held_out_accuracy > 0


@needs_adapter
@pytest.mark.parametrize(
    ("ecosystem", "argument"),
    [("continue", "filepath"), ("cursor", "target_file"), ("cline", "path")],
)
async def test_read_header_in_each_ecosystem(
    system: InferenceUnderTest, ecosystem: str, argument: str
) -> None:
    response = await system.stub.Generate(
        pb.GenerateRequest(query="Read Header.tsx", ecosystem=ecosystem)
    )
    assert response.tool_detected
    assert response.tool_call.name == "read_file", response.text
    arguments = json.loads(response.tool_call.rendered) if ecosystem != "cline" else None
    assert response.tool_call.arguments[argument] == "Header.tsx"
    assert response.tool_call_valid, response.validation_error
    if ecosystem == "cline":
        assert response.tool_call.rendered.startswith("<read_file>\n<path>Header.tsx</path>")
        assert response.tool_call.rendered.rstrip().endswith("</read_file>")
    else:
        assert arguments == {"name": "read_file", "arguments": dict(response.tool_call.arguments)}
    assert response.ecosystem == ecosystem and response.adapter == "tool-awareness"
    assert 2 <= len(response.examples) <= 4
    assert 0 < response.usage.example_tokens <= 300
    assert response.usage.prompt_tokens > response.usage.example_tokens
    assert response.finish_reason == pb.FINISH_REASON_TOOL_CALL
    timings = response.timings
    assert timings.retrieve_ms > 0 and timings.generate_ms > 0
    assert 0 < timings.first_token_ms < timings.generate_ms
    assert timings.total_ms >= timings.detect_ms + timings.retrieve_ms + timings.build_ms


async def test_no_tool_request_gets_plain_text(system: InferenceUnderTest) -> None:
    response = await system.stub.Generate(
        pb.GenerateRequest(
            query="What is the difference between a list and a tuple in Python?",
            generation_config=pb.GenerationConfig(max_new_tokens=24),
        )
    )
    assert not response.tool_detected
    assert not response.HasField("tool_call")
    assert response.text.strip() and not response.text.lstrip().startswith("{")
    assert response.usage.example_tokens == 0 and not response.examples


async def test_stream_generate_ends_with_the_parsed_call(system: InferenceUnderTest) -> None:
    chunks: list[str] = []
    final = None
    async for message in system.stub.StreamGenerate(
        pb.GenerateRequest(
            query="run the tests with pytest -q",
            ecosystem="cursor",
            tool_choice=pb.TOOL_CHOICE_REQUIRED,
        )
    ):
        if message.HasField("final"):
            final = message.final
        else:
            chunks.append(message.text)
    assert final is not None
    assert "".join(chunks) == final.text
    assert final.tool_detected and final.HasField("tool_call")
    assert final.tool_call_valid, final.validation_error
    assert final.usage.completion_tokens > 0


async def test_build_prompt_only(system: InferenceUnderTest) -> None:
    response = await system.stub.BuildPrompt(
        pb.BuildPromptRequest(query="list the files in src/utils", ecosystem="cursor")
    )
    assert response.tool_detected and response.ecosystem == "cursor"
    assert response.messages[0].role == tools_pb2.ROLE_SYSTEM
    assert response.messages[-1].content == "list the files in src/utils"
    assert "Examples:" in response.messages[0].content and "Tools:" in response.messages[0].content
    assert response.candidate_tools and response.examples
    schema = json.loads(response.call_schema_json)
    assert "anyOf" in schema or schema["properties"]["name"]["const"]
    assert response.prompt.startswith("<|im_start|>system")
    assert response.usage.prompt_tokens < 2048 and response.usage.example_tokens <= 300


async def test_a_dominant_tool_is_the_only_candidate(system: InferenceUnderTest) -> None:
    """Retrieved examples that mostly show one tool: only it is offered, with its examples."""
    response = await system.stub.BuildPrompt(
        pb.BuildPromptRequest(query="show me the contents of src/app.ts", ecosystem="continue")
    )
    assert [tool.name for tool in response.candidate_tools] == ["read_file"]
    assert {e.tool_name for e in response.examples} == {"read_file"}
    assert json.loads(response.call_schema_json)["properties"]["name"]["const"] == "read_file"


async def test_a_routed_tool_without_a_near_example_gets_its_own(
    system: InferenceUnderTest,
) -> None:
    """The router's tool has no example among the nearest: the builder fetches that tool's
    own examples with a second, filtered search, and offers only it."""
    client = RetrievalClient(system.retrieval.address, timeout_s=10.0)
    tokenizer = HfChatTokenizer(
        load_tokenizer(ensure_model_dir(cache_dir=default_model_cache_dir()))
    )
    # Any likelihood decides, so the router's first tool among the likely ones is taken.
    builder = ToolAwarePromptBuilder(client, tokenizer, 2048, router_confidence=1e-9)
    query = "Read Header.tsx"
    try:
        nearest = await client.search(
            query, "continue", SEARCH_DEPTH, include_negatives=True, rank_tools=True
        )
        near_tools = {e.tool_name for e in nearest.examples}
        # A tool the router ranks (it names five) that no near example shows: the case to test.
        far_tool = next(t for t, _ in nearest.tool_likelihoods if t not in near_tools)
        found = await builder.retrieve_tool_examples(query, [far_tool], "continue")
    finally:
        await client.close()
    assert [tool.name for tool in found.tools] == [far_tool]
    assert {e.tool_name for e in found.examples} == {far_tool}
    assert any(e.kind == "positive" for e in found.examples)


def crowd_example(request: str, tool: str, arguments: dict) -> tools_pb2.ToolExample:
    example = tools_pb2.ToolExample(
        tool_name=tool,
        request=request,
        kind=tools_pb2.EXAMPLE_KIND_POSITIVE,
        usage_pattern="test",
        tool_version=load_builtin_catalog("continue").version,
        quality_score=1.0,
    )
    example.call.name = tool
    example.call.arguments.update(arguments)
    return example


# Sixteen phrasings of one read_file call, more than the first search sees.
CROWD = [
    crowd_example(f"{verb} {how} src/app.ts", "read_file", {"filepath": "src/app.ts"})
    for verb in ("show me", "open", "display", "print")
    for how in ("the contents of", "what is in", "the file", "the source of")
]


# More one-word folders than the first search sees, each listed in other words.
FOLDERS = [
    crowd_example(f"{verb} the {folder} folder", "ls", {"dirPath": folder})
    for verb in ("list", "ls")
    for folder in ("src", "tests", "docs", "scripts", "assets", "config", "public", "vendor")
]


@pytest.fixture(scope="module")
async def crowded(system: InferenceUnderTest) -> str:
    """An ecosystem with Continue's tools whose nearest examples repeat one call."""
    others = [
        crowd_example("open README.md", "read_file", {"filepath": "README.md"}),
        crowd_example("what's inside package.json?", "read_file", {"filepath": "package.json"}),
        crowd_example("cat the Makefile", "read_file", {"filepath": "Makefile"}),
        # view_diff takes no arguments: all its examples are one call.
        crowd_example("show the diff", "view_diff", {}),
        crowd_example("what did I change?", "view_diff", {}),
        crowd_example("diff my working tree", "view_diff", {}),
        crowd_example("show me my uncommitted changes", "view_diff", {}),
        # The folders listed nearest have no path; one far off has.
        *FOLDERS,
        crowd_example("what's under lib/core/utils?", "ls", {"dirPath": "lib/core/utils"}),
    ]
    request = rpb.SwapEcosystemRequest(
        ecosystem="crowded",
        catalog=load_builtin_catalog("continue").to_proto(),
        wait_for_tool_router=True,
    )
    request.examples.examples.extend(CROWD + others)
    async for _ in system.retrieval.stub.SwapEcosystem(request):
        pass
    return "crowded"


async def test_phrasings_of_one_call_do_not_fill_every_slot(
    system: InferenceUnderTest, crowded: str
) -> None:
    """The nearest examples are all one call: the prompt looks deeper for other calls."""
    response = await system.stub.BuildPrompt(
        pb.BuildPromptRequest(query="show me the contents of src/app.ts", ecosystem=crowded)
    )
    # The calls as the model reads them, in prompt order (the last ends the turn).
    shown = [
        json.loads(line.removeprefix("Call: ").split("<|im_end|>")[0])["arguments"]["filepath"]
        for line in response.prompt.splitlines()
        if line.startswith("Call: ")
    ]
    assert len(CROWD) > SEARCH_DEPTH  # the first search sees only the crowd
    assert len(shown) == 3
    assert len(set(shown)) == 3, shown
    assert shown[-1] == "src/app.ts"  # the best match still sits last


class CountingRetrievalClient(RetrievalClient):
    """The real client, counting its example searches."""

    searches = 0

    async def search(self, *args: Any, **kwargs: Any) -> Any:
        self.searches += 1
        return await super().search(*args, **kwargs)


async def retrieve_counting_searches(
    system: InferenceUnderTest, query: str, ecosystem: str
) -> tuple[ToolExamples, int]:
    """What the prompt builder retrieves for `query`, and how many example searches it made."""
    client = CountingRetrievalClient(system.retrieval.address, timeout_s=10.0)
    tokenizer = HfChatTokenizer(
        load_tokenizer(ensure_model_dir(cache_dir=default_model_cache_dir()))
    )
    builder = ToolAwarePromptBuilder(client, tokenizer, 2048)
    try:
        found = await builder.retrieve_tool_examples(query, (), ecosystem)
    finally:
        await client.close()
    return found, client.searches


async def test_a_tool_without_arguments_is_not_searched_deeper(
    system: InferenceUnderTest, crowded: str
) -> None:
    """Its examples can only repeat its one call: no second search for other calls."""
    found, searches = await retrieve_counting_searches(system, "show the diff", crowded)
    assert [tool.name for tool in found.tools] == ["view_diff"]
    assert len([e for e in found.examples if e.kind == "positive"]) == 3  # one call, thrice
    assert searches == 1


async def test_the_prompt_shows_where_a_requested_folder_goes(
    system: InferenceUnderTest, crowded: str
) -> None:
    """No near example names a folder by its path: a deeper search finds one that does."""
    found, searches = await retrieve_counting_searches(
        system, "list the folder packages/api/src", crowded
    )
    assert [tool.name for tool in found.tools] == ["ls"]
    assert len(FOLDERS) > SEARCH_DEPTH
    shown = [e.call_arguments["dirPath"] for e in found.examples if e.kind == "positive"]
    assert "lib/core/utils" in shown, shown
    assert searches == 2


def shown_edit(relevance: float, request: str, code_edit: str) -> RetrievedExample:
    return RetrievedExample(
        id=f"edit-{relevance}",
        tool_name="edit_file",
        request=request,
        call_name="edit_file",
        call_arguments={"target_file": "a.py", "code_edit": code_edit},
        kind="positive",
        score=0.5,
        quality_score=1.0,
        tool_version="1",
        relevance=relevance,
    )


async def test_the_example_budget_keeps_the_one_example_made_for_pasted_code(
    system: InferenceUnderTest,
) -> None:
    """Over the example budget, the worst-ranked example goes first, unless it is the one
    showing what the request has (an example made for pasted code is long)."""
    client = RetrievalClient(system.retrieval.address, timeout_s=10.0)
    tokenizer = HfChatTokenizer(
        load_tokenizer(ensure_model_dir(cache_dir=default_model_cache_dir()))
    )
    builder = ToolAwarePromptBuilder(client, tokenizer, 2048, example_token_budget=150)
    code = "\n".join(f"def handler_{n}(event):\n    return event" for n in range(4))
    pasted = shown_edit(0.5, f"add this to a.py:\n{code}", f"# ... existing code ...\n\n{code}")
    near = [shown_edit(r, f"in a.py swap x{r} for y", "# ...\ny\n# ...") for r in (0.8, 0.9)]
    try:
        for query, keeps_pasted in (("extend b.py with:\nZ = 1", True), ("swap z for y", False)):
            _, _, examples, _, _, _ = builder.format_tool_aware_prompt(
                query, [pasted, *near], [load_builtin_catalog("cursor").tool("edit_file")]
            )
            assert len(examples) < 3
            assert (pasted in examples) == keeps_pasted, query
    finally:
        await client.close()


async def test_generate_without_examples_and_free_decoding(system: InferenceUnderTest) -> None:
    response = await system.stub.Generate(
        pb.GenerateRequest(
            query="open package.json",
            ecosystem="continue",
            no_examples=True,
            generation_config=pb.GenerationConfig(decoding=pb.DECODING_FREE, max_new_tokens=40),
        )
    )
    assert response.tool_detected and not response.examples
    assert response.usage.example_tokens == 0 and response.usage.schema_tokens > 0


@pytest.mark.parametrize(
    ("request_fields", "code", "fragment"),
    [
        ({"query": ""}, grpc.StatusCode.INVALID_ARGUMENT, "query is empty"),
        (
            {"query": "open a.py", "ecosystem": "vim"},
            grpc.StatusCode.NOT_FOUND,
            "'vim' is not indexed",
        ),
        ({"query": "open a.py", "adapter": "nope"}, grpc.StatusCode.NOT_FOUND, "adapter 'nope'"),
        (
            {"query": "open a.py", "max_examples": 9},
            grpc.StatusCode.INVALID_ARGUMENT,
            "max_examples",
        ),
        (
            {"query": "open a.py", "generation_config": pb.GenerationConfig(max_new_tokens=5000)},
            grpc.StatusCode.INVALID_ARGUMENT,
            "max_new_tokens",
        ),
        (
            {
                "query": "hi",
                "history": [tools_pb2.ChatMessage(role=tools_pb2.ROLE_SYSTEM, content="x")],
            },
            grpc.StatusCode.INVALID_ARGUMENT,
            "ROLE_SYSTEM",
        ),
        (
            # A role this build's proto does not know: named by its number.
            {"query": "hi", "history": [tools_pb2.ChatMessage(role=99, content="x")]},
            grpc.StatusCode.INVALID_ARGUMENT,
            "role 99",
        ),
        (
            {"query": "open a.py", "tool_choice": 99},
            grpc.StatusCode.INVALID_ARGUMENT,
            "tool_choice",
        ),
        (
            {"query": "open a.py", "generation_config": pb.GenerationConfig(decoding=99)},
            grpc.StatusCode.INVALID_ARGUMENT,
            "decoding 99",
        ),
        (
            {
                "query": "hi",
                "history": [tools_pb2.ChatMessage(role=tools_pb2.ROLE_USER, content="x")] * 300,
            },
            grpc.StatusCode.INVALID_ARGUMENT,
            "300 messages",
        ),
        (
            {
                "query": "hi",
                "history": [tools_pb2.ChatMessage(role=tools_pb2.ROLE_USER, content="x" * 120_000)]
                * 2,
            },
            grpc.StatusCode.INVALID_ARGUMENT,
            "240000 characters",
        ),
    ],
)
async def test_generate_bad_input(
    system: InferenceUnderTest, request_fields: dict, code, fragment: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await system.stub.Generate(pb.GenerateRequest(**request_fields))
    assert failure.value.code() == code
    assert fragment in failure.value.details()


async def test_budget_too_small(system: InferenceUnderTest) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await system.stub.BuildPrompt(
            pb.BuildPromptRequest(query="open the file src/app.ts", max_prompt_tokens=20)
        )
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "budget is 20" in failure.value.details()
    # A budget that fits the request but not the examples drops examples instead.
    small = await system.stub.BuildPrompt(
        pb.BuildPromptRequest(query="open the file src/app.ts", max_prompt_tokens=260)
    )
    assert small.usage.prompt_tokens <= 260


async def test_a_long_conversation_keeps_its_recent_turns(system: InferenceUnderTest) -> None:
    # 200 turns of ~1,000 characters: far over the window, under the history caps.
    turns = [
        tools_pb2.ChatMessage(
            role=tools_pb2.ROLE_USER if number % 2 == 0 else tools_pb2.ROLE_ASSISTANT,
            content=f"turn {number}: " + "words about the code base " * 30,
        )
        for number in range(200)
    ]
    response = await system.stub.BuildPrompt(
        pb.BuildPromptRequest(query="open the file src/app.ts", history=turns)
    )
    contents = [message.content for message in response.messages]
    assert contents[-1] == "open the file src/app.ts"
    assert contents[-2].startswith("turn 199: ")
    assert not any(content.startswith("turn 0: ") for content in contents)
    assert response.usage.prompt_tokens <= 2048


async def test_adapter_lifecycle(system: InferenceUnderTest) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await system.stub.LoadAdapter(pb.LoadAdapterRequest(name="missing-adapter"))
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND
    default = (await system.stub.ListAdapters(pb.ListAdaptersRequest())).default_adapter
    for bad_load in (
        pb.LoadAdapterRequest(name="tool-awareness", version=-3),
        pb.LoadAdapterRequest(name=""),
        pb.LoadAdapterRequest(name="base", make_default=True),
        # A name is a folder of the store: one with a path would reach another folder.
        pb.LoadAdapterRequest(name="../adapters/tool-awareness"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await system.stub.LoadAdapter(bad_load)
        assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    # A refused load changed nothing.
    assert (await system.stub.ListAdapters(pb.ListAdaptersRequest())).default_adapter == default
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await system.stub.UnloadAdapter(pb.UnloadAdapterRequest(name=""))
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "name is empty" in failure.value.details()
    if not HAS_DEFAULT_ADAPTER:
        return
    unloaded = await system.stub.UnloadAdapter(pb.UnloadAdapterRequest(name="tool-awareness"))
    assert unloaded.default_adapter == "base"
    response = await system.stub.Generate(
        pb.GenerateRequest(
            query="open README.md", generation_config=pb.GenerationConfig(max_new_tokens=30)
        )
    )
    assert response.adapter == "base"
    loaded = await system.stub.LoadAdapter(
        pb.LoadAdapterRequest(name="tool-awareness", make_default=True)
    )
    assert loaded.adapter.loaded and loaded.adapter.name == "tool-awareness"
    assert (
        await system.stub.ListAdapters(pb.ListAdaptersRequest())
    ).default_adapter == "tool-awareness"


async def test_usage_timeline_counts_tool_calls(system: InferenceUnderTest) -> None:
    before = await system.stub.GetToolUsage(pb.GetToolUsageRequest(days=1, ecosystem="cursor"))
    calls_before = sum(u.calls for u in before.usage)
    await system.stub.Generate(
        pb.GenerateRequest(
            query="show me app/models/user.rb",
            ecosystem="cursor",
            tool_choice=pb.TOOL_CHOICE_REQUIRED,
        )
    )
    after = await system.stub.GetToolUsage(pb.GetToolUsageRequest(days=1, ecosystem="cursor"))
    assert sum(u.calls for u in after.usage) == calls_before + 1
    assert all(u.ecosystem == "cursor" and u.day for u in after.usage)
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await system.stub.GetToolUsage(pb.GetToolUsageRequest(days=400))
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_retrieval_down_is_unavailable(session_dir: Path, system: InferenceUnderTest) -> None:
    server, channel = await start_inference(
        session_dir / "inference-orphan", "127.0.0.1:9", retrieval_timeout_s=2.0
    )
    try:
        stub = pb_grpc.InferenceServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await stub.Generate(pb.GenerateRequest(query="read the file src/main.py"))
        assert failure.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "retrieval service" in failure.value.details()
        # A request that needs no tool does not need retrieval either.
        plain = await stub.Generate(
            pb.GenerateRequest(
                query="thanks, that helped!",
                generation_config=pb.GenerationConfig(max_new_tokens=8),
            )
        )
        assert not plain.tool_detected
    finally:
        await channel.close()
        await server.stop()
