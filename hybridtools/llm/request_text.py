"""How a request's text divides into the pieces an argument value may copy.

Shared by the copy bias (hybridtools.llm.copying, on the escaped source) and
the forms of composed values (inference_svc/value_forms.py, on the examples'
requests), which must cut a request alike; no torch here, so the inference
service's prompt side can use it without the local engine.
"""

from __future__ import annotations

import re

from hybridtools.word_shapes import context_end

# Characters that open and close a quoted segment of a request.
QUOTES = "`'\""
# What may stand around a quote that opens or closes a segment: an apostrophe
# inside a word ("doesn't") opens nothing.
_BEFORE_OPENING = frozenset(" \t\n([{:,")
_AFTER_CLOSING = frozenset(" \t\n.,;:!?)]}")
# Where a pasted block starts: after the request's first line.
PASTED_BLOCK = re.compile(r"\n\s*(?=\S)")
# A number standing as a word of its own ("lines 157-167", "cell 14"), not part of a
# name ("app2", "k8s", "v1/api") or of a decimal ("3.11"); at most 18 digits, as an
# argument's integer is (and int() refuses strings of thousands of digits).
_NUMBER = re.compile(r"(?<![\w.])\d{1,18}(?![\w]|\.\d)")


def word_spans(text: str, trailing: str) -> list[tuple[int, int]]:
    """Each whitespace-separated word of `text` as (start, end), without the quotes
    before it or the `trailing` characters after it (a sentence's punctuation);
    words left empty are dropped."""
    spans = []
    for match in re.finditer(r"\S+", text):
        start, end = match.start(), match.end()
        while start < end and text[start] in QUOTES:
            start += 1
        while end > start and text[end - 1] in trailing:
            end -= 1
        if start < end:
            spans.append((start, end))
    return spans


def quoted_segments(text: str) -> dict[int, int]:
    """The inside of each backticked or quoted segment of `text` on one line, as
    start -> end: opened after a space or bracket, closed before one."""
    segments: dict[int, int] = {}
    for index, char in enumerate(text):
        if char in QUOTES and (index == 0 or text[index - 1] in _BEFORE_OPENING):
            end = text.find(char, index + 1)
            while end != -1 and not (end + 1 == len(text) or text[end + 1] in _AFTER_CLOSING):
                end = text.find(char, end + 1)
            inside = text[index + 1 : end]
            if end > index + 1 and "\n" not in inside and not inside[0].isspace():
                segments.setdefault(index + 1, end)
    return segments


_LEADING_LETTERS = re.compile(r"[^\W\d_]+")


def starts_capitalised(text: str) -> bool:
    """Whether `text` begins with a capitalised word, as a name or a sentence does
    ("Ruff", "Is it fine...?", "I'd"), not with a constant in capitals
    ("SUBSCRIPTION_TIMEOUT", "README.md") or in lower case."""
    letters = _LEADING_LETTERS.match(text)
    if letters is None or not letters.group()[0].isupper():
        return False
    return len(letters.group()) == 1 or not letters.group().isupper()


# Words skipped on the way back to a cue ("in the `src` folder": the cue is "in").
_DETERMINERS = frozenset({"the", "a", "an", "this", "that", "these", "those", "my", "our"})
_OPENERS = QUOTES + "([{"


def cue_word(text: str, position: int) -> str | None:
    """The word before `position` of `text` that is no determiner, lowercased and
    without the punctuation around it: what announces a value that starts there
    ("for" in "search for `TODO`", "than" in "I want x rather than y", "in" in "in
    the `src` folder"). None at the text's start."""
    for word in reversed(text[:position].rstrip(_OPENERS + " \t").split()):
        cue = word.strip(".,;:!?()[]{}<>" + QUOTES).lower()
        if cue not in _DETERMINERS:
            return cue or None
    return None


def request_numbers(text: str) -> list[int]:
    """The numbers the request proper writes as words of their own, in order ("view
    x.py, lines 157-167" -> [157, 167]): its first line after any sentences of context
    (`context_end`; a pasted block's numbers are code)."""
    line = text.strip().split("\n", 1)[0]
    return [int(match.group()) for match in _NUMBER.finditer(line, context_end(line))]
