"""RetrievalService through its generated stub, on a real server and embedded Qdrant."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import grpc
import pytest
import structlog
from google.protobuf import json_format
from grpc_health.v1 import health_pb2, health_pb2_grpc

from hybridtools.common.v1 import tools_pb2
from hybridtools.core.errors import FailedPreconditionError
from hybridtools.ecosystems.catalog import load_builtin_catalog
from hybridtools.retrieval.v1 import retrieval_service_pb2 as pb
from retrieval_svc import sources

from .conftest import RetrievalUnderTest, start_retrieval

CONTINUE = load_builtin_catalog("continue")


def positive(
    request: str, tool: str, arguments: dict, ecosystem: str = ""
) -> tools_pb2.ToolExample:
    example = tools_pb2.ToolExample(
        ecosystem=ecosystem,
        tool_name=tool,
        request=request,
        kind=tools_pb2.EXAMPLE_KIND_POSITIVE,
        usage_pattern="test",
        tool_version=CONTINUE.version,
        quality_score=0.9,
    )
    example.call.name = tool
    example.call.arguments.update(arguments)
    return example


def negative(
    request: str, tool: str, wrong_arguments: dict, right_arguments: dict
) -> tools_pb2.ToolExample:
    example = positive(request, tool, right_arguments)
    example.kind = tools_pb2.EXAMPLE_KIND_NEGATIVE
    example.wrong_call.name = tool
    example.wrong_call.arguments.update(wrong_arguments)
    example.error_type = "wrong_parameter_name"
    example.error_description = "uses 'path'; Continue calls it 'filepath'"
    return example


SMALL_SET = [
    positive("show me the contents of src/app.ts", "read_file", {"filepath": "src/app.ts"}),
    positive("open README.md", "read_file", {"filepath": "README.md"}),
    positive("what's inside package.json?", "read_file", {"filepath": "package.json"}),
    positive("list the files in the src folder", "ls", {"dirPath": "src"}),
    positive("which files are in tests/", "ls", {"dirPath": "tests"}),
    positive("run the unit tests with pytest", "run_terminal_command", {"command": "pytest -q"}),
    positive(
        "install the dependencies with npm", "run_terminal_command", {"command": "npm install"}
    ),
    positive("find every TODO comment in the code", "grep_search", {"query": "TODO"}),
    negative("read config.yaml", "read_file", {"path": "config.yaml"}, {"filepath": "config.yaml"}),
]


async def swap(
    stub,
    ecosystem: str,
    examples: list[tools_pb2.ToolExample] | None = None,
    activate: bool = False,
    jsonl_path: str = "",
    metadata: tuple = (),
) -> list[pb.SwapEcosystemResponse]:
    request = pb.SwapEcosystemRequest(
        ecosystem=ecosystem, activate=activate, catalog=CONTINUE.to_proto()
    )
    if jsonl_path:
        request.jsonl_path = jsonl_path
    else:
        request.examples.examples.extend(examples or SMALL_SET)
    return [message async for message in stub.SwapEcosystem(request, metadata=metadata)]


@pytest.fixture(scope="module")
async def indexed(retrieval: RetrievalUnderTest) -> RetrievalUnderTest:
    await swap(retrieval.stub, "continue", activate=True)
    return retrieval


async def test_health_serving_and_reflection(retrieval: RetrievalUnderTest) -> None:
    health = health_pb2_grpc.HealthStub(retrieval.channel)
    response = await health.Check(
        health_pb2.HealthCheckRequest(service="hybridtools.retrieval.v1.RetrievalService")
    )
    assert response.status == health_pb2.HealthCheckResponse.SERVING


async def test_swap_streams_progress_and_serves(indexed: RetrievalUnderTest) -> None:
    messages = await swap(indexed.stub, "continue-progress", activate=False)
    stages = [m.stage for m in messages]
    assert stages[0] == pb.SwapEcosystemResponse.STAGE_VALIDATING
    assert pb.SwapEcosystemResponse.STAGE_EMBEDDING in stages
    assert stages[-1] == pb.SwapEcosystemResponse.STAGE_DONE
    done = messages[-1]
    assert done.ecosystem.version == "v1"
    assert done.ecosystem.positive_count == 8 and done.ecosystem.negative_count == 1
    assert not done.ecosystem.active


async def test_search_returns_the_right_tool_with_metadata(indexed: RetrievalUnderTest) -> None:
    response = await indexed.stub.SearchExamples(
        pb.SearchExamplesRequest(query="Read Header.tsx", ecosystem="continue", limit=3)
    )
    assert response.ecosystem == "continue" and response.ecosystem_version.startswith("v")
    top = response.results[0]
    assert top.example.tool_name == "read_file"
    assert top.example.call.name == "read_file"
    assert "filepath" in top.example.call.arguments
    assert top.example.call.rendered.startswith("{")
    assert top.example.kind == tools_pb2.EXAMPLE_KIND_POSITIVE
    assert top.example.tool_version == CONTINUE.version
    assert 0 < top.score <= 1
    assert all(r.example.kind == tools_pb2.EXAMPLE_KIND_POSITIVE for r in response.results)


async def test_search_orders_by_relevance_with_the_cosine_as_score(
    indexed: RetrievalUnderTest,
) -> None:
    response = await indexed.stub.SearchExamples(
        pb.SearchExamplesRequest(query="find the TODO comments", ecosystem="continue", limit=8)
    )
    relevance = [r.relevance for r in response.results]
    assert relevance == sorted(relevance, reverse=True)
    assert all(0 < value <= 1 for value in relevance)
    # The only example sharing "todo" and "comment" with the query comes first.
    assert response.results[0].example.tool_name == "grep_search"
    cosine = await indexed.stub.SearchExamples(
        pb.SearchExamplesRequest(query="find the TODO comments", ecosystem="continue", limit=1)
    )
    assert all(0 < r.score <= 1 for r in response.results)
    assert cosine.results[0].score == pytest.approx(
        next(r.score for r in response.results if r.example.id == cosine.results[0].example.id)
    )


async def test_a_version_indexed_before_terms_is_ranked_by_cosine(session_dir: Path) -> None:
    data_dir = session_dir / "before-terms"
    first = await start_retrieval(data_dir)
    try:
        await swap(first.stub, "continue", activate=True)
    finally:
        await first.channel.close()
        await first.server.stop()
    # What a version indexed by an earlier release records: no "lexical" flag.
    (meta,) = data_dir.rglob("ecosystem__continue.json")
    state = json.loads(meta.read_text())
    assert state.pop("lexical") is True
    meta.write_text(json.dumps(state))

    again = await start_retrieval(data_dir)
    try:
        response = await again.stub.SearchExamples(
            pb.SearchExamplesRequest(query="show me what is in src/app.ts", limit=3)
        )
        assert response.results[0].example.tool_name == "read_file"
        assert [r.relevance for r in response.results] == [r.score for r in response.results]
    finally:
        await again.channel.close()
        await again.server.stop()


async def router_ready(stub, ecosystem: str, timeout_s: float = 60.0) -> bool:
    """Waits for the background fit of the ecosystem's tool router."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        listed = await stub.ListEcosystems(pb.ListEcosystemsRequest(summary_only=True))
        info = next(e for e in listed.ecosystems if e.name == ecosystem)
        if info.tool_router_ready or loop.time() > deadline:
            return info.tool_router_ready
        await asyncio.sleep(0.2)


