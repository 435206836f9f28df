"""Copy bias: argument values that continue a span of the request are favoured.

Most arguments of an IDE's tools are spans of the user's request: a path, a
command in backticks, a regex, the file content pasted after "with the
following:". The claims bench (docs/claims.md) saw the 135M model, with the
right tool, write "pip install coupon" for `pip list --outdated`, "go test
-race ./..." for `go test ./...`, or "Project" as the content of a pasted
file. While a constrained call is decoded, this adds a fixed bonus to the
logits of the tokens that would keep the current argument value a span of
the request (JSON-escaped, as the value is written):

- at the start of a value, the tokens that begin a *segment* of the request
  (a whitespace-separated word, the inside of backticks or quotes, the
  pasted block after the first line); not those that begin a word inside
  one ("src" of "packages/app/src/x.ts", "head" of `alembic upgrade head`,
  "const" in a pasted line): the model still may start there, it is not
  pushed to (with half the bonus there it still did, claims run 21:00);
- inside a value that is so far a span, the tokens that continue it, and the
  closing quote where the span reaches a word's end (not a line's end, nor
  before a command-line option: `celery -A app` is not closed as "celery",
  nor before an assignment's operator: "TOKEN_LIMIT = 100" is not closed as
  "TOKEN_LIMIT"); a
  value that began a quoted or backticked segment, or a pasted block, is
  only helped to close where that segment ends (the model had closed
  `alembic upgrade head` after "alembic" and pasted files after one line);
- nothing once the value left the request: the model writes on unaided.

What the request cannot give is copied from the examples in the prompt
(`literals`, as the inference service finds them: ADR 0008's amendment): a
boolean most of them give (the model wrote `"isBackground": true` for `git
diff --stat` under examples that all said false), a string they give whole
(Cline's `path` "."), or the words their strings start with ("To answer: ",
after which the request's segments are favoured as above). At such a value's
start these are favoured instead of the request's segment starts. Numbers get no
literal: they usually belong to the request (a cell index, a line; `numbers`
below holds them to it).

The bonus only reorders what the grammar allows, and the model keeps the
last word: a token it prefers by more than the bonus still wins, so values
that are not copies (an enum, a path the user did not write) come out as
before. Keys and the tool's name are never biased.

Arguments that every shown example copied from its own request (`exact`,
as the inference service finds them) are held to a copy instead: only the
favoured tokens are left, where the grammar allows any of them (else the
bonus, as above). A bonus had not stopped the model from rewriting a regex's
escapes as quotes or inventing a pasted file's content. Such a value may also
end before a sentence's closing punctuation or a line break (not before the
punctuation where the shown copies kept theirs, `punctuated`: a question's
"?"), and does not start where another argument's value of the call did.
Where every shown value of a held argument was one word of one shape (a
file, a directory, a glob, a URL: `shapes`, hybridtools.word_shapes), the
value is a whole word of the request of that shape, if it has one: "anything"
had been copied as the file of "Is there anything odd in Gemfile?". A held
value starts in the request proper, not in a sentence of context before it
("Trying to fix a bug in team handling. "), and not right after a word that
stood before another held argument's values in the shown requests (`cues`:
the new string of "I'd rather have x than y" does not start after "than"),
not at a word that only another held argument's shown values began with
(`first_words`: the old string of "so var x = becomes const x =" does not
start at "const" beside new strings that all did), and at a capitalised
word where every shown value began with one (`capitalised`: "Jupyter", not
"set up", of "set up the Jupyter extension"; a constant in capitals is no
capitalised word),
each rule where it leaves a start; the copy then goes on only from such a
start.

An integer argument whose every shown value was a number of its request, a
difference of two of them (a range's length), or, where its request had
none, a default (`numbers`, inference_svc/number_values.py) is held to what
those rules give for this request: Copilot's `endLine` had been 570 for
"Lines 330 to 370", Cursor's `limit` 10 for "lines 276-306".

Arguments that most shown examples composed (`composed`: "pip install x" for
"install x with pip", a SEARCH/REPLACE block) keep the favoured words but not
a favoured end where a copied span ends, there the value usually goes on;
unless the span is a whole quoted or backticked segment of the request.

Arguments whose shown values all have a *form* (`forms`: the examples' own
words around holes that held their requests' words, "I am replacing <old>
with <new>", inference_svc/value_forms.py) are held to one of those forms
that fits the request (shown for pasted code when it has pasted code, else
not: offered both, the model had written "I am replacing ..." for a pasted
block and "I am adding the given code ..." for a one-line change):
its words as the examples wrote them, each hole a copy that starts at a
segment of this request (not where an earlier hole of the value started) and
ends where a held copy may, followed by the form's next words. A hole linked
to a hole of an argument written before it (`ValueForm.same_as`) copies what
that one holds: the model had named the new code in `instructions` and then
written the old code into `code_edit`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch

from hybridtools.llm.copy_hints import CopyHints, ValueForm
from hybridtools.llm.json_position import JsonPosition
from hybridtools.llm.request_text import (
    PASTED_BLOCK,
    cue_word,
    quoted_segments,
    request_numbers,
    starts_capitalised,
    word_spans,
)
from hybridtools.word_shapes import context_end, name_span, word_shape

# Longest token (in bytes) looked for at a copy position; SmolLM2's tokens
# inside code and prose are rarely longer.
_MAX_TOKEN_BYTES = 24
# Bytes before which a copied span may end. Not a line break: a pasted block
# (file content, a patch) runs on over its lines, and the claims bench saw
# file contents cut at their first line end when closing was favoured there.
_SPAN_END = frozenset(b" \t`'\"),;]}>")
_CLOSING_BRACKET = {ord("("): ord(")"), ord("["): ord("]"), ord("{"): ord("}")}
# A word after a space that is a command-line option: "-A", "--loglevel=info", not " - ".
_OPTION = re.compile(rb" --?[A-Za-z]")
# An assignment or comparison goes on to its right-hand side: "TOKEN_LIMIT = 100"
# is not copied as "TOKEN_LIMIT". A copy may end after the operator ("var coupon
# =" is a value of "so var coupon = becomes const coupon ="). Not "->": requests
# write "old -> new" between two values.
_OPERATOR_NEXT = re.compile(rb" [=!<>+*/:-]?= \S")


def escaped_source(text: str) -> bytes:
    """`text` as it is written inside a JSON string (what the model copies into)."""
    return json.dumps(text, ensure_ascii=False)[1:-1].encode("utf-8")


_OPENING_BRACKETS = "([{"
# Trailing characters that end a sentence rather than a word.
_TRAILING_PUNCTUATION = ",;:!?`'\""


@dataclass(frozen=True)
class Segments:
    """Where the request's segments start, in the escaped source's offsets.

    `starts` holds every segment's start: the inside of backticks or quotes,
    a pasted block (everything after the first line), a whitespace-separated
    word outside those. `closed_at` maps the start of a quoted segment or of
    the pasted block to where it ends: a value begun there is helped to
    close at that end only.
    """

    starts: frozenset[int]
    closed_at: dict[int, int]
    # Where the pasted block starts (everything after the first line), if any.
    block: int | None = None


def _only_others(words: Mapping[str, frozenset[str]], key: str | None) -> frozenset[str]:
    """The words of the other arguments in `words` that are none of `key`'s own."""
    own = words.get(key or "", frozenset())
    return frozenset().union(*(w for k, w in words.items() if k != key)) - own


