"""`python -m trainer_svc`: serve until SIGTERM."""

from __future__ import annotations

import asyncio
import os

from hybridtools.core.logging import configure_logging
from hybridtools.core.server import serve_forever
from trainer_svc.config import TrainerSettings
from trainer_svc.server import serve


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    settings = TrainerSettings()
    configure_logging(settings.log_level, settings.log_format, service="trainer")

    async def run() -> None:
        await serve_forever(await serve(settings))

    asyncio.run(run())


if __name__ == "__main__":
    main()
