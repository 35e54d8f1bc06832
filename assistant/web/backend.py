"""The chat app's logic, without Gradio: turns, filters, sources, feedback, downloads and the agenda table
for one opened Assistant (shared by all sessions). It returns plain views (`ChatView`, `TableView`,
`Download`); `blocks.py` turns them into Gradio updates. Nothing here writes a file: a download is text that
the page saves in the browser, so a conversation never lands on the server's disk (the feedback a user
chooses to give is the one thing stored, in the data dir's SQLite file)."""

from __future__ import annotations

import csv
import io
import json
import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from assistant.errors import WerkagendaError, user_message
from assistant.models import Answer, Turn, parse_filters
from assistant.organisations import ORGANISATIONS, Organisation, by_code, mentions
from assistant.retrieval import names_organisation
from assistant.text import as_list, fold
from assistant.web.export import SOORT_NAMES, conversation_markdown
from assistant.web.feedback import FeedbackStore
from assistant.web.render import (
    CHAT_EMPTY_LOG, RATING_LABELS, answer_status, csv_name, render_chat, render_table, status_html,
)
from ingest.chunking import short_title
from ingest.models import Chunk

log = logging.getLogger(__name__)

ALL = "alle"  # the "no filter" value of every dropdown (Filters turns it into None)

TABLE_COLUMNS = [
    "Programmalijn", "Prioriteit", "Soort", "Nr.", "Tekst", "Resultaat t/m 2023", "Resultaat t/m 2025", "Uitvoerders",
]
TABLE_SOORT = {**SOORT_NAMES, "opgave": "Opgave", "programmalijn": "Inleiding"}  # short, for a table column

FILTER_KEYS = ("programmalijn", "prioriteit", "uitvoerder", "document")  # the order of the chat's dropdowns


class Keep:
    """An output to leave as it is (the Blocks layer sends gr.skip())."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = Keep()


@dataclass(frozen=True)
class ChatView:
    """What one step of the chat shows: the chat HTML, the turns, the status line, whether the conversation
    can be downloaded, and (after ✕ on a chip) which filter dropdown goes back to "alle"."""

    chat: str | Keep
    turns: list[dict]
    status: str | Keep = KEEP
    can_download: bool | Keep = KEEP
    cleared_filter: str | None = None


@dataclass(frozen=True)
class TableView:
    table: str
    count: str  # status HTML
    csv_label: str


@dataclass(frozen=True)
class Download:
    """A file the browser saves (app.js `waDownload`): nothing is written on the server."""

    name: str
    text: str
    mime: str = "text/markdown"

    def payload(self) -> str:
        return json.dumps({"naam": self.name, "tekst": self.text, "type": self.mime}, ensure_ascii=False)


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
def _bullets(items: list[str]) -> str:
    return "\n".join(f"• {i}" for i in items) if len(items) > 1 else "".join(items)


def agenda_row(chunk: Chunk) -> dict[str, str]:
    f = chunk.fields
    if chunk.soort == "actie":
        tekst = str(f.get("beschrijving") or chunk.text)
    elif chunk.soort == "doel":
        tekst = str(f.get("tekst") or chunk.text)
        indicatoren = as_list(f.get("indicatoren"))
        if indicatoren:
            tekst += "\nBeoogde indicatoren:\n" + _bullets(indicatoren)
    elif chunk.soort == "resultaten":
        tekst = _bullets(as_list(f.get("items"))) or chunk.text
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
        "Resultaat t/m 2023": _bullets(as_list(f.get("resultaat_2023"))),
        "Resultaat t/m 2025": _bullets(as_list(f.get("resultaat_2025"))),
        "Uitvoerders": str(f.get("uitvoerder_tekst") or ", ".join(chunk.uitvoerders)),
    }


def csv_text(rows: Sequence[dict[str, str]]) -> str:
    """The rows as a Dutch-Excel CSV: ';'-separated (Dutch Excel uses the comma as decimal separator),
    with a BOM so that Excel opens it as UTF-8."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=TABLE_COLUMNS, delimiter=";", quoting=csv.QUOTE_MINIMAL)
    writer.writeheader()
    writer.writerows(rows)
    return "\ufeff" + out.getvalue()