async def test_tool_router_ranks_tools_survives_restarts_and_goes_with_a_deleted_tool(
    session_dir: Path,
) -> None:
    data_dir = session_dir / "tool-router"
    first = await start_retrieval(data_dir)
    try:
        await swap(first.stub, "continue", activate=True)
        assert await router_ready(first.stub, "continue")
    finally:
        await first.channel.close()
        await first.server.stop()

    again = await start_retrieval(data_dir)  # the router is read back from the store
    try:
        stub = again.stub
        assert await router_ready(stub, "continue", timeout_s=0)
        query = "show me the contents of src/lib/util.ts"
        plain = await stub.SearchExamples(pb.SearchExamplesRequest(query=query, limit=3))
        assert not plain.tool_likelihoods  # only when asked for
        ranked = await stub.SearchExamples(
            pb.SearchExamplesRequest(query=query, limit=3, rank_tools=True)
        )
        likelihoods = [(t.tool_name, t.probability) for t in ranked.tool_likelihoods]
        assert likelihoods[0][0] == "read_file"
        assert {name for name, _ in likelihoods} == {
            "read_file",
            "ls",
            "run_terminal_command",
            "grep_search",
        }
        assert sum(p for _, p in likelihoods) == pytest.approx(1.0, abs=1e-3)
        assert [p for _, p in likelihoods] == sorted((p for _, p in likelihoods), reverse=True)
        filtered = await stub.SearchExamples(
            pb.SearchExamplesRequest(
                query=query, limit=3, rank_tools=True, tool_names=["ls", "grep_search"]
            )
        )
        assert {t.tool_name for t in filtered.tool_likelihoods} == {"ls", "grep_search"}
        assert sum(t.probability for t in filtered.tool_likelihoods) == pytest.approx(1.0, abs=1e-3)

        # The router would still name a deleted tool: one fitted on the rest replaces it.
        await stub.DeleteExamples(
            pb.DeleteExamplesRequest(ecosystem="continue", tool_names=["read_file"])
        )
        assert await router_ready(stub, "continue")
        after = await stub.SearchExamples(
            pb.SearchExamplesRequest(query=query, limit=3, rank_tools=True)
        )
        assert after.results
        assert {t.tool_name for t in after.tool_likelihoods} == {
            "ls",
            "run_terminal_command",
            "grep_search",
        }
    finally:
        await again.channel.close()
        await again.server.stop()

    # A version without a router (indexed before routers existed, or its fit cut short by
    # a restart) gets one fitted from its stored examples when the service starts.
    routers = list(data_dir.rglob("tool_router__*"))
    assert routers
    for stored in routers:
        stored.unlink()
    third = await start_retrieval(data_dir)
    try:
        assert await router_ready(third.stub, "continue")
        ranked = await third.stub.SearchExamples(
            pb.SearchExamplesRequest(query="list the files in lib", limit=3, rank_tools=True)
        )
        assert ranked.tool_likelihoods[0].tool_name == "ls"
        assert "read_file" not in {t.tool_name for t in ranked.tool_likelihoods}  # deleted
    finally:
        await third.channel.close()
        await third.server.stop()


