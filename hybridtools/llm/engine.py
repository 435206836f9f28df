"""A CPU generation engine for one causal LM and its LoRA adapters.

Why not `model.generate`: a decode step multiplies one token by every weight,
so it is bound by streaming 540 MB of float32 weights from memory (two
thirds of a ~120 ms step here), and generate's `DynamicCache` re-copies the
whole cache every token (another ~15%). This engine runs its own loop under
`torch.inference_mode` and adds, each measured in `bench/llm_decode.py`:

- decode steps on ONNX Runtime (`onnx_decoder.py`, the default): the
  GGUF's 4-bit grid in one graph, LoRA of q/k/v/o as its inputs; prompts
  run on torch in float32; adapters the graph cannot take, and models it
  does not know, run wholly on torch;
- on torch, compact decode weights (`decode_weights.py`): the GGUF's 4-bit
  grid for single-token steps, float32 for prefill;
- a growable KV cache, and reuse of the longest common prompt prefix between
  requests, per adapter (`kv_cache.py`);
- JSON-schema constraints (`grammar.py`) with jump-forward: when the grammar
  leaves one possible continuation (`","arguments":{"path":"` after a tool
  name), its tokens go through the model in one forward pass instead of one
  pass each, and are not sampled.

Threading: an engine holds one model, one set of adapter states and one
prefix cache, so it runs one generation at a time. The inference service
serializes requests through a single worker thread; a lock also makes a
second concurrent caller wait rather than corrupt that state.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from hybridtools.llm.adapters import AdapterSet
from hybridtools.llm.copy_hints import CopyHints
from hybridtools.llm.copying import CopyBias
from hybridtools.llm.decode_weights import (
    MAX_COMPACT_ROWS,
    DecodeSwitch,
    DecodeWeights,
    compact_format_counts,
    install_decode_weights,
)
from hybridtools.llm.grammar import GrammarCache, JsonConstraint
from hybridtools.llm.kv_cache import CheckedOut, PrefixCache, PromptCache, SequenceCache
from hybridtools.llm.onnx_decoder import (
    MIN_LOGIT_COSINE,
    ArrayCache,
    LoraArrays,
    OnnxDecoder,
    OnnxDecoderUnsupported,
    lora_arrays,
)
from hybridtools.llm.packaged import (
    DEFAULT_BASE_MODEL,
    ensure_model_dir,
    load_model,
    load_tokenizer,
)
from hybridtools.llm.sampling import choose_token
from hybridtools.llm.streaming import TextAssembler
from hybridtools.llm.threads import set_torch_threads

logger = logging.getLogger(__name__)

# A constrained call's last tokens go to closing it (JsonConstraint.mask_logits'
# wrap_up): a string's quote and a few brackets, and, when required properties
# are still to come, their keys and empty values too (closing_reserve, on top
# of this). 6 was too few for one such key (an edit's old_string ran on and
# new_string was cut open, claims run at 8431c3d); the grammar forces most of
# these tokens anyway.
_WRAP_UP_TOKENS = 12

FinishReason = Literal["stop", "length", "grammar"]
# "onnx": decode steps on ONNX Runtime where its graph can run (onnx_decoder.py);
# "torch": transformers + peft for everything.
LlmRuntime = Literal["onnx", "torch"]
LLM_RUNTIMES: tuple[LlmRuntime, ...] = get_args(LlmRuntime)


class GenerationInputError(ValueError):
    """A request the engine cannot run as given (empty prompt, too long, bad ids)."""


@dataclass(frozen=True)
class EngineOptions:
    """How the engine runs; the defaults are the fastest measured on 2 shared cores."""

    # torch intra-op threads, set on every call (torch's setting is per process).
    # 1 by default: on 2 cores shared with other services, a second thread
    # made decode 2-3x slower whenever the other core was busy (OpenMP waits
    # on it); on an idle box 2 threads prefill ~1.4x faster. See the bench.
    threads: int = 1
    # Precision of the model's own weights: prefill, and decode under "float32".
    dtype: torch.dtype = torch.float32
    runtime: LlmRuntime = "onnx"
    # The torch path's decode weights (adapters the ONNX graph cannot take).
    decode_weights: DecodeWeights = "int4"
    prefix_cache: bool = True
    prefix_cache_entries: int = 4
    jump_forward: bool = True
    # Prompt plus new tokens; the model itself allows 8,192.
    max_context_tokens: int = 4096
    grammar_cache_entries: int = 256
    # Longest JSON string a constrained generation may write (see grammar.py).
    max_json_string_chars: int = 200
    # Where compiled grammars are kept across restarts; None: memory only.
    grammar_cache_dir: Path | None = None
    # Logit bonus for argument values copied from the request (`copy_source`,
    # constrained generations only; see copying.py). 0 turns it off.
    copy_bonus: float = 7.0


@dataclass
class GenerationResult:
    text: str
    # Generated tokens, forced ones included, the final stop token excluded.
    token_ids: list[int]
    finish_reason: FinishReason
    prompt_tokens: int
    completion_tokens: int
    prefill_ms: float
    decode_ms: float
    # Completion tokens after the prefill pass (forced ones included) per decode second.
    decode_tokens_per_second: float
    # Completion tokens the grammar forced (fed without sampling).
    forced_tokens: int = 0
    # Prompt tokens whose keys/values came from the prefix cache.
    cached_prompt_tokens: int = 0
    # Compiling or fetching the grammar; not part of prefill or decode.
    grammar_ms: float = 0.0
    adapter: str | None = None
    # Which runtime ran the forward passes: "onnx" or "torch".
    runtime: str = "torch"


class LocalEngine:
    """Generation with one base model and any number of LoRA adapters on the CPU."""

    def __init__(
        self,
        model_dir: Path,
        options: EngineOptions | None = None,
        *,
        model: PreTrainedModel | None = None,
        tokenizer: PreTrainedTokenizerBase | None = None,
    ) -> None:
        self.options = options or EngineOptions()
        self.model_dir = model_dir
        started = time.perf_counter()
        set_torch_threads(self.options.threads)
        self.tokenizer = tokenizer or load_tokenizer(model_dir)
        if self.options.runtime not in LLM_RUNTIMES:
            raise ValueError(f"runtime must be one of {LLM_RUNTIMES}, got {self.options.runtime!r}")
        base = model or load_model(model_dir, dtype=self.options.dtype)
        base.eval()
        # Per loaded adapter (None: the base), its graph inputs, or None where
        # the graph cannot take it and torch runs it.
        self._onnx_lora: dict[str | None, LoraArrays | None] = {}
        # Built from the plain base weights, before any LoRA layer is injected.
        self._onnx = self._open_onnx(base) if self.options.runtime == "onnx" else None
        self._switch: DecodeSwitch = install_decode_weights(base, self.options.decode_weights)
        self._adapters = AdapterSet(base)
        self.stop_token_ids = _stop_token_ids(base, self.tokenizer)
        self.vocab_size = int(base.config.get_text_config(decoder=True).vocab_size)
        self._prefix_cache = PrefixCache(self.options.prefix_cache_entries)
        self._grammars = GrammarCache(
            self.tokenizer,
            vocab_size=self.vocab_size,
            stop_token_ids=self.stop_token_ids,
            max_entries=self.options.grammar_cache_entries,
            compile_threads=self.options.threads,
            disk_dir=self.options.grammar_cache_dir,
        )
        self._lock = threading.Lock()
        logger.info(
            "engine ready in %.1f s: %s, runtime %s, torch decode weights %s, %d thread(s)",
            time.perf_counter() - started,
            model_dir,
            "onnx" if self._onnx is not None else "torch",
            compact_format_counts(base) or {"float32": "all"},
            self.options.threads,
        )

    def _open_onnx(self, base: PreTrainedModel) -> OnnxDecoder | None:
        """The ONNX Runtime graph of `base`, or None (logged) where it cannot be used."""
        try:
            decoder = OnnxDecoder(base, self.options.threads)
            without_adapter = lora_arrays(base, None, decoder.layers)
            with torch.inference_mode():
                cosine = decoder.check_against(base, without_adapter)
        except OnnxDecoderUnsupported as exc:
            logger.warning("onnx runtime not used, torch runs the model: %s", exc)
            return None
        if cosine < MIN_LOGIT_COSINE:
            logger.warning(
                "onnx runtime not used: its logits are at cosine %.5f to torch's (needs %s)",
                cosine,
                MIN_LOGIT_COSINE,
            )
            return None
        logger.info(
            "onnx decoder ready: graph %.1f s, session %.1f s, logit cosine to torch %.5f",
            decoder.build_seconds,
            decoder.session_seconds,
            cosine,
        )
        self._onnx_lora[None] = without_adapter
        return decoder

    @property
    def runtime(self) -> str:
        """The runtime of the base model's forward passes ("onnx" or "torch")."""
        return "onnx" if self._onnx is not None else "torch"

    @classmethod
    def from_base(
        cls,
        base_model: str = DEFAULT_BASE_MODEL,
        cache_dir: Path | None = None,
        options: EngineOptions | None = None,
    ) -> LocalEngine:
        """An engine for a registered base name or a local model directory."""
        return cls(ensure_model_dir(base_model, cache_dir), options)

    # Prompts

    def encode(self, text: str) -> list[int]:
        ids: list[int] = self.tokenizer.encode(text, add_special_tokens=False)
        return ids

    def encode_chat(self, messages: Sequence[dict[str, str]]) -> list[int]:
        """Token ids of `messages` in the model's chat template, ready for the reply."""
        encoded = self.tokenizer.apply_chat_template(
            list(messages), add_generation_prompt=True, tokenize=True, return_dict=True
        )
        assert isinstance(encoded, Mapping)  # return_dict=True: a BatchEncoding
        return [int(token_id) for token_id in encoded["input_ids"]]

    # Adapters

    @property
    def adapters(self) -> list[str]:
        return self._adapters.names

    def load_adapter(self, name: str, path: Path) -> None:
        with self._lock:
            self._adapters.load(name, path)
            # A reloaded name may hold new weights: its cached keys are stale.
            self._prefix_cache.discard(name)
            if self._onnx is not None:
                self._onnx_lora[name] = self._adapter_arrays(name)

    def _adapter_arrays(self, name: str) -> LoraArrays | None:
        assert self._onnx is not None
        try:
            return lora_arrays(self._adapters.model, name, self._onnx.layers)
        except OnnxDecoderUnsupported as exc:
            logger.warning("adapter %s runs on torch, not onnx: %s", name, exc)
            return None

    def adapter_runtime(self, name: str | None) -> str:
        """The runtime that runs requests with adapter `name` (None: the base)."""
        if self._onnx is None:
            return "torch"
        return "onnx" if self._onnx_lora.get(name) is not None else "torch"

    def unload_adapter(self, name: str) -> None:
        with self._lock:
            self._adapters.unload(name)
            self._prefix_cache.discard(name)
            self._onnx_lora.pop(name, None)

    # Grammars

    def precompile(self, json_schema: str) -> float:
        """Compiles `json_schema` into the grammar cache ahead of use; returns ms.

        Safe to call from another thread while a generation runs (the grammar
        cache has its own lock): a service can warm its tool catalog in the
        background, one tool schema (one `anyOf` branch) at a time.
        """
        started = time.perf_counter()
        self._grammars.compiled_branches(json_schema)
        return (time.perf_counter() - started) * 1000

    def clear_prefix_cache(self) -> None:
        with self._lock:
            self._prefix_cache.clear()

    # Generation

    def generate(
        self,
        prompt_ids: Sequence[int],
        *,
        max_new_tokens: int,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int = 0,
        adapter: str | None = None,
        json_schema: str | None = None,
        stop_strings: Sequence[str] = (),
        on_text: Callable[[str], None] | None = None,
        copy_source: str = "",
        copy_hints: CopyHints | None = None,
    ) -> GenerationResult:
        """Generates a completion of `prompt_ids`.

        `on_text` receives the text as it is produced, in chunks that join to
        `result.text`; an exception raised from it aborts the generation (the
        way a streaming caller cancels). `json_schema` constrains the output
        to JSON matching it; the result then ends with finish_reason "grammar"
        once the value is complete, and `copy_source` (the user's request)
        favours argument values copied from it, and from the prompt's
        examples as `copy_hints` say (copying.py).
        """
        prompt = list(prompt_ids)
        self._validate(prompt, max_new_tokens, temperature, top_p)
        with self._lock:
            set_torch_threads(self.options.threads)
            grammar_started = time.perf_counter()
            constraint = (
                self._grammars.new_constraint(json_schema, self.options.max_json_string_chars)
                if json_schema
                else None
            )
            copy = (
                self._grammars.copy_bias(
                    constraint,
                    copy_source,
                    self.options.copy_bonus,
                    copy_hints,
                )
                if constraint is not None and copy_source and self.options.copy_bonus
                else None
            )
            grammar_ms = (time.perf_counter() - grammar_started) * 1000
            self._adapters.activate(adapter)
            with torch.inference_mode():
                result = self._run(
                    prompt,
                    max_new_tokens=max_new_tokens,
                    temperature=temperature,
                    top_p=top_p,
                    seed=seed,
                    adapter=adapter,
                    constraint=constraint,
                    copy=copy,
                    stop_strings=stop_strings,
                    on_text=on_text,
                )
            result.grammar_ms = grammar_ms
            return result

    def _validate(
        self, prompt: list[int], max_new_tokens: int, temperature: float, top_p: float
    ) -> None:
        if not prompt:
            raise GenerationInputError("the prompt has no tokens")
        if max_new_tokens < 1:
            raise GenerationInputError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
        if len(prompt) + max_new_tokens > self.options.max_context_tokens:
            raise GenerationInputError(
                f"prompt ({len(prompt)} tokens) + max_new_tokens ({max_new_tokens}) exceeds "
                f"the context of {self.options.max_context_tokens} tokens"
            )
        if min(prompt) < 0 or max(prompt) >= self.vocab_size:
            raise GenerationInputError(f"prompt token ids must lie in [0, {self.vocab_size})")
        if temperature < 0 or not 0 < top_p <= 1:
            raise GenerationInputError("temperature must be >= 0 and top_p in (0, 1]")

    def _run(
        self,
        prompt: list[int],
        *,
        max_new_tokens: int,
        temperature: float,
        top_p: float,
        seed: int,
        adapter: str | None,
        constraint: JsonConstraint | None,
        copy: CopyBias | None,
        stop_strings: Sequence[str],
        on_text: Callable[[str], None] | None,
    ) -> GenerationResult:
        model = self._adapters.model
        lora = self._onnx_lora.get(adapter) if self._onnx is not None else None
        forward: Callable[..., torch.Tensor]
        new_cache: Callable[[], PromptCache]
        if lora is not None:
            assert self._onnx is not None
            onnx_decoder = self._onnx

            def forward(
                token_ids: list[int], cache: PromptCache, *, decode: bool, keep: int = 1
            ) -> torch.Tensor:
                assert isinstance(cache, ArrayCache)
                if decode and len(token_ids) <= MAX_COMPACT_ROWS:
                    return torch.from_numpy(onnx_decoder.forward(token_ids, cache, keep, lora))
                # Prompts run on torch in float32, as on the torch runtime: the graph
                # quantises activations to int8, so a prompt's keys there would shift
                # with how it was split (the prefix cache splits it), and near-ties in
                # the reply with them (a test saw "head.tsx" for "Header.tsx"). Its
                # prefill was no faster than torch's anyway (docs/benchmarks.md).
                sequence = cache.to_sequence_cache()
                logits = self._forward(model, token_ids, sequence, decode=False, keep=keep)
                cache.take_from(sequence)
                return logits

            new_cache = onnx_decoder.new_cache
        else:

            def forward(
                token_ids: list[int], cache: PromptCache, *, decode: bool, keep: int = 1
            ) -> torch.Tensor:
                assert isinstance(cache, SequenceCache)
                return self._forward(model, token_ids, cache, decode=decode, keep=keep)

            def new_cache() -> PromptCache:
                return SequenceCache.for_config(model.config)

        if self.options.prefix_cache:
            checked_out = self._prefix_cache.checkout(adapter, prompt, new_cache)
        else:
            checked_out = CheckedOut(new_cache(), 0)
        cache, reused = checked_out.cache, checked_out.reused

        started = time.perf_counter()
        # What the grammar forces before any choice (`{"name":"` and more when
        # all tools share it) rides along with the prompt's forward pass.
        generated: list[int] = []
        if constraint is not None and self.options.jump_forward:
            generated = self._forced_tokens(constraint, max_new_tokens)
        forced_tokens = len(generated)
        tokens_from_prefill = len(generated)
        prompt_logits = checked_out.last_logits
        if prompt_logits is None:
            # Logits for the prompt's last token too: the prefix cache keeps them.
            new_tokens = prompt[reused:] + generated
            rows = forward(new_tokens, cache, decode=False, keep=len(generated) + 1)
            prompt_logits, logits = rows[0].clone(), rows[-1].clone()
        elif generated:
            logits = forward(generated, cache, decode=False)[-1]
        else:
            logits = prompt_logits.clone()
        prefill_done = time.perf_counter()

        generator = torch.Generator().manual_seed(seed)
        assembler = TextAssembler(self.tokenizer, stop_strings, on_text)
        finish: FinishReason = "length"
        if generated and assembler.add(generated):
            finish = "stop"
        while finish != "stop":
            if constraint is not None and constraint.is_finished():
                finish = "grammar"
                break
            if len(generated) >= max_new_tokens:
                finish = "length"
                break
            if constraint is not None:
                wrap_up = (
                    max_new_tokens - len(generated)
                    <= _WRAP_UP_TOKENS + constraint.closing_reserve()
                )
                constraint.mask_logits(logits.unsqueeze(0), wrap_up=wrap_up)
                if copy is not None:
                    copy.apply(logits)
            token = choose_token(logits, temperature, top_p, generator)
            if token in self.stop_token_ids:
                finish = "grammar" if constraint is not None else "stop"
                break
            if constraint is not None and not constraint.accept(token):
                raise RuntimeError(f"the grammar refused token {token} it had allowed")
            step = [token]
            if constraint is not None and self.options.jump_forward:
                forced = self._forced_tokens(constraint, max_new_tokens - len(generated) - 1)
                step.extend(forced)
                forced_tokens += len(forced)
            generated.extend(step)
            if assembler.add(step):
                finish = "stop"
                break
            if len(generated) >= max_new_tokens or (
                constraint is not None and constraint.is_finished()
            ):
                continue  # ends at the top of the loop without another forward pass
            logits = forward(step, cache, decode=True)[-1]
        text = assembler.finish()
        finished = time.perf_counter()

        if self.options.prefix_cache:
            self._prefix_cache.checkin(adapter, prompt, cache, prompt_logits)
        decode_seconds = finished - prefill_done
        decoded = len(generated) - tokens_from_prefill
        return GenerationResult(
            text=text,
            token_ids=generated,
            finish_reason=finish,
            prompt_tokens=len(prompt),
            completion_tokens=len(generated),
            prefill_ms=(prefill_done - started) * 1000,
            decode_ms=decode_seconds * 1000,
            decode_tokens_per_second=decoded / decode_seconds if decode_seconds > 0 else 0.0,
            forced_tokens=forced_tokens,
            cached_prompt_tokens=reused,
            adapter=adapter,
            runtime="onnx" if lora is not None else "torch",
        )

    def _forced_tokens(self, constraint: JsonConstraint, budget: int) -> list[int]:
        """Tokens of the text the grammar forces next, already accepted by it."""
        if budget <= 0:
            return []
        forced_text = constraint.forced_text()
        if not forced_text:
            return []
        candidates = self.encode(forced_text)[:budget]
        accepted = constraint.accept_forced(candidates)
        return candidates[:accepted]

    def _forward(
        self,
        model: PreTrainedModel,
        token_ids: list[int],
        cache: SequenceCache,
        *,
        decode: bool,
        keep: int = 1,
    ) -> torch.Tensor:
        """Runs `token_ids` through the model into `cache`.

        Returns the logits of the last `keep` positions, [keep, vocab] float32.
        """
        input_ids = torch.tensor([token_ids], dtype=torch.long)
        self._switch.active = decode
        try:
            output = model(input_ids=input_ids, cache=cache, use_cache=True, logits_to_keep=keep)
        finally:
            self._switch.active = False
        logits: torch.Tensor = output.logits[0].float()
        return logits


def _stop_token_ids(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """End-of-turn ids from the tokenizer and the model's generation config."""
    candidates: list[int] = []
    if tokenizer.eos_token_id is not None:
        candidates.append(int(tokenizer.eos_token_id))
    configured = getattr(model.generation_config, "eos_token_id", None)
    if isinstance(configured, int):
        candidates.append(configured)
    elif isinstance(configured, list):
        candidates.extend(int(token) for token in configured)
    return sorted(set(candidates))
