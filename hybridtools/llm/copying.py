"""Copy bias: argument values that continue a span of the request are favoured.

Most arguments of an IDE's tools are spans of the user's request: a path, a
command in backticks, a regex, the file content pasted after "with the
following:". The claims bench (docs/claims.md) saw the 135M model, with the
right tool, write "pip install coupon" for `pip list --outdated`, "go test
-race ./..." for `go test ./...`, or "Project" as the content of a pasted
file. While a constrained call is decoded, this adds a fixed bonus to the
logits of the tokens that would keep the current argument value a span of
the request (JSON-escaped, as the value is written):

- at the start of a value, the tokens that begin the request or a word of it;
- inside a value that is so far a span, the tokens that continue it, and the
  closing quote where the span reaches a word's end (not a line's end);
- nothing once the value left the request: the model writes on unaided.

The bonus only reorders what the grammar allows, and the model keeps the
last word: a token it prefers by more than the bonus still wins, so values
that are not copies (a boolean, an enum, a path the user did not write) come
out as before. Keys and the tool's name are never biased.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import torch

from hybridtools.llm.json_position import JsonPosition

# Longest token (in bytes) looked for at a copy position; SmolLM2's tokens
# inside code and prose are rarely longer.
_MAX_TOKEN_BYTES = 24
# Bytes after which a new word starts.
_BOUNDARY = frozenset(b" \t`'\"()[]{}<>,;:=|\\")
# Bytes before which a copied span may end. Not a line break: a pasted block
# (file content, a patch) runs on over its lines, and the claims bench saw
# file contents cut at their first line end when closing was favoured there.
_SPAN_END = frozenset(b" \t`'\"),;]}>")
# Escapes of the JSON form end with these; a word starts after "\\n".
_ESCAPED_BOUNDARY = frozenset(b'ntr"\\')
_BACKSLASH = 0x5C


def escaped_source(text: str) -> bytes:
    """`text` as it is written inside a JSON string (what the model copies into)."""
    return json.dumps(text, ensure_ascii=False)[1:-1].encode("utf-8")


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


class CopyBias:
    """The bias for one generation; `position` is its constraint's, fed as tokens are accepted."""

    def __init__(self, source: str, index: TokenIndex, position: JsonPosition, bonus: float):
        self._source = escaped_source(source)
        self._index = index
        self._bonus = bonus
        self.position = position
        self._word_starts = [
            i
            for i in range(len(self._source))
            if i == 0 or self._source[i - 1] in _BOUNDARY or self._is_escape_end(i - 1)
        ]

    def _is_escape_end(self, position: int) -> bool:
        return (
            1 <= position < len(self._source)
            and self._source[position - 1] == _BACKSLASH
            and self._source[position] in _ESCAPED_BOUNDARY
        )

    def favoured(self) -> list[int]:
        """Token ids that keep the current argument value a span of the request."""
        if not self.position.in_argument_value():
            return []
        value = bytes(self.position.string)
        source = self._source
        if value:
            positions = []
            start = source.find(value)
            while start != -1:
                positions.append(start + len(value))
                start = source.find(value, start + 1)
        else:
            positions = self._word_starts
        favoured: set[int] = set()
        for position in positions:
            if (
                value
                and not self.position.escaped
                and (
                    position == len(source)
                    or source[position] in _SPAN_END
                    or source[position : position + 2] == b'\\"'  # an escaped quote
                )
            ):
                favoured.update(self._index.closing_ids)
            for length in range(1, min(_MAX_TOKEN_BYTES, len(source) - position) + 1):
                favoured.update(self._index.by_bytes.get(source[position : position + length], ()))
        return sorted(favoured)

    def apply(self, logits: torch.Tensor) -> None:
        """Adds the bonus to the favoured tokens' logits ([vocab] or [1, vocab], in place)."""
        favoured = self.favoured()
        if favoured:
            ids = torch.tensor(favoured, dtype=torch.long)
            logits[..., ids] += self._bonus