async def test_search_uses_active_ecosystem_and_filters(indexed: RetrievalUnderTest) -> None:
    response = await indexed.stub.SearchExamples(
        pb.SearchExamplesRequest(query="run the tests", tool_names=["ls"], limit=5)
    )
    assert response.ecosystem == "continue"
    assert {r.example.tool_name for r in response.results} == {"ls"}
    with_negatives = await indexed.stub.SearchExamples(
        pb.SearchExamplesRequest(query="read config.yaml", limit=9, include_negatives=True)
    )
    kinds = {r.example.kind for r in with_negatives.results}
    assert tools_pb2.EXAMPLE_KIND_NEGATIVE in kinds
    wrong = next(
        r.example
        for r in with_negatives.results
        if r.example.kind == tools_pb2.EXAMPLE_KIND_NEGATIVE
    )
    assert wrong.wrong_call.name == "read_file" and wrong.error_description


@pytest.mark.parametrize(
    ("request_fields", "code", "fragment"),
    [
        ({"query": "", "limit": 3}, grpc.StatusCode.INVALID_ARGUMENT, "query is empty"),
        ({"query": "  ", "limit": 3}, grpc.StatusCode.INVALID_ARGUMENT, "query is empty"),
        ({"query": "x", "limit": 0}, grpc.StatusCode.INVALID_ARGUMENT, "limit must be 1..100"),
        ({"query": "x", "limit": 10_000}, grpc.StatusCode.INVALID_ARGUMENT, "limit must be 1..100"),
        (
            {"query": "x", "limit": 3, "ecosystem": "vim"},
            grpc.StatusCode.NOT_FOUND,
            "'vim' is not indexed",
        ),
        (
            {"query": "x", "limit": 3, "ecosystem": "Bad Name"},
            grpc.StatusCode.INVALID_ARGUMENT,
            "invalid",
        ),
    ],
)
async def test_search_bad_input(
    indexed: RetrievalUnderTest, request_fields: dict, code, fragment: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await indexed.stub.SearchExamples(pb.SearchExamplesRequest(**request_fields))
    assert failure.value.code() == code
    assert fragment in failure.value.details()


async def test_malformed_jsonl_is_rejected_whole_with_line_number(
    indexed: RetrievalUnderTest,
) -> None:
    before = await indexed.stub.ListEcosystems(pb.ListEcosystemsRequest())
    good = json_format.MessageToJson(
        positive("open main.go", "read_file", {"filepath": "main.go"}), indent=None
    )
    bad_schema = json_format.MessageToJson(
        positive("open x", "read_file", {"file": "x"}), indent=None
    )
    indexed.import_dir.mkdir(parents=True, exist_ok=True)
    (indexed.import_dir / "broken.jsonl").write_text(f"{good}\n{good}\n{{not json\n{bad_schema}\n")
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await swap(indexed.stub, "continue", jsonl_path="broken.jsonl")
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "line 3" in failure.value.details()
    assert "line 4" in failure.value.details() and "filepath" in failure.value.details()
    assert "nothing was indexed" in failure.value.details()
    after = await indexed.stub.ListEcosystems(pb.ListEcosystemsRequest())
    assert after == before
    response = await indexed.stub.SearchExamples(
        pb.SearchExamplesRequest(query="open main.go", limit=3)
    )
    assert all(r.example.request != "open main.go" for r in response.results)


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("../outside.jsonl", grpc.StatusCode.PERMISSION_DENIED),
        ("/etc/passwd", grpc.StatusCode.PERMISSION_DENIED),
        ("missing.jsonl", grpc.StatusCode.NOT_FOUND),
    ],
)
async def test_jsonl_path_outside_import_dir_or_missing(
    indexed: RetrievalUnderTest, path: str, code
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await swap(indexed.stub, "continue", jsonl_path=path)
    assert failure.value.code() == code


async def test_new_ecosystem_without_catalog_is_refused(indexed: RetrievalUnderTest) -> None:
    request = pb.SwapEcosystemRequest(ecosystem="brand-new")
    request.examples.examples.extend(SMALL_SET)
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        [m async for m in indexed.stub.SwapEcosystem(request)]
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "catalog" in failure.value.details()


async def test_swap_from_jsonl_then_rollback(indexed: RetrievalUnderTest) -> None:
    lines = [json_format.MessageToJson(e, indent=None) for e in SMALL_SET[:4]]
    lines.append(
        json_format.MessageToJson(
            positive("display notes.txt", "read_file", {"filepath": "notes.txt"}), indent=None
        )
    )
    indexed.import_dir.mkdir(parents=True, exist_ok=True)
    (indexed.import_dir / "rollback.jsonl").write_text("\n".join(lines) + "\n")
    first = (await swap(indexed.stub, "rb", examples=SMALL_SET))[-1].ecosystem
    second = (await swap(indexed.stub, "rb", jsonl_path="rollback.jsonl"))[-1]
    assert second.ecosystem.version == f"v{int(first.version[1:]) + 1}"
    assert second.previous_version == first.version
    assert second.ecosystem.positive_count == 5
    rolled = await indexed.stub.RollbackEcosystem(pb.RollbackEcosystemRequest(ecosystem="rb"))
    assert rolled.ecosystem.version == first.version
    assert rolled.rolled_back_from == second.ecosystem.version
    assert rolled.ecosystem.positive_count == 8
    # Rolling back again returns to the newer version (the two are kept).
    again = await indexed.stub.RollbackEcosystem(pb.RollbackEcosystemRequest(ecosystem="rb"))
    assert again.ecosystem.version == second.ecosystem.version


async def test_rollback_without_previous_version(indexed: RetrievalUnderTest) -> None:
    await swap(indexed.stub, "single")
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await indexed.stub.RollbackEcosystem(pb.RollbackEcosystemRequest(ecosystem="single"))
    assert failure.value.code() == grpc.StatusCode.FAILED_PRECONDITION


async def test_concurrent_swaps_of_one_ecosystem(indexed: RetrievalUnderTest) -> None:
    await swap(indexed.stub, "race")
    results = await asyncio.gather(
        swap(indexed.stub, "race"), swap(indexed.stub, "race"), return_exceptions=True
    )
    failures = [r for r in results if isinstance(r, grpc.aio.AioRpcError)]
    successes = [r for r in results if not isinstance(r, BaseException)]
    assert len(successes) == 1 and len(failures) == 1
    assert failures[0].code() == grpc.StatusCode.FAILED_PRECONDITION
    listed = await indexed.stub.GetEcosystem(pb.GetEcosystemRequest(ecosystem="race"))
    assert listed.ecosystem.positive_count == 8
    assert listed.ecosystem.version == successes[0][-1].ecosystem.version


async def test_searches_never_fail_during_a_swap(indexed: RetrievalUnderTest) -> None:
    many = [
        positive(
            f"open file number {i} called src/module_{i}.py",
            "read_file",
            {"filepath": f"src/module_{i}.py"},
        )
        for i in range(400)
    ]
    swapping = asyncio.create_task(
        swap(indexed.stub, "continue", examples=many + SMALL_SET, activate=True)
    )
    failures = 0
    searches = 0
    while not swapping.done():
        try:
            await indexed.stub.SearchExamples(
                pb.SearchExamplesRequest(query="open src/app.ts", limit=3)
            )
        except grpc.aio.AioRpcError:
            failures += 1
        searches += 1
    await swapping
    assert searches > 0 and failures == 0


async def test_upsert_is_idempotent_and_delete_by_tool(indexed: RetrievalUnderTest) -> None:
    await swap(indexed.stub, "edits")
    extra = positive("show Cargo.toml", "read_file", {"filepath": "Cargo.toml"})
    first = await indexed.stub.UpsertExamples(
        pb.UpsertExamplesRequest(ecosystem="edits", examples=[extra])
    )
    second = await indexed.stub.UpsertExamples(
        pb.UpsertExamplesRequest(ecosystem="edits", examples=[extra])
    )
    assert first.ids == second.ids and len(first.ids[0]) == 36
    info = await indexed.stub.GetEcosystem(pb.GetEcosystemRequest(ecosystem="edits"))
    assert info.ecosystem.positive_count == 9
    # The swap sent Continue's catalog; it is kept as the catalog of "edits".
    assert info.catalog.ecosystem == "edits" and info.catalog.tools
    assert info.catalog.version == CONTINUE.version
    deleted = await indexed.stub.DeleteExamples(
        pb.DeleteExamplesRequest(ecosystem="edits", tool_names=["ls"])
    )
    assert deleted.deleted_count == 2 and not deleted.ecosystem_removed
    removed = await indexed.stub.DeleteExamples(pb.DeleteExamplesRequest(ecosystem="edits"))
    assert removed.ecosystem_removed and removed.deleted_count == 8
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await indexed.stub.GetEcosystem(pb.GetEcosystemRequest(ecosystem="edits"))
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND


async def test_upsert_rejects_invalid_examples(indexed: RetrievalUnderTest) -> None:
    bad = positive("read it", "read_file", {"filepath": 3})
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await indexed.stub.UpsertExamples(
            pb.UpsertExamplesRequest(ecosystem="continue", examples=[bad])
        )
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "example 1" in failure.value.details()
    # A NaN travels in protobuf's binary form but has no JSON: refused, not an internal error.
    not_a_number = positive("read it", "read_file", {"filepath": float("nan")})
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await indexed.stub.UpsertExamples(
            pb.UpsertExamplesRequest(ecosystem="continue", examples=[SMALL_SET[0], not_a_number])
        )
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "example 2" in failure.value.details() and "NaN" in failure.value.details()
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await indexed.stub.UpsertExamples(
            pb.UpsertExamplesRequest(ecosystem="nope", examples=[SMALL_SET[0]])
        )
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND


async def test_mark_trained_and_exclude(indexed: RetrievalUnderTest) -> None:
    await swap(indexed.stub, "marks")
    marked = await indexed.stub.MarkTrained(
        pb.MarkTrainedRequest(ecosystem="marks", tool_names=["read_file"], trained_in_adapter=True)
    )
    assert marked.updated_count == 4  # three positives and the negative
    found = await indexed.stub.SearchExamples(
        pb.SearchExamplesRequest(query="open README.md", ecosystem="marks", limit=3)
    )
    assert found.results[0].example.trained_in_adapter
    fresh = await indexed.stub.SearchExamples(
        pb.SearchExamplesRequest(
            query="open README.md", ecosystem="marks", limit=3, exclude_trained=True
        )
    )
    assert all(r.example.tool_name != "read_file" for r in fresh.results)
    listed = await indexed.stub.ListEcosystems(pb.ListEcosystemsRequest())
    marks = next(e for e in listed.ecosystems if e.name == "marks")
    read_file = next(t for t in marks.tools if t.tool_name == "read_file")
    assert (read_file.positive_count, read_file.negative_count, read_file.trained_count) == (
        3,
        1,
        4,
    )


async def test_activate_and_list(indexed: RetrievalUnderTest) -> None:
    await swap(indexed.stub, "other")
    activated = await indexed.stub.ActivateEcosystem(pb.ActivateEcosystemRequest(ecosystem="other"))
    assert activated.ecosystem.active and activated.previously_active == "continue"
    listed = await indexed.stub.ListEcosystems(pb.ListEcosystemsRequest(summary_only=True))
    assert listed.active_ecosystem == "other"
    assert {"continue", "other"} <= {e.name for e in listed.ecosystems}
    await indexed.stub.ActivateEcosystem(pb.ActivateEcosystemRequest(ecosystem="continue"))
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await indexed.stub.ActivateEcosystem(pb.ActivateEcosystemRequest(ecosystem="ghost"))
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND


async def test_reference_documents(indexed: RetrievalUnderTest) -> None:
    text = "\n\n".join(
        [
            "Our services talk gRPC. Every RPC has its own request and response message.",
            "Deployments run on Kubernetes with one Deployment per service and an HPA on CPU.",
            "The evening loop moves heavily used tools into the LoRA adapter every night.",
        ]
        * 3
    )
    upserted = await indexed.stub.UpsertReference(
        pb.UpsertReferenceRequest(
            documents=[
                pb.ReferenceDocument(id="handbook", title="Handbook", text=text, source="wiki")
            ]
        )
    )
    assert upserted.document_count == 1 and upserted.chunk_count >= 1
    found = await indexed.stub.SearchReference(
        pb.SearchReferenceRequest(query="how is the service scaled?", limit=2)
    )
    assert found.results and found.results[0].document_id == "handbook"
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await indexed.stub.SearchReference(pb.SearchReferenceRequest(query="x", limit=0))
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_oversized_message_is_refused(session_dir: Path) -> None:
    small = await start_retrieval(session_dir / "small-limit", max_message_mb=1)
    try:
        huge = [positive("x" * 1500 + str(i), "read_file", {"filepath": "a"}) for i in range(800)]
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await swap(small.stub, "continue", examples=huge)
        assert failure.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        health = health_pb2_grpc.HealthStub(small.channel)
        assert (
            await health.Check(health_pb2.HealthCheckRequest())
        ).status == health_pb2.HealthCheckResponse.SERVING
    finally:
        await small.channel.close()
        await small.server.stop()


async def test_admin_token_guards_mutations(session_dir: Path) -> None:
    guarded = await start_retrieval(session_dir / "guarded", admin_token="s3cret")
    try:
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await swap(guarded.stub, "continue")
        assert failure.value.code() == grpc.StatusCode.UNAUTHENTICATED
        done = await swap(guarded.stub, "continue", metadata=(("authorization", "Bearer s3cret"),))
        assert done[-1].stage == pb.SwapEcosystemResponse.STAGE_DONE
        # Reads stay open.
        await guarded.stub.SearchExamples(pb.SearchExamplesRequest(query="open a file", limit=1))
    finally:
        await guarded.channel.close()
        await guarded.server.stop()


async def test_a_runtime_switch_keeps_serving_and_asks_for_a_new_swap(
    session_dir: Path,
) -> None:
    data_dir = session_dir / "runtime-switch"
    float32 = await start_retrieval(data_dir, embedder_runtime="onnx")
    try:
        await swap(float32.stub, "continue", activate=True)
    finally:
        await float32.channel.close()
        await float32.server.stop()

    with structlog.testing.capture_logs() as logs:
        int8 = await start_retrieval(data_dir, embedder_runtime="onnx-int8")
    try:
        found = await int8.stub.SearchExamples(
            pb.SearchExamplesRequest(query="show me what is in src/app.ts", limit=1)
        )
        assert found.results[0].example.tool_name == "read_file"
        (warning,) = [e for e in logs if e.get("ecosystem") == "continue"]
        assert warning["log_level"] == "warning" and "swap it again" in warning["event"]
        assert warning["indexed_with"] == "all-MiniLM-L6-v2"
        assert warning["serving_with"] == "all-MiniLM-L6-v2+onnx-int8"
    finally:
        await int8.channel.close()
        await int8.server.stop()


async def test_one_canonical_log_line_per_rpc(indexed: RetrievalUnderTest) -> None:
    with structlog.testing.capture_logs() as logs:
        await indexed.stub.SearchExamples(
            pb.SearchExamplesRequest(query="open a file", limit=1),
            metadata=(("x-request-id", "req-42"),),
        )
        with pytest.raises(grpc.aio.AioRpcError):
            await indexed.stub.SearchExamples(pb.SearchExamplesRequest(query="", limit=1))
    lines = [entry for entry in logs if entry.get("event") == "rpc"]
    assert len(lines) == 2
    ok, bad = lines
    assert ok["method"] == "/hybridtools.retrieval.v1.RetrievalService/SearchExamples"
    assert ok["code"] == "OK" and ok["request_id"] == "req-42" and ok["duration_ms"] >= 0
    assert bad["code"] == "INVALID_ARGUMENT" and len(bad["request_id"]) == 32


def test_examples_round_trip_through_json(tmp_path: Path) -> None:
    """The JSONL line format is the proto's JSON mapping with field names kept."""
    line = json_format.MessageToJson(SMALL_SET[-1], preserving_proto_field_name=True, indent=None)
    parsed = json_format.Parse(line, tools_pb2.ToolExample())
    assert parsed == SMALL_SET[-1]
    assert json.loads(line)["wrong_call"]["arguments"] == {"path": "config.yaml"}


UNSEEN_DEPLOY_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "trigger_pipeline",
            "description": "Start a CI/CD pipeline run for a branch.",
            "parameters": {
                "type": "object",
                "properties": {
                    "branch": {"type": "string", "description": "Git branch to build."},
                    "environment": {
                        "type": "string",
                        "enum": ["staging", "production"],
                        "default": "staging",
                    },
                },
                "required": ["branch"],
            },
        },
    },
    {
        "name": "get_build_logs",
        "description": "Fetch the logs of a finished or running build.",
        "parameters": {
            "type": "object",
            "properties": {"build_id": {"type": "integer", "description": "Numeric build id."}},
            "required": ["build_id"],
        },
    },
    {
        "name": "rollback_release",
        "description": "Roll a service back to an earlier released version.",
        "parameters": {
            "type": "object",
            "properties": {
                "service": {"type": "string", "description": "Service name."},
                "version": {"type": "string", "description": "Release version, e.g. 1.4.2."},
            },
            "required": ["service", "version"],
        },
    },
]


