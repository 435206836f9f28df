"""LoRA adapters on one base model, switched per request without reloading.

peft injects each adapter's matrices beside the base linear layers; several
adapters share one set of base weights and `set_adapter` picks the active one.
The engine calls the injected base model directly (not `PeftModel.forward`,
which only adds argument handling), so whichever adapter the layers have
active is the one that runs; `None` disables all LoRA layers.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import cast

from peft import PeftModel
from peft.tuners.tuners_utils import BaseTuner
from transformers import PreTrainedModel

logger = logging.getLogger(__name__)


class AdapterNotFoundError(LookupError):
    """No adapter of that name is loaded."""


class AdapterLoadError(ValueError):
    """The directory is not a LoRA adapter this base can take."""


class AdapterSet:
    """The loaded adapters of one base model and which one is active."""

    def __init__(self, base: PreTrainedModel) -> None:
        self._base = base
        self._peft: PeftModel | None = None
        self._paths: dict[str, Path] = {}
        self._active: str | None = None

    @property
    def model(self) -> PreTrainedModel:
        """The base model, LoRA layers included; run it for the active adapter."""
        if self._peft is None:
            return self._base
        return cast(PreTrainedModel, self._peft.get_base_model())

    @property
    def names(self) -> list[str]:
        return sorted(self._paths)

    def path_of(self, name: str) -> Path:
        if name not in self._paths:
            raise AdapterNotFoundError(f"adapter {name!r} is not loaded")
        return self._paths[name]

    def load(self, name: str, path: Path) -> None:
        """Loads (or reloads, under the same name) the adapter saved in `path`."""
        if not name:
            raise AdapterLoadError("an adapter needs a non-empty name")
        _check_lora_dir(path)
        if name in self._paths:
            self.unload(name)
        try:
            if self._peft is None:
                self._peft = PeftModel.from_pretrained(
                    self._base, str(path), adapter_name=name, is_trainable=False
                )
            else:
                self._peft.load_adapter(str(path), adapter_name=name, is_trainable=False)
        except (ValueError, KeyError, RuntimeError, OSError) as exc:
            raise AdapterLoadError(f"cannot load adapter {name!r} from {path}: {exc}") from exc
        self._paths[name] = path
        # peft activates the adapter it loads; requests name theirs explicitly.
        self._deactivate_all()
        logger.info("adapter loaded: %s from %s", name, path)

    def unload(self, name: str) -> None:
        if name not in self._paths:
            raise AdapterNotFoundError(f"adapter {name!r} is not loaded")
        assert self._peft is not None
        del self._paths[name]
        if not self._paths:
            # The last one: strip the LoRA layers so the base runs as plain
            # linear layers again (nothing merged, the base weights untouched).
            self._base = cast(PreTrainedModel, self._tuner().unload())
            self._peft = None
        else:
            self._peft.delete_adapter(name)
            self._deactivate_all()
        self._active = None
        logger.info("adapter unloaded: %s", name)

    def activate(self, name: str | None) -> None:
        """Makes `name` the adapter the next forward passes run (None: the base)."""
        if name is not None and name not in self._paths:
            raise AdapterNotFoundError(f"adapter {name!r} is not loaded")
        if self._peft is None or name == self._active:
            return
        if name is None:
            self._deactivate_all()
            return
        self._tuner().enable_adapter_layers()
        self._peft.set_adapter(name)
        self._active = name

    def _deactivate_all(self) -> None:
        if self._peft is not None:
            self._tuner().disable_adapter_layers()
        self._active = None

    def _tuner(self) -> BaseTuner:
        """peft's LoRA model inside the PeftModel: it owns the injected layers."""
        assert self._peft is not None
        return cast(BaseTuner, self._peft.base_model)


def _check_lora_dir(path: Path) -> None:
    config_path = path / "adapter_config.json"
    if not config_path.is_file():
        raise AdapterLoadError(f"{path} holds no adapter_config.json")
    try:
        config = json.loads(config_path.read_text())
    except json.JSONDecodeError as exc:
        raise AdapterLoadError(f"{config_path} is not valid JSON: {exc}") from exc
    # Only LoRA: prompt-learning adapters change the inputs, not the layers,
    # and would be skipped by the engine's direct call of the base model.
    if config.get("peft_type") != "LORA":
        raise AdapterLoadError(f"{path} is a {config.get('peft_type')!r} adapter, not LORA")
