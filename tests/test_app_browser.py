"""End-to-end: the chat in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

`tests/browser/chat_e2e.mjs` drives the real server (shared with tests/test_app_api.py) as a civil
servant on a desktop (1280 x 800) and as a citizen on phones (390 x 844, 320 x 640): questions,
every example, a refusal and its suggestions, citations of an earlier answer, feedback, filter
chips, both downloads, the tabs, and axe-core on every tab at every width. These tests check what
the script saw; its screenshots are in test-artifacts/. `.ci/setup-browser` installs chromium and
the npm packages.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.test_app_api import app_server

ROOT = Path(__file__).resolve().parent.parent
BROWSER_DIR = ROOT / "tests" / "browser"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("WERKAGENDA_CHROMIUM", "/usr/bin/chromium")

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def browser_run(tmp_path_factory, index_settings) -> dict:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium ontbreekt ({CHROMIUM}); installeer het met .ci/setup-browser (apt-get install chromium).")
    node = shutil.which("node")
    assert node, "Node.js ontbreekt; draai .ci/setup-browser."
    assert (BROWSER_DIR / "node_modules" / "playwright-core").is_dir() and (
        BROWSER_DIR / "node_modules" / "axe-core"
    ).is_dir(), "npm-pakketten ontbreken in tests/browser; draai .ci/setup-browser."
    server = app_server(tmp_path_factory.mktemp("app"), index_settings.data_dir)
    ARTIFACTS.mkdir(exist_ok=True)
    env = {**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"}
    proc = subprocess.run(
        [node, "chat_e2e.mjs", "--url", server.url, "--artifacts", str(ARTIFACTS), "--chromium", CHROMIUM],
        cwd=BROWSER_DIR, capture_output=True, text=True, timeout=600, env=env,
    )
    assert proc.returncode == 0, f"Playwright-script faalde:\n{proc.stderr[-4000:]}"
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    (ARTIFACTS / "browser-result.json").write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    assert "error" not in result, result.get("error")
    result["_server"] = server
    return result


PHONES = ("phone390", "phone320")


def test_page_is_dutch_and_keyboard_reachable(browser_run):
    assert browser_run["lang"] == "nl"
    assert browser_run["title"] == "Werkagenda-assistent"
    assert browser_run["tabsToQuestion"] is not None  # Tab from the top of the page reaches the question box
    assert browser_run["externalRequests"] == []  # no fonts, analytics or scripts from elsewhere
    assert browser_run["consoleErrors"] == []


def test_answer_streams_with_aria_busy_and_is_announced_once(browser_run):
    assert browser_run["sawPending"] and browser_run["answerStates"] >= 2  # it streams in, from a placeholder
    assert browser_run["busyValues"][-2:] == ["true", "false"]  # busy while streaming, not after
    spoken = browser_run["spokenFirst"]
    assert len(spoken) == 1 and spoken[0].startswith("Antwoord ontvangen met 1 bron.")  # one announcement
    first = browser_run["first"]
    assert first["cites"] >= 1 and first["sources"] == 1 and not first["refused"]
    assert browser_run["firstLabel"].startswith("[1]") and "2.4 Versterken cybersecurity" in browser_run["firstLabel"]
    assert browser_run["firstSourceLink"].startswith("https://www.rijksoverheid.nl/")
    assert browser_run["citationStyle"] == "underline"


def test_every_example_question_gets_an_answer_shown_from_its_first_line(browser_run):
    examples = browser_run["examples"]
    assert len(examples) >= 5
    for ex in examples:
        assert ex["question"].endswith(ex["example"])
        assert not ex["refused"] and not ex["error"], ex
        assert ex["cites"] >= 1 and ex["sources"] >= 1 and ex["feedbackBlocks"] == 1, ex
        assert ex["inView"]["ok"], ex["inView"]  # the first line at the top of the chat, not the end
        assert len(ex["spoken"]) == 1 and ex["spoken"][0].startswith("Antwoord ontvangen"), ex["spoken"]
    # the long list answer ("Welke acties vallen onder 2.4?") is taller than the chat box: still its start
    assert any(ex["sources"] >= 5 for ex in examples)


def test_a_citation_of_the_first_answer_still_opens_its_own_source(browser_run):
    assert browser_run["answers"] >= 3
    seen = browser_run["citationAfterMany"]
    assert seen["open"] and seen["focusInCard"] and seen["inView"]
    assert seen["label"] == browser_run["firstLabel"]  # the first answer's source, not the latest answer's
    for field in ("Actie", "Resultaat t/m 2023", "Resultaat t/m 2025", "Uitvoerders", "Terug naar het antwoord"):
        assert field in seen["text"]
    assert abs(seen["pageJump"]) < 200 and browser_run["pagesAfterCitation"] == 1  # the reader keeps their place
    assert browser_run["backFocus"] == {"inFirstAnswer": True, "bron": "b1-bron-1"}  # and gets back to [1]


def test_feedback_sits_under_each_answer_with_a_pressed_state(browser_run):
    assert browser_run["feedbackBeforeAnswer"] == 0
    assert browser_run["feedbackBlocks"] == browser_run["answers"]
    assert browser_run["pressedAfterVote"] == ["antwoord-1:up"]
    assert "Dank je wel voor je toelichting" in browser_run["feedbackStatus"]
    db = browser_run["_server"].feedback_db
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT rating, citations FROM feedback WHERE comment = ?",
                            ("Duidelijk antwoord (browsertest)",)).fetchall()
    assert rows and rows[-1][0] == "up" and "wwd-2022:2.4:actie:4" in json.loads(rows[-1][1])
    assert "Ja, nuttig" in browser_run["aboutText"] and "Nee, niet nuttig" in browser_run["aboutText"]
    assert "duim" not in browser_run["aboutText"]


def test_a_refusal_links_somewhere_and_offers_clickable_questions(browser_run):
    refusal = browser_run["refusal"]
    assert refusal["refused"] and refusal["cites"] == 0
    assert refusal["referralLinks"] and all(u.startswith("https://") for u in refusal["referralLinks"])
    assert 2 <= len(refusal["suggestions"]) <= 3
    answer = browser_run["suggestionAnswer"]  # clicking the first suggestion asks it
    assert answer["question"].endswith(refusal["suggestions"][0])
    assert not answer["refused"] and answer["sources"] >= 1


def test_a_filter_shows_as_a_chip_that_can_be_removed(browser_run):
    options = browser_run["uitvoerderOptions"]
    assert options[0] == "Alle uitvoerders" and "VNG (Vereniging van Nederlandse Gemeenten)" in options
    assert not any("diverse" in o or "andere departementen" in o for o in options)  # normalised, not raw cells
    assert len(options) < 60
    assert browser_run["chips"] and browser_run["chips"][0].startswith("Uitvoerder: VNG")
    assert "Gezocht met filters: uitvoerder = VNG" in browser_run["filtered"]["textEnd"]
    assert browser_run["chipsAfterRemove"] == 0 and browser_run["uitvoerderAfterRemove"] == "Alle uitvoerders"


def test_conversation_and_table_downloads(browser_run):
    md = browser_run["exportText"]
    assert browser_run["exportName"].endswith(".md")
    assert md.startswith("# Gesprek met de Werkagenda-assistent")
    assert "## Vraag 1: Wie voert actie 4 van 2.4 uit?" in md and "## Vraag 2: Welke acties vallen onder 2.4?" in md
    assert "#### [1] Werkagenda 2022 · 2.4 Versterken cybersecurity · actie 4" in md and "**Resultaat t/m 2025:**" in md
    assert browser_run["csvName"] == "werkagenda-acties-vng.csv"
    assert browser_run["csvBom"] == "efbbbf"  # UTF-8 BOM: Excel reads it as UTF-8
    text = browser_run["csvText"].lstrip("\ufeff")
    assert text.splitlines()[0] == "Programmalijn;Prioriteit;Soort;Nr.;Tekst;Resultaat t/m 2023;Resultaat t/m 2025;Uitvoerders"
    header, first = list(csv.reader(io.StringIO(text), delimiter=";"))[:2]  # multi-line cells are quoted
    row = dict(zip(header, first))
    assert len(first) == len(header) and row["Soort"] == "Actie" and re.search(r"\bVNG\b", row["Uitvoerders"])


def test_agenda_table_search_and_filters(browser_run):
    total = browser_run["tableCountAll"].split()
    assert total[0] == total[2]  # "191 van 191"
    assert 0 < browser_run["tableRowsWallet"] < int(total[0])
    assert browser_run["tableCountWallet"].startswith(f"{browser_run['tableRowsWallet']} van")
    assert browser_run["tableRowsVng"] == int(browser_run["tableCountVng"].split()[0]) > 0
    assert all(re.search(r"\bVNG\b", cell) for cell in browser_run["tableUitvoerdersVng"])


def test_tabs_follow_the_aria_tabs_pattern_and_keep_one_width(browser_run):
    tab = browser_run["arrowTab"]
    assert tab["focused"] == tab["selected"] == "Verken de agenda"  # ArrowRight moved to the next tab
    assert tab["controls"] == "paneel-verken" and tab["controlsExists"]
    widths = browser_run["panelWidths"]
    assert len(set(widths.values())) == 1, widths  # no width jump between the tabs
    assert browser_run["duplicateIdsChat"] == []


@pytest.mark.parametrize("width", ["desktop", *PHONES])
def test_no_horizontal_scrolling_on_any_tab(browser_run, width):
    seen = browser_run["widths"][width]
    for tab in ("chat", "verken", "over"):
        assert seen[tab]["scrollWidth"] <= seen[tab]["innerWidth"], (tab, seen[tab])
    if width in PHONES:
        assert seen["chatAfterCard"]["scrollWidth"] <= seen["chatAfterCard"]["innerWidth"]  # with a source open
        assert seen["rowDisplay"] == "block" and seen["headerHidden"]  # table rows as stacked cards
        assert seen["chatBox"]["height"] <= seen["chatBox"]["viewport"]  # the chat fits the screen
        assert seen["firstInView"]["ok"], seen["firstInView"]
        # screen-reader names are Dutch, also in an English browser (Gradio's own labels included)
        english = re.compile(r"\b(chatbot|conversation|copy|message|more|tabs?|close|clear|share|fullscreen|dropdown)\b", re.I)
        assert seen["names"] and not [n for n in seen["names"] if english.search(n)], seen["names"]


def test_no_accessibility_violations_on_any_tab_at_any_width(browser_run):
    scans = browser_run["axe"]
    assert set(scans) == {f"{w}-{t}" for w in ("desktop", *PHONES) for t in ("chat", "verken", "over")}
    for label, report in scans.items():
        assert report["passes"] > 10, label
        assert report["violations"] == [], (label, json.dumps(report["violations"], indent=2, ensure_ascii=False))


def test_screenshots_are_saved(browser_run):
    for name in ("desktop-chat", "desktop-weigering", "desktop-filter", "desktop-verken", "phone390-chat",
                 "phone390-verken", "phone320-chat", "phone320-verken"):
        shot = ARTIFACTS / f"{name}.png"
        assert shot.is_file() and shot.stat().st_size > 10_000, name