async def test_custom_ecosystem_from_tool_definitions_alone(indexed: RetrievalUnderTest) -> None:
    """Definitions the project has never seen become searchable examples in one swap."""
    request = pb.SwapEcosystemRequest(ecosystem="deploys")
    request.tool_definitions.openai_functions_json.extend(
        json.dumps(d) for d in UNSEEN_DEPLOY_TOOLS
    )
    request.tool_definitions.positives_per_tool = 30
    request.tool_definitions.negatives_per_tool = 5
    done = [m async for m in indexed.stub.SwapEcosystem(request)][-1]
    assert done.stage == pb.SwapEcosystemResponse.STAGE_DONE
    assert {t.tool_name for t in done.ecosystem.tools} == {
        "trigger_pipeline",
        "get_build_logs",
        "rollback_release",
    }
    assert done.ecosystem.positive_count == 90 and done.ecosystem.negative_count == 15
    for query, tool in (
        ("roll the payments service back to version 2.3.1", "rollback_release"),
        ("show me the logs for build 8812", "get_build_logs"),
        ("kick off a pipeline for the feature/login branch", "trigger_pipeline"),
    ):
        found = await indexed.stub.SearchExamples(
            pb.SearchExamplesRequest(query=query, ecosystem="deploys", limit=3)
        )
        assert found.results[0].example.tool_name == tool, query
        assert found.results[0].example.call.rendered.startswith("{")
    catalog = (await indexed.stub.GetEcosystem(pb.GetEcosystemRequest(ecosystem="deploys"))).catalog
    assert [t.name for t in catalog.tools] == [
        "trigger_pipeline",
        "get_build_logs",
        "rollback_release",
    ]
    assert catalog.call_format == tools_pb2.CALL_FORMAT_JSON


