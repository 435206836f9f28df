"""Pluggable token counting for the dataset summaries.

`whitespace` needs nothing and is the default; `smollm2` counts with the packaged
base model's tokenizer (through `hybridtools.llm`, when installed); any other
value is a local Hugging Face tokenizer directory or a .gguf file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

TokenCounter = Callable[[str], int]
WHITESPACE = "whitespace"
SMOLLM2 = "smollm2"


def whitespace_token_counter(text: str) -> int:
    return len(text.split())


def load_token_counter(spec: str | None) -> tuple[str, TokenCounter]:
    """(a label for reports, the counter) for `spec`; ValueError when it cannot be loaded."""
    if not spec or spec == WHITESPACE:
        return WHITESPACE, whitespace_token_counter
    tokenizer = _load_tokenizer(spec)

    def count(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"])

    return spec, count


def _load_tokenizer(spec: str):  # -> transformers.PreTrainedTokenizerBase
    # Imported here: transformers takes seconds to import, and `whitespace` needs none of it.
    from transformers import AutoTokenizer

    if spec == SMOLLM2:
        try:
            from hybridtools.llm import packaged
        except ImportError as exc:
            raise ValueError("the smollm2 tokenizer needs hybridtools.llm") from exc
        return packaged.load_gguf_tokenizer(packaged.find_packaged_gguf())
    path = Path(spec)
    if path.suffix == ".gguf" and path.is_file():
        return AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
    if path.is_dir():
        return AutoTokenizer.from_pretrained(path, local_files_only=True)
    raise ValueError(
        f"unknown tokenizer {spec!r}: use {WHITESPACE}, {SMOLLM2}, "
        "a tokenizer directory or a .gguf file"
    )
