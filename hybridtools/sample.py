"""One request through the inference service, printed for a person (used by `make run`)."""

from __future__ import annotations

from hybridtools.core.channels import sync_channel
from hybridtools.inference.v1 import inference_service_pb2 as ipb
from hybridtools.inference.v1 import inference_service_pb2_grpc as ipb_grpc


def print_sample_generation(
    address: str, query: str, ecosystems: tuple[str, ...] = ("continue", "cursor", "cline")
) -> None:
    with sync_channel(address) as channel:
        stub = ipb_grpc.InferenceServiceStub(channel)
        for ecosystem in ecosystems:
            response = stub.Generate(
                ipb.GenerateRequest(query=query, ecosystem=ecosystem), timeout=300
            )
            timings = response.timings
            print(f"\n{query!r} in {ecosystem} (adapter {response.adapter}):", flush=True)
            if response.HasField("tool_call"):
                valid = (
                    "valid" if response.tool_call_valid else f"INVALID: {response.validation_error}"
                )
                print(f"  tool call ({valid}):", flush=True)
                for line in response.tool_call.rendered.splitlines():
                    print(f"    {line}", flush=True)
            else:
                print(f"  text: {response.text}", flush=True)
            examples = ", ".join(f"{e.tool_name} {e.score:.2f}" for e in response.examples)
            print(
                f"  examples: {examples}; prompt {response.usage.prompt_tokens} tokens "
                f"({response.usage.example_tokens} of examples); {timings.total_ms:.0f} ms "
                f"(detect {timings.detect_ms:.0f}, retrieve {timings.retrieve_ms:.0f}, build "
                f"{timings.build_ms:.0f}, generate {timings.generate_ms:.0f} of which "
                f"{timings.first_token_ms:.0f} to the first token)",
                flush=True,
            )
