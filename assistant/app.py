"""The Gradio chat app behind `werkagenda chat`: chat with sources, filters, the agenda table, feedback.

`build_app(assistant)` builds the Blocks; `launch(settings, host, port)` opens the assistant (building
the index first when there is none) and serves the app. The logic lives in `ChatBackend` and the
render functions (plain Python, no Gradio), so the Blocks code is only wiring.
"""

from __future__ import annotations

import csv
import hashlib
import html
import logging
import os
import re
import shutil
import sys
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no telemetry calls from a government service

import gradio as gr  # noqa: E402

from assistant.errors import UserInputError, user_message  # noqa: E402
from assistant.export_files import ExportArea, exit_on_sigterm  # noqa: E402
from assistant.export import context_line, conversation_markdown, filters_text  # noqa: E402
from assistant.feedback import FeedbackStore, normalise_rating  # noqa: E402
from assistant.models import Answer, Filters, Turn  # noqa: E402
from assistant.organisations import ORGANISATIONS, Organisation, by_code, mentions  # noqa: E402
from assistant.retrieval import names_organisation  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.ui_html import (  # noqa: E402,F401  (esc, safe_url, render_sources: used by tests and the API)
    CHAT_EMPTY, RATING_LABELS, csv_name, esc, lead_text, link_citations, render_chat, render_chips, render_sources,
    render_table, safe_url,
)
from assistant.web_limits import RequestGuard, api_signatures, exposure_problem, is_loopback  # noqa: E402
from ingest.chunking import short_title  # noqa: E402
from ingest.models import Chunk  # noqa: E402

log = logging.getLogger(__name__)

TITLE = "Werkagenda-assistent"
ALL = "alle"  # the "no filter" value of every dropdown (Filters turns it into None)
DEFAULT_CONCURRENCY = 4

EXAMPLES_AMBTENAAR = [
    "Welke acties vallen onder 2.4?",
    "Wie voert actie 4 van 2.4 uit?",
    "Wat is het resultaat t/m 2025 van actie 2 onder 4.1?",
]
EXAMPLES_BURGER = [
    "Komt er een digitale identiteitswallet?",
    # The core refuses "Waar kan ik terecht als ik niet goed met de computer kan?" (reported); an
    # example must get an answer, so this one asks the same need in the agenda's terms.
    "Hoe helpt de overheid mensen die moeite hebben met digitale vaardigheden?",
    "Wat doet de overheid tegen desinformatie?",
]

TABLE_COLUMNS = [
    "Programmalijn", "Prioriteit", "Soort", "Nr.", "Tekst", "Resultaat t/m 2023", "Resultaat t/m 2025", "Uitvoerders",
]
TABLE_SOORT = {
    "actie": "Actie", "doel": "Doel", "opgave": "Opgave", "resultaten": "Behaalde resultaten",
    "programmalijn": "Inleiding", "sectie": "Tekstdeel",
}

# --------------------------------------------------------------------------------------------
# Rendering (pure functions; the HTML itself lives in assistant/ui_html.py)
# --------------------------------------------------------------------------------------------
def status_html(text: str, announce: bool = True, spoken: str = "") -> str:
    """A status line; the page's script copies it into one persistent live region for screen readers
    (`announce=False`: shown, not spoken, e.g. "Bezig met zoeken", so that one answer is one announcement;
    `spoken`: read out after the text but not shown, e.g. the answer's first lines)."""
    live = "" if announce else ' data-live="off"'
    extra = f'<span class="wa-sr"> {esc(spoken)}</span>' if spoken else ""
    return f'<p class="wa-status"{live}>{esc(text)}{extra}</p>'


def answer_status(answer: Answer) -> str:
    """The one announcement per finished answer: how many sources (shown), and the answer's first
    lines (spoken only: sighted readers have the answer itself)."""
    n = len(answer.citations)
    head = f"Antwoord ontvangen met {n} {'bron' if n == 1 else 'bronnen'}." if n else "Antwoord ontvangen."
    tail = ""
    if answer.outcome == "not_covered" and (answer.referrals or answer.suggestions):
        tail = " Onder het antwoord staat waar je wel terechtkunt en welke vragen ik wel kan beantwoorden."
    return status_html(head, spoken=f"{lead_text(answer)}{tail}")


CHAT_EMPTY_LOG = render_chat([], {})
FILTER_KEYS = ("programmalijn", "prioriteit", "uitvoerder", "document")  # the order of the chat's dropdowns


class UiAction(BaseModel):
    """What a button inside the chat HTML sends (static/app.js, through the hidden text box)."""

    actie: Literal["vraag", "oordeel", "toelichting", "filter-weg"]
    vraag: str = Field("", max_length=2000)
    beurt: int | None = None  # 1-based answer number
    oordeel: str = ""
    toelichting: str = Field("", max_length=2000)
    filter: str = ""


# --------------------------------------------------------------------------------------------
# The agenda table (Verken de agenda)
# --------------------------------------------------------------------------------------------
def _fold(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(ch))


def _items(value) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value if str(v).strip()]
    return [str(value)] if value else []


def _bullets(items: list[str]) -> str:
    return "\n".join(f"• {i}" for i in items) if len(items) > 1 else "".join(items)


