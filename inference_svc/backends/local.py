"""The embedded default: the packaged model on the CPU through transformers + peft.

transformers loads the model and peft its LoRA adapters; prompts run on
torch, decode steps on ONNX Runtime where its graph can take them (docs/adr/0006).

Generation runs on one worker thread (the engine holds one KV cache and one
set of adapter states); requests queue for it in arrival order.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hybridtools.core.errors import FailedPreconditionError, InvalidArgumentError, NotFoundError
from hybridtools.llm.adapters import AdapterLoadError, AdapterNotFoundError
from hybridtools.llm.engine import EngineOptions, GenerationInputError, LlmRuntime, LocalEngine
from hybridtools.llm.grammar import InvalidSchemaError
from inference_svc.backends.base import BackendOutput, GenerationParams, TextCallback
from inference_svc.backends.tokenizer import HfChatTokenizer


class LocalBackend:
    name = "local"

    def __init__(
        self,
        base_model: str,
        model_dir: Path,
        threads: int,
        context_window: int,
        runtime: LlmRuntime = "onnx",
        grammar_cache_dir: Path | None = None,
        copy_bonus: float = 7.0,
    ) -> None:
        self.base_model = base_model
        self._copy_bonus = copy_bonus
        self._runtime = runtime
        self._grammar_cache_dir = grammar_cache_dir
        self.context_window = context_window
        self._model_dir = model_dir
        self._threads = threads
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="generate")
        self._engine: LocalEngine | None = None
        self.tokenizer: HfChatTokenizer | None = None  # type: ignore[assignment]

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        options = EngineOptions(
            threads=self._threads,
            runtime=self._runtime,
            max_context_tokens=max(self.context_window, 2048),
            # Compiled grammars survive restarts: compiling one tool's schema
            # takes seconds, loading it ~0.1 s.
            grammar_cache_dir=self._grammar_cache_dir,
            copy_bonus=self._copy_bonus,
        )
        self._engine = await loop.run_in_executor(
            self._executor,
            functools.partial(LocalEngine.from_base, self.base_model, self._model_dir, options),
        )
        self.tokenizer = HfChatTokenizer(self._engine.tokenizer)

    async def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    @property
    def engine(self) -> LocalEngine:
        if self._engine is None:
            raise FailedPreconditionError("the local model is still loading")
        return self._engine

    async def generate(
        self,
        messages: Sequence[dict[str, str]],
        params: GenerationParams,
        on_text: TextCallback | None = None,
    ) -> BackendOutput:
        engine = self.engine
        prompt_ids = engine.encode_chat(messages)
        run = functools.partial(
            engine.generate,
            prompt_ids,
            max_new_tokens=params.max_new_tokens,
            temperature=params.temperature,
            top_p=params.top_p,
            seed=params.seed,
            adapter=params.adapter,
            json_schema=params.json_schema,
            on_text=on_text,
            copy_source=params.copy_source,
            copy_hints=params.copy_hints,
        )
        try:
            result = await asyncio.get_running_loop().run_in_executor(self._executor, run)
        except (GenerationInputError, InvalidSchemaError) as error:
            raise InvalidArgumentError(str(error)) from error
        except AdapterNotFoundError as error:
            raise NotFoundError(str(error)) from error
        return BackendOutput(
            text=result.text,
            finish_reason=result.finish_reason,
            prompt_tokens=result.prompt_tokens,
            completion_tokens=result.completion_tokens,
            generate_ms=result.prefill_ms + result.decode_ms + result.grammar_ms,
            decode_tokens_per_second=result.decode_tokens_per_second,
            first_token_ms=result.grammar_ms + result.prefill_ms,
        )

    def loaded_adapters(self) -> list[str]:
        return self.engine.adapters

    async def load_adapter(self, name: str, path: Path) -> None:
        engine = self.engine
        try:
            await asyncio.get_running_loop().run_in_executor(
                self._executor, engine.load_adapter, name, path
            )
        except AdapterLoadError as error:
            raise FailedPreconditionError(
                f"adapter {name!r} at {path} cannot be loaded: {error}"
            ) from error

    def precompile(self, json_schema: str) -> float:
        """Compiles a call grammar ahead of use (safe beside a running generation)."""
        return self.engine.precompile(json_schema)

    async def unload_adapter(self, name: str) -> None:
        engine = self.engine
        await asyncio.get_running_loop().run_in_executor(
            self._executor, engine.unload_adapter, name
        )