async def test_bad_tool_definitions_are_refused(indexed: RetrievalUnderTest) -> None:
    request = pb.SwapEcosystemRequest(ecosystem="broken-tools")
    request.tool_definitions.openai_functions_json.extend(
        ['{"name": "ok_tool", "parameters": {"type": "object"}}', "{not json"]
    )
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        [m async for m in indexed.stub.SwapEcosystem(request)]
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "tool definition 2" in failure.value.details()


async def swap_failure(stub, request: pb.SwapEcosystemRequest) -> grpc.aio.AioRpcError:
    """The status a swap that must be refused ends with (a deadline, should it run instead)."""
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        [m async for m in stub.SwapEcosystem(request, timeout=60)]
    return failure.value


ONE_TOOL = json.dumps(
    {"name": "y", "parameters": {"type": "object", "properties": {"a": {"type": "string"}}}}
)


@pytest.mark.parametrize(
    ("positives", "negatives", "fragment"),
    [
        (2_001, 0, "positives_per_tool must be 0..2000, got 2001"),
        (-1, 0, "positives_per_tool must be 0..2000, got -1"),
        (0, 501, "negatives_per_tool must be 0..500, got 501"),
        (0, -1, "negatives_per_tool must be 0..500, got -1"),
    ],
)
async def test_synthesized_counts_out_of_range_are_refused_before_any_work(
    indexed: RetrievalUnderTest, positives: int, negatives: int, fragment: str
) -> None:
    request = pb.SwapEcosystemRequest(ecosystem="td-bounds")
    request.tool_definitions.openai_functions_json.append(ONE_TOOL)
    request.tool_definitions.positives_per_tool = positives
    request.tool_definitions.negatives_per_tool = negatives
    failure = await swap_failure(indexed.stub, request)
    assert failure.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert fragment in failure.details()
    # Nothing ran: the ecosystem's change lock is free for the next swap.
    request.tool_definitions.positives_per_tool = 5
    request.tool_definitions.negatives_per_tool = 1
    done = [m async for m in indexed.stub.SwapEcosystem(request, timeout=60)][-1]
    assert done.ecosystem.positive_count == 5 and done.ecosystem.negative_count == 1