def _escaped_offsets(text: str) -> list[int]:
    """Each character's offset in the escaped source, and the end's."""
    offsets = [0]
    for char in text:
        plain = " " <= char < "\x7f" and char not in '"\\'
        offsets.append(offsets[-1] + (1 if plain else len(escaped_source(char))))
    return offsets


def shaped_words(text: str) -> dict[str, dict[int, int]]:
    """Shape (hybridtools.word_shapes) -> start -> end of the request's words of that
    shape, in the escaped source's offsets, without the quotes, brackets or punctuation
    around them (`Gemfile` of "odd in `Gemfile`?")."""
    offsets = _escaped_offsets(text)
    found: dict[str, dict[int, int]] = {}
    for word_start, word_end in word_spans(text, _TRAILING_PUNCTUATION):
        word = text[word_start:word_end]
        shape = word_shape(word)
        if shape is None:
            continue
        start, end = name_span(word)
        found.setdefault(shape, {})[offsets[word_start + start]] = offsets[word_start + end]
    return found


def find_segments(text: str) -> Segments:
    offsets = _escaped_offsets(text)
    # Raw start -> raw end of quoted segments and the block.
    enclosed = quoted_segments(text)
    block = PASTED_BLOCK.search(text)
    if block:
        enclosed[block.end()] = len(text.rstrip())
    # A quote inside another segment ("created" in a pasted line) is part of it.
    enclosed = {
        start: end
        for start, end in enclosed.items()
        if not any(outer < start < outer_end for outer, outer_end in enclosed.items())
    }
    starts = set(enclosed)
    for word_start, word_end in word_spans(text, _TRAILING_PUNCTUATION):
        inside_a_segment = any(start < word_start < end for start, end in enclosed.items())
        if not inside_a_segment:
            starts.add(word_start)
            # "(ms-toolsai.jupyter)": the name inside brackets starts a segment too.
            if text[word_start] in _OPENING_BRACKETS and word_start + 1 < word_end:
                starts.add(word_start + 1)
    return Segments(
        frozenset(offsets[start] for start in starts),
        {offsets[start]: offsets[end] for start, end in enclosed.items()},
        offsets[block.end()] if block and block.end() in enclosed else None,
    )