def agenda_row(chunk: Chunk) -> dict[str, str]:
    f = chunk.fields
    if chunk.soort == "actie":
        tekst = str(f.get("beschrijving") or chunk.text)
    elif chunk.soort == "doel":
        tekst = str(f.get("tekst") or chunk.text)
        indicatoren = _items(f.get("indicatoren"))
        if indicatoren:
            tekst += "\nBeoogde indicatoren:\n" + _bullets(indicatoren)
    elif chunk.soort == "resultaten":
        tekst = _bullets(_items(f.get("items"))) or chunk.text
    elif chunk.soort == "sectie":
        tekst = f"{chunk.titel}\n{chunk.text}" if chunk.titel else chunk.text
    else:
        tekst = str(f.get("tekst") or f.get("intro") or chunk.text)
    prioriteit = f"{chunk.prioriteit} {short_title(chunk.prioriteit_titel, 60)}".strip() if chunk.prioriteit else ""
    return {
        "Programmalijn": str(chunk.programmalijn or ""),
        "Prioriteit": prioriteit,
        "Soort": TABLE_SOORT.get(chunk.soort, chunk.soort),
        "Nr.": str(chunk.nummer) if chunk.soort in ("actie", "doel") and chunk.nummer is not None else "",
        "Tekst": tekst.strip(),
        "Resultaat t/m 2023": _bullets(_items(f.get("resultaat_2023"))),
        "Resultaat t/m 2025": _bullets(_items(f.get("resultaat_2025"))),
        "Uitvoerders": str(f.get("uitvoerder_tekst") or ", ".join(chunk.uitvoerders)),
    }


