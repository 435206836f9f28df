"""Publishing an adapter: the store's pointer, then the inference service loads it.

The store records the version as published and serving first, so an
inference process that starts later serves it whatever happens next. Then
`LoadAdapter(make_default=True)` asks the running inference service to swap
it in without a restart. When inference cannot (it is down, or its backend
is TGI, which loads adapters only at start-up), the response says so and why;
for TGI publishing is a rollout (docs/deployment.md, "Publishing an adapter
to TGI").
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from hybridtools.adapter_store import AdapterStore, AdapterVersion
from hybridtools.core.errors import InvalidArgumentError, NotFoundError
from trainer_svc.peers import InferenceClient

TGI_ROLLOUT_DOC = "docs/deployment.md, section 'Publishing an adapter to TGI'"


@dataclass(frozen=True)
class PublishResult:
    adapter: AdapterVersion
    inference_loaded: bool
    detail: str


class AdapterPublisher:
    def __init__(self, store: AdapterStore, inference: InferenceClient | None) -> None:
        self.store = store
        self.inference = inference

    async def publish(self, name: str, version: int = 0) -> PublishResult:
        if not name:
            raise InvalidArgumentError("name the adapter to publish")
        if version < 0:
            raise InvalidArgumentError(f"version must be >= 0, got {version}")
        try:
            # 0 = the newest version (PublishAdapterRequest.version).
            adapter = self.store.publish(name, version)
        except KeyError as exc:
            raise NotFoundError(str(exc.args[0])) from exc
        if self.inference is None:
            return PublishResult(adapter, False, "no inference service configured")
        loaded = await self.inference.load_adapter(name, adapter.version, make_default=True)
        if loaded.loaded:
            return PublishResult(
                adapter, True, f"inference loaded {adapter.label}: {loaded.detail}"
            )
        return PublishResult(adapter, False, not_loaded_detail(adapter, loaded.detail, loaded.code))


def not_loaded_detail(adapter: AdapterVersion, message: str, code: grpc.StatusCode | None) -> str:
    recorded = f"{adapter.label} is published in the adapter store"
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return (
            f"{recorded}; the inference service did not answer ({message}), and loads the "
            "serving adapter from the store when it starts"
        )
    return (
        f"{recorded}, but the inference service could not load it at run time "
        f"({code.name if code else 'error'}: {message}). With the TGI backend, which loads "
        f"adapters only at start-up, publishing is a rollout: see {TGI_ROLLOUT_DOC}"
    )
