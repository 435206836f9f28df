"""Settings every service shares; each service subclasses with its own prefix.

Values come from environment variables (`RETRIEVAL_PORT`, `INFERENCE_HOST`,
...). Cross-service settings that a person sets once for the whole system
(`HYBRIDTOOLS_DATA_DIR`, `LOG_LEVEL`, `LOG_FORMAT`) are read without a prefix.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_root() -> Path:
    """Root of all services' state: `HYBRIDTOOLS_DATA_DIR`, else ./.data."""
    return Path(os.environ.get("HYBRIDTOOLS_DATA_DIR", ".data")).resolve()


class ServiceSettings(BaseSettings):
    """Fields common to the three services. Subclasses set `env_prefix`."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    port: int = Field(default=0, ge=0, le=65535)
    # This service's state; empty = $HYBRIDTOOLS_DATA_DIR/<service>.
    data_dir: Path | None = None
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("LOG_LEVEL"))
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto", validation_alias=AliasChoices("LOG_FORMAT")
    )
    # Largest request a client may send; larger ones get RESOURCE_EXHAUSTED.
    max_message_mb: int = Field(default=64, ge=1, le=1024)
    # Seconds in-flight RPCs get to finish on SIGTERM.
    shutdown_grace_s: float = Field(default=10.0, ge=0)
    # When set, mutating RPCs need `authorization: Bearer <token>` metadata.
    admin_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("HYBRIDTOOLS_ADMIN_TOKEN")
    )

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def state_dir(self, service: str) -> Path:
        path = self.data_dir or default_data_root() / service
        path.mkdir(parents=True, exist_ok=True)
        return path