async def test_synthesized_total_beyond_an_ecosystem_is_refused(
    indexed: RetrievalUnderTest,
) -> None:
    request = pb.SwapEcosystemRequest(ecosystem="td-total")
    request.tool_definitions.openai_functions_json.extend(
        ONE_TOOL.replace('"y"', f'"tool_{n}"') for n in range(6)
    )
    request.tool_definitions.positives_per_tool = 2_000
    failure = await swap_failure(indexed.stub, request)
    assert failure.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "12000 positives" in failure.details() and "10000" in failure.details()


@pytest.mark.parametrize(
    "source",
    [
        {"jsonl_path": "a\x00b"},
        {"tool_definitions": {"path": "a\x00b"}},
        {"jsonl_path": "a" * 5000},
    ],
)
async def test_unusable_import_paths_are_invalid_arguments(
    indexed: RetrievalUnderTest, source: dict
) -> None:
    request = json_format.ParseDict({"ecosystem": "paths", **source}, pb.SwapEcosystemRequest())
    failure = await swap_failure(indexed.stub, request)
    assert failure.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "path" in failure.details()


def inline_catalog_request(tool: dict, **catalog: object) -> pb.SwapEcosystemRequest:
    """One positive example of `t1` with a catalog of that one tool."""
    return json_format.ParseDict(
        {
            "ecosystem": "inl",
            "examples": {
                "examples": [
                    {
                        "tool_name": "t1",
                        "request": "do t1 now",
                        "call": {"name": "t1", "arguments": {"a": "x"}},
                        "kind": "EXAMPLE_KIND_POSITIVE",
                    }
                ]
            },
            "catalog": {"tools": [tool], **catalog},
        },
        pb.SwapEcosystemRequest(),
    )


