"""Hugging Face TGI by URL: production serving of the LoRA on GPUs.

Through `huggingface_hub.AsyncInferenceClient.text_generation`, which passes
`adapter_id` and a JSON-schema `grammar` to TGI's generate route. Two TGI
behaviours shape this class (ADR 0002):
- TGI loads LoRA adapters only at start-up (its LORA_ADAPTERS) and answers a
  request for an unknown adapter id with the base model, silently. So the
  backend only accepts the adapter ids TGI was started with
  (INFERENCE_TGI_ADAPTERS) and refuses others itself; "loading" one that TGI
  lacks is FAILED_PRECONDITION with the rollout to do instead.
- The prompt is rendered here with the served model's chat template, so the
  prompt builder's token budget is counted with the same tokenizer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx2
from huggingface_hub import AsyncInferenceClient, set_async_client_factory
from huggingface_hub.errors import HfHubHTTPError, InferenceTimeoutError
from huggingface_hub.utils import _http as hub_http

from hybridtools.core.errors import FailedPreconditionError, InvalidArgumentError, UnavailableError
from inference_svc.backends.base import BackendOutput, FinishReason, GenerationParams, TextCallback
from inference_svc.backends.tokenizer import HfChatTokenizer

_FINISH = {"length": "length", "eos_token": "stop", "stop_sequence": "stop"}


def _allow_tgi_while_hub_offline(tgi_url: str) -> None:
    """Keeps HF_HUB_OFFLINE for the Hub but not for our own TGI server.

    huggingface_hub's offline switch refuses every request its clients make,
    TGI's URL included; the services run with HF_HUB_OFFLINE=1 so that nothing
    is ever downloaded. The async client factory below applies the Hub's own
    request hook (offline check included) to every host but TGI's.
    """
    tgi_host = httpx2.URL(tgi_url).host

    async def request_hook(request: httpx2.Request) -> None:
        if request.url.host != tgi_host:
            await hub_http.async_hf_request_event_hook(request)

    def factory() -> httpx2.AsyncClient:
        return httpx2.AsyncClient(
            event_hooks={
                "request": [request_hook],
                "response": [hub_http.async_hf_response_event_hook],
            },
            follow_redirects=True,
            timeout=None,
        )

    set_async_client_factory(factory)


ROLLOUT_HINT = (
    "TGI loads LoRA adapters only at start-up: add it to the TGI Deployment's LORA_ADAPTERS "
    "(and INFERENCE_TGI_ADAPTERS) and roll it out, as docs/deployment.md describes"
)


class TgiBackend:
    name = "tgi"

    def __init__(
        self,
        url: str,
        tokenizer: HfChatTokenizer,
        adapters: Sequence[str],
        context_window: int,
        timeout_s: float = 60.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.tokenizer = tokenizer
        self.context_window = context_window
        self.base_model = ""
        self._configured_adapters = list(adapters)
        self._enabled: set[str] = set()
        self._timeout_s = timeout_s
        _allow_tgi_while_hub_offline(self.url)
        self._client = AsyncInferenceClient(model=self.url, timeout=timeout_s)

    async def start(self) -> None:
        """Reads TGI's /info; the service stays NOT_SERVING until TGI answers."""
        try:
            async with httpx2.AsyncClient(timeout=self._timeout_s) as http:
                response = await http.get(f"{self.url}/info")
                response.raise_for_status()
                info: dict[str, Any] = response.json()
        except httpx2.HTTPError as error:
            raise UnavailableError(f"TGI at {self.url} does not answer /info: {error}") from error
        self.base_model = str(info.get("model_id", ""))
        max_total = info.get("max_total_tokens")
        if isinstance(max_total, int) and max_total > 0:
            self.context_window = min(self.context_window, max_total)

    async def close(self) -> None:
        await self._client.close()

    async def generate(
        self,
        messages: Sequence[dict[str, str]],
        params: GenerationParams,
        on_text: TextCallback | None = None,
    ) -> BackendOutput:
        if params.adapter is not None and params.adapter not in self._enabled:
            raise FailedPreconditionError(
                f"adapter {params.adapter!r} is not served by TGI; {ROLLOUT_HINT}"
            )
        prompt = self.tokenizer.render(messages)
        prompt_tokens = len(self.tokenizer.chat_ids(messages))
        arguments: dict[str, Any] = {
            "max_new_tokens": params.max_new_tokens,
            "details": True,
            "adapter_id": params.adapter,
            "seed": params.seed or None,
            "do_sample": params.temperature > 0,
            "temperature": params.temperature if params.temperature > 0 else None,
            "top_p": params.top_p if 0 < params.top_p < 1 else None,
            "grammar": {"type": "json", "value": json.loads(params.json_schema)}
            if params.json_schema
            else None,
        }
        started = time.perf_counter()
        first_token_at: float | None = None
        try:
            if on_text is None:
                output = await self._client.text_generation(prompt, **arguments)
                text = output.generated_text
                finish = output.details.finish_reason if output.details else "eos_token"
                completion_tokens = output.details.generated_tokens if output.details else 0
            else:
                pieces: list[str] = []
                finish, completion_tokens = "eos_token", 0
                stream = await self._client.text_generation(prompt, stream=True, **arguments)
                async for event in stream:
                    if event.token and not event.token.special:
                        first_token_at = first_token_at or time.perf_counter()
                        pieces.append(event.token.text)
                        on_text(event.token.text)
                    if event.details is not None:
                        finish = event.details.finish_reason
                        completion_tokens = event.details.generated_tokens
                text = "".join(pieces)
        except InferenceTimeoutError as error:
            raise UnavailableError(f"TGI at {self.url} timed out: {error}") from error
        except HfHubHTTPError as error:
            status = error.response.status_code if error.response is not None else 0
            if status in (400, 422):
                raise InvalidArgumentError(f"TGI refused the request: {error}") from error
            raise UnavailableError(f"TGI at {self.url} failed: {error}") from error
        except httpx2.HTTPError as error:
            raise UnavailableError(f"TGI at {self.url} is unreachable: {error}") from error
        elapsed = time.perf_counter() - started
        decode_s = elapsed - ((first_token_at - started) if first_token_at else 0.0)
        finish_reason: FinishReason = _FINISH.get(finish, "stop")  # type: ignore[assignment]
        if params.json_schema and finish_reason == "stop":
            finish_reason = "grammar"
        return BackendOutput(
            text=text,
            finish_reason=finish_reason,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            generate_ms=elapsed * 1000,
            decode_tokens_per_second=completion_tokens / decode_s if decode_s > 0 else 0.0,
            first_token_ms=(first_token_at - started) * 1000 if first_token_at else 0.0,
        )

    def loaded_adapters(self) -> list[str]:
        return sorted(self._enabled)

    async def load_adapter(self, name: str, path: Path) -> None:
        """Enables an adapter TGI was started with; refuses any other."""
        if name not in self._configured_adapters:
            raise FailedPreconditionError(
                f"adapter {name!r} is not among TGI's adapters; {ROLLOUT_HINT}"
            )
        self._enabled.add(name)

    async def unload_adapter(self, name: str) -> None:
        self._enabled.discard(name)
