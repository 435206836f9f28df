"""How the shown examples got their calls' integer arguments from their requests.

An integer argument is a line, a cell index, a count of lines: a number of
the request, or one worked out from two of them. The 135M model wrote them
freely: Copilot's `endLine` 570 for "Lines 330 to 370 of src/order.rs?",
Cursor's `limit` 10 for "lines 276-306" beside examples whose limits were
each their range's length (31 for "lines 182-212"). It cannot subtract; the
examples show which of the request's numbers, or which difference of two,
the value is. Each shown value is matched against its own request's numbers
(`NumberRule`), and the local engine holds this call's value to what the
matching rules give for this request (hybridtools.llm.copying).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Protocol

from hybridtools.ecosystems.catalog import ToolSpec
from hybridtools.llm.copy_hints import NumberRule
from hybridtools.llm.request_text import request_numbers


class _Example(Protocol):
    request: str
    call_name: str
    call_arguments: dict


def number_rules(examples: Sequence[_Example]) -> dict[str, tuple[NumberRule, ...]]:
    """Per integer argument, the rules that give its shown values from their requests'
    numbers: each number equal to it ("copy"), each later number minus an earlier
    one, plus one ("count") or not ("difference"); or, where its request had no
    number, the value itself ("default").

    An argument has rules only when every shown value has one: a value that a
    request with numbers did not give (an index the example counted itself) shows
    no rule to follow. A negative example counts with its corrected call.
    """
    rules: dict[str, set[NumberRule]] = {}
    unexplained: set[str] = set()
    for example in examples:
        if not example.call_name:  # a "no call" negative
            continue
        numbers = request_numbers(example.request)
        for key, value in example.call_arguments.items():
            if not isinstance(value, int) or isinstance(value, bool):
                continue
            found = _rules_for(value, numbers)
            if found:
                rules.setdefault(key, set()).update(found)
            else:
                unexplained.add(key)
    return {key: tuple(sorted(found)) for key, found in rules.items() if key not in unexplained}


def _rules_for(value: int, numbers: Sequence[int]) -> list[NumberRule]:
    if not numbers:
        return [NumberRule("default", value=value)]
    found = [NumberRule("copy", index) for index, number in enumerate(numbers) if number == value]
    for first, second in combinations(range(len(numbers)), 2):
        span = numbers[second] - numbers[first]
        if span > 0 and span + 1 == value:
            found.append(NumberRule("count", first, second))
        if span > 0 and span == value:
            found.append(NumberRule("difference", first, second))
    return found


def numbers_not_given(
    examples: Sequence[_Example], tools: Sequence[ToolSpec], request: str
) -> dict[str, set[str]]:
    """Per tool, its optional integer arguments whose shown values all came from their
    requests' numbers (`number_rules`, no default among them) where this request has
    none to give them: a read of a whole file beside examples that read line ranges.

    The generation schema leaves them out (`call_schema`): the model had written
    `"end_line":1,"start_line":2` for "read through src/channel_validators.cpp", and a
    window of 101 lines from line 237 for "is there anything odd in src/vendor.rs?".
    """
    numbers = request_numbers(request)
    left_out: dict[str, set[str]] = {}
    for tool in tools:
        rules = number_rules([e for e in examples if e.call_name == tool.name])
        for key, found in rules.items():
            if key in tool.required or any(rule.kind == "default" for rule in found):
                continue
            if all(rule.apply(numbers) is None for rule in found):
                left_out.setdefault(tool.name, set()).add(key)
    return left_out
