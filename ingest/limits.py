"""Limits on what a user may add with `werkagenda ingest PATH` (settable; defaults fit this 2-core machine).

Evidence for the defaults (README "Grenzen"): embedding runs at about 3 chunks/s here, so
MAX_CHUNKS_PER_FILE = 2,000 (10x the whole shipped corpus) is at most ~11 minutes of embedding for one
file; a text of MAX_FILE_MB = 20 MB parses in seconds and stays far below the memory of this machine.
The issue's 200 MB text (212,111 chunks, ~16 h) and 43 MB file with 1 M headings are refused up front.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MAX_FILE_MB = 20.0
MAX_CHUNKS_PER_FILE = 2000


class IngestLimits(BaseSettings):
    """WERKAGENDA_MAX_FILE_MB and WERKAGENDA_MAX_CHUNKS (or `ingest --max-mb/--max-chunks`)."""

    model_config = SettingsConfigDict(env_prefix="WERKAGENDA_", extra="ignore")

    max_file_mb: float = Field(default=MAX_FILE_MB, gt=0)
    max_chunks: int = Field(default=MAX_CHUNKS_PER_FILE, gt=0)

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1_000_000)
