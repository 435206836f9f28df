"""The forms of the shown examples' composed argument values: their own words
with holes where each example put words of its own request.

Cursor's `edit_file` writes `instructions` as "I am replacing <old> with
<new>" and `code_edit` as "# ... existing code ...\\n<new>\\n# ... existing
code ..."; Cline's `replace_in_file` a SEARCH/REPLACE block around the old and
new code; Continue's `edit_existing_file` "# ... existing code ...\\n\\n<the
pasted code>". The copy bias knew only the words such values start with
(`example_literals`), after which the 135M model wrote on in its own words:
"I am changing the token limit to 100", a `code_edit` that stopped after its
first line. A form is the examples' words between the holes; the local
engine holds a value to one of the shown forms, each hole to a copy from the
request (hybridtools.llm.copying). A hole that held what a hole of another
argument of the same call held is linked to it: `code_edit`'s code is the new
code that `instructions` names, whichever of the two is written second copies
the first one's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from hybridtools.llm.copy_hints import WHOLE_VALUE, ValueForm
from hybridtools.llm.request_text import PASTED_BLOCK, quoted_segments, word_spans

# What a word's end sheds: a sentence's punctuation.
_TRAILING = ",;:!?.`'\""


class _Example(Protocol):
    request: str
    call_name: str
    call_arguments: dict


def value_forms(examples: Sequence[_Example]) -> dict[str, tuple[ValueForm, ...]]:
    """Per string argument, the forms of its shown values: the example's own words,
    with a hole between two neighbours (so n + 1 parts for n holes), and whether
    the example's request had pasted code.

    An argument has forms only when every shown call giving it a value with a
    letter or digit composed that value of its own words and its request's (at
    least one hole, and a word besides that its request does not have). Values
    copied whole are held to the request already (`copied_arguments`); a value
    some example wrote entirely in its own words ("Start a Celery worker") shows
    no form to follow; nor does a command made of its request's words in another
    order ("pip install x" for "use pip to install x": "pip" is the request's).
    A negative example counts with its corrected call.
    """
    forms: dict[str, set[ValueForm]] = {}
    formless: set[str] = set()
    for example in examples:
        if not example.call_name:  # a "no call" negative
            continue
        parsed: dict[str, tuple[ValueForm, list[str]]] = {}
        whole: dict[str, list[str]] = {}  # values without a form: one hole, all of it
        for key, value in example.call_arguments.items():
            if not isinstance(value, str) or not any(char.isalnum() for char in value):
                continue
            found = _parse(value, example.request)
            if found is None:
                formless.add(key)
                whole[key] = [value]
            else:
                parsed[key] = found
        for key, (form, holes) in parsed.items():
            forms.setdefault(key, set()).update(
                _with_unit(_linked(key, form, holes, parsed, whole))
            )
    return {key: tuple(sorted(found)) for key, found in forms.items() if key not in formless}


def _with_unit(form: ValueForm) -> tuple[ValueForm, ...]:
    """`form`, and where it repeats a unit of holes (two SEARCH/REPLACE blocks joined
    by a line break) that unit alone, both marked with the unit's hole count.

    The nearest examples of a one-edit request can all be two-edit ones ("two
    edits in a.py: x becomes y, ..."): held to their form, Cline's diff for "so
    LESSON_LIMIT = 100 becomes LESSON_LIMIT = 500" got a second block of the
    request's left-over words ("scripts/sync_lessons.py" for "so").
    """
    parts = form.parts
    holes = len(parts) - 1
    if form.same_as or form.block_hole is not None:
        return (form,)
    for size in range(1, holes // 2 + 1):
        if holes % size or not _repeats(parts, size):
            continue
        unit = (*parts[:size], parts[-1])
        if not any(char.isalnum() for part in unit for char in part):
            return (form,)  # "<x> and <y>" repeats nothing of the example's own
        return (
            replace(form, repeat_holes=size),
            replace(form, parts=unit, repeat_holes=size),
        )
    return (form,)


def _repeats(parts: tuple[str, ...], size: int) -> bool:
    """Whether `parts` are one unit of `size` holes written over and over: each joint
    is the unit's end, a separator and its start, the words between its holes the same."""
    first, last = parts[0], parts[-1]
    separators = set()
    for joint in range(size, len(parts) - 1, size):
        part = parts[joint]
        if not (part.startswith(last) and part.endswith(first)):
            return False
        if len(part) < len(last) + len(first):
            return False
        separators.add(part[len(last) : len(part) - len(first)])
        if parts[joint + 1 : joint + size] != parts[1:size]:
            return False
    return len(separators) == 1


def _linked(
    key: str,
    form: ValueForm,
    holes: list[str],
    parsed: dict[str, tuple[ValueForm, list[str]]],
    whole: dict[str, list[str]],
) -> ValueForm:
    """`form` with its holes that held what a hole of another argument of the same call
    held (Cursor's `code_edit` holds the new code that `instructions` names second)."""
    others = [(other, found.parts, found_holes) for other, (found, found_holes) in parsed.items()]
    others += [(other, WHOLE_VALUE, value) for other, value in whole.items()]
    same_as = {
        (index, other, parts, other_index)
        for index, hole in enumerate(holes)
        for other, parts, other_holes in others
        if other != key
        for other_index, other_hole in enumerate(other_holes)
        if other_hole == hole
    }
    return replace(form, same_as=tuple(sorted(same_as))) if same_as else form


def value_form(value: str, request: str) -> ValueForm | None:
    """`value`'s form (see `_parse`), or None."""
    found = _parse(value, request)
    return None if found is None else found[0]


def _parse(value: str, request: str) -> tuple[ValueForm, list[str]] | None:
    """`value` as its own words around holes of `request`'s words, with the words each
    hole held; None when it has no hole, two holes side by side, or no word but its
    request's between them.

    A hole is the longest run of the request's words (a quoted or backticked
    segment, the pasted block after the first line) that the value spells out
    between word boundaries; a single word counts only when it is more than a
    plain word (a path, `timeout=60`, `getUserById`), two words only when
    neither is one: "the" or "code" in both are the example's own words, not a
    copy.
    """
    by_first: dict[str, list[str]] = {}
    spans = _request_spans(request) | _copied_lines(value, request)
    for span in sorted(spans, key=len, reverse=True):
        by_first.setdefault(span[0], []).append(span)
    parts: list[str] = []
    holes: list[str] = []
    literal_start = position = 0
    while position < len(value):
        if position == 0 or not _is_word_char(value[position - 1]):
            hole = next(
                (
                    span
                    for span in by_first.get(value[position], ())
                    if value.startswith(span, position)
                    and not _is_word_char(value[position + len(span) : position + len(span) + 1])
                ),
                None,
            )
            if hole is not None:
                parts.append(value[literal_start:position])
                holes.append(hole)
                position += len(hole)
                literal_start = position
                continue
        position += 1
    parts.append(value[literal_start:])
    if len(parts) < 2 or any(not part for part in parts[1:-1]):
        return None  # two holes side by side: where one ends is not shown
    request_words = set(re.findall(r"\w+", request))
    part_words = [re.findall(r"\w+", part) for part in parts]
    if not any(word not in request_words for words in part_words for word in words):
        return None
    request_names = {word for word in request.split() if not _plain_word(word)}
    if any(
        (len(words) > 1 and set(words) <= request_words) or request_names & set(part.split())
        for part, words in zip(parts, part_words, strict=True)
    ):
        # The request's code between holes: a copy the holes missed (a pasted
        # block given with a line added, its quoted "zod" taken for a hole).
        return None
    block = _pasted_block(request)
    pasted = _pasted_copies(block) if block else set()
    block_hole = next((index for index, hole in enumerate(holes) if hole in pasted), None)
    return ValueForm(tuple(parts), pasted=bool(block), block_hole=block_hole), holes


def _pasted_block(request: str) -> str:
    """What follows the request's first line (pasted code), trailing space left out."""
    block = PASTED_BLOCK.search(request)
    return request[block.end() :].rstrip() if block else ""


def _request_spans(request: str) -> set[str]:
    """The runs of `request`'s words that may fill a hole (see `value_form`): of its
    first line's words, the quoted or backticked segments, the pasted block whole."""
    block = PASTED_BLOCK.search(request)
    first_line = request[: block.start()] if block else request
    words = word_spans(first_line, _TRAILING)
    plain = [_plain_word(request[start:end]) for start, end in words]
    spans = set()
    for first in range(len(words)):
        for last in range(first, len(words)):
            # One word: a name of code. Two: not with a plain word on an edge
            # ("to a.py" of "add this to a.py" is the examples' "to" and a hole).
            if last - first < 2 and (plain[first] or plain[last]):
                continue
            spans.add(request[words[first][0] : words[last][1]])
    spans.update(request[start:end] for start, end in quoted_segments(request).items())
    pasted = _pasted_block(request)
    if pasted:
        spans.update(_pasted_copies(pasted))
    return {span for span in spans if any(char.isalnum() for char in span)}


def _pasted_copies(block: str) -> set[str]:
    """What a value may have copied of a pasted block: all of it, without the
    punctuation that ends the request ("...}?" of "can you add ...?"), or without
    the words typed after it (`_before_typed_words`)."""
    return {block, block.rstrip(_TRAILING), *_before_typed_words(block)}


def _copied_lines(value: str, request: str) -> set[str]:
    """The lines of `value` that are a run of `request`'s words (between word
    boundaries), whatever words: a SEARCH/REPLACE block's "permission: Permission"
    is a copy although both its words are plain ones, which `_request_spans` leaves
    out (the old line then counted as the example's own words and the block showed
    no form at all)."""
    first_line = request.split("\n", 1)[0]
    return {
        line
        for line in value.split("\n")
        if line.strip() == line
        and any(char.isalnum() for char in line)
        and re.search(rf"(?<!\w){re.escape(line)}(?!\w)", first_line)
    }


# Plain words typed after a pasted block, on its last line ("...Name); real quick?").
_TYPED_AFTER = re.compile(r"(?:[ ,]+[A-Za-z']+)+[ ,]*[.?!]*$")


def _before_typed_words(block: str) -> set[str]:
    """`block` cut before each of the plain words that end its last line: the code
    without the words typed after it ("put this in a.cs:\n...Name); real quick?"
    pasted "...Name);"), and the code's own last words where they are plain."""
    typed = _TYPED_AFTER.search(block.rsplit("\n", 1)[-1])
    if typed is None:
        return set()
    start = len(block) - (typed.end() - typed.start())
    return {
        block[: start + word.start()].rstrip(" ,")
        for word in re.finditer(r"[ ,]+", block[start:])
        if block[: start + word.start()].strip()
    }


def _plain_word(word: str) -> bool:
    """Letters only, capitalised at most: a word of prose, not a name of code."""
    return word.isalpha() and not any(char.isupper() for char in word[1:])


def _is_word_char(text: str) -> bool:
    return bool(text) and (text.isalnum() or text == "_")
