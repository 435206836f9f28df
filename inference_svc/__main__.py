"""`python -m inference_svc`: serve until SIGTERM."""

from __future__ import annotations

import asyncio
import os

from hybridtools.core.logging import configure_logging
from hybridtools.core.server import serve_forever
from inference_svc.config import InferenceSettings
from inference_svc.server import serve


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    settings = InferenceSettings()
    configure_logging(settings.log_level, settings.log_format, service="inference")

    async def run() -> None:
        await serve_forever(await serve(settings))

    asyncio.run(run())


if __name__ == "__main__":
    main()