# --------------------------------------------------------------------------------------------
# The app's logic, without Gradio components
# --------------------------------------------------------------------------------------------
class ChatBackend:
    """Turns, filters, sources, feedback and exports for one Assistant (shared by all sessions)."""

    def __init__(self, assistant, feedback: FeedbackStore | None = None, export_dir: Path | None = None):
        self.assistant = assistant
        self.by_id: dict[str, Chunk] = {c.id: c for c in assistant.chunks}
        self.feedback = feedback or FeedbackStore.in_data_dir(assistant.settings.data_dir)
        # One bounded folder per process, removed at exit (assistant/export_files.py); a test may pass its own.
        self.exports = ExportArea(Path(export_dir).resolve()) if export_dir else ExportArea.for_process()
        self.export_dir = self.exports.path
        self.export_dir.mkdir(parents=True, exist_ok=True)
        self.agenda_doc = next((c.document for c in assistant.chunks if c.soort == "actie"), "")
        agenda = sorted((c for c in assistant.chunks if c.document == self.agenda_doc), key=lambda c: c.seq)
        self.rows: list[tuple[Chunk, dict[str, str]]] = [(c, agenda_row(c)) for c in agenda]
        self._folded = [_fold(" ".join(r.values())) for _, r in self.rows]

    # -- filter choices -----------------------------------------------------------------------
    def programmalijn_choices(self) -> list[tuple[str, str]]:
        lijnen = sorted({(c.programmalijn, c.programmalijn_titel) for c in self.assistant.chunks if c.programmalijn})
        seen: dict[int, str] = {}
        for nummer, titel in lijnen:
            seen.setdefault(nummer, titel)
        return [("Alle programmalijnen", ALL)] + [(f"{n}. {short_title(t, 70)}", str(n)) for n, t in sorted(seen.items())]

    def prioriteit_choices(self, programmalijn: str | None = None) -> list[tuple[str, str]]:
        prios: dict[str, str] = {}
        for c in self.assistant.chunks:
            if c.prioriteit and (not programmalijn or programmalijn == ALL or str(c.programmalijn) == str(programmalijn)):
                prios.setdefault(c.prioriteit, c.prioriteit_titel)
        ordered = sorted(prios.items(), key=lambda kv: tuple(int(p) if p.isdigit() else 0 for p in kv[0].split(".")))
        return [("Alle prioriteiten", ALL)] + [(f"{code} {short_title(t, 70)}", code) for code, t in ordered]

    def organisations(self) -> list[Organisation]:
        """The known organisations (the list the organisation look-up uses) that some action names as
        uitvoerder; the raw cells ("diverse uitvoerders", "alle andere departementen") are no choice."""
        cells = {str(c.fields.get("uitvoerder_tekst") or " ".join(c.uitvoerders)) for c in self.assistant.chunks
                 if c.soort == "actie"}
        return [org for org in ORGANISATIONS if any(mentions(cell, org) for cell in cells if cell)]

    def uitvoerder_choices(self) -> list[tuple[str, str]]:
        orgs = sorted(self.organisations(), key=lambda o: _fold(o.code))
        return [("Alle uitvoerders", ALL)] + [
            (o.code if _fold(o.name) == _fold(o.code) else f"{o.code} ({o.name})", o.code) for o in orgs
        ]

    def filter_names(self) -> dict[str, dict[str, str]]:
        """How a chip names a filter value: the organisation's code, the document's title."""
        docs = {value: label for label, value in self.document_choices()}
        return {"document": docs}

    def document_choices(self) -> list[tuple[str, str]]:
        docs: dict[str, str] = {}
        for c in self.assistant.chunks:
            docs.setdefault(c.document, c.document_title)
        return [("Alle documenten", ALL)] + [(title, doc) for doc, title in docs.items()]

    def soort_choices(self) -> list[tuple[str, str]]:
        present = {c.soort for c, _ in self.rows}
        return [("Alle soorten", ALL)] + [(name, key) for key, name in TABLE_SOORT.items() if key in present]

    @staticmethod
    def filters_dict(programmalijn=ALL, prioriteit=ALL, uitvoerder=ALL, document=ALL) -> dict[str, str]:
        values = {"programmalijn": programmalijn, "prioriteit": prioriteit, "uitvoerder": uitvoerder, "document": document}
        return {k: str(v) for k, v in values.items() if v not in (None, "", ALL, "Alle")}

    @staticmethod
    def make_filters(values: Mapping[str, Any]) -> Filters | None:
        if not values:
            return None
        try:
            return Filters(**values)
        except ValueError as exc:
            raise UserInputError(f"Ongeldige filterwaarde: {filters_text(values)}.") from exc

    # -- chat ---------------------------------------------------------------------------------
    def answer_stream(
        self, question: str, history: Sequence[Turn], filters: Mapping[str, Any]
    ) -> Iterator[tuple[str, Answer | None]]:
        yield from self.assistant.ask_stream(question, list(history), self.make_filters(filters))

    @staticmethod
    def history(turns: Sequence[dict]) -> list[Turn]:
        """The answered turns of a conversation, as the engine's follow-up logic needs them."""
        return [Turn(question=t["question"], citation_ids=t.get("citation_ids", [])) for t in turns if "answer" in t]

    def respond(self, question, turns, programmalijn=ALL, prioriteit=ALL, uitvoerder=ALL, document=ALL):
        """Gradio generator: stream the answer into the chat, then the answer with its own sources,
        the export and one status line. Outputs: (chat HTML, turns, export, status)."""
        turns = list(turns or [])
        question = str(question or "").strip()
        if not question:
            yield (gr.skip(), turns, gr.skip(), status_html("Typ eerst een vraag."))
            return
        filters = self.filters_dict(programmalijn, prioriteit, uitvoerder, document)
        busy = status_html("Bezig met zoeken …", announce=False)
        yield (render_chat(turns, self.by_id, (question, ""), "bezig"), turns, gr.skip(), busy)
        try:
            final: Answer | None = None
            for text, final in self.answer_stream(question, self.history(turns), filters):
                if final is None:
                    yield (render_chat(turns, self.by_id, (question, text), "bezig"), turns, gr.skip(), gr.skip())
            assert final is not None
        except Exception as exc:  # shown as a Dutch message in the chat, never as a stack trace
            if not isinstance(exc, UserInputError):
                log.exception("vraag mislukt: %r", question)
            turns.append({"question": question, "error": user_message(exc)})
            yield (render_chat(turns, self.by_id, phase="klaar"), turns, gr.skip(), status_html(user_message(exc)))
            return
        turns.append({
            "question": final.question or question,
            "answer": final.model_dump(mode="json"),
            "citation_ids": [c.id for c in final.citations],
            "filters": filters,
            "feedback_id": None,
            "rating": None,
        })
        yield (
            render_chat(turns, self.by_id, phase="klaar"), turns,
            gr.update(value=str(self.export_conversation(turns)), interactive=True), answer_status(final),
        )

    def reset(self):
        """Outputs: (chat HTML, turns, export, status, question box)."""
        return CHAT_EMPTY_LOG, [], gr.update(value=None, interactive=False), status_html("Nieuw gesprek gestart."), ""

    # -- buttons inside the chat HTML ---------------------------------------------------------
    def act(self, payload, turns, programmalijn=ALL, prioriteit=ALL, uitvoerder=ALL, document=ALL):
        """A feedback button or filter chip (sent by the page script). Outputs: (chat HTML, turns,
        status, programmalijn, prioriteit, uitvoerder, document)."""
        turns = list(turns or [])
        keep = (gr.skip(),) * 4
        try:
            action = UiAction.model_validate_json(payload or "{}")
        except ValueError:
            return (gr.skip(), turns, status_html("Die knop werkte niet; probeer het opnieuw."), *keep)
        if action.actie == "filter-weg" and action.filter in FILTER_KEYS:
            updates = tuple(gr.update(value=ALL) if key == action.filter else gr.skip() for key in FILTER_KEYS)
            name = {"programmalijn": "programmalijn", "prioriteit": "prioriteit", "uitvoerder": "uitvoerder",
                    "document": "document"}[action.filter]
            return (gr.skip(), turns, status_html(f"Het filter op {name} is weggehaald."), *updates)
        if action.actie in ("oordeel", "toelichting") and action.oordeel in RATING_LABELS and action.beurt:
            turns, status = self.give_feedback(action.oordeel, turns, action.toelichting, action.beurt - 1)
            return (render_chat(turns, self.by_id), turns, status, *keep)
        return (gr.skip(), turns, gr.skip(), *keep)

    # -- feedback -----------------------------------------------------------------------------
    def give_feedback(self, rating: str, turns, comment: str = "", index: int | None = None):
        """Store (or update) the rating of answer `index` (default: the last one). Returns (turns, status)."""
        turns = list(turns or [])
        if index is None:
            index = max((i for i, t in enumerate(turns) if "answer" in t), default=-1)
        if not (0 <= index < len(turns)) or "answer" not in turns[index]:
            return turns, status_html("Er is geen antwoord om te beoordelen.")
        turn = dict(turns[index])
        answer = Answer.model_validate(turn["answer"])
        comment = str(comment or "").strip()
        try:
            if turn.get("feedback_id"):
                self.feedback.update(turn["feedback_id"], rating, comment or turn.get("comment", ""))
                message = "Dank je wel voor je toelichting!" if comment else "Je beoordeling is bijgewerkt. Dank je wel!"
            else:
                turn["feedback_id"] = self.feedback.add(
                    answer.question, answer.answer, [c.id for c in answer.citations], rating, comment,
                    in_scope=answer.in_scope, history=[t["question"] for t in turns[:index] if "answer" in t],
                    filters=turn.get("filters") or {},
                )
                message = "Dank je wel voor je beoordeling!"
        except Exception as exc:
            if not isinstance(exc, UserInputError):
                log.exception("feedback opslaan mislukt")
            return turns, status_html(user_message(exc))
        turn["rating"] = rating
        if comment:
            turn["comment"], turn["comment_sent"] = comment, True
        turns[index] = turn
        return turns, status_html(f"{message} Je koos: {RATING_LABELS[rating]}.")

    # -- exports ------------------------------------------------------------------------------
    def _prune_exports(self) -> None:
        """At most a fixed number of downloads per kind and bytes in all (export_files.MAX_*), oldest first."""
        self.exports.enforce()

    def export_conversation(self, turns: Sequence[dict]) -> Path:
        """The conversation as Markdown. It replaces this conversation's previous export, so a long chat
        keeps one file (not one per turn), and the folder stays bounded across sessions."""
        answered = [t for t in turns if "answer" in t]
        text = conversation_markdown(
            [Answer.model_validate(t["answer"]) for t in answered], self.by_id, [t.get("filters") for t in answered]
        )
        for turn in answered[:-1]:  # the path is ours only if it lies in our folder (turns may come from a client)
            previous = turn.pop("export", None)
            if isinstance(previous, str) and self.exports.owns(previous) and Path(previous).parent != self.export_dir:
                shutil.rmtree(Path(previous).parent, ignore_errors=True)
        folder = self.exports.new_entry("gesprek", uuid.uuid4().hex)
        path = folder / f"werkagenda-gesprek-{time.strftime('%Y%m%d-%H%M')}.md"
        path.write_text(text, encoding="utf-8")
        if answered:
            answered[-1]["export"] = str(path)
        self._prune_exports()
        return path

    # -- the agenda table ---------------------------------------------------------------------
    def table_rows(self, zoek: str = "", programmalijn=ALL, prioriteit=ALL, soort=ALL, uitvoerder=ALL) -> list[dict[str, str]]:
        terms = _fold(str(zoek or "")).split()
        org = by_code(str(uitvoerder)) if uitvoerder not in (None, "", ALL) else None
        out = []
        for (chunk, row), folded in zip(self.rows, self._folded):
            if programmalijn not in (None, "", ALL) and str(chunk.programmalijn) != str(programmalijn):
                continue
            if prioriteit not in (None, "", ALL) and chunk.prioriteit != prioriteit:
                continue
            if soort not in (None, "", ALL) and chunk.soort != soort:
                continue
            # the same matching as the chat's filter: "BZ" is BZ, not BZK; full names count too
            if uitvoerder not in (None, "", ALL) and not names_organisation(chunk, org, str(uitvoerder)):
                continue
            if any(t not in folded for t in terms):
                continue
            out.append(row)
        return out

    def write_csv(self, rows: Sequence[dict[str, str]], key: str, name: str = "werkagenda.csv") -> Path:
        """The rows as a Dutch-Excel CSV: ';'-separated, UTF-8 with BOM, named after the filter."""
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        folder = self.exports.new_entry("csv", digest)  # one per view, at most export_files.MAX_FILES_PER_KIND
        path = folder / name
        with path.open("w", encoding="utf-8-sig", newline="") as fh:  # BOM: Excel opens it as UTF-8
            # Dutch Excel uses the comma as decimal separator and expects ';' between fields
            writer = csv.DictWriter(fh, fieldnames=TABLE_COLUMNS, delimiter=";", quoting=csv.QUOTE_MINIMAL)
            writer.writeheader()
            writer.writerows(rows)
        self._prune_exports()
        return path

    def explore(self, zoek="", programmalijn=ALL, prioriteit=ALL, soort=ALL, uitvoerder=ALL):
        """Outputs: (table HTML, CSV download, count)."""
        rows = self.table_rows(zoek, programmalijn, prioriteit, soort, uitvoerder)
        used = {k: ("" if v in (None, ALL) else str(v)) for k, v in
                dict(programmalijn=programmalijn, prioriteit=prioriteit, soort=soort, uitvoerder=uitvoerder).items()}
        name = csv_name(str(zoek or "").strip(), **used)
        csv_path = self.write_csv(rows, "|".join(str(v) for v in (zoek, programmalijn, prioriteit, soort, uitvoerder)), name)
        count = f"{len(rows)} van {len(self.rows)} onderdelen van de werkagenda."
        table = render_table(rows, TABLE_COLUMNS, f"Onderdelen van de werkagenda: {count}")
        return table, gr.update(value=str(csv_path), label=f"Download als CSV ({name})"), status_html(count)


