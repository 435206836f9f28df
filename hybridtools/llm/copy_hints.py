"""What the prompt's examples tell a constrained call about its argument values.

The inference service reads them off the shown examples (prompt_builder's
`copy_hints`); the local engine's copy bias acts on them
(hybridtools.llm.copying, ADR 0008). Kept apart from the bias so that
callers that only carry them (the backends' parameters) need no torch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class ValueForm:
    """How the shown examples composed an argument's value (inference_svc/value_forms.py)."""

    # The example's own words, a hole between two neighbours for words of its request:
    # ("I am replacing ", " with ", "").
    parts: tuple[str, ...]
    # Whether the example's request had a pasted block (after its first line): a form
    # for pasted code ("# ... existing code ...\n\n<the code>") fits such requests only.
    pasted: bool = False
    # Which hole (0 for the first) held that pasted block, if one did: it holds this
    # request's pasted block too ("# ... existing code ...\n\n" and not "with" of
    # "extend a.py with:").
    block_hole: int | None = None
    # (hole, other argument, its form's parts, its hole): this hole holds what that
    # hole of the other argument holds, once that one is written; a value without a
    # form counts as WHOLE_VALUE, its one hole all of it.
    same_as: tuple[tuple[int, str, tuple[str, ...], int], ...] = ()
    # Holes per unit where the form repeats one (two SEARCH/REPLACE blocks: 2), else 0.
    # A unit's holes come after the previous unit's in the request, and the one unit
    # alone is a form too (one block where the examples made two).
    repeat_holes: int = 0


# The form of a value that is all one hole.
WHOLE_VALUE = ("", "")


@dataclass(frozen=True, order=True)
class NumberRule:
    """How a shown call got an integer argument from its request's numbers (in the
    order the request proper writes them, hybridtools.llm.request_text.request_numbers)."""

    # "copy": numbers[first]; "count": numbers[second] - numbers[first] + 1 (Cursor's
    # `limit` 31 for "lines 182-212"); "difference": numbers[second] - numbers[first];
    # "default": `value`, given where the request had no number (Copilot's `endLine`
    # 400 for a whole file).
    kind: str
    first: int = 0
    second: int = 0
    value: int = 0

    def apply(self, numbers: Sequence[int]) -> int | None:
        """The value this rule gives for a request with `numbers`, if it gives one."""
        if self.kind == "default":
            return None if numbers else self.value
        if self.kind == "copy":
            return numbers[self.first] if self.first < len(numbers) else None
        if self.second >= len(numbers):
            return None
        value = numbers[self.second] - numbers[self.first] + (self.kind == "count")
        return value if value > 0 else None


@dataclass(frozen=True)
class CopyHints:
    # Argument -> the JSON text its value starts with in the shown examples: a
    # boolean (`false`), a whole string (`"."`) or a string's start (`"To answer: `,
    # no closing quote). Favoured at the value's start.
    literals: Mapping[str, str] = field(default_factory=dict)
    # Arguments whose values the shown examples all copied from their own requests:
    # held to a span of this request, not just favoured towards one.
    exact: tuple[str, ...] = ()
    # Arguments the shown examples mostly composed ("pip install x" for "install x
    # with pip"): the request's words are favoured, a copied span's end is not.
    composed: tuple[str, ...] = ()
    # Held arguments whose shown copies kept their sentence's closing punctuation
    # (a question's "?"): the held value keeps it too.
    punctuated: tuple[str, ...] = ()
    # Argument -> the forms of its shown values. The value is held to one that fits the
    # request (pasted code or not), each hole to a copy from the request.
    forms: Mapping[str, tuple[ValueForm, ...]] = field(default_factory=dict)
    # Held argument -> the shape (hybridtools.word_shapes: "file", "directory", "url",
    # "glob") of every value the shown examples gave it: held to a whole word of this
    # request of that shape, where the request has one ("Gemfile", not "anything").
    shapes: Mapping[str, str] = field(default_factory=dict)
    # Held argument -> the words just before its copies in the shown requests
    # (hybridtools.llm.request_text.cue_word: "than" for the old string of "I want x
    # rather than y"): another held value does not start after one of them.
    cues: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Held argument -> the first word of each of its shown values, lowercased ("let"
    # of "let grades = []"): another held value does not start with one of them that
    # none of its own started with.
    first_words: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Held arguments whose every shown value started with a capitalised word ("Ruff",
    # "Black Formatter" for an extension's name; not "SUBSCRIPTION_TIMEOUT"): the held
    # value starts at a capitalised word of the request proper, where it has one.
    capitalised: tuple[str, ...] = ()
    # Integer argument -> how every shown call got its value from its request's numbers
    # (a line, a cell index, a count of lines): the value is one of what these rules give
    # for this request, where they give any (Copilot's `endLine` 570 for "Lines 330 to
    # 370", Cursor's `limit` 10 for "lines 276-306").
    numbers: Mapping[str, tuple[NumberRule, ...]] = field(default_factory=dict)
