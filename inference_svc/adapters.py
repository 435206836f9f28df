"""Which LoRA adapters the backend has loaded, and which one serves by default.

Adapters come from the trainer's adapter store by stable name. `load` swaps a
new version in without a restart; requests already running finish on the
version they started with, because the backend runs one generation at a time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog

from hybridtools.adapter_store import BASE_ADAPTER, AdapterStore, AdapterVersion
from hybridtools.core.errors import FailedPreconditionError, InvalidArgumentError, NotFoundError
from inference_svc.backends.base import LLMBackend

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class LoadedAdapter:
    version: AdapterVersion


class AdapterManager:
    def __init__(self, store: AdapterStore, backend: LLMBackend, base_model: str) -> None:
        self.store = store
        self._backend = backend
        self._base_model = base_model
        self._loaded: dict[str, AdapterVersion] = {}
        self.default: str = BASE_ADAPTER
        self._lock = asyncio.Lock()

    async def start(self, configured_default: str) -> None:
        """Seeds the packaged default adapter, then loads the serving one."""
        seeded = await asyncio.to_thread(self.store.seed_packaged_default)
        if seeded is not None:
            log.info(
                "packaged default adapter added", adapter=seeded.label, served=seeded.published
            )
        serving = await asyncio.to_thread(self.store.serving)
        name = serving.name if serving else configured_default
        if not name or name == BASE_ADAPTER:
            return
        try:
            await self.load(name, serving.version if serving else 0, make_default=True)
        except (NotFoundError, FailedPreconditionError) as error:
            log.warning(
                "default adapter not loaded; serving the base model",
                adapter=name,
                reason=str(error),
            )

    def loaded(self) -> dict[str, AdapterVersion]:
        return dict(self._loaded)

    def resolve(self, requested: str) -> str | None:
        """The backend adapter a request runs with (None = the base model)."""
        name = requested or self.default
        if name == BASE_ADAPTER:
            return None
        if name not in self._loaded:
            known = ", ".join(sorted(self._loaded)) or "none"
            raise NotFoundError(
                f"adapter {name!r} is not loaded (loaded: {known}; 'base' = no adapter); "
                "load it with LoadAdapter"
            )
        return name

    async def load(self, name: str, version: int = 0, make_default: bool = False) -> AdapterVersion:
        if not name:
            raise InvalidArgumentError("adapter name is empty")
        if version < 0:
            raise InvalidArgumentError(f"version must be 0 (the newest) or more, got {version}")
        if name == BASE_ADAPTER:
            # Refused whole: a default changed behind an error would surprise the caller.
            raise InvalidArgumentError(
                "'base' is the model without an adapter; nothing to load (to serve it by "
                "default, unload the default adapter with UnloadAdapter)"
            )
        try:
            adapter = await asyncio.to_thread(self.store.get, name, version)
        except KeyError as error:
            raise NotFoundError(str(error.args[0])) from error
        base = adapter.manifest.get("base_model", "")
        if base and base != self._base_model:
            raise FailedPreconditionError(
                f"adapter {adapter.label} was trained on {base!r}; "
                f"this service runs {self._base_model!r}"
            )
        async with self._lock:
            current = self._loaded.get(name)
            if (
                current is None
                or current.version != adapter.version
                or current.path != adapter.path
            ):
                await self._backend.load_adapter(name, adapter.path)
                self._loaded[name] = adapter
                log.info("adapter loaded", adapter=adapter.label)
            if make_default:
                self.default = name
        return adapter

    async def unload(self, name: str) -> str:
        if not name:
            raise InvalidArgumentError("adapter name is empty")
        async with self._lock:
            if name not in self._loaded:
                raise NotFoundError(f"adapter {name!r} is not loaded")
            await self._backend.unload_adapter(name)
            del self._loaded[name]
            if self.default == name:
                self.default = BASE_ADAPTER
        return self.default