# --------------------------------------------------------------------------------------------
# Look and feel
# --------------------------------------------------------------------------------------------
RIJKSBLAUW = gr.themes.Color(
    c50="#eef3f8", c100="#d7e3ef", c200="#b0c6de", c300="#809fc4", c400="#4f77a6", c500="#2b5a8c",
    c600="#154273", c700="#123a66", c800="#0f3157", c900="#0b2643", c950="#071a2f", name="rijksblauw",
)


def make_theme() -> gr.themes.Base:
    return gr.themes.Default(
        primary_hue=RIJKSBLAUW, secondary_hue=RIJKSBLAUW, neutral_hue=gr.themes.colors.gray,
        text_size=gr.themes.sizes.text_lg, radius_size=gr.themes.sizes.radius_sm,
        # Gradio's bundled Source Sans Pro SemiBold (600) is a 5 kB stub without most glyphs; 400 and 700
        # are complete, and the browser renders weight 600 with the 700 face.
        font=(gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "Verdana", "ui-sans-serif", "system-ui", "sans-serif"),
    ).set(
        body_text_color="#1a1a1a",
        body_text_color_subdued="#4b4b4b",
        block_label_text_color="#1a1a1a",
        block_title_text_color="#1a1a1a",
        block_label_text_weight="600",
        block_title_text_weight="600",
        input_placeholder_color="#5c5c5c",
        link_text_color="#154273",
        link_text_color_visited="#154273",
        link_text_color_hover="#0b2643",
        button_primary_background_fill="#154273",
        button_primary_background_fill_hover="#0b2643",
        button_primary_text_color="#ffffff",
        button_primary_border_color="#154273",
        button_secondary_background_fill="#ffffff",
        button_secondary_background_fill_hover="#eef3f8",
        button_secondary_text_color="#154273",
        button_secondary_border_color="#154273",
        color_accent="#154273",
        color_accent_soft="#eef3f8",
        border_color_accent="#154273",
        button_border_width="1px",
    )


