"""Examples from the retrieval service as chat samples, in the serving prompt layout.

An indexed example is a request and its call. To train on it the way the
model meets it at run time, each becomes a sample whose system message is the
one the inference service builds (`hybridtools.prompting`): the tool and a
couple of other tools of the ecosystem in the tool list, two or three other
examples in the examples section, then the request; the reply is the call in
the JSON interlingua the model always answers in.
"""

from __future__ import annotations

import random
from typing import Any

from hybridtools.common.v1 import tools_pb2
from hybridtools.ecosystems.catalog import Catalog
from hybridtools.ecosystems.examples import arguments_from_call
from hybridtools.prompting import PromptExample, PromptTool, build_messages, canonical_call_json
from trainer_svc.composer import RetrievalSpec, Sample
from trainer_svc.peers import RetrievalClient

# Tools in each sample's tool list besides the right one, as the inference
# service shows its candidate tools.
DISTRACTOR_TOOLS = 2
EXAMPLES_IN_PROMPT = 3


def _prompt_tool(catalog: Catalog | None, name: str) -> PromptTool:
    if catalog is not None and catalog.has_tool(name):
        return catalog.tool(name).to_prompt_tool()
    return PromptTool(name, "", {"type": "object", "properties": {}})


def _as_prompt_example(example: tools_pb2.ToolExample) -> PromptExample:
    return PromptExample(example.request, example.call.name, arguments_from_call(example.call))


def examples_to_samples(
    examples: list[tools_pb2.ToolExample], catalog: Catalog | None, seed: int
) -> list[Sample]:
    """One sample per example with a call (positives, and negatives' corrections)."""
    rng = random.Random(seed)
    with_call = [e for e in examples if e.call.name]
    by_tool: dict[str, list[tools_pb2.ToolExample]] = {}
    for example in with_call:
        by_tool.setdefault(example.tool_name or example.call.name, []).append(example)
    all_tools = list(catalog.tool_names) if catalog is not None else sorted(by_tool)
    samples: list[Sample] = []
    for example in with_call:
        tool = example.call.name
        same = [e for e in by_tool.get(example.tool_name or tool, []) if e is not example]
        others = [e for name, group in by_tool.items() if name != tool for e in group]
        shown = rng.sample(same, min(len(same), 2))
        if others:
            shown.append(rng.choice(others))
        shown = shown[:EXAMPLES_IN_PROMPT]
        rng.shuffle(shown)
        distractors = [name for name in all_tools if name != tool]
        tools = [tool, *rng.sample(distractors, min(len(distractors), DISTRACTOR_TOOLS))]
        rng.shuffle(tools)
        messages = build_messages(
            example.request,
            [_prompt_tool(catalog, name) for name in tools],
            [_as_prompt_example(e) for e in shown],
        )
        reply = canonical_call_json(tool, arguments_from_call(example.call))
        messages.append({"role": "assistant", "content": reply})
        meta: dict[str, Any] = {
            "kind": "retrieved",
            "example_id": example.id,
            "ecosystem": example.ecosystem,
            "tool": tool,
        }
        samples.append({"messages": messages, "meta": meta})
    return samples


def tool_queries(catalog: Catalog | None, tool_name: str) -> list[str]:
    """Searches that reach a tool's examples: its name in words and its description."""
    queries = [tool_name.replace("_", " ").replace("-", " ")]
    if catalog is not None and catalog.has_tool(tool_name):
        description = catalog.tool(tool_name).description
        if description:
            queries.append(description[:200])
    return queries


async def fetch_examples(
    client: RetrievalClient, spec: RetrievalSpec
) -> tuple[Catalog | None, dict[str, list[tools_pb2.ToolExample]]]:
    """Every reachable example of the spec's tools (all the ecosystem's when none named)."""
    catalog, counts = await client.ecosystem(spec.ecosystem)
    tools = list(spec.tool_names) or (list(catalog.tool_names) if catalog else sorted(counts))
    found: dict[str, list[tools_pb2.ToolExample]] = {}
    for tool in tools:
        found[tool] = await client.examples_of(
            spec.ecosystem, tool, tool_queries(catalog, tool), spec.include_negatives
        )
    return catalog, found


async def retrieval_source_samples(
    client: RetrievalClient, spec: RetrievalSpec, seed: int
) -> list[Sample]:
    catalog, found = await fetch_examples(client, spec)
    examples = [example for group in found.values() for example in group]
    return examples_to_samples(examples, catalog, seed)
