"""Held-out tool-call accuracy: does the model call the right tool with the right arguments?

The held-out split (`held_out_tool_awareness`) uses invented tools, values and
phrasings that no training sample has, in the prompt layout the inference
service uses, so it measures the skill the generic adapter is for: read the
tools and examples in the prompt, pick the right one, copy the values. Replies
are decoded freely (no grammar), so the figure is the model's own; parsing
is `parse_json_call`, the inference service's.

A sample counts as right when
- it expects a call: the reply holds a call with the expected name and
  arguments equal to the expected ones (JSON values, key order ignored);
- it expects plain text: the reply holds no call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from hybridtools.ecosystems.calls import parse_json_call
from hybridtools.ecosystems.training_sets import held_out_tool_awareness

# Long enough for every held-out call (the longest is ~60 tokens); plain
# answers are cut, which does not change whether they hold a call.
EVAL_MAX_NEW_TOKENS = 96

Generate = Callable[[list[dict[str, str]]], str]


@dataclass
class EvalReport:
    samples: int = 0
    call_samples: int = 0
    no_tool_samples: int = 0
    right_tool: int = 0
    right_arguments: int = 0
    spurious_calls: int = 0
    replies_with_call: int = 0
    # Right answers (call or no call) over all samples, 0..1.
    accuracy: float = 0.0
    seconds: float = 0.0

    @property
    def right_tool_rate(self) -> float:
        return self.right_tool / self.call_samples if self.call_samples else 0.0

    @property
    def right_arguments_rate(self) -> float:
        return self.right_arguments / self.call_samples if self.call_samples else 0.0

    @property
    def spurious_rate(self) -> float:
        return self.spurious_calls / self.no_tool_samples if self.no_tool_samples else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "right_tool_rate": round(self.right_tool_rate, 4),
            "right_arguments_rate": round(self.right_arguments_rate, 4),
            "spurious_rate": round(self.spurious_rate, 4),
        }

    def summary(self) -> str:
        return (
            f"accuracy {self.accuracy:.1%} ({self.samples} samples): right tool "
            f"{self.right_tool}/{self.call_samples}, right arguments "
            f"{self.right_arguments}/{self.call_samples}, spurious calls "
            f"{self.spurious_calls}/{self.no_tool_samples}"
        )


def held_out_samples(n: int, seed: int = 0) -> list[dict[str, Any]]:
    return held_out_tool_awareness(n, seed)


def score_reply(expected: dict[str, Any] | None, reply: str) -> tuple[bool, bool, bool]:
    """(right tool, right arguments, holds a call) for one reply."""
    parsed = parse_json_call(reply)
    if expected is None:
        return False, False, parsed is not None
    if parsed is None:
        return False, False, False
    name, arguments = parsed
    right_tool = name == expected["name"]
    return right_tool, right_tool and arguments == expected["arguments"], True


def evaluate(
    generate: Generate,
    samples: Sequence[dict[str, Any]],
    on_progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    """Runs every sample's prompt (all turns but the reference reply) through `generate`."""
    report = EvalReport(samples=len(samples))
    started = time.perf_counter()
    right = 0
    for index, sample in enumerate(samples):
        messages = [m for m in sample["messages"] if m["role"] != "assistant"]
        expected = (sample.get("meta") or {}).get("expected_call")
        reply = generate(messages)
        right_tool, right_arguments, has_call = score_reply(expected, reply)
        report.replies_with_call += int(has_call)
        if expected is None:
            report.no_tool_samples += 1
            report.spurious_calls += int(has_call)
            right += int(not has_call)
        else:
            report.call_samples += 1
            report.right_tool += int(right_tool)
            report.right_arguments += int(right_arguments)
            right += int(right_arguments)
        if on_progress is not None:
            on_progress(index + 1, len(samples))
    report.accuracy = right / len(samples) if samples else 0.0
    report.seconds = round(time.perf_counter() - started, 1)
    return report


def engine_generator(engine: Any, adapter: str | None) -> Generate:
    """Greedy replies from hybridtools.llm's LocalEngine: the inference service's CPU path."""

    def generate(messages: list[dict[str, str]]) -> str:
        result = engine.generate(
            engine.encode_chat(messages), max_new_tokens=EVAL_MAX_NEW_TOKENS, adapter=adapter
        )
        return str(result.text)

    return generate


def transformers_generator(model: Any, tokenizer: Any) -> Generate:
    """Greedy replies through `model.generate` (GPU workers, where LocalEngine does not run)."""
    import torch

    def generate(messages: list[dict[str, str]]) -> str:
        encoded = tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        ).to(model.device)
        with torch.inference_mode():
            output = model.generate(
                **encoded,
                max_new_tokens=EVAL_MAX_NEW_TOKENS,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
            )
        reply_ids = output[0, encoded["input_ids"].shape[1] :]
        return str(tokenizer.decode(reply_ids, skip_special_tokens=True))

    return generate