STATIC = Path(__file__).parent / "static"
CSS = (STATIC / "app.css").read_text(encoding="utf-8")
# lang="nl" is also patched into the served HTML (DutchHtmlMiddleware); the script keeps it so and
# runs the chat's own buttons, links and live region (see its header).
# Gradio scopes `css` to its content (".gradio-container .contain …"); the page's own padding lives
# outside that, so it is set here: Gradio pads the app by 32 px a side, a fifth of a 320 px phone.
PAGE_CSS = """
@media (max-width: 600px) {
  .gradio-container .app { padding-left: 6px !important; padding-right: 6px !important; }
  .gradio-container { padding-left: 0 !important; padding-right: 0 !important; }
}
"""
HEAD = (
    '<meta name="description" content="Stel vragen over de Werkagenda Waardengedreven Digitaliseren; '
    f'elk antwoord noemt zijn bronnen.">\n<style>{PAGE_CSS}</style>\n<script>\n'
    + (STATIC / "app.js").read_text(encoding="utf-8") + "</script>\n"
)

HEADER_HTML = """
<header class="wa-header">
  <span class="wa-lint">Waardengedreven Digitaliseren</span>
  <h1>Werkagenda-assistent</h1>
  <p>Stel een vraag over de Werkagenda Waardengedreven Digitaliseren (2022). Elk antwoord verwijst met
  genummerde bronnen [1], [2] naar de prioriteit, het doel of de actie waarop het rust.</p>
</header>
"""

ABOUT_MD = f"""
## Over deze assistent

De assistent beantwoordt vragen over de **Werkagenda Waardengedreven Digitaliseren** (november 2022)
en het artikel *De werkagenda: een jaar onderweg* (2023). Hij zoekt de passende onderdelen van de
werkagenda op en stelt daaruit een antwoord samen. Elk feit in een antwoord heeft een nummer, zoals [1].
Onder elk antwoord staan **zijn eigen bronnen**: een klik op [1] opent bron 1 van dát antwoord op zijn
plaats, met het volledige onderdeel en een link naar het brondocument; "Terug naar het antwoord" brengt je
terug naar het nummer.

- **Vragen die niet over de werkagenda gaan** krijgen het eerlijke antwoord dat de werkagenda daar niets
  over zegt, met de officiële plek waar je wel terechtkunt en vragen die de assistent wel kan beantwoorden.
- **Vervolgvragen** ("En wie voert die uit?") gaan over het vorige antwoord. Met **Nieuw gesprek** begin je opnieuw.
- **Filters** beperken het zoeken tot een programmalijn, prioriteit, uitvoerende organisatie of document.
  Een actief filter staat als knop boven het invoerveld; met ✕ haal je het weg.
- **Verken de agenda** toont de hele werkagenda als tabel, die je kunt doorzoeken, filteren en downloaden
  (CSV met puntkomma's, zoals Excel in het Nederlands verwacht).

### Privacy
Je vragen worden niet blijvend bewaard. Zolang de app draait staat je gesprek in één tijdelijk bestand op
de server, zodat **Download gesprek** het kan geven; dat bestand wordt vervangen bij elk nieuw antwoord en
verwijderd als de app stopt. Alleen als je een antwoord beoordeelt (de knoppen **{RATING_LABELS["up"]}** of
**{RATING_LABELS["down"]}** onder het antwoord) worden de vraag, het antwoord, de bronnen, je beoordeling en je
eventuele toelichting opgeslagen, om de assistent te verbeteren. Zet daarom geen persoonsgegevens in je vraag
of toelichting.

### Toegankelijkheid
Alle onderdelen zijn met het toetsenbord te bedienen: met Tab ga je naar het volgende onderdeel, met
Enter verstuur je je vraag, met de pijltjestoetsen wissel je van tabblad. Een nummer als [1] in een
antwoord is een link naar die bron. Een nieuw antwoord wordt één keer voorgelezen als het klaar is.
"""


