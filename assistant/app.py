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
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no telemetry calls from a government service

import gradio as gr  # noqa: E402

from assistant.errors import UserInputError, user_message  # noqa: E402
from assistant.export_files import ExportArea, exit_on_sigterm  # noqa: E402
from assistant.export import context_line, conversation_markdown, filters_text, source_fields  # noqa: E402
from assistant.feedback import FeedbackStore, normalise_rating  # noqa: E402
from assistant.models import Answer, Filters, Turn  # noqa: E402
from assistant.settings import Settings  # noqa: E402
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
    "Waar kan ik terecht als ik niet goed met de computer kan?",
]

TABLE_COLUMNS = [
    "Programmalijn", "Prioriteit", "Soort", "Nr.", "Tekst", "Resultaat t/m 2023", "Resultaat t/m 2025", "Uitvoerders",
]
# on screen the long header may break with a hyphen (soft hyphen); the CSV keeps the plain names
TABLE_HEADERS = ["Programma\u00adlijn", *TABLE_COLUMNS[1:]]
TABLE_SOORT = {
    "actie": "Actie", "doel": "Doel", "opgave": "Opgave", "resultaten": "Behaalde resultaten",
    "programmalijn": "Inleiding", "sectie": "Tekstdeel",
}

# --------------------------------------------------------------------------------------------
# Rendering (pure functions)
# --------------------------------------------------------------------------------------------
_CITATION_RE = re.compile(r"\[(\d{1,3})\](?![(\[])")


def esc(text: object) -> str:
    """HTML-escape text from the corpus (also `$`, which Gradio's HTML templates would interpret)."""
    return html.escape(str(text), quote=True).replace("$", "&#36;")


def safe_url(url: str) -> str:
    return url if re.match(r"^https?://[^\s\"'<>]+$", url or "") else ""


def link_citations(markdown: str, numbers: set[int]) -> str:
    """Make every [n] of the answer a link to source n in the sources panel."""
    return _CITATION_RE.sub(lambda m: f"[[{m.group(1)}]](#bron-{m.group(1)})" if int(m.group(1)) in numbers else m.group(0), markdown)


_REFERENCE_LINK_RE = re.compile(r"(?m)^(\s*)\[([^\]\n]*)\]:")
# Brackets make links and images, the rest emphasis, code, headings, lists, tables and formulas.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]{}#+\-!|~$])")


