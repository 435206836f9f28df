"""Default generation limits for text and for constrained calls (inference_svc.generation)."""

from __future__ import annotations

import pytest

from hybridtools.core.errors import InvalidArgumentError
from inference_svc.generation import TokenLimits

LIMITS = TokenLimits(text=96, call=256)


def test_a_constrained_call_gets_the_call_limit_and_text_the_text_limit() -> None:
    assert LIMITS.for_request(0, constrained=True, call=True) == 256
    assert LIMITS.for_request(0, constrained=True, call=False) == 96  # no tool: a reply
    assert LIMITS.for_request(0, constrained=False, call=False) == 96


def test_the_prompt_leaves_room_for_the_larger_limit_the_answer_may_take() -> None:
    assert LIMITS.for_request(0, constrained=True) == 256
    assert LIMITS.for_request(0, constrained=False) == 96  # free decoding: text's
    assert TokenLimits(text=300, call=128).for_request(0, constrained=True) == 300


def test_a_requested_limit_wins_and_is_checked() -> None:
    assert LIMITS.for_request(30, constrained=True, call=True) == 30
    with pytest.raises(InvalidArgumentError, match="max_new_tokens must be 1..1024"):
        LIMITS.for_request(5000, constrained=True, call=True)