# --------------------------------------------------------------------------------------------
# The Blocks app
# --------------------------------------------------------------------------------------------
def build_app(assistant, feedback: FeedbackStore | None = None, export_dir: Path | None = None) -> gr.Blocks:
    """The chat interface for one opened Assistant; serve it with `serve(...)` (theme, css, lang fix)."""
    backend = ChatBackend(assistant, feedback, export_dir)
    names = backend.filter_names()
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(3600, 7200)) as demo:
        demo.backend = backend  # for serve() and tests
        turns = gr.State([])
        pending = gr.State("")
        gr.HTML(HEADER_HTML, elem_id="kop")
        with gr.Tabs(elem_id="tabbladen"):
            with gr.Tab("Vraag het de assistent", id="chat", elem_id="paneel-chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=280):
                        chat = gr.HTML(CHAT_EMPTY_LOG, elem_id="gesprek", padding=False)
                        with gr.Accordion("Filters: zoek alleen in een deel van de agenda", open=False, elem_id="filters"):
                            with gr.Row():
                                f_prog = gr.Dropdown(backend.programmalijn_choices(), value=ALL, label="Programmalijn",
                                                     elem_id="filter-programmalijn", min_width=200)
                                f_prio = gr.Dropdown(backend.prioriteit_choices(), value=ALL, label="Prioriteit",
                                                     elem_id="filter-prioriteit", min_width=200)
                            with gr.Row():
                                f_uitv = gr.Dropdown(backend.uitvoerder_choices(), value=ALL, label="Uitvoerder (organisatie)",
                                                     elem_id="filter-uitvoerder", min_width=200)
                                f_doc = gr.Dropdown(backend.document_choices(), value=ALL, label="Document",
                                                    elem_id="filter-document", min_width=200)
                        chips = gr.HTML("", elem_id="actieve-filters", padding=False)
                        question = gr.Textbox(
                            label="Je vraag", elem_id="vraag", lines=1, max_lines=4, max_length=2000,
                            placeholder="Bijvoorbeeld: Komt er een digitale identiteitswallet?",
                            info="Druk op Enter of op 'Verstuur vraag' om je vraag te versturen.",
                        )
                        with gr.Row():
                            send = gr.Button("Verstuur vraag", variant="primary", elem_id="verstuur", scale=2, min_width=140)
                            new = gr.Button("Nieuw gesprek", elem_id="nieuw-gesprek", size="md", scale=1, min_width=120)
                            export = gr.DownloadButton(
                                "Download gesprek", value=None, interactive=False, elem_id="download-gesprek",
                                size="md", scale=1, min_width=140,
                            )
                        status = gr.HTML(status_html(""), elem_id="status", padding=False)
                        # The page script's way into Python: buttons inside the chat HTML put a JSON
                        # action here and click one of the two buttons (rendered, never shown).
                        bridge = gr.Textbox(visible="hidden", elem_id="wa-brug", label="Actie", elem_classes="wa-verborgen")
                        bridge_ask = gr.Button("Vraag stellen", visible="hidden", elem_id="wa-brug-vraag", elem_classes="wa-verborgen")
                        bridge_act = gr.Button("Actie uitvoeren", visible="hidden", elem_id="wa-brug-actie", elem_classes="wa-verborgen")
                    with gr.Column(scale=1, min_width=240, elem_classes="wa-voorbeelden", elem_id="voorbeelden"):
                        example_buttons: list[tuple[gr.Button, str]] = []
                        gr.Markdown("## Voorbeeldvragen\nKlik op een vraag om hem meteen te stellen.")
                        gr.Markdown("### Voor ambtenaren")
                        for q in EXAMPLES_AMBTENAAR:
                            example_buttons.append((gr.Button(q, size="md"), q))
                        gr.Markdown("### Voor burgers")
                        for q in EXAMPLES_BURGER:
                            example_buttons.append((gr.Button(q, size="md"), q))

            with gr.Tab("Verken de agenda", id="verken", elem_id="paneel-verken"):
                gr.Markdown(
                    "## De hele werkagenda\nZoek in alle prioriteiten, doelen en acties, of filter op programmalijn, "
                    "prioriteit, soort of uitvoerder. Download het resultaat als CSV-bestand (met puntkomma's, "
                    "zoals Excel in het Nederlands verwacht)."
                )
                with gr.Row():
                    t_zoek = gr.Textbox(label="Zoek in de agenda", placeholder="Bijvoorbeeld: wallet, algoritmes, BZK",
                                        elem_id="zoek-agenda", scale=2, min_width=200)
                    t_prog = gr.Dropdown(backend.programmalijn_choices(), value=ALL, label="Programmalijn",
                                         elem_id="tabel-programmalijn", min_width=200)
                    t_prio = gr.Dropdown(backend.prioriteit_choices(), value=ALL, label="Prioriteit",
                                         elem_id="tabel-prioriteit", min_width=200)
                with gr.Row():
                    t_soort = gr.Dropdown(backend.soort_choices(), value=ALL, label="Soort", elem_id="tabel-soort", min_width=200)
                    t_uitv = gr.Dropdown(backend.uitvoerder_choices(), value=ALL, label="Uitvoerder (organisatie)",
                                         elem_id="tabel-uitvoerder", min_width=200)
                    t_csv = gr.DownloadButton("Download als CSV", elem_id="download-csv", min_width=200)
                t_count = gr.HTML(status_html(""), elem_id="tabel-aantal", padding=False)
                table0, _, _ = backend.explore()
                table = gr.HTML(table0, elem_id="agenda-tabel", padding=False)

            with gr.Tab("Over deze assistent", id="over", elem_id="paneel-over"):
                gr.Markdown(ABOUT_MD)

        # -- wiring: chat ---------------------------------------------------------------------
        filter_inputs = [f_prog, f_prio, f_uitv, f_doc]
        ask_inputs = [pending, turns, *filter_inputs]
        ask_outputs = [chat, turns, export, status]

        def take_question(text: str):
            return str(text or ""), ""

        def run_after(event):
            return event.then(
                backend.respond, ask_inputs, ask_outputs, api_visibility="private", concurrency_id="antwoorden",
                show_progress="hidden",
            )

        run_after(question.submit(take_question, [question], [pending, question], queue=False, api_visibility="private"))
        run_after(send.click(take_question, [question], [pending, question], queue=False, api_visibility="private"))
        for button, q in example_buttons:
            run_after(button.click(lambda q=q: q, None, [pending], queue=False, api_visibility="private"))

        def suggested(payload: str) -> str:
            try:
                return UiAction.model_validate_json(payload or "{}").vraag
            except ValueError:
                return ""

        run_after(bridge_ask.click(suggested, [bridge], [pending], queue=False, api_visibility="private"))
        bridge_act.click(backend.act, [bridge, turns, *filter_inputs], [chat, turns, status, *filter_inputs],
                         queue=False, api_visibility="private")
        new.click(backend.reset, None, [chat, turns, export, status, question], queue=False, api_visibility="private")

        def show_chips(*values):
            return render_chips(ChatBackend.filters_dict(*values), names)

        for dd in filter_inputs:
            dd.change(show_chips, filter_inputs, [chips], queue=False, api_visibility="private", show_progress="hidden")
        f_prog.change(lambda p: gr.update(choices=backend.prioriteit_choices(p), value=ALL), [f_prog], [f_prio],
                      queue=False, api_visibility="private")

        # -- wiring: the agenda table ---------------------------------------------------------
        t_inputs = [t_zoek, t_prog, t_prio, t_soort, t_uitv]
        t_outputs = [table, t_csv, t_count]
        t_zoek.change(backend.explore, t_inputs, t_outputs, api_visibility="private", trigger_mode="always_last",
                      show_progress="hidden")
        for dd in (t_prio, t_soort, t_uitv):
            dd.change(backend.explore, t_inputs, t_outputs, api_visibility="private", show_progress="hidden")
        t_prog.change(lambda p: gr.update(choices=backend.prioriteit_choices(p), value=ALL), [t_prog], [t_prio],
                      queue=False, api_visibility="private").then(
            backend.explore, t_inputs, t_outputs, api_visibility="private", show_progress="hidden")
        demo.load(backend.explore, t_inputs, t_outputs, api_visibility="private", show_progress="hidden")

        # -- the public API (gradio_client) ---------------------------------------------------
        _register_api(backend)
    return demo


def _api_error(message: str) -> gr.Error:
    """A Dutch error for API clients; user errors are not printed as tracebacks on the server."""
    return gr.Error(message, print_exception=False)


def _register_api(backend: ChatBackend) -> None:
    def ask(
        question: str, history: list[dict] | None = None, programmalijn: str = "", prioriteit: str = "",
        uitvoerder: str = "", document: str = "",
    ) -> dict:
        """Beantwoord een vraag over de werkagenda. history: eerdere beurten als {"question", "citation_ids"}."""
        try:
            turns = [Turn.model_validate(h) for h in (history or [])]
        except Exception:
            raise _api_error('history moet een lijst zijn van {"question": ..., "citation_ids": [...]}.') from None
        filters = ChatBackend.filters_dict(programmalijn, prioriteit, uitvoerder, document)
        try:
            final = None
            for _, final in backend.answer_stream(question, turns, filters):
                pass
        except Exception as exc:
            if not isinstance(exc, UserInputError):
                log.exception("API-vraag mislukt")
            raise _api_error(user_message(exc)) from None
        data = final.public_json()
        data["filters"] = filters
        data["sources"] = [
            {"n": c.n, "id": c.id, "context": context_line(backend.by_id[c.id]) if c.id in backend.by_id else "",
             "source_url": backend.by_id[c.id].source_url if c.id in backend.by_id else ""}
            for c in final.citations
        ]
        return data

    def feedback(
        question: str, answer: str, citations: list[str], rating: str, comment: str = "", in_scope: bool = True,
    ) -> dict:
        """Sla een beoordeling op: rating 'up' (duim omhoog) of 'down' (duim omlaag), met optionele toelichting."""
        try:
            feedback_id = backend.feedback.add(question, answer, citations or [], normalise_rating(rating), comment,
                                               in_scope=in_scope)
        except Exception as exc:
            raise _api_error(user_message(exc)) from None
        return {"id": feedback_id, "opgeslagen": True}

    def filters() -> dict:
        """De mogelijke filterwaarden (waarde en omschrijving) voor ask."""
        def pairs(choices):
            return [{"waarde": v, "omschrijving": label} for label, v in choices if v != ALL]

        return {
            "programmalijn": pairs(backend.programmalijn_choices()),
            "prioriteit": pairs(backend.prioriteit_choices()),
            "uitvoerder": pairs(backend.uitvoerder_choices()),
            "document": pairs(backend.document_choices()),
        }

    def agenda(zoek: str = "", programmalijn: str = "", prioriteit: str = "", soort: str = "", uitvoerder: str = "") -> list[dict]:
        """De onderdelen van de werkagenda (zoals de tabel in 'Verken de agenda'), gefilterd."""
        return backend.table_rows(zoek, programmalijn or ALL, prioriteit or ALL, soort or ALL, uitvoerder or ALL)

    gr.api(ask, api_name="ask", concurrency_id="antwoorden")
    gr.api(feedback, api_name="feedback")
    gr.api(filters, api_name="filters")
    gr.api(agenda, api_name="agenda")
    # serve() checks API calls against these signatures before Gradio sees them (Dutch 4xx, no 500)
    backend.api_signatures = api_signatures({"ask": ask, "feedback": feedback, "filters": filters, "agenda": agenda})


# --------------------------------------------------------------------------------------------
# Serving
# --------------------------------------------------------------------------------------------
class DutchHtmlMiddleware:
    """Serve HTML pages with lang="nl": Gradio's page template hard-codes lang="en" (WCAG 3.1.1)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict | None = None
        body: list[bytes] = []

        async def patched_send(message):
            nonlocal start
            if message["type"] == "http.response.start":
                headers = {k.lower(): v for k, v in message.get("headers", [])}
                if headers.get(b"content-type", b"").startswith(b"text/html") and b"content-encoding" not in headers:
                    start = message
                    return
            elif message["type"] == "http.response.body" and start is not None:
                body.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                data = b"".join(body).replace(b'lang="en"', b'lang="nl"', 1)
                headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(data)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": data})
                return
            await send(message)

        await self.app(scope, receive, patched_send)


def auth_from_env(environ: Mapping[str, str] = os.environ) -> tuple[str, str] | None:
    """WERKAGENDA_USERNAME + WERKAGENDA_PASSWORD → a login; neither → open; only one → a Dutch error."""
    user, password = environ.get("WERKAGENDA_USERNAME", ""), environ.get("WERKAGENDA_PASSWORD", "")
    if user and password:
        return user, password
    if user or password:
        raise UserInputError("Zet zowel WERKAGENDA_USERNAME als WERKAGENDA_PASSWORD om inloggen aan te zetten (of geen van beide).")
    return None


def serve(
    demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, concurrency: int = DEFAULT_CONCURRENCY,
    auth: tuple[str, str] | None = None, block: bool = True, data_dir: Path | None = None,
) -> str:
    """Start the server; returns the local URL (and, with block=True, serves until Ctrl+C)."""
    from starlette.middleware import Middleware

    backend: ChatBackend = demo.backend
    demo.queue(default_concurrency_limit=max(1, int(concurrency)), max_size=max(16, 16 * int(concurrency)))
    blocked = [str(Path(data_dir or backend.assistant.settings.data_dir).resolve())]
    _, url, _ = demo.launch(
        server_name=host, server_port=port, share=False, auth=auth,
        auth_message="Log in om de Werkagenda-assistent te gebruiken." if auth else None,
        prevent_thread_lock=True, quiet=True, show_error=False, footer_links=[], run_history=False,
        enable_monitoring=False, mcp_server=False, ssr_mode=False, pwa=False, max_file_size=0,
        allowed_paths=[str(backend.export_dir)], blocked_paths=blocked,
        # RequestGuard (assistant/web_limits.py): body limit, no uploads, login back-off, Dutch 4xx for the API
        app_kwargs={"middleware": [
            Middleware(RequestGuard, signatures=lambda: getattr(backend, "api_signatures", {})),
            Middleware(DutchHtmlMiddleware),
        ]},
        theme=make_theme(), css=CSS, head=HEAD,
    )
    if block:
        try:
            demo.block_thread()
        finally:
            demo.close()
    return url


def launch(
    settings: Settings | None = None, host: str = "127.0.0.1", port: int = 7860,
    concurrency: int = DEFAULT_CONCURRENCY, block: bool = True, auth: tuple[str, str] | None = None,
    notify: Callable[[str], None] = lambda m: print(m, file=sys.stderr, flush=True),
    on_ready: Callable[[str], None] | None = None, open_without_login: bool = False,
) -> tuple[gr.Blocks, str]:
    """Open the assistant (building the index first if needed, with progress) and serve the app.

    A network address without a login is refused unless `open_without_login` (`--open-zonder-login`).
    """
    from assistant.engine import Assistant

    settings = settings or Settings()
    auth = auth if auth is not None else auth_from_env()
    problem = exposure_problem(host, auth, open_without_login)
    if problem:
        raise UserInputError(problem)
    if block:
        exit_on_sigterm()  # SIGTERM then removes the export folder like Ctrl+C does
    started = time.perf_counter()
    notify("De assistent wordt gestart …")
    assistant = Assistant.open(settings, progress=True, notify=notify)
    demo = build_app(assistant, FeedbackStore.in_data_dir(settings.data_dir))
    url = serve(demo, host, port, concurrency, auth, block=False, data_dir=settings.data_dir)
    notify(f"De Werkagenda-assistent draait op {url} (klaar in {time.perf_counter() - started:.1f} s). Stoppen: Ctrl+C.")
    if open_without_login and not auth and not is_loopback(host):
        notify("Let op: de app is vanaf het netwerk bereikbaar zonder inloggen (--open-zonder-login).")
    if on_ready:
        on_ready(url)
    if block:
        try:
            demo.block_thread()
        except KeyboardInterrupt:
            notify("De assistent is gestopt.")
        finally:
            demo.close()
    return demo, url