# --------------------------------------------------------------------------------------------
# The app's logic
# --------------------------------------------------------------------------------------------
class ChatBackend:
    """Turns, filters, sources, feedback and downloads for one Assistant (shared by all sessions)."""

    def __init__(self, assistant, feedback: FeedbackStore | None = None):
        self.assistant = assistant
        self.by_id: dict[str, Chunk] = {c.id: c for c in assistant.chunks}
        self.feedback = feedback or FeedbackStore.in_data_dir(assistant.settings.data_dir)
        agenda = sorted((c for c in assistant.chunks if c.document == assistant.agenda_doc), key=lambda c: c.seq)
        self.rows: list[tuple[Chunk, dict[str, str]]] = [(c, agenda_row(c)) for c in agenda]
        self._folded = [fold(" ".join(r.values())) for _, r in self.rows]

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
        orgs = sorted(self.organisations(), key=lambda o: fold(o.code))
        return [("Alle uitvoerders", ALL)] + [
            (o.code if fold(o.name) == fold(o.code) else f"{o.code} ({o.name})", o.code) for o in orgs
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

    # -- chat ---------------------------------------------------------------------------------
    def answer_stream(
        self, question: str, history: Sequence[Turn], filters: Mapping[str, Any]
    ) -> Iterator[tuple[str, Answer | None]]:
        yield from self.assistant.ask_stream(question, list(history), parse_filters(filters))

    @staticmethod
    def history(turns: Sequence[dict]) -> list[Turn]:
        """The answered turns of a conversation, as the engine's follow-up logic needs them."""
        return [Turn(question=t["question"], citation_ids=t.get("citation_ids", [])) for t in turns if "answer" in t]

    def respond(self, question, turns, programmalijn=ALL, prioriteit=ALL, uitvoerder=ALL, document=ALL) -> Iterator[ChatView]:
        """Stream the answer into the chat, then the answer with its own sources and one status line."""
        turns = list(turns or [])
        question = str(question or "").strip()
        if not question:
            yield ChatView(KEEP, turns, status_html("Typ eerst een vraag."))
            return
        filters = self.filters_dict(programmalijn, prioriteit, uitvoerder, document)
        yield ChatView(render_chat(turns, self.by_id, (question, ""), "bezig"), turns,
                       status_html("Bezig met zoeken …", announce=False))
        try:
            final: Answer | None = None
            for text, final in self.answer_stream(question, self.history(turns), filters):
                if final is None:
                    yield ChatView(render_chat(turns, self.by_id, (question, text), "bezig"), turns)
            assert final is not None
        except Exception as exc:  # shown as a Dutch message in the chat, never as a stack trace
            if not isinstance(exc, WerkagendaError):  # a bug: its traceback goes to the log
                log.exception("vraag mislukt: %r", question)
            turns.append({"question": question, "error": user_message(exc)})
            yield ChatView(render_chat(turns, self.by_id, phase="klaar"), turns, status_html(user_message(exc)))
            return
        turns.append({
            "question": final.question or question,
            "answer": final.model_dump(mode="json"),
            "citation_ids": [c.id for c in final.citations],
            "filters": filters,
            "feedback_id": None,
            "rating": None,
        })
        yield ChatView(render_chat(turns, self.by_id, phase="klaar"), turns, answer_status(final), can_download=True)

    def reset(self) -> ChatView:
        return ChatView(CHAT_EMPTY_LOG, [], status_html("Nieuw gesprek gestart."), can_download=False)

    # -- buttons inside the chat HTML ---------------------------------------------------------
    def act(self, payload, turns) -> ChatView:
        """A feedback button or filter chip (sent by the page script)."""
        turns = list(turns or [])
        try:
            action = UiAction.model_validate_json(payload or "{}")
        except ValueError:
            return ChatView(KEEP, turns, status_html("Die knop werkte niet; probeer het opnieuw."))
        if action.actie == "filter-weg" and action.filter in FILTER_KEYS:
            return ChatView(KEEP, turns, status_html(f"Het filter op {action.filter} is weggehaald."),
                            cleared_filter=action.filter)
        if action.actie in ("oordeel", "toelichting") and action.oordeel in RATING_LABELS and action.beurt:
            turns, status = self.give_feedback(action.oordeel, turns, action.toelichting, action.beurt - 1)
            return ChatView(render_chat(turns, self.by_id), turns, status)
        return ChatView(KEEP, turns)

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
            if not isinstance(exc, WerkagendaError):  # a bug: its traceback goes to the log
                log.exception("feedback opslaan mislukt")
            return turns, status_html(user_message(exc))
        turn["rating"] = rating
        if comment:
            turn["comment"], turn["comment_sent"] = comment, True
        turns[index] = turn
        return turns, status_html(f"{message} Je koos: {RATING_LABELS[rating]}.")

    # -- downloads (made when the user asks, saved by the browser) -----------------------------
    def conversation_download(self, turns: Sequence[dict]) -> Download | None:
        """The conversation as Markdown with its sources; None when nothing has been answered yet."""
        answered = [t for t in (turns or []) if isinstance(t, Mapping) and "answer" in t]
        if not answered:
            return None
        text = conversation_markdown(
            [Answer.model_validate(t["answer"]) for t in answered], self.by_id, [t.get("filters") for t in answered]
        )
        return Download(f"werkagenda-gesprek-{time.strftime('%Y%m%d-%H%M')}.md", text)

    # -- the agenda table ---------------------------------------------------------------------
    def table_rows(self, zoek: str = "", programmalijn=ALL, prioriteit=ALL, soort=ALL, uitvoerder=ALL) -> list[dict[str, str]]:
        terms = fold(str(zoek or "")).split()
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

    @staticmethod
    def _csv_name(zoek, programmalijn, prioriteit, soort, uitvoerder) -> str:
        used = {k: ("" if v in (None, ALL) else str(v)) for k, v in
                dict(programmalijn=programmalijn, prioriteit=prioriteit, soort=soort, uitvoerder=uitvoerder).items()}
        return csv_name(str(zoek or "").strip(), **used)

    def explore(self, zoek="", programmalijn=ALL, prioriteit=ALL, soort=ALL, uitvoerder=ALL) -> TableView:
        rows = self.table_rows(zoek, programmalijn, prioriteit, soort, uitvoerder)
        name = self._csv_name(zoek, programmalijn, prioriteit, soort, uitvoerder)
        count = f"{len(rows)} van {len(self.rows)} onderdelen van de werkagenda."
        table = render_table(rows, TABLE_COLUMNS, f"Onderdelen van de werkagenda: {count}")
        return TableView(table, status_html(count), f"Download als CSV ({name})")

    def csv_download(self, zoek="", programmalijn=ALL, prioriteit=ALL, soort=ALL, uitvoerder=ALL) -> Download:
        rows = self.table_rows(zoek, programmalijn, prioriteit, soort, uitvoerder)
        return Download(self._csv_name(zoek, programmalijn, prioriteit, soort, uitvoerder), csv_text(rows), "text/csv")
