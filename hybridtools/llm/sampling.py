"""Choosing the next token from (already grammar-masked) logits."""

from __future__ import annotations

import torch


def choose_token(
    logits: torch.Tensor, temperature: float, top_p: float, generator: torch.Generator
) -> int:
    """Greedy when `temperature` is 0, else nucleus sampling from `generator`.

    `logits` is [vocab] float32; masked tokens hold -inf and are never chosen.
    """
    if temperature <= 0.0:
        return int(torch.argmax(logits))
    probabilities = torch.softmax(logits / temperature, dim=-1)
    if 0.0 < top_p < 1.0:
        sorted_probabilities, sorted_ids = torch.sort(probabilities, descending=True)
        cumulative = torch.cumsum(sorted_probabilities, dim=-1)
        # Keep the smallest head whose mass reaches top_p (the first token always).
        outside = cumulative - sorted_probabilities > top_p
        sorted_probabilities[outside] = 0.0
        choice = torch.multinomial(sorted_probabilities, 1, generator=generator)
        return int(sorted_ids[choice])
    return int(torch.multinomial(probabilities, 1, generator=generator))
