"""End-to-end: the chat in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

`tests/browser/chat_e2e.mjs` types a question, waits for the streamed answer with citation [1],
follows it to the sources panel, gives feedback, searches the agenda table and runs axe-core on
both tabs; this test starts the real server (shared with tests/test_app_api.py) and checks what the
script saw. `.ci/setup-browser` installs chromium and the npm packages.
"""

from __future__ import annotations

import json
import os
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


def _blocking(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in ("serious", "critical")]


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


def test_page_is_dutch_and_keyboard_reachable(browser_run):
    assert browser_run["lang"] == "nl"
    assert browser_run["title"] == "Werkagenda-assistent"
    assert browser_run["tabsToQuestion"] is not None  # Tab from the top of the page reaches the question box
    assert browser_run["externalRequests"] == []  # no fonts, analytics or scripts from elsewhere


def test_question_streams_an_answer_with_citation(browser_run):
    assert browser_run["sawPending"]  # the answer appears progressively, starting with a placeholder
    assert browser_run["answerStates"] >= 2
    assert "[1]" in browser_run["answerText"] and "BZK" in browser_run["answerText"]
    assert browser_run["citationLinks"] >= 1


def test_sources_panel_matches_the_citation_numbers(browser_run):
    text = browser_run["sourceText"]
    assert text.startswith("[1]") and "2.4 Versterken cybersecurity" in text
    for field in ("Actie", "Resultaat t/m 2023", "Resultaat t/m 2025", "Uitvoerders"):
        assert field in text
    assert browser_run["sourceLink"].startswith("https://www.rijksoverheid.nl/")
    # clicking [1] in the answer moves focus to source 1 in the panel, in the same tab
    assert browser_run["focusAfterCitation"] == "bron-1"
    assert browser_run["sourceInView"] and browser_run["pagesAfterCitation"] == 1


def test_feedback_from_the_browser_is_stored(browser_run):
    assert "Dank je wel" in browser_run["feedbackStatus"]
    db = browser_run["_server"].feedback_db
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT rating, citations FROM feedback WHERE comment = ?",
                            ("Duidelijk antwoord (browsertest)",)).fetchall()
    assert rows and rows[-1][0] == "up" and "wwd-2022:2.4:actie:4" in json.loads(rows[-1][1])


def test_example_question_and_agenda_table(browser_run):
    assert "Onder prioriteit 2.4" in browser_run["exampleAnswer"] and "[1]" in browser_run["exampleAnswer"]
    assert browser_run["exampleSources"] >= 2  # one source per listed action
    assert "Antwoord ontvangen" in browser_run["liveRegion"]  # announced to screen readers
    assert browser_run["tableCountAll"].split()[0] == browser_run["tableCountAll"].split()[2]  # "191 van 191"
    assert 0 < browser_run["tableRowsWallet"] < int(browser_run["tableCountAll"].split()[0])


def test_conversation_and_table_downloads(browser_run):
    md = browser_run["exportText"]
    assert browser_run["exportName"].endswith(".md")
    assert md.startswith("# Gesprek met de Werkagenda-assistent")
    assert "## Vraag 1: Wie voert actie 4 van 2.4 uit?" in md and "## Vraag 2: Welke acties vallen onder 2.4?" in md
    assert "#### [1] Werkagenda 2022 · 2.4 Versterken cybersecurity · actie 4" in md and "**Resultaat t/m 2025:**" in md
    csv_text = browser_run["csvText"].lstrip("\ufeff")
    assert browser_run["csvName"].endswith(".csv")
    assert csv_text.startswith("Programmalijn,Prioriteit,Soort,Nr.,Tekst,Resultaat t/m 2023,Resultaat t/m 2025,Uitvoerders")
    assert "wallet" in csv_text.lower()


def test_no_serious_or_critical_accessibility_violations(browser_run):
    for scan in ("axeChat", "axeTable"):
        report = browser_run[scan]
        assert report["passes"] > 10
        assert _blocking(report["violations"]) == [], json.dumps(report["violations"], indent=2, ensure_ascii=False)


def test_screenshot_is_saved(browser_run):
    shot = ARTIFACTS / "chat.png"
    assert shot.is_file() and shot.stat().st_size > 20_000