T1_PARAMETERS = {"type": "object", "properties": {"a": {"type": "string"}}}


@pytest.mark.parametrize(
    ("tool", "catalog", "fragments"),
    [
        (
            {"name": "t1", "parameters": {"type": 5, "properties": [1, 2]}},
            {},
            ["'t1'", "type: object"],
        ),
        (
            {
                "name": "t1",
                "parameters": {
                    "type": "object",
                    "properties": {"a": {"type": "string", "pattern": "(unclosed"}},
                },
            },
            {},
            ["'t1'", "invalid JSON Schema"],
        ),
        (
            {"name": "t1", "parameters": {"$ref": "#/defs/nope"}},
            {},
            ["'t1'", "'#/defs/nope'"],
        ),
        (
            {"name": "../../bad name\x00", "parameters": T1_PARAMETERS},
            {},
            ["../../bad name", "name must match"],
        ),
        ({"name": "t1", "parameters": T1_PARAMETERS}, {"call_format": 99}, ["call_format 99"]),
    ],
)
async def test_an_inline_catalog_gets_the_checks_of_tool_definitions(
    indexed: RetrievalUnderTest, tool: dict, catalog: dict, fragments: list[str]
) -> None:
    failure = await swap_failure(indexed.stub, inline_catalog_request(tool, **catalog))
    assert failure.code() == grpc.StatusCode.INVALID_ARGUMENT
    for fragment in fragments:
        assert fragment in failure.details()


async def test_an_unresolvable_ref_in_tool_definitions_is_refused(
    indexed: RetrievalUnderTest,
) -> None:
    request = pb.SwapEcosystemRequest(ecosystem="refs")
    request.tool_definitions.openai_functions_json.append(
        '{"name": "y", "parameters": {"type": "object", "properties": {"a": {"$ref": "#/nope"}}}}'
    )
    failure = await swap_failure(indexed.stub, request)
    assert failure.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "'y'" in failure.details() and "'#/nope'" in failure.details()


async def test_an_inline_catalog_takes_the_ecosystem_it_is_swapped_into(
    indexed: RetrievalUnderTest,
) -> None:
    tool = {"name": "t1", "parameters": T1_PARAMETERS}
    request = inline_catalog_request(tool, ecosystem="other-name")
    done = [m async for m in indexed.stub.SwapEcosystem(request, timeout=60)][-1]
    assert done.stage == pb.SwapEcosystemResponse.STAGE_DONE
    got = await indexed.stub.GetEcosystem(pb.GetEcosystemRequest(ecosystem="inl"))
    assert got.catalog.ecosystem == "inl" and [t.name for t in got.catalog.tools] == ["t1"]


