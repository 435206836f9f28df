"""JSON-schema constrained decoding with xgrammar.

Compiling a schema precomputes token masks for every grammar state, and a
string with `maxLength: N` unrolls into N states: two tool schemas whose
strings allow 200 characters take ~6.6 s to compile on one core here (0.03 s
without the bounds). The inference service passes an `anyOf` over 1-4
candidate tools drawn from a catalog, so the same tools recur in ever new
combinations. Each branch of a top-level `anyOf` is therefore compiled (and
cached) on its own, and decoding runs one matcher per branch: a token is
allowed when any live branch allows it, and branches that reject a token die.
That is the same language as the `anyOf`, and a tool compiles once however
it is combined.

Compiled grammars can also be kept on disk (`disk_dir`): reading one back
takes ~0.1 s where compiling took seconds, so a restarted service does not
pay again for its catalog. Files are zlib-compressed xgrammar JSON (~0.8 MB
for a tool with one 64-character string), named by a hash of the schema,
the tokenizer and xgrammar's serialization version.

Output is compact JSON (no whitespace, `,` and `:` separators): fewer tokens
to decode, and nothing for a 135M model to get wrong between the tokens.

String bounds (`maxLength`) are not compiled at all: they are what makes
compiling slow (each bounded character is a grammar state; a catalog tool
with 1000-character strings took tens of seconds). The grammar is compiled
without them, and `JsonConstraint` bounds every JSON string itself: once a
string has `max_string_chars` characters, only tokens that close it are
allowed. That still keeps a small model from looping inside a string until
the token limit, which is why the bounds were there; the service validates
the call against the tool's full schema (its `maxLength` included) afterwards.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import threading
import zlib
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import xgrammar as xgr
from transformers import PreTrainedTokenizerBase

from hybridtools.llm.copy_hints import CopyHints
from hybridtools.llm.copying import CopyBias, TokenIndex
from hybridtools.llm.json_position import JsonPosition

logger = logging.getLogger(__name__)
# A number (or true/false/null) this long ends: no tool takes more digits than a
# 64-bit integer has, and a model that keeps writing digits runs to the token limit.
_MAX_NUMBER_CHARS = 20

# Keys that may sit beside a top-level `anyOf` without changing its meaning.
_ANNOTATION_KEYS = frozenset({"$schema", "$id", "title", "description"})


class InvalidSchemaError(ValueError):
    """The JSON schema does not parse or xgrammar cannot compile it."""


def split_any_of(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The branches of a top-level `anyOf` that can be compiled apart; else the schema itself.

    A schema with `$defs` stays whole: its branches may refer to them.
    """
    branches = schema.get("anyOf")
    if (
        isinstance(branches, list)
        and branches
        and all(isinstance(branch, dict) for branch in branches)
        and set(schema) - {"anyOf"} <= _ANNOTATION_KEYS
        and not any("$defs" in branch or "definitions" in branch for branch in branches)
    ):
        return list(branches)
    return [schema]


def _branches(json_schema: str) -> list[dict[str, Any]]:
    try:
        schema = json.loads(json_schema)
    except json.JSONDecodeError as exc:
        raise InvalidSchemaError(f"json_schema is not valid JSON: {exc}") from exc
    if not isinstance(schema, dict):
        raise InvalidSchemaError("json_schema must be a JSON object")
    return split_any_of(schema)


def required_still_to_come(schema: dict[str, Any], position: JsonPosition) -> list[str]:
    """Required keys of the open objects that `position` has not written yet.

    The schema is followed down the open containers by the key last written
    in each object (or an array's `items`); where it cannot be followed (a
    `$ref`, a union) the count stops there.
    """
    missing: list[str] = []
    node: Any = schema
    for keys in position.keys:
        if not isinstance(node, dict):
            break
        if keys is None:
            node = node.get("items")
            continue
        required = node.get("required", [])
        written = set(keys)
        missing += [key for key in required if isinstance(key, str) and key not in written]
        # The open value belongs to the last key; it is still being written.
        node = node.get("properties", {}).get(keys[-1]) if keys else None
    return missing


