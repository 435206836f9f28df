"""A small server that speaks TGI's generate protocol and serves the real local model.

TGI needs GPUs and cannot run here. This server answers the routes the TGI
backend uses (`GET /info`, `POST /` and `/generate`, streaming as server-sent
events) with the packaged model through `hybridtools.llm`, and records each
request so the tests can check its shape (`adapter_id`, `grammar`). Like TGI,
it answers an unknown `adapter_id` with the base model, silently: the backend
must not let that happen.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from hybridtools.llm.engine import LocalEngine

# What /info reports as model_id; adapters' manifests name their base model the
# same way (the project's registry name here, a hub id for a real TGI).
MODEL_ID = "smollm2-135m-instruct"


class TgiProtocolServer:
    def __init__(self, engine: LocalEngine, adapters: dict[str, str]) -> None:
        self.engine = engine
        self.adapters = adapters  # adapter id -> path, as TGI's LORA_ADAPTERS
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        for name, path in adapters.items():
            engine.load_adapter(name, Path(path))

    def generate(self, body: dict[str, Any], on_token: Any = None) -> dict[str, Any]:
        parameters = body.get("parameters") or {}
        with self._lock:
            self.requests.append(body)
        adapter = parameters.get("adapter_id")
        if adapter not in self.adapters:
            adapter = None  # TGI's silent fallback to the base model
        grammar = parameters.get("grammar")
        schema = json.dumps(grammar["value"]) if grammar and grammar.get("type") == "json" else None
        prompt_ids = self.engine.encode(body["inputs"])
        result = self.engine.generate(
            prompt_ids,
            max_new_tokens=int(parameters.get("max_new_tokens") or 20),
            temperature=float(parameters.get("temperature") or 0.0)
            if parameters.get("do_sample")
            else 0.0,
            seed=int(parameters.get("seed") or 0),
            adapter=adapter,
            json_schema=schema,
            on_text=on_token,
        )
        finish = {"length": "length", "stop": "eos_token", "grammar": "eos_token"}[
            result.finish_reason
        ]
        return {
            "generated_text": result.text,
            "details": {
                "finish_reason": finish,
                "generated_tokens": result.completion_tokens,
                "seed": None,
            },
        }

    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def _json(self, status: int, value: Any) -> None:
                data = json.dumps(value).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/info":
                    self._json(
                        200,
                        {
                            "model_id": MODEL_ID,
                            "max_total_tokens": 4096,
                            "version": "3.3.6-protocol",
                        },
                    )
                elif self.path == "/health":
                    self._json(200, {})
                else:
                    self._json(404, {"error": "not found"})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if self.path not in ("/", "/generate", "/generate_stream"):
                    self._json(404, {"error": "not found"})
                    return
                if not body.get("stream") and self.path != "/generate_stream":
                    self._json(200, server.generate(body))
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                index = 0

                def send_token(text: str) -> None:
                    nonlocal index
                    index += 1
                    event = {
                        "index": index,
                        "token": {"id": 0, "text": text, "logprob": 0.0, "special": False},
                    }
                    self.wfile.write(f"data:{json.dumps(event)}\n\n".encode())
                    self.wfile.flush()

                final = server.generate(body, on_token=send_token)
                event = {
                    "index": index + 1,
                    "token": {"id": 0, "text": "", "logprob": 0.0, "special": True},
                    "generated_text": final["generated_text"],
                    "details": final["details"],
                }
                self.wfile.write(f"data:{json.dumps(event)}\n\n".encode())
                self.wfile.flush()

        return Handler


@contextmanager
def serving(
    engine: LocalEngine, adapters: dict[str, str]
) -> Iterator[tuple[str, TgiProtocolServer]]:
    protocol = TgiProtocolServer(engine, adapters)
    http = ThreadingHTTPServer(("127.0.0.1", 0), protocol.handler())
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_address[1]}", protocol
    finally:
        http.shutdown()
        http.server_close()