@pytest.mark.parametrize("threshold", [float("nan"), float("inf"), float("-inf"), 1.5, -2.0])
async def test_a_score_threshold_that_is_no_cosine_is_refused(
    indexed: RetrievalUnderTest, threshold: float
) -> None:
    for search in (
        indexed.stub.SearchExamples(
            pb.SearchExamplesRequest(query="open a file", limit=3, score_threshold=threshold)
        ),
        indexed.stub.SearchReference(
            pb.SearchReferenceRequest(query="open a file", limit=3, score_threshold=threshold)
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await search
        assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "score_threshold must be" in failure.value.details()


async def test_one_reference_document_id_twice_in_a_request_is_refused(
    indexed: RetrievalUnderTest,
) -> None:
    documents = [
        pb.ReferenceDocument(id="twice", text="The first text of the document."),
        pb.ReferenceDocument(id="twice", text="A second, different text."),
    ]
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await indexed.stub.UpsertReference(pb.UpsertReferenceRequest(documents=documents))
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "'twice'" in failure.value.details() and "documents 1 and 2" in failure.value.details()


async def test_a_jsonl_line_that_is_no_object_says_so(indexed: RetrievalUnderTest) -> None:
    good = json_format.MessageToJson(SMALL_SET[0], indent=None)
    indexed.import_dir.mkdir(parents=True, exist_ok=True)
    (indexed.import_dir / "array-line.jsonl").write_text(f"{good}\n[1,2,3]\n")
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await swap(indexed.stub, "continue", jsonl_path="array-line.jsonl")
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "line 2: each line must be a JSON object" in failure.value.details()
    assert "an array" in failure.value.details()


async def test_a_swap_its_client_cancels_leaves_the_old_version_serving(
    indexed: RetrievalUnderTest,
) -> None:
    await swap(indexed.stub, "cancelled")
    bigger = pb.SwapEcosystemRequest(ecosystem="cancelled")
    bigger.tool_definitions.openai_functions_json.append(ONE_TOOL)
    bigger.tool_definitions.positives_per_tool = 2_000
    call = indexed.stub.SwapEcosystem(bigger)
    async for message in call:
        assert message.stage == pb.SwapEcosystemResponse.STAGE_VALIDATING
        call.cancel()
        break
    # The swap stops at its next step; until then the ecosystem is still locked.
    for _ in range(300):
        try:
            again = await swap(indexed.stub, "cancelled")
            break
        except grpc.aio.AioRpcError as error:
            assert error.code() == grpc.StatusCode.FAILED_PRECONDITION, error.details()
            await asyncio.sleep(0.1)
    else:
        pytest.fail("the cancelled swap still held the ecosystem after 30 s")
    # The cancelled version never went live: the next one follows the first.
    assert again[-1].previous_version == "v1" and again[-1].ecosystem.version == "v2"
    assert again[-1].ecosystem.positive_count == 8


def test_a_symlink_loop_in_the_import_directory_is_the_operators_to_fix(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").symlink_to(tmp_path / "b.jsonl")
    (tmp_path / "b.jsonl").symlink_to(tmp_path / "a.jsonl")
    with pytest.raises(FailedPreconditionError, match="symlink loop"):
        sources.resolve_import_path(tmp_path, "a.jsonl")


@pytest.mark.parametrize("crashed", ["swap", "rollback"])
async def test_a_restart_serves_the_version_the_metadata_records(
    session_dir: Path, crashed: str
) -> None:
    """A crash between a change's alias switch and its metadata record is undone at start."""
    data_dir = session_dir / f"crashed-{crashed}"
    first = await start_retrieval(data_dir)
    try:
        await swap(first.stub, "continue", activate=True)  # v1: 8 positives
        await swap(first.stub, "continue", examples=SMALL_SET[:4])  # v2: 4 positives
    finally:
        await first.channel.close()
        await first.server.stop()
    (aliases_path,) = data_dir.rglob("aliases.json")
    aliases = json.loads(aliases_path.read_text())
    collections = aliases_path.parent / "collections"
    if crashed == "swap":
        # The alias on a finished v3 (a copy of v1) whose record was never written.
        shutil.copytree(
            collections / "tool_examples__continue__v1", collections / "tool_examples__continue__v3"
        )
        aliases["tool_examples__continue"] = "tool_examples__continue__v3"
    else:
        aliases["tool_examples__continue"] = "tool_examples__continue__v1"
    aliases_path.write_text(json.dumps(aliases))

    again = await start_retrieval(data_dir)
    try:
        info = await again.stub.GetEcosystem(pb.GetEcosystemRequest(ecosystem="continue"))
        assert info.ecosystem.version == "v2" and info.ecosystem.positive_count == 4
        found = await again.stub.SearchExamples(
            pb.SearchExamplesRequest(query="open README.md", ecosystem="continue", limit=20)
        )
        assert len([r for r in found.results if r.example.kind == 1]) == 4
        # The next swap numbers its version from the record and serves it.
        done = (await swap(again.stub, "continue"))[-1]
        assert done.ecosystem.version == "v3" and done.previous_version == "v2"
        assert done.ecosystem.positive_count == 8
    finally:
        await again.channel.close()
        await again.server.stop()


async def test_a_delete_across_ecosystems_changes_none_while_one_is_busy(
    indexed: RetrievalUnderTest,
) -> None:
    await swap(indexed.stub, "busy-a")
    await swap(indexed.stub, "busy-b")
    long_swap = pb.SwapEcosystemRequest(ecosystem="busy-b")
    long_swap.tool_definitions.openai_functions_json.append(ONE_TOOL)
    long_swap.tool_definitions.positives_per_tool = 2_000

    async def read_file_counts() -> dict[str, int]:
        listed = await indexed.stub.ListEcosystems(pb.ListEcosystemsRequest())
        return {
            info.name: sum(t.positive_count for t in info.tools if t.tool_name == "read_file")
            for info in listed.ecosystems
        }

    before = await read_file_counts()
    assert before["busy-a"] > 0
    call = indexed.stub.SwapEcosystem(long_swap)
    async for _ in call:  # the swap holds busy-b from here
        break
    try:
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await indexed.stub.DeleteExamples(pb.DeleteExamplesRequest(tool_names=["read_file"]))
        assert failure.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "busy-b" in failure.value.details()
        assert await read_file_counts() == before
    finally:
        call.cancel()