class GrammarCache:
    """Compiled grammars for one tokenizer, keyed by compact schema text (LRU)."""

    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        vocab_size: int,
        stop_token_ids: Sequence[int],
        max_entries: int = 256,
        compile_threads: int = 1,
        disk_dir: Path | None = None,
    ) -> None:
        self.vocab_size = vocab_size
        self.stop_token_ids = list(stop_token_ids)
        self.special_token_ids = special_token_ids(tokenizer, vocab_size, self.stop_token_ids)
        self._tokenizer_info = xgr.TokenizerInfo.from_huggingface(
            tokenizer, vocab_size=vocab_size, stop_token_ids=self.stop_token_ids
        )
        # xgrammar's own cache is off: this one is bounded by entry count and
        # keyed per anyOf branch, so a tool is compiled once across combinations.
        self._compiler = xgr.GrammarCompiler(
            self._tokenizer_info, max_threads=compile_threads, cache_enabled=False
        )
        self._max_entries = max_entries
        self._entries: OrderedDict[str, xgr.CompiledGrammar] = OrderedDict()
        self._disk_dir = disk_dir
        # Ties files on disk to this exact vocabulary and serialization format.
        self._disk_salt = hashlib.sha256(
            (self._tokenizer_info.serialize_json() + xgr.get_serialization_version()).encode()
        ).hexdigest()
        self._lock = threading.Lock()
        self._guard: _StringGuardTables | None = None
        self._copy_index: TokenIndex | None = None
        self.hits = 0
        self.disk_hits = 0
        self.compiles = 0

    def compiled_branches(self, json_schema: str) -> list[xgr.CompiledGrammar]:
        return [self._compiled(branch) for branch in _branches(json_schema)]

    def _compiled(self, schema: dict[str, Any]) -> xgr.CompiledGrammar:
        # Not sorted: xgrammar emits properties in schema order, so the order
        # is part of what the grammar means ("name" before "arguments").
        key = json.dumps(without_string_bounds(schema), separators=(",", ":"))
        with self._lock:
            compiled = self._entries.get(key)
            if compiled is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return compiled
        compiled = self._read_from_disk(key)
        if compiled is not None:
            self.disk_hits += 1
        else:
            try:
                compiled = self._compiler.compile_json_schema(
                    key, any_whitespace=False, separators=(",", ":"), strict_mode=True
                )
            except Exception as exc:  # xgrammar raises RuntimeError/ValueError subclasses
                raise InvalidSchemaError(f"cannot compile json_schema: {exc}") from exc
            self.compiles += 1
            self._write_to_disk(key, compiled)
        with self._lock:
            self._entries[key] = compiled
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return compiled

    def _disk_path(self, key: str) -> Path | None:
        if self._disk_dir is None:
            return None
        digest = hashlib.sha256((self._disk_salt + key).encode()).hexdigest()
        return self._disk_dir / f"{digest}.xgrammar.json.z"

    def _read_from_disk(self, key: str) -> xgr.CompiledGrammar | None:
        path = self._disk_path(key)
        if path is None or not path.is_file():
            return None
        try:
            text = zlib.decompress(path.read_bytes()).decode()
            return xgr.CompiledGrammar.deserialize_json(text, self._tokenizer_info)
        except (OSError, zlib.error, UnicodeDecodeError, RuntimeError, ValueError) as exc:
            # A file from another xgrammar build, or cut short: compile afresh.
            logger.warning("ignoring unreadable compiled grammar %s: %s", path, exc)
            return None

    def _write_to_disk(self, key: str, compiled: xgr.CompiledGrammar) -> None:
        path = self._disk_path(key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            data = zlib.compress(compiled.serialize_json().encode(), 1)
            # Written aside and renamed, so a reader never sees half a file.
            handle, staging = tempfile.mkstemp(dir=path.parent, prefix=".grammar.")
            try:
                with os.fdopen(handle, "wb") as staging_file:
                    staging_file.write(data)
                os.replace(staging, path)
            finally:
                if os.path.exists(staging):
                    os.unlink(staging)
        except OSError as exc:
            logger.warning("could not keep the compiled grammar on disk: %s", exc)

    def new_constraint(self, json_schema: str, max_string_chars: int = 200) -> JsonConstraint:
        branches = _branches(json_schema)
        return JsonConstraint(
            [self._compiled(branch) for branch in branches],
            self.vocab_size,
            self.stop_token_ids,
            self._string_guard(),
            max_string_chars,
            self.special_token_ids,
            branches,
        )

    def copy_bias(
        self,
        constraint: JsonConstraint,
        source: str,
        bonus: float,
        hints: CopyHints | None = None,
    ) -> CopyBias:
        """A copy bias towards spans of `source` (and what `hints` say the prompt's
        examples show) for `constraint`'s generation."""
        guard = self._string_guard()
        with self._lock:
            if self._copy_index is None:
                self._copy_index = TokenIndex(guard.token_bytes)
            index = self._copy_index
        return CopyBias(source, index, constraint.position, bonus, hints)

    def _string_guard(self) -> _StringGuardTables:
        with self._lock:
            if self._guard is None:
                self._guard = _StringGuardTables.build(self._tokenizer_info, self.vocab_size)
            return self._guard


class JsonConstraint:
    """The state of one constrained generation: a matcher per live branch."""

    def __init__(
        self,
        branches: Sequence[xgr.CompiledGrammar],
        vocab_size: int,
        stop_token_ids: Sequence[int],
        guard: _StringGuardTables | None = None,
        max_string_chars: int = 200,
        forbidden_token_ids: Sequence[int] = (),
        branch_schemas: Sequence[dict[str, Any]] = (),
    ) -> None:
        self._matchers = [xgr.GrammarMatcher(branch) for branch in branches]
        # Each live matcher's schema (when given), for `closing_reserve`.
        self._schemas: list[dict[str, Any] | None] = (
            list(branch_schemas) if len(branch_schemas) == len(branches) else [None] * len(branches)
        )
        self._vocab_size = vocab_size
        self._stop_token_ids = list(stop_token_ids)
        self._bitmask = xgr.allocate_token_bitmask(len(self._matchers), vocab_size)
        self._union: torch.Tensor | None = None
        self._guard = guard
        self._max_string_chars = max_string_chars
        # Fed every accepted token; read by the string guard and the copy bias.
        self.position = JsonPosition()
        self._forbidden = torch.tensor(sorted(forbidden_token_ids), dtype=torch.long)

    def _live_bitmask(self) -> torch.Tensor:
        """Union over live branches of the allowed-next-token bitmasks ([1, words], int32).

        Computed once per position: `is_finished` and `mask_logits` share it.
        """
        if self._union is None:
            for row, matcher in enumerate(self._matchers):
                matcher.fill_next_token_bitmask(self._bitmask, row)
            rows = self._bitmask[: len(self._matchers)]
            union = rows[0].clone()
            for row in rows[1:]:
                union |= row
            self._union = union.unsqueeze(0)
        return self._union

    def is_finished(self) -> bool:
        """True when the output is complete and only a stop token may follow."""
        if not any(matcher.is_completed() for matcher in self._matchers):
            return False
        words = self._live_bitmask()[0].clone()
        for token_id in self._stop_token_ids:
            words[token_id // 32] &= _int32_without_bit(token_id % 32)
        return not bool(words.any())

    def mask_logits(self, logits: torch.Tensor, wrap_up: bool = False) -> None:
        """Sets the logits of tokens the grammar forbids next to -inf ([1, vocab] float32).

        Inside a JSON string that reached its length bound, everything but the
        tokens that close the string is forbidden as well, after a number of
        `_MAX_NUMBER_CHARS` characters everything but the tokens that end it
        (the model had written `"maxResults":` and 240 tokens of digits), and
        the tokenizer's special tokens everywhere (see `special_token_ids`).

        `wrap_up` (the token budget is nearly spent) asks for the shortest way
        out: a string closes now, and outside strings a `]` or `}` is taken
        whenever the grammar allows one. Without it a string or an array the
        model kept extending ran into the token limit and the call never
        closed (seen: an enum array repeated to 96 tokens, `\u00c1\u00c2...`
        escapes in a regex value); with it the output is still a call.
        """
        xgr.apply_token_bitmask_inplace(logits, self._live_bitmask(), vocab_size=self._vocab_size)
        if self._forbidden.numel():
            logits[..., self._forbidden] = float("-inf")
        if self._guard is None:
            return
        if self.position.in_string:
            if wrap_up or self.position.length >= self._max_string_chars:
                self._keep_only(logits, self._guard.closes_string)
        elif wrap_up:
            self._keep_only(logits, self._guard.closes_container)
        elif self.position.in_scalar and len(self.position.scalar) >= _MAX_NUMBER_CHARS:
            self._keep_only(logits, self._guard.ends_value)

    def closing_reserve(self) -> int:
        """Tokens to keep for closing the output: its required keys still to come.

        Each is written as `,"key":""` at the shortest (~3 tokens and the
        key's); the most any live branch needs counts. The wrap-up starts this
        much earlier, so a value that ran on no longer leaves a required key
        cut open at the token limit (seen: an edit_notebook call whose
        cell_language ran on with three keys to go).
        """
        needed = 0
        for schema in self._schemas:
            if schema is not None:
                keys = required_still_to_come(schema, self.position)
                needed = max(needed, sum(3 + len(key) // 3 for key in keys))
        return needed

    @staticmethod
    def _keep_only(logits: torch.Tensor, wanted: torch.Tensor) -> None:
        """Forbids every token outside `wanted`, unless that would forbid them all."""
        wanted = wanted[: logits.shape[-1]]
        allowed = logits[..., : wanted.shape[0]].masked_fill(~wanted, float("-inf"))
        if torch.isfinite(allowed).any():
            logits[..., : wanted.shape[0]] = allowed

    def accept(self, token_id: int) -> bool:
        """Advances every live branch by `token_id`; False if none accepts it."""
        took = [matcher.accept_token(token_id) for matcher in self._matchers]
        if not any(took):
            return False
        self._matchers = [matcher for matcher, ok in zip(self._matchers, took, strict=True) if ok]
        self._schemas = [schema for schema, ok in zip(self._schemas, took, strict=True) if ok]
        self._union = None
        self._track(token_id)
        return True

    def _track(self, token_id: int) -> None:
        if self._guard is not None and token_id < len(self._guard.token_bytes):
            self.position.feed(self._guard.token_bytes[token_id])

    def is_stop_token(self, token_id: int) -> bool:
        return token_id in self._stop_token_ids

    def forced_text(self) -> str:
        """Text every live branch must produce next (jump-forward); may be empty."""
        forced = [matcher.find_jump_forward_string() for matcher in self._matchers]
        prefix = forced[0]
        for other in forced[1:]:
            length = 0
            for left, right in zip(prefix, other, strict=False):
                if left != right:
                    break
                length += 1
            prefix = prefix[:length]
        return prefix

    def accept_forced(self, token_ids: Sequence[int]) -> int:
        """Accepts the tokens of a forced string; returns how many were accepted.

        Every live branch must produce the forced text, so each should take
        every token. Should one branch refuse a token all the same, the
        branches that took it step back and the rest is left to ordinary
        decoding, keeping all branches at the same position.
        """
        accepted = 0
        for token_id in token_ids:
            took = [matcher.accept_token(token_id) for matcher in self._matchers]
            if not all(took):
                for matcher, advanced in zip(self._matchers, took, strict=True):
                    if advanced:
                        matcher.rollback(1)
                break
            accepted += 1
            self._union = None
            self._track(token_id)
        return accepted


def special_token_ids(
    tokenizer: PreTrainedTokenizerBase, vocab_size: int, stop_token_ids: Sequence[int]
) -> list[int]:
    """The tokenizer's special tokens other than the stop tokens.

    xgrammar finds no special tokens in a tokenizer converted from GGUF (its
    TokenizerInfo lists none for SmolLM2), so it treats `<|im_start|>` as the
    literal text "<|im_start|>", which is valid inside a JSON string. A small
    model then ran on inside argument values with chat-template turns
    ('..."}}systemuserassistant...'). No call ever contains them.
    """
    ids = set(tokenizer.all_special_ids)
    ids |= {i for i, added in tokenizer.added_tokens_decoder.items() if added.special}
    return sorted(i for i in ids - set(stop_token_ids) if 0 <= i < vocab_size)


def _int32_without_bit(bit: int) -> int:
    """All 32 bits set but `bit`, as the signed value an int32 tensor holds."""
    value = ~(1 << bit) & 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def without_string_bounds(schema: Any) -> Any:
    """The schema without `maxLength` / `minLength` (see the module docstring)."""
    if isinstance(schema, dict):
        return {
            key: without_string_bounds(value)
            for key, value in schema.items()
            if key not in ("maxLength", "minLength")
        }
    if isinstance(schema, list):
        return [without_string_bounds(item) for item in schema]
    return schema


class _StringGuardTables:
    """Per-tokenizer tables: each token's bytes, which close a string, which end a container."""

    def __init__(
        self,
        token_bytes: list[bytes],
        closes_string: torch.Tensor,
        closes_container: torch.Tensor,
        ends_value: torch.Tensor,
    ) -> None:
        self.token_bytes = token_bytes
        self.closes_string = closes_string
        self.closes_container = closes_container
        self.ends_value = ends_value

    @classmethod
    def build(cls, tokenizer_info: xgr.TokenizerInfo, vocab_size: int) -> _StringGuardTables:
        decoded = list(tokenizer_info.decoded_vocab)
        token_bytes = [bytes(item) if not isinstance(item, bytes) else item for item in decoded]
        token_bytes += [b""] * (vocab_size - len(token_bytes))
        # A token closes the string when its first byte is an unescaped quote.
        closes = torch.tensor(
            [data[:1] == b'"' for data in token_bytes[:vocab_size]], dtype=torch.bool
        )
        # Outside a string, a token that starts with ] or } ends an array or object.
        ends = torch.tensor(
            [data[:1] in (b"]", b"}") for data in token_bytes[:vocab_size]], dtype=torch.bool
        )
        # After a number, a token that starts with , ] or } ends it.
        ends_value = torch.tensor(
            [data[:1] in (b",", b"]", b"}") for data in token_bytes[:vocab_size]],
            dtype=torch.bool,
        )
        return cls(token_bytes, closes, ends, ends_value)
