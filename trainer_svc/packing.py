"""Chat samples to token ids with loss masks, and the plan of optimizer steps.

Loss only on assistant turns: each assistant reply (and the end-of-turn token
that closes it, so the model learns to stop) is a target; the system prompt,
the tools, the examples and the user's request are context only.

Packing without padding: a step's samples are laid end to end in one row and
attention is cut at each sample's boundary (`attention.py`), so no FLOP goes to
padding and no sample sees another. A step holds samples until its token
budget (`batch_size` x `sequence_length`) is full; a sample longer than
`sequence_length` is cut to it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from transformers import PreTrainedTokenizerBase

IGNORE = -100


@dataclass(frozen=True)
class TokenizedSample:
    input_ids: list[int]
    # Per position: the token id when it is a training target, else IGNORE.
    labels: list[int]

    @property
    def trainable_tokens(self) -> int:
        return sum(1 for label in self.labels if label != IGNORE)


def _template_ids(
    tokenizer: PreTrainedTokenizerBase, messages: Sequence[dict[str, str]], generation: bool
) -> list[int]:
    encoded = tokenizer.apply_chat_template(
        list(messages), add_generation_prompt=generation, tokenize=True, return_dict=True
    )
    return list(encoded["input_ids"])


def tokenize_sample(
    tokenizer: PreTrainedTokenizerBase, messages: Sequence[dict[str, str]]
) -> TokenizedSample:
    """Ids of the conversation in the model's chat template; assistant turns are targets.

    Each assistant turn's tokens are found as the difference between the
    template of the conversation up to it (with the generation prompt) and
    the template including it, so the mask follows whatever template the base
    model has. What the template puts after the end-of-turn token (a newline)
    is not a target: at run time generation stops before it.
    """
    messages = [{"role": m["role"], "content": m["content"]} for m in messages]
    if not any(m["role"] == "assistant" for m in messages):
        raise ValueError("a training sample needs at least one assistant turn")
    ids: list[int] = []
    labels: list[int] = []
    end_ids = set(_end_of_turn_ids(tokenizer))
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        prompt = _template_ids(tokenizer, messages[:index], generation=True)
        full = _template_ids(tokenizer, messages[: index + 1], generation=False)
        if full[: len(prompt)] != prompt or prompt[: len(ids)] != ids:
            raise ValueError("the chat template does not extend the conversation token by token")
        context = prompt[len(ids) :]
        reply = full[len(prompt) :]
        # Keep the reply up to and including its end-of-turn token.
        for position, token in enumerate(reply):
            if token in end_ids:
                reply = reply[: position + 1]
                break
        ids.extend(context)
        labels.extend([IGNORE] * len(context))
        ids.extend(reply)
        labels.extend(reply)
    return TokenizedSample(ids, labels)


def _end_of_turn_ids(tokenizer: PreTrainedTokenizerBase) -> list[int]:
    candidates = [tokenizer.eos_token_id]
    for token in ("<|im_end|>", "<|eot_id|>", "<|end|>"):
        token_id = tokenizer.convert_tokens_to_ids(token)
        if isinstance(token_id, int) and token_id != tokenizer.unk_token_id:
            candidates.append(token_id)
    return [token for token in candidates if token is not None]


def truncate(sample: TokenizedSample, max_tokens: int) -> TokenizedSample:
    if len(sample.input_ids) <= max_tokens:
        return sample
    return TokenizedSample(sample.input_ids[:max_tokens], sample.labels[:max_tokens])


@dataclass(frozen=True)
class StepPlan:
    """Sample indices of each optimizer step, over every epoch, fixed by the seed.

    Fixed in advance so that a resumed run continues with exactly the steps
    the interrupted one had not done yet.
    """

    steps: list[list[int]]
    steps_per_epoch: float

    @property
    def total_steps(self) -> int:
        return len(self.steps)

    def epoch_at(self, step: int) -> float:
        return step / self.steps_per_epoch if self.steps_per_epoch else 0.0


def plan_steps(
    lengths: Sequence[int],
    token_budget: int,
    epochs: float,
    seed: int,
    max_steps: int = 0,
) -> StepPlan:
    """Shuffles the samples each epoch and fills steps up to `token_budget` tokens.

    A fractional epoch takes the first part of one more shuffled pass;
    `max_steps` > 0 stops the plan there (the learning-rate schedule then
    spans exactly those steps).
    """
    if not lengths:
        raise ValueError("no samples to train on")
    rng = random.Random(seed)
    order: list[int] = []
    full_epochs = math.floor(epochs)
    for _ in range(max(full_epochs, 0)):
        epoch_order = list(range(len(lengths)))
        rng.shuffle(epoch_order)
        order.extend(epoch_order)
    remainder = epochs - full_epochs
    if remainder > 0 or not order:
        epoch_order = list(range(len(lengths)))
        rng.shuffle(epoch_order)
        order.extend(epoch_order[: max(1, round(len(lengths) * remainder))])
    steps: list[list[int]] = []
    current: list[int] = []
    used = 0
    for index in order:
        length = min(lengths[index], token_budget)
        if current and used + length > token_budget:
            steps.append(current)
            current, used = [], 0
        current.append(index)
        used += length
    if current:
        steps.append(current)
    epoch_tokens = sum(min(length, token_budget) for length in lengths)
    steps_per_epoch = max(epoch_tokens / token_budget, 1e-9)
    if max_steps > 0:
        while len(steps) < max_steps:  # fewer samples than steps: go round again
            steps.extend(plan_steps(lengths, token_budget, 1.0, rng.randrange(2**31)).steps)
        steps = steps[:max_steps]
    return StepPlan(steps, steps_per_epoch)


@dataclass(frozen=True)
class PackedBatch:
    """One row of samples end to end; `boundaries` are cumulative segment starts.

    With a shared prefix, the row is [prefix][rest of sample 1][rest of sample 2]...
    and `boundaries` starts [0, prefix, ...]: the first segment is the prefix,
    each later one a sample's remainder, which attends to the prefix and to itself.
    """

    input_ids: list[int]
    position_ids: list[int]
    boundaries: list[int]
    # Next-token targets aligned with input_ids (IGNORE where none).
    targets: list[int]
    # Tokens at the row's start that every sample shares (0 = none shared).
    shared_prefix: int = 0
    # The samples' own lengths summed: what they hold, shared prefix included.
    sample_tokens: int = 0

    @property
    def tokens(self) -> int:
        """Positions the model computes (the shared prefix once)."""
        return len(self.input_ids)

    @property
    def target_count(self) -> int:
        return sum(1 for target in self.targets if target != IGNORE)


# Sharing fewer tokens than this saves less than the extra attention bookkeeping costs.
MIN_SHARED_PREFIX = 16


def shared_prefix_length(samples: Sequence[TokenizedSample]) -> int:
    """Leading tokens all samples have in common and none learns from.

    The token right after the prefix must not be a target either: the
    prefix's last position predicts it, and it differs between samples.
    """
    if len(samples) < 2:
        return 0
    first = samples[0]
    limit = min(len(s.input_ids) for s in samples) - 1
    length = 0
    while length < limit:
        token = first.input_ids[length]
        if any(s.input_ids[length] != token for s in samples):
            break
        length += 1
    while length > 0 and any(label != IGNORE for s in samples for label in s.labels[: length + 1]):
        length -= 1
    return length if length >= MIN_SHARED_PREFIX else 0


def pack(samples: Sequence[TokenizedSample], share_prefix: bool = False) -> PackedBatch:
    """Lays `samples` end to end; positions restart at 0 for each sample.

    With `share_prefix`, the leading tokens every sample has in common (the
    system prompt's fixed rules, in the generic adapter's mix) are computed
    once: same logits and gradients, fewer FLOPs (attention.py).
    """
    prefix = shared_prefix_length(samples) if share_prefix else 0
    ids: list[int] = list(samples[0].input_ids[:prefix]) if prefix else []
    positions: list[int] = list(range(prefix))
    # Within the prefix no position is a target (shared_prefix_length checks it).
    targets: list[int] = [IGNORE] * prefix
    boundaries = [0, prefix] if prefix else [0]
    for sample in samples:
        ids.extend(sample.input_ids[prefix:])
        positions.extend(range(prefix, len(sample.input_ids)))
        # The token at t predicts the label at t+1; the last token of a
        # sample predicts nothing (the next sample is not its continuation).
        targets.extend([*sample.labels[prefix + 1 :], IGNORE])
        boundaries.append(len(ids))
    return PackedBatch(
        ids,
        positions,
        boundaries,
        targets,
        shared_prefix=prefix,
        sample_tokens=sum(len(s.input_ids) for s in samples),
    )