def literal_markdown(text: object) -> str:
    """What a user typed, shown as typed: no HTML, links, images, emphasis or formulas from it."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))


def inert_markdown(text: str) -> str:
    """Answer Markdown (from the corpus, a user's own document or an LLM) without live HTML, links or images.

    Gradio sanitises chat HTML as well; this keeps tags visible as text and stops a link or image
    from the text pointing anywhere, whatever the front end does. Our own [n] links are added after.
    """
    text = text.replace("<", "&lt;").replace(">", "&gt;").replace("![", "!\\[")
    text = text.replace("](", "]\\(")  # no inline link from the text: [x](javascript:…) stays text
    return _REFERENCE_LINK_RE.sub(r"\1\\[\2]:", text)  # nor a reference definition "[x]: url"


def answer_markdown(answer: Answer, filters: Mapping[str, Any] | None, linked: bool) -> str:
    text = inert_markdown(answer.answer)
    if linked:
        text = link_citations(text, {c.n for c in answer.citations})
    notes = []
    used = filters_text(filters)
    if used:
        notes.append(f"Gezocht met filters: {literal_markdown(used)}.")
    if answer.notice:
        notes.append(inert_markdown(answer.notice))
    if notes:
        text += "\n\n" + "\n".join(f"*{n}*" for n in notes)
    return text


def render_messages(turns: Sequence[dict], pending: tuple[str, str] | None = None) -> list[dict]:
    """Chatbot messages; only the last answer's [n] link to the sources panel (it shows that answer)."""
    messages: list[dict] = []
    last_answer = max((i for i, t in enumerate(turns) if "answer" in t), default=-1)
    for i, turn in enumerate(turns):
        messages.append({"role": "user", "content": literal_markdown(turn["question"])})
        if "answer" in turn:
            answer = Answer.model_validate(turn["answer"])
            messages.append({"role": "assistant", "content": answer_markdown(answer, turn.get("filters"), i == last_answer)})
        else:  # the error message may quote the user's input (a filter value)
            messages.append({"role": "assistant", "content": f"**Dat lukte niet.** {literal_markdown(turn.get('error', ''))}"})
    if pending is not None:
        messages.append({"role": "user", "content": literal_markdown(pending[0])})
        messages.append({"role": "assistant", "content": inert_markdown(pending[1]) or "*Even zoeken in de werkagenda …*"})
    return messages


SOURCES_EMPTY = (
    '<section class="wa-bronnen" aria-labelledby="bronnen-titel">'
    '<h2 id="bronnen-titel">Bronnen</h2>'
    "<p>Stel een vraag. De bronnen van het antwoord verschijnen hier volledig, met dezelfde nummers "
    "[1], [2] … als in het antwoord. Klik op een nummer in het antwoord om naar de bron te gaan.</p></section>"
)


def _field_html(label: str, value: str | list[str]) -> str:
    if isinstance(value, list):
        body = "<ul>" + "".join(f"<li>{esc(v)}</li>" for v in value) + "</ul>"
    else:
        paras = [p for p in re.split(r"\n\s*\n", value.strip()) if p.strip()]
        body = "".join(f"<p>{esc(p).replace(chr(10), '<br>')}</p>" for p in paras)
    return f"<dt>{esc(label)}</dt><dd>{body}</dd>"


def render_sources(answer: Answer | None, by_id: Mapping[str, Chunk]) -> str:
    """The sources panel: every cited item in full, numbered and anchored like the answer's [n]."""
    if answer is None:
        return SOURCES_EMPTY
    head = '<section class="wa-bronnen" aria-labelledby="bronnen-titel"><h2 id="bronnen-titel">Bronnen bij het laatste antwoord</h2>'
    if not answer.citations:
        reason = (
            "Deze vraag valt buiten de werkagenda; er zijn daarom geen bronnen."
            if not answer.in_scope else "Dit antwoord heeft geen bronnen."
        )
        return head + f"<p>{reason}</p></section>"
    mode = (
        "Het antwoord is door een taalmodel geformuleerd op basis van deze bronnen."
        if answer.mode == "llm" else "Het antwoord is letterlijk samengesteld uit deze bronnen."
    )
    parts = [head, f'<p class="wa-mode">{mode}</p><ol class="wa-bronlijst">']
    for c in answer.citations:
        chunk = by_id.get(c.id)
        parts.append(f'<li><article class="wa-bron" id="bron-{c.n}" tabindex="-1" aria-labelledby="bron-{c.n}-titel">')
        label = chunk.label if chunk else c.label
        parts.append(f'<h3 id="bron-{c.n}-titel"><span class="wa-nr">[{c.n}]</span> {esc(label)}</h3>')
        if chunk is None:
            parts.append(f"<dl>{_field_html('Tekst', c.text)}</dl>")
        else:
            parts.append(f'<p class="wa-context">{esc(context_line(chunk))}</p><dl>')
            parts.extend(_field_html(label_, value) for label_, value in source_fields(chunk))
            parts.append("</dl>")
            url = safe_url(chunk.source_url)
            if url:
                parts.append(
                    f'<p class="wa-link"><a href="{esc(url)}" target="_blank" rel="noopener noreferrer">'
                    f"Brondocument: {esc(chunk.document_title)}<span class=\"wa-sr\"> (opent in een nieuw venster)</span></a></p>"
                )
            else:
                parts.append(f'<p class="wa-link">Brondocument: {esc(chunk.document_title)}</p>')
        parts.append("</article></li>")
    parts.append("</ol></section>")
    return "".join(parts)


def status_html(text: str) -> str:
    """A status line; the page's script copies it into one persistent live region for screen readers."""
    return f'<p class="wa-status">{esc(text)}</p>'


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

    def uitvoerder_choices(self) -> list[tuple[str, str]]:
        names = sorted(self.assistant.uitvoerders(), key=_fold)
        return [("Alle uitvoerders", ALL)] + [(n, n) for n in names]

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
        """Gradio generator: stream the answer into the chat, then fill the sources panel and the export."""
        turns = list(turns or [])
        question = str(question or "").strip()
        if not question:
            yield (render_messages(turns), gr.skip(), turns, gr.skip(), status_html("Typ eerst een vraag."), gr.skip())
            return
        filters = self.filters_dict(programmalijn, prioriteit, uitvoerder, document)
        yield (render_messages(turns, (question, "")), gr.skip(), turns, gr.skip(), status_html("Bezig met zoeken …"), gr.skip())
        try:
            final: Answer | None = None
            for text, final in self.answer_stream(question, self.history(turns), filters):
                if final is None:
                    yield (render_messages(turns, (question, text)), gr.skip(), turns, gr.skip(), gr.skip(), gr.skip())
            assert final is not None
        except Exception as exc:  # shown as a Dutch message in the chat, never as a stack trace
            if not isinstance(exc, UserInputError):
                log.exception("vraag mislukt: %r", question)
            turns.append({"question": question, "error": user_message(exc)})
            yield (render_messages(turns), gr.skip(), turns, gr.skip(), status_html(user_message(exc)), gr.skip())
            return
        turns.append({
            "question": final.question or question,
            "answer": final.model_dump(mode="json"),
            "citation_ids": [c.id for c in final.citations],
            "filters": filters,
            "feedback_id": None,
        })
        n = len(final.citations)
        status = f"Antwoord ontvangen met {n} {'bron' if n == 1 else 'bronnen'}." if n else "Antwoord ontvangen."
        yield (
            render_messages(turns), render_sources(final, self.by_id), turns,
            gr.update(value=str(self.export_conversation(turns)), interactive=True), status_html(status), "",
        )

    def reset(self):
        return [], SOURCES_EMPTY, [], gr.update(value=None, interactive=False), status_html("Nieuw gesprek gestart."), "", ""

    # -- feedback -----------------------------------------------------------------------------
    def give_feedback(self, rating: str, turns, comment: str):
        turns = list(turns or [])
        index = max((i for i, t in enumerate(turns) if "answer" in t), default=-1)
        if index < 0:
            return turns, status_html("Er is nog geen antwoord om te beoordelen."), comment
        turn = dict(turns[index])
        answer = Answer.model_validate(turn["answer"])
        try:
            if turn.get("feedback_id"):
                self.feedback.update(turn["feedback_id"], rating, comment)
                message = "Je beoordeling is bijgewerkt. Dank je wel!"
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
            return turns, status_html(user_message(exc)), comment
        turns[index] = turn
        return turns, status_html(message), ""

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
        out = []
        for (chunk, row), folded in zip(self.rows, self._folded):
            if programmalijn not in (None, "", ALL) and str(chunk.programmalijn) != str(programmalijn):
                continue
            if prioriteit not in (None, "", ALL) and chunk.prioriteit != prioriteit:
                continue
            if soort not in (None, "", ALL) and chunk.soort != soort:
                continue
            if uitvoerder not in (None, "", ALL) and uitvoerder not in chunk.uitvoerders:
                continue
            if any(t not in folded for t in terms):
                continue
            out.append(row)
        return out

    def write_csv(self, rows: Sequence[dict[str, str]], key: str) -> Path:
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        folder = self.exports.new_entry("csv", digest)  # one per view, at most export_files.MAX_FILES_PER_KIND
        path = folder / "werkagenda.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as fh:  # BOM: Excel opens it as UTF-8
            writer = csv.DictWriter(fh, fieldnames=TABLE_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        self._prune_exports()
        return path

    def explore(self, zoek="", programmalijn=ALL, prioriteit=ALL, soort=ALL, uitvoerder=ALL):
        import pandas as pd

        rows = self.table_rows(zoek, programmalijn, prioriteit, soort, uitvoerder)
        frame = pd.DataFrame(rows, columns=TABLE_COLUMNS)
        frame.columns = TABLE_HEADERS
        csv_path = self.write_csv(rows, "|".join(str(v) for v in (zoek, programmalijn, prioriteit, soort, uitvoerder)))
        count = f"{len(rows)} van {len(self.rows)} onderdelen van de werkagenda."
        return frame, gr.update(value=str(csv_path)), status_html(count)


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


CSS = """
:root { --wa-blauw: #154273; --wa-lichtblauw: #eef3f8; }
.gradio-container { max-width: 1280px !important; margin: 0 auto !important; }
footer { display: none !important; }
.wa-header { background: var(--wa-blauw); color: #fff; padding: 18px 24px 16px; border-radius: 4px; }
.wa-header h1 { color: #fff !important; font-size: 1.75rem; margin: 0 0 4px; font-weight: 700; }
.wa-header p { color: #fff !important; margin: 0; font-size: 1.05rem; max-width: 60em; }
.wa-header .wa-lint { display: inline-block; background: #fff; color: var(--wa-blauw); font-weight: 700;
  padding: 2px 8px; margin-bottom: 8px; font-size: 0.85rem; letter-spacing: 0.02em; }
.wa-bronnen h2 { font-size: 1.25rem; margin: 0 0 8px; color: var(--wa-blauw); }
.wa-bronnen h3 { font-size: 1.05rem; margin: 0 0 4px; color: #1a1a1a; }
.wa-bronnen .wa-nr { color: var(--wa-blauw); font-weight: 700; }
.wa-bronnen ol.wa-bronlijst { list-style: none; padding: 0; margin: 0; }
.wa-bron { border-left: 4px solid var(--wa-blauw); background: var(--wa-lichtblauw); padding: 10px 14px;
  margin: 0 0 12px; border-radius: 0 4px 4px 0; scroll-margin-top: 16px; }
.wa-bron:focus, .wa-bron.wa-uitgelicht { outline: 3px solid #e17000; outline-offset: 2px; }
.wa-bron dl { margin: 6px 0 0; }
.wa-bron dt { font-weight: 700; margin-top: 8px; }
.wa-bron dd { margin: 2px 0 0 0; }
.wa-bron dd p { margin: 0 0 6px; }
.wa-bron dd ul { margin: 2px 0 0 1.2em; padding: 0; }
.wa-context { color: #3d3d3d; font-size: 0.95rem; margin: 0; }
.wa-mode { color: #3d3d3d; font-size: 0.95rem; }
.wa-link { margin: 8px 0 0; }
.wa-link a, .wa-bronnen a { color: var(--wa-blauw); text-decoration: underline; }
.wa-status { margin: 4px 0; color: #1a1a1a; min-height: 1.4em; }
.wa-sr { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0; }
.wa-voorbeelden button { justify-content: flex-start !important; text-align: left !important; white-space: normal !important;
  font-weight: 400 !important; border: 1px solid #154273 !important; }
.wa-voorbeelden h2 { font-size: 1.25rem; color: var(--wa-blauw); margin: 16px 0 4px; }
.wa-voorbeelden h3 { font-size: 1.05rem; margin: 8px 0 0; }
#gesprek a[href^="#bron-"] { font-weight: 700; text-decoration: none; color: var(--wa-blauw); }
#gesprek a[href^="#bron-"]:hover, #gesprek a[href^="#bron-"]:focus { text-decoration: underline; }
#agenda-tabel table, #agenda-tabel th, #agenda-tabel td, #agenda-tabel span { font-family: var(--font) !important; }
#agenda-tabel [role="gridcell"] { font-size: 0.95rem; }
#agenda-tabel [role="gridcell"] .cell-wrap { align-items: flex-start !important; }
*:focus-visible { outline: 3px solid #e17000 !important; outline-offset: 2px; }
"""

# lang="nl" is also patched into the served HTML (DutchHtmlMiddleware); this keeps it so if a script
# changes it later. The click handler lets [n] in an answer jump to (and focus) source n.
HEAD = """
<meta name="description" content="Stel vragen over de Werkagenda Waardengedreven Digitaliseren; elk antwoord noemt zijn bronnen.">
<script>
(function () {
  var root = document.documentElement;
  root.setAttribute("lang", "nl");
  new MutationObserver(function () {
    if (root.getAttribute("lang") !== "nl") root.setAttribute("lang", "nl");
  }).observe(root, { attributes: true, attributeFilter: ["lang"] });
  // One persistent live region: status lines are re-rendered by Gradio, so they cannot be one themselves.
  var live = null, seen = {};
  function announce() {
    if (!document.body) return;
    if (!live) {
      live = document.createElement("div");
      live.id = "wa-live";
      live.className = "wa-sr";
      live.setAttribute("role", "status");
      live.setAttribute("aria-live", "polite");
      document.body.appendChild(live);
    }
    Array.prototype.forEach.call(document.querySelectorAll(".wa-status"), function (el) {
      var owner = el.closest("[id]"), key = owner ? owner.id : "", text = el.textContent.trim();
      if (seen[key] !== text) {
        seen[key] = text;
        if (text) live.textContent = text;
      }
    });
  }
  function watch() {
    announce();
    new MutationObserver(announce).observe(document.body, { childList: true, subtree: true, characterData: true });
  }
  // Gradio may insert this snippet after the page has loaded.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch); else watch();
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('a[href^="#bron-"]');
    if (!link) return;
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    event.preventDefault();
    event.stopPropagation();
    target.scrollIntoView({ behavior: "smooth", block: "start" });
    target.focus({ preventScroll: true });
    target.classList.add("wa-uitgelicht");
    setTimeout(function () { target.classList.remove("wa-uitgelicht"); }, 2500);
  }, true);
})();
</script>
"""

HEADER_HTML = """
<header class="wa-header">
  <span class="wa-lint">Waardengedreven Digitaliseren</span>
  <h1>Werkagenda-assistent</h1>
  <p>Stel een vraag over de Werkagenda Waardengedreven Digitaliseren (2022). Elk antwoord verwijst met
  genummerde bronnen [1], [2] naar de prioriteit, het doel of de actie waarop het rust.</p>
</header>
"""

ABOUT_MD = """
## Over deze assistent

De assistent beantwoordt vragen over de **Werkagenda Waardengedreven Digitaliseren** (november 2022)
en het artikel *De werkagenda: een jaar onderweg* (2023). Hij zoekt de passende onderdelen van de
werkagenda op en stelt daaruit een antwoord samen. Elk feit in een antwoord heeft een nummer, zoals [1];
onder **Bronnen** staat bij dat nummer het volledige onderdeel met een link naar het brondocument.

- **Vragen die niet over de werkagenda gaan** krijgen het eerlijke antwoord dat de werkagenda daar niets over zegt.
- **Vervolgvragen** ("En wie voert die uit?") gaan over het vorige antwoord. Met **Nieuw gesprek** begin je opnieuw.
- **Filters** beperken het zoeken tot een programmalijn, prioriteit, uitvoerende organisatie of document.
- **Verken de agenda** toont de hele werkagenda als tabel, die je kunt doorzoeken, filteren en downloaden (CSV).

### Privacy
Je vragen worden niet bewaard. Alleen als je een antwoord beoordeelt (duim omhoog of omlaag) worden de
vraag, het antwoord, de bronnen, je beoordeling en je eventuele toelichting opgeslagen, om de assistent
te verbeteren. Zet daarom geen persoonsgegevens in je vraag of toelichting.

### Toegankelijkheid
Alle onderdelen zijn met het toetsenbord te bedienen: met Tab ga je naar het volgende onderdeel, met
Enter verstuur je je vraag. Een nummer als [1] in een antwoord is een link naar die bron.
"""


# --------------------------------------------------------------------------------------------
# The Blocks app
# --------------------------------------------------------------------------------------------
def build_app(assistant, feedback: FeedbackStore | None = None, export_dir: Path | None = None) -> gr.Blocks:
    """The chat interface for one opened Assistant; serve it with `serve(...)` (theme, css, lang fix)."""
    backend = ChatBackend(assistant, feedback, export_dir)
    with gr.Blocks(title=TITLE, analytics_enabled=False, delete_cache=(3600, 7200)) as demo:
        demo.backend = backend  # for serve() and tests
        turns = gr.State([])
        pending = gr.State("")
        gr.HTML(HEADER_HTML, elem_id="kop")
        with gr.Tabs():
            with gr.Tab("Vraag het de assistent", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=360):
                        chatbot = gr.Chatbot(
                            label="Gesprek", elem_id="gesprek", height=460, feedback_options=None,
                            placeholder="Stel hieronder je vraag, of kies een voorbeeldvraag.",
                            buttons=["copy"], layout="bubble", group_consecutive_messages=False,
                        )
                        question = gr.Textbox(
                            label="Je vraag", elem_id="vraag", lines=1, max_lines=4, max_length=2000,
                            placeholder="Bijvoorbeeld: Komt er een digitale identiteitswallet?",
                            info="Druk op Enter of op 'Verstuur vraag' om je vraag te versturen.",
                        )
                        with gr.Row():
                            send = gr.Button("Verstuur vraag", variant="primary", elem_id="verstuur", scale=2)
                            new = gr.Button("Nieuw gesprek", elem_id="nieuw-gesprek", size="md", scale=1)
                            export = gr.DownloadButton(
                                "Download gesprek", value=None, interactive=False, elem_id="download-gesprek",
                                size="md", scale=1,
                            )
                        status = gr.HTML(status_html(""), elem_id="status")
                        with gr.Group(elem_id="feedback"):
                            gr.Markdown("**Was het laatste antwoord nuttig?**", padding=True)
                            with gr.Row():
                                up = gr.Button("Ja, nuttig", elem_id="duim-omhoog", size="md")
                                down = gr.Button("Nee, niet nuttig", elem_id="duim-omlaag", size="md")
                            comment = gr.Textbox(
                                label="Toelichting bij je beoordeling (optioneel)", elem_id="toelichting", lines=1,
                                max_length=2000, placeholder="Wat was goed of wat ontbrak?",
                            )
                        with gr.Accordion("Filters: zoek alleen in een deel van de agenda", open=False, elem_id="filters"):
                            with gr.Row():
                                f_prog = gr.Dropdown(backend.programmalijn_choices(), value=ALL, label="Programmalijn", elem_id="filter-programmalijn")
                                f_prio = gr.Dropdown(backend.prioriteit_choices(), value=ALL, label="Prioriteit", elem_id="filter-prioriteit")
                            with gr.Row():
                                f_uitv = gr.Dropdown(backend.uitvoerder_choices(), value=ALL, label="Uitvoerder (organisatie)", elem_id="filter-uitvoerder")
                                f_doc = gr.Dropdown(backend.document_choices(), value=ALL, label="Document", elem_id="filter-document")
                    with gr.Column(scale=2, min_width=320, elem_id="bronnen-kolom"):
                        sources = gr.HTML(SOURCES_EMPTY, elem_id="bronnen")
                        example_buttons: list[tuple[gr.Button, str]] = []
                        with gr.Column(elem_classes="wa-voorbeelden", elem_id="voorbeelden"):
                            gr.Markdown("## Voorbeeldvragen\nKlik op een vraag om hem meteen te stellen.")
                            gr.Markdown("### Voor ambtenaren")
                            for q in EXAMPLES_AMBTENAAR:
                                example_buttons.append((gr.Button(q, size="md"), q))
                            gr.Markdown("### Voor burgers")
                            for q in EXAMPLES_BURGER:
                                example_buttons.append((gr.Button(q, size="md"), q))

            with gr.Tab("Verken de agenda", id="verken"):
                gr.Markdown(
                    "## De hele werkagenda\nZoek in alle prioriteiten, doelen en acties, of filter op programmalijn, "
                    "prioriteit, soort of uitvoerder. Download het resultaat als CSV-bestand."
                )
                with gr.Row():
                    t_zoek = gr.Textbox(label="Zoek in de agenda", placeholder="Bijvoorbeeld: wallet, algoritmes, BZK",
                                        elem_id="zoek-agenda", scale=2)
                    t_prog = gr.Dropdown(backend.programmalijn_choices(), value=ALL, label="Programmalijn", elem_id="tabel-programmalijn")
                    t_prio = gr.Dropdown(backend.prioriteit_choices(), value=ALL, label="Prioriteit", elem_id="tabel-prioriteit")
                with gr.Row():
                    t_soort = gr.Dropdown(backend.soort_choices(), value=ALL, label="Soort", elem_id="tabel-soort")
                    t_uitv = gr.Dropdown(backend.uitvoerder_choices(), value=ALL, label="Uitvoerder (organisatie)", elem_id="tabel-uitvoerder")
                    t_csv = gr.DownloadButton("Download als CSV", elem_id="download-csv")
                t_count = gr.HTML(status_html(""), elem_id="tabel-aantal")
                frame0, _, _ = backend.explore()
                table = gr.Dataframe(
                    value=frame0, label="Onderdelen van de werkagenda", interactive=False, wrap=True, max_height=640,
                    column_widths=["11%", "14%", "10%", "4%", "27%", "12%", "12%", "10%"], elem_id="agenda-tabel",
                    buttons=["fullscreen"],
                )

            with gr.Tab("Over deze assistent", id="over"):
                gr.Markdown(ABOUT_MD)

        # -- wiring: chat ---------------------------------------------------------------------
        ask_inputs = [pending, turns, f_prog, f_prio, f_uitv, f_doc]
        ask_outputs = [chatbot, sources, turns, export, status, comment]

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
        reset_outputs = [chatbot, sources, turns, export, status, comment, question]
        new.click(backend.reset, None, reset_outputs, queue=False, api_visibility="private")
        chatbot.clear(backend.reset, None, reset_outputs, queue=False, api_visibility="private")
        up.click(lambda t, c: backend.give_feedback("up", t, c), [turns, comment], [turns, status, comment],
                 api_visibility="private")
        down.click(lambda t, c: backend.give_feedback("down", t, c), [turns, comment], [turns, status, comment],
                   api_visibility="private")
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