class _Form(NamedTuple):
    """A `ValueForm` as the model writes it: its parts JSON-escaped (the other
    arguments' forms in `same_as` too)."""

    parts: tuple[bytes, ...]
    block_hole: int | None
    same_as: tuple[tuple[int, str, tuple[bytes, ...], int], ...] = ()
    repeat_holes: int = 0


def _escaped_form(form: ValueForm) -> _Form:
    return _Form(
        tuple(escaped_source(part) for part in form.parts),
        form.block_hole,
        tuple(
            (hole, other, tuple(escaped_source(part) for part in parts), other_hole)
            for hole, other, parts, other_hole in form.same_as
        ),
        form.repeat_holes,
    )


def _form_holes(value: bytes, parts: tuple[bytes, ...]) -> list[bytes] | None:
    """The holes of `value` written in the form of `parts`, or None if it is not."""
    pattern = b"(.+?)".join(re.escape(part) for part in parts)
    found = re.fullmatch(pattern, value, re.DOTALL)
    return list(found.groups()) if found else None


class TokenIndex:
    """Token ids by their exact bytes, for one tokenizer (built once, shared)."""

    def __init__(self, token_bytes: Sequence[bytes]) -> None:
        by_bytes: dict[bytes, list[int]] = {}
        for token_id, data in enumerate(token_bytes):
            if data and len(data) <= _MAX_TOKEN_BYTES:
                by_bytes.setdefault(data, []).append(token_id)
        self.by_bytes = by_bytes
        # Tokens that close a string (`"`, `",`, `"}`...): the grammar keeps the valid ones.
        self.closing_ids = [i for i, data in enumerate(token_bytes) if data[:1] == b'"']
        # Tokens that end a number (`,`, `}`...): the grammar keeps the valid ones.
        self.ending_ids = [i for i, data in enumerate(token_bytes) if data[:1] in (b",", b"}")]

    def starting(self, data: bytes) -> set[int]:
        """Tokens whose bytes are a prefix of `data` (the ways to write on with it)."""
        return {
            token_id
            for length in range(1, min(_MAX_TOKEN_BYTES, len(data)) + 1)
            for token_id in self.by_bytes.get(data[:length], ())
        }


