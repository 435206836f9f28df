"""The ONNX Runtime graph of the decoder against torch, and the engine's choice between them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import LlamaForCausalLM

from hybridtools.adapter_store import PACKAGED_DEFAULT as DEFAULT_ADAPTER_DIR
from hybridtools.llm.engine import EngineOptions, LocalEngine
from hybridtools.llm.onnx_decoder import (
    MIN_LOGIT_COSINE,
    OnnxDecoder,
    OnnxDecoderUnsupported,
    check_supported,
    lora_arrays,
)
from hybridtools.llm.packaged import (
    DEFAULT_BASE_MODEL,
    default_model_cache_dir,
    ensure_model_dir,
    load_model,
)

from .tiny_models import tiny_llama

PROMPT = [1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 28, 2, 198, 1, 4093, 198] * 3


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def torch_logits(model: torch.nn.Module, tokens: list[int]) -> np.ndarray:
    with torch.inference_mode():
        logits: np.ndarray = model(torch.tensor([tokens])).logits[0, -1].float().numpy()
    return logits


@pytest.fixture(scope="module")
def packaged() -> LlamaForCausalLM:
    model = load_model(ensure_model_dir(DEFAULT_BASE_MODEL, default_model_cache_dir()))
    assert isinstance(model, LlamaForCausalLM)
    return model


@pytest.fixture(scope="module")
def decoder(packaged: LlamaForCausalLM) -> OnnxDecoder:
    return OnnxDecoder(packaged, threads=1)


def test_the_graph_gives_torchs_logits_for_the_base_and_an_adapter(
    packaged: LlamaForCausalLM, decoder: OnnxDecoder
) -> None:
    base_logits = decoder.forward(PROMPT, decoder.new_cache(), 1, lora_arrays(packaged, None, 30))
    assert cosine(base_logits[-1], torch_logits(packaged, PROMPT)) > 0.9995

    with_adapter = PeftModel.from_pretrained(
        load_model(ensure_model_dir(DEFAULT_BASE_MODEL, default_model_cache_dir())),
        str(DEFAULT_ADAPTER_DIR),
        adapter_name="default",
    ).get_base_model()
    arrays = lora_arrays(with_adapter, "default", decoder.layers)
    adapted = decoder.forward(PROMPT, decoder.new_cache(), 1, arrays)[-1]
    expected = torch_logits(with_adapter, PROMPT)
    # The adapter moves torch's logits to cosine ~0.993 from the base's; the
    # graph must follow it, not stay with the base.
    assert cosine(adapted, expected) > MIN_LOGIT_COSINE
    assert cosine(adapted, expected) > cosine(base_logits[-1], expected) + 0.003


def test_chunks_with_a_past_equal_one_pass(
    packaged: LlamaForCausalLM, decoder: OnnxDecoder
) -> None:
    """The prefix cache and jump-forward feed several tokens after a past."""
    base = lora_arrays(packaged, None, decoder.layers)
    whole = decoder.forward(PROMPT, decoder.new_cache(), 3, base)
    cache = decoder.new_cache()
    decoder.forward(PROMPT[:20], cache, 1, base)
    cache.truncate(17)  # a shorter common prefix, as the prefix cache keeps it
    assert cache.get_seq_length() == 17
    chunked = decoder.forward(PROMPT[17:], cache, 3, base)
    assert cache.get_seq_length() == len(PROMPT)
    for row in range(3):
        assert cosine(whole[row], chunked[row]) > 0.99999
        assert whole[row].argmax() == chunked[row].argmax()


def test_weights_off_a_four_bit_grid_use_eight_bit_blocks() -> None:
    """A model that never was Q4_1 (random float weights) still matches torch closely."""
    model = tiny_llama()
    decoder = OnnxDecoder(model, threads=1)
    tokens = [5, 17, 200, 3, 99, 42, 7]
    ours = decoder.forward(tokens, decoder.new_cache(), 1, lora_arrays(model, None, 2))[-1]
    assert cosine(ours, torch_logits(model, tokens)) > 0.999


def test_unsupported_models_are_named() -> None:
    with pytest.raises(OnnxDecoderUnsupported, match="biases"):
        check_supported(tiny_llama(mlp_bias=True))
    with pytest.raises(OnnxDecoderUnsupported, match="activation"):
        check_supported(tiny_llama(hidden_act="gelu"))


def test_the_engine_runs_what_the_graph_cannot_take_on_torch(tmp_path, packaged) -> None:  # type: ignore[no-untyped-def]
    """An adapter on the MLP has no slot in the graph: its requests run on torch."""
    mlp_adapter = get_peft_model(
        load_model(ensure_model_dir(DEFAULT_BASE_MODEL, default_model_cache_dir())),
        LoraConfig(r=4, lora_alpha=8, target_modules=["gate_proj"], init_lora_weights=False),
    )
    mlp_adapter.save_pretrained(tmp_path / "mlp")
    engine = LocalEngine(ensure_model_dir(DEFAULT_BASE_MODEL, default_model_cache_dir()))
    assert engine.runtime == "onnx"
    engine.load_adapter("mlp", tmp_path / "mlp")
    engine.load_adapter("default", DEFAULT_ADAPTER_DIR)
    assert engine.adapter_runtime("mlp") == "torch"
    assert engine.adapter_runtime("default") == engine.adapter_runtime(None) == "onnx"
    prompt = engine.encode_chat([{"role": "user", "content": "Open the README"}])
    on_torch = engine.generate(prompt, max_new_tokens=4, adapter="mlp")
    on_onnx = engine.generate(prompt, max_new_tokens=4, adapter="default")
    assert (on_torch.runtime, on_onnx.runtime) == ("torch", "onnx")
    assert 1 <= on_torch.completion_tokens <= 4 and 1 <= on_onnx.completion_tokens <= 4
    engine.unload_adapter("mlp")
    assert engine.adapter_runtime("mlp") == "torch"  # not loaded: nothing runs it on onnx

    on_torch_only = LocalEngine(
        engine.model_dir, EngineOptions(runtime="torch"), tokenizer=engine.tokenizer
    )
    assert on_torch_only.runtime == "torch"
    assert on_torch_only.generate(prompt, max_new_tokens=2).runtime == "torch"
    # Prompts run on torch in float32 on both runtimes: the first token, picked from
    # the prompt pass's logits, is the same whichever runtime decodes the rest.
    for request in ("Read Header.tsx", "run cargo test in the background", "hi"):
        ids = engine.encode_chat([{"role": "user", "content": request}])
        first = engine.generate(ids, max_new_tokens=1)
        assert first.runtime == "onnx"
        assert first.token_ids == on_torch_only.generate(ids, max_new_tokens=1).token_ids
    with pytest.raises(ValueError, match="runtime must be one of"):
        LocalEngine(engine.model_dir, EngineOptions(runtime="tpu"), model=packaged)  # type: ignore[arg-type]
