"""The one small interface every LLM backend implements."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from hybridtools.llm.copy_hints import CopyHints

FinishReason = Literal["stop", "length", "grammar"]


class ChatTokenizer(Protocol):
    """The served model's tokenizer: what prompt budgets are counted in."""

    def count(self, text: str) -> int: ...

    def chat_ids(self, messages: Sequence[dict[str, str]]) -> list[int]:
        """The conversation with the model's chat template, ready for generation."""

    def render(self, messages: Sequence[dict[str, str]]) -> str: ...


@dataclass(frozen=True)
class GenerationParams:
    max_new_tokens: int
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int = 0
    # JSON Schema the output must follow (constrained decoding), or None.
    json_schema: str | None = None
    # LoRA adapter name as the backend knows it; None = the base model.
    adapter: str | None = None
    # The user's request, for a constrained call: argument values copied from
    # it are favoured (hybridtools.llm.copying). The local backend only; TGI
    # takes no logits processor per request and decodes without it.
    copy_source: str = ""
    # What the prompt's examples show about the call's values (a boolean they
    # give, arguments they copied or composed): the local backend only.
    copy_hints: CopyHints = field(default_factory=CopyHints)


@dataclass(frozen=True)
class BackendOutput:
    text: str
    finish_reason: FinishReason
    prompt_tokens: int
    completion_tokens: int
    generate_ms: float
    decode_tokens_per_second: float
    # Of generate_ms, until the first generated token (the prompt's prefill);
    # 0.0 where the backend cannot tell.
    first_token_ms: float = 0.0


TextCallback = Callable[[str], None]


class LLMBackend(Protocol):
    name: str
    base_model: str
    context_window: int
    tokenizer: ChatTokenizer

    async def start(self) -> None: ...

    async def close(self) -> None: ...

    async def generate(
        self,
        messages: Sequence[dict[str, str]],
        params: GenerationParams,
        on_text: TextCallback | None = None,
    ) -> BackendOutput:
        """Runs one generation; `on_text` gets text as it is produced."""

    def loaded_adapters(self) -> list[str]: ...

    async def load_adapter(self, name: str, path: Path) -> None:
        """Makes `name` usable in `GenerationParams.adapter`."""

    async def unload_adapter(self, name: str) -> None: ...