class CopyBias:
    """The bias for one generation; `position` is its constraint's, fed as tokens are accepted."""

    def __init__(
        self,
        source: str,
        index: TokenIndex,
        position: JsonPosition,
        bonus: float,
        hints: CopyHints | None = None,
    ):
        self._source = escaped_source(source)
        self._index = index
        self._bonus = bonus
        self.position = position
        hints = hints or CopyHints()
        self._literals = {key: value.encode() for key, value in hints.literals.items()}
        # An argument with a literal start copies that first, so it is not held.
        self._exact = frozenset(hints.exact) - set(self._literals)
        self._composed = frozenset(hints.composed) - self._exact
        self._punctuated = frozenset(hints.punctuated) & self._exact
        self._segments = find_segments(source)
        # Held argument -> the request's words of the shape its shown values had
        # (start -> end); an argument whose shape the request lacks is held as any other.
        words = shaped_words(source) if hints.shapes else {}
        self._shaped = {
            key: words[shape]
            for key, shape in hints.shapes.items()
            if key in self._exact and shape in words
        }
        self._starts = sorted(self._segments.starts)
        self._cues = {key: words for key, words in hints.cues.items() if key in self._exact}
        self._capitalised = frozenset(hints.capitalised) & self._exact
        self._first_words = {
            key: words for key, words in hints.first_words.items() if key in self._exact
        }
        self._text = source
        # Escaped source offset -> the request's character there (for cue words).
        offsets = _escaped_offsets(source)
        self._characters = {offset: index for index, offset in enumerate(offsets)}
        # Where the request proper starts, after sentences of context before it.
        self._request_start = offsets[context_end(source.partition("\n")[0])]
        self._cue_words: dict[int, str | None] = {}
        self._held_start_sets: dict[str | None, frozenset[int]] = {}
        numbers = request_numbers(source) if hints.numbers else []
        # Integer argument -> the values the shown calls' rules give for this request.
        self._numbers: dict[str, tuple[bytes, ...]] = {}
        for key, rules in hints.numbers.items():
            values = {rule.apply(numbers) for rule in rules} - {None}
            if values:
                self._numbers[key] = tuple(str(value).encode() for value in sorted(values))
        pasted = self._segments.block is not None
        self._forms: dict[str, tuple[_Form, ...]] = {}
        for key, forms in hints.forms.items():
            fitting = tuple(_escaped_form(form) for form in forms if form.pasted == pasted)
            if fitting:
                self._forms[key] = fitting

    def _may_close(self, start: int, end: int) -> bool:
        """Whether a copy of source[start:end] may end here."""
        if self.position.escaped:
            return False
        segment_end = self._segments.closed_at.get(start)
        if segment_end is not None and end <= segment_end:
            return end == segment_end
        source = self._source
        if self._leaves_open(start, end) or self._option_follows(end):
            return False
        if _OPERATOR_NEXT.match(source, end):
            return False
        return end == len(source) or source[end] in _SPAN_END or self._closing_quote_at(end)

    def _option_follows(self, position: int) -> bool:
        """Whether a command-line option (`-A`, `--loglevel`) comes next: a command goes on
        over its options ("celery -A app worker" had been copied as "celery")."""
        return _OPTION.match(self._source, position) is not None

    def _leaves_open(self, start: int, end: int) -> bool:
        """Whether the copy opened a bracket that the request closes after it: code is
        copied whole (`logger.info("%s", x)` does not end at `logger.info("%s"`)."""
        source = self._source
        closers: list[int] = []
        for byte in source[start:end]:
            if byte in _CLOSING_BRACKET:
                closers.append(_CLOSING_BRACKET[byte])
            elif closers and byte == closers[-1]:
                closers.pop()
        return bool(closers) and source.find(bytes([closers[-1]]), end) != -1

    def _closing_quote_at(self, position: int) -> bool:
        """An escaped quote that closes a quoted word here: followed by a word's end, not
        opening one (`logger.info("%s", x)` does not end at "logger.info(")."""
        source = self._source
        if source[position : position + 2] != b'\\"':
            return False
        after = source[position + 2 : position + 3]
        return not after or after in b" ,.;:!?)]}" or source[position + 2 : position + 4] == b"\\n"

    def _may_close_exact(self, start: int, end: int, before_punctuation: bool = True) -> bool:
        """Where a value held to the request may end: as `_may_close`, and also before
        a sentence's last punctuation or a line break ("read src/app.py." gives
        "src/app.py"), or before a pasted block's last word ("*** End Patch
        again": a word typed after the paste), which a favoured value is not
        pushed to but may take."""
        if self._may_close(start, end):
            return True
        if self.position.escaped:
            return False
        source = self._source
        segment_end = self._segments.closed_at.get(start)
        if segment_end is not None and end <= segment_end:
            # Only the block's last word: a backticked command stays whole.
            rest = source[end:segment_end]
            return (
                start == self._segments.block
                and rest[:1] == b" "
                and b"\\n" not in rest
                and len(rest.split()) == 1
            )
        if self._leaves_open(start, end):
            return False
        rest = source[end : end + 3]
        return rest[:2] == b"\\n" or (
            before_punctuation
            and rest[:1] in (b".", b"!", b"?", b":")
            and (len(rest) == 1 or rest[1:2] == b" " or rest[1:3] in (b"\\n", b"\\t"))
        )

    def favoured(self) -> list[int]:
        """Token ids that keep the current argument value a copy (of the examples' start
        for it, else of a span of the request)."""
        return self._favoured()[0]

    def _favoured(self) -> tuple[list[int], bool]:
        """`favoured()`, and whether the value is held to them (an `exact` argument's)."""
        key = self.position.argument_key()
        literal = self._literals.get(key) if key is not None else None
        # Forms are of string arguments, not of a list's items.
        forms = self._forms.get(self.position.direct_argument_key() or "")
        if self.position.in_scalar:
            # A value's first bytes (before any quote) or a number or boolean.
            if forms and not self.position.scalar:
                return sorted(self._form_openings(forms)), True
            numbers = self._numbers.get(key or "")
            if numbers:
                return sorted(self._number_tokens(numbers, bytes(self.position.scalar))), True
            if literal is None:
                return [], False
            return self._continuations(literal, bytes(self.position.scalar)), False
        if not self.position.in_argument_value():
            return [], False
        value = bytes(self.position.string)
        if forms:
            favoured = set()
            for form in forms:
                favoured |= self._form_continuations(value, form, 0, 0, ())
            if favoured:
                return sorted(favoured), True
            # The value left every form (the grammar had its way): copy as below.
        if literal is not None and literal[:1] == b'"':
            written = b'"' + value
            if len(written) < len(literal) and literal.startswith(written):
                # still in the examples' start
                return self._continuations(literal, written), False
            if literal[-1:] != b'"' and written.startswith(literal):
                value = value[len(literal) - 1 :]  # after a template: the request's words
        exact = key in self._exact
        return self._span_continuations(
            value,
            exact,
            key not in self._composed,
            key in self._punctuated,
            self._shaped.get(key or ""),
            key,
        ), exact

    def _number_tokens(self, numbers: Sequence[bytes], written: bytes) -> set[int]:
        """Tokens that write on one of `numbers` from `written`, or end the number
        where `written` is one of them."""
        favoured: set[int] = set()
        for number in numbers:
            if number == written:
                favoured.update(self._index.ending_ids)
            elif number.startswith(written):
                rest = number[len(written) :]
                favoured |= self._index.starting(rest + b",") | self._index.starting(rest + b"}")
        return favoured

    def _form_openings(self, forms: Sequence[_Form]) -> set[int]:
        """Tokens that open a string value in one of `forms`: its quote and first words."""
        favoured: set[int] = set()
        for form in forms:
            favoured |= self._literal_tokens(b'"' + form.parts[0], form, ())
        return favoured

    def _literal_tokens(self, rest: bytes, form: _Form, holes: tuple[bytes, ...]) -> set[int]:
        """Tokens that write on `rest` of a form's words, or all of it and on into the
        hole that follows, if one does (a tokenizer writes "To answer: how" as "...:",
        " how"); `holes`: the holes written before `rest`."""
        if len(holes) == len(form.parts) - 1:
            return self._index.starting(rest)
        openings = self._hole_openings(form, holes)
        if not openings:
            return set()  # the hole that follows has nothing to copy: not this form
        favoured = self._index.starting(rest)
        for text in openings:
            favoured |= self._index.starting(rest + text)
        return favoured

    def _hole_openings(self, form: _Form, holes: tuple[bytes, ...]) -> list[bytes]:
        """The text the form's next hole (after `holes`) may start with: what the hole of
        another argument it is linked to holds, else each place it may start from."""
        linked = self._linked_text(form, len(holes))
        if linked is not None:
            return [linked[:_MAX_TOKEN_BYTES]]
        source = self._source
        return [source[s : s + _MAX_TOKEN_BYTES] for s in self._hole_starts(form, holes)]

    def _linked_text(self, form: _Form, index: int) -> bytes | None:
        """What the form's hole `index` holds because another argument's hole, written
        already, holds it (`ValueForm.same_as`), if any."""
        for hole, other, parts, other_hole in form.same_as:
            written = self.position.argument_values.get(other)
            if hole != index or written is None:
                continue
            found = _form_holes(written, parts)
            if found and other_hole < len(found):
                return found[other_hole]
        return None

    def _hole_starts(self, form: _Form, holes: tuple[bytes, ...]) -> list[int]:
        """Where the form's next hole (after `holes`) may start: a segment of the
        request, not where one of the value's earlier holes did (old and new are not
        the same words), and in a repeated unit's second time after the first's
        holes (`ValueForm.repeat_holes`: a second block is the request's second
        edit); the pasted block's start for the hole that held the example's pasted
        block (not "with" of "extend a.py with:")."""
        if len(holes) == form.block_hole:
            block = self._segments.block
            return [] if block is None else [block]
        source = self._source
        after = 0
        if form.repeat_holes and len(holes) >= form.repeat_holes:
            unit_start = len(holes) - len(holes) % form.repeat_holes
            after = max(
                self._first_copy_end(hole)
                for hole in holes[unit_start - form.repeat_holes : unit_start]
            )
        return [
            start
            for start in self._starts
            if start >= after and not any(source.startswith(h, start) for h in holes)
        ]

    def _first_copy_end(self, hole: bytes) -> int:
        """Where the first copy of `hole` from a segment of the request ends."""
        source = self._source
        return min(
            (start + len(hole) for start in self._starts if source.startswith(hole, start)),
            default=0,
        )

    def _form_continuations(
        self, value: bytes, form: _Form, index: int, at: int, holes: tuple[bytes, ...]
    ) -> set[int]:
        """Tokens that keep `value` in `form`, whose parts before `index` (and the holes
        between them, `holes`) are `value[:at]`; its part `index` is to match next."""
        parts = form.parts
        part, rest = parts[index], value[at:]
        if len(rest) < len(part) or not rest.startswith(part):
            if not part.startswith(rest):
                return set()
            return self._literal_tokens(part[len(rest) :], form, holes)
        at += len(part)
        if index == len(parts) - 1:
            return set(self._index.closing_ids) if at == len(value) else set()
        # In the hole after `part`: still writing it, or it ended where the next part begins.
        favoured = self._hole_tokens(value[at:], form, holes)
        next_part = parts[index + 1]
        # (An empty last part: the hole runs to the value's end, there is no "after".)
        end = value.find(next_part[:1], at + 1) if next_part else -1
        while end != -1:
            hole = value[at:end]
            if self._hole_ends(hole, form, holes):
                favoured |= self._form_continuations(value, form, index + 1, end, (*holes, hole))
            end = value.find(next_part[:1], end + 1)
        return favoured

    def _hole_copies(self, hole: bytes, form: _Form, holes: tuple[bytes, ...]) -> list[int]:
        """Where in the request `hole` may be a copy from (where such a hole may start)."""
        source = self._source
        return [start for start in self._hole_starts(form, holes) if source.startswith(hole, start)]

    def _hole_ends(self, hole: bytes, form: _Form, holes: tuple[bytes, ...]) -> bool:
        return bool(hole) and self._copy_may_end(hole, self._hole_copies(hole, form, holes))

    def _copy_may_end(self, hole: bytes, copies: Sequence[int]) -> bool:
        """Whether `hole`, copied from one of `copies` (its starts), may end here."""
        return any(self._may_close_exact(start, start + len(hole)) for start in copies)

    def _hole_tokens(self, hole: bytes, form: _Form, holes: tuple[bytes, ...]) -> set[int]:
        """Tokens that go on copying the form's hole after `holes` (`hole` so far) from
        the request, or end it and write the form's next part (or close the value)."""
        source = self._source
        if not hole:
            return set().union(
                *(self._index.starting(text) for text in self._hole_openings(form, holes))
            )
        linked = self._linked_text(form, len(holes))
        if linked is not None and linked.startswith(hole):
            if len(hole) < len(linked):
                return self._index.starting(linked[len(hole) :])
            next_part = form.parts[len(holes) + 1]
            return self._index.starting(next_part) if next_part else set(self._index.closing_ids)
        favoured: set[int] = set()
        copies = self._hole_copies(hole, form, holes)
        for start in copies:
            end = start + len(hole)
            favoured |= self._index.starting(source[end : end + _MAX_TOKEN_BYTES])
        if self._copy_may_end(hole, copies):
            next_part = form.parts[len(holes) + 1]
            if next_part:
                favoured |= self._literal_tokens(next_part, form, (*holes, hole))
            else:  # the form's empty end
                favoured.update(self._index.closing_ids)
        return favoured

    def _continuations(self, literal: bytes, written: bytes) -> list[int]:
        """Tokens that write on `literal` from `written` (closing tokens for its last quote)."""
        if len(written) >= len(literal) or not literal.startswith(written):
            return []
        rest = literal[len(written) :]
        if rest == b'"':
            return list(self._index.closing_ids)
        return sorted(self._index.starting(rest))

    def _span_continuations(
        self,
        value: bytes,
        exact: bool = False,
        may_end: bool = True,
        keep_punctuation: bool = False,
        shaped: dict[int, int] | None = None,
        key: str | None = None,
    ) -> list[int]:
        """`shaped`: the only words (start -> end) a held value may be; `key`: the
        argument (for its cue words)."""
        source = self._source

        def may_close(start: int, end: int) -> bool:
            if shaped is not None:
                return shaped.get(start) == end
            if exact:
                return self._may_close_exact(start, end, before_punctuation=not keep_punctuation)
            return self._may_close(start, end)

        favoured: set[int] = set()
        if value:
            positions = []
            # A held value began where it may start (`_likely_starts`): its copies
            # elsewhere ("c" of "Exec" for the "c" of "celery"; "f" of "fix" in a
            # sentence of context for the "f" of "folder") neither end nor continue it.
            # Copies from the other segments' starts count only where none is left
            # (where the rules gave way for the value's first token).
            held = self._held_starts(key) if exact and shaped is None else frozenset()
            given_way = []
            start = source.find(value)
            while start != -1:
                end = start + len(value)
                if shaped is not None:
                    if start in shaped and end <= shaped[start]:
                        positions.append(end)
                elif not exact or start in held:
                    positions.append(end)
                elif start in self._segments.starts:
                    given_way.append(end)
                start = source.find(value, start + 1)
            positions = positions or given_way
            if any(
                may_close(end - len(value), end)
                and (may_end or self._segments.closed_at.get(end - len(value)) == end)
                for end in positions
            ):
                favoured.update(self._index.closing_ids)
        elif exact:
            # Not where a value already written starts: two arguments of one call
            # do not copy the same words (the model had written the old string
            # again as the new one).
            written = [v for v in self.position.argument_strings if v]
            positions = self._likely_starts(
                key,
                [
                    start
                    for start in (sorted(shaped) if shaped is not None else self._starts)
                    if not any(source.startswith(v, start) for v in written)
                ],
            )
        else:
            positions = self._starts
        closed_at = self._segments.closed_at
        for position in positions:
            until = position + _MAX_TOKEN_BYTES
            if shaped is not None:  # not past the end of the word it copies
                until = min(until, max(e for s, e in shaped.items() if s <= position))
            # A held copy of a quoted or backticked segment stays inside it: a token
            # that ran on over the closing backtick had left "@app\\.(get|post)\\(`".
            segment_end = closed_at.get(position - len(value)) if exact else None
            if segment_end is not None and position <= segment_end:
                until = min(until, segment_end)
            favoured.update(self._index.starting(source[position:until]))
        return sorted(favoured)

    def _held_starts(self, key: str | None) -> frozenset[int]:
        """Where a held value of `key` may start, by `_likely_starts` (cached)."""
        held = self._held_start_sets.get(key)
        if held is None:
            held = self._held_start_sets[key] = frozenset(self._likely_starts(key, self._starts))
        return held

    def _likely_starts(self, key: str | None, starts: list[int]) -> list[int]:
        """Of a held value's possible `starts`, those in the request proper (not in a
        sentence of context before it: "Trying to fix a bug in team handling. show me
        the folder spec/models" had given the folder "team handling") and not right
        after a cue word of another held argument that is none of its own (the new
        string of "I'd rather have x than y" does not start after "than", the old
        one's cue), not at a word only another held argument's shown values started
        with (`first_words`), and at a capitalised word where every shown value
        began with one (`capitalised`); each rule only where it leaves a start."""
        proper = [start for start in starts if start >= self._request_start]
        starts = proper or starts
        others = _only_others(self._cues, key)
        if others:
            cued = [s for s in starts if self._cue_before(s) not in others]
            starts = cued or starts
        other_firsts = _only_others(self._first_words, key)
        if other_firsts:
            unclaimed = [s for s in starts if self._word_at(s) not in other_firsts]
            starts = unclaimed or starts
        if key in self._capitalised:
            capitals = [s for s in starts if starts_capitalised(self._text[self._characters[s] :])]
            starts = capitals or starts
        return starts

    def _word_at(self, start: int) -> str:
        """The request's word that starts at the escaped source's offset `start`, lowercased."""
        rest = self._text[self._characters[start] :].split(maxsplit=1)
        return rest[0].lower() if rest else ""

    def _cue_before(self, start: int) -> str | None:
        """The cue word before the escaped source's offset `start` (cached)."""
        if start not in self._cue_words:
            self._cue_words[start] = cue_word(self._text, self._characters[start])
        return self._cue_words[start]

    def apply(self, logits: torch.Tensor) -> None:
        """Adds the bonus to the favoured tokens' logits ([vocab] or [1, vocab], in place);
        for an `exact` argument, leaves only them, where the grammar allows any."""
        favoured, exact = self._favoured()
        if not favoured:
            return
        ids = torch.tensor(favoured, dtype=torch.long)
        if exact:
            kept = logits[..., ids]
            # None the grammar allows (an enum, a pattern): favoured as usual instead.
            if bool(torch.isfinite(kept).any()):
                logits.fill_(float("-inf"))
                logits[..., ids] = kept
                return
        logits[..., ids] += self._bonus
