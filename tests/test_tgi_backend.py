"""The TGI backend against a TGI-protocol server that serves the real local model."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from hybridtools.adapter_store import PACKAGED_DEFAULT, AdapterStore
from hybridtools.core.channels import aio_channel
from hybridtools.core.server import RunningServer, start_server
from hybridtools.ecosystems.catalog import load_builtin_catalog
from hybridtools.ecosystems.generator import generate_ecosystem_examples
from hybridtools.inference.v1 import inference_service_pb2 as pb
from hybridtools.inference.v1 import inference_service_pb2_grpc as pb_grpc
from hybridtools.llm.engine import LocalEngine
from hybridtools.llm.packaged import default_model_cache_dir, ensure_model_dir
from hybridtools.retrieval.v1 import retrieval_service_pb2 as rpb
from inference_svc.config import InferenceSettings
from inference_svc.server import build_service

from . import tgi_protocol
from .conftest import RetrievalUnderTest, start_retrieval

pytestmark = pytest.mark.slow
BASE = "smollm2-135m-instruct"


def make_adapter(store_dir: Path, name: str) -> Path:
    """The packaged default adapter under `name`, or a small fresh LoRA when there is none."""
    store = AdapterStore(store_dir)
    staging = store.staging_dir(name)
    if (PACKAGED_DEFAULT / "adapter_config.json").exists():
        for item in PACKAGED_DEFAULT.iterdir():
            if item.name != "manifest.json" and item.is_file():
                shutil.copy2(item, staging / item.name)
    else:
        from peft import LoraConfig, get_peft_model

        from hybridtools.llm.packaged import load_model

        model = load_model(ensure_model_dir(BASE, default_model_cache_dir()))
        peft_model = get_peft_model(model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"]))
        peft_model.save_pretrained(staging)
    return store.commit(name, staging, {"base_model": BASE}).path


@dataclass
class TgiSystem:
    server: RunningServer
    stub: pb_grpc.InferenceServiceStub
    channel: grpc.aio.Channel
    protocol: tgi_protocol.TgiProtocolServer
    retrieval: RetrievalUnderTest


@pytest.fixture(scope="module")
async def tgi(session_dir: Path) -> AsyncIterator[TgiSystem]:
    retrieval = await start_retrieval(session_dir / "tgi-retrieval")
    try:
        generated = generate_ecosystem_examples(
            load_builtin_catalog("cursor"), positives=200, negatives=20, held_out=0
        )
        request = rpb.SwapEcosystemRequest(
            ecosystem="cursor", activate=True, wait_for_tool_router=True
        )
        request.examples.examples.extend(record.to_proto() for record in generated.indexed)
        async for _ in retrieval.stub.SwapEcosystem(request):
            pass
        adapter_dir = session_dir / "tgi-adapters"
        served = make_adapter(adapter_dir, "tool-awareness")
        make_adapter(adapter_dir, "not-in-tgi")
        model_dir = ensure_model_dir(BASE, default_model_cache_dir())
        engine = LocalEngine(model_dir)
        with tgi_protocol.serving(engine, {"tool-awareness": str(served)}) as (url, protocol):
            config = InferenceSettings(
                port=0,
                data_dir=session_dir / "tgi-inference",
                retrieval_address=retrieval.address,
                backend="tgi",
                tgi_url=url,
                tgi_adapters=["tool-awareness"],
                tgi_tokenizer=str(model_dir),
                base_model=BASE,
                model_dir=default_model_cache_dir(),
                adapter_dir=adapter_dir,
                default_adapter="tool-awareness",
            )
            server = await start_server(build_service(config), "127.0.0.1:0", grace_s=1.0)
            channel = aio_channel(f"127.0.0.1:{server.port}")
            try:
                yield TgiSystem(
                    server, pb_grpc.InferenceServiceStub(channel), channel, protocol, retrieval
                )
            finally:
                await channel.close()
                await server.stop()
    finally:
        await retrieval.channel.close()
        await retrieval.server.stop()


async def test_generate_sends_adapter_and_grammar(tgi: TgiSystem) -> None:
    listed = await tgi.stub.ListAdapters(pb.ListAdaptersRequest())
    assert listed.backend == "tgi" and listed.default_adapter == "tool-awareness"
    response = await tgi.stub.Generate(
        pb.GenerateRequest(query="Read Header.tsx", tool_choice=pb.TOOL_CHOICE_REQUIRED)
    )
    sent = tgi.protocol.requests[-1]
    assert sent["parameters"]["adapter_id"] == "tool-awareness"
    grammar = sent["parameters"]["grammar"]
    assert grammar["type"] == "json"
    names = {
        branch["properties"]["name"]["const"]
        for branch in grammar["value"].get("anyOf", [grammar["value"]])
    }
    assert {e.tool_name for e in response.examples if e.kind == 1} <= names
    assert sent["inputs"].startswith("<|im_start|>system")
    assert response.tool_detected and response.HasField("tool_call")
    assert response.tool_call.name in names and response.tool_call_valid, response.validation_error
    assert json.loads(response.tool_call.rendered)["name"] == response.tool_call.name
    assert response.adapter == "tool-awareness"
    # Without streaming the backend cannot tell when the first token came.
    assert response.timings.first_token_ms == 0.0 < response.timings.generate_ms


async def test_stream_through_tgi(tgi: TgiSystem) -> None:
    chunks, final = [], None
    async for message in tgi.stub.StreamGenerate(
        pb.GenerateRequest(
            query="find TODO comments in the repo", tool_choice=pb.TOOL_CHOICE_REQUIRED
        )
    ):
        if message.HasField("final"):
            final = message.final
        else:
            chunks.append(message.text)
    assert final is not None and final.HasField("tool_call")
    assert "".join(chunks) == final.text
    assert tgi.protocol.requests[-1]["stream"] is True
    assert 0 < final.timings.first_token_ms <= final.timings.generate_ms


async def test_base_model_sends_no_adapter(tgi: TgiSystem) -> None:
    await tgi.stub.Generate(
        pb.GenerateRequest(
            query="open main.go",
            adapter="base",
            generation_config=pb.GenerationConfig(max_new_tokens=30),
        )
    )
    assert tgi.protocol.requests[-1]["parameters"].get("adapter_id") is None


async def test_adapter_unknown_to_tgi_is_refused(tgi: TgiSystem) -> None:
    """TGI would answer it with the base model, silently; the service refuses it instead."""
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await tgi.stub.LoadAdapter(pb.LoadAdapterRequest(name="not-in-tgi"))
    assert failure.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "LORA_ADAPTERS" in failure.value.details()
    calls_before = len(tgi.protocol.requests)
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await tgi.stub.Generate(pb.GenerateRequest(query="open main.go", adapter="not-in-tgi"))
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND
    assert len(tgi.protocol.requests) == calls_before
