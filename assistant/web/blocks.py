"""The Gradio Blocks of `werkagenda chat`: the chat with its sources, the filters, the agenda table, the
"Over" tab and the public API. Only wiring: the logic is `ChatBackend` (backend.py), the HTML render.py."""

from __future__ import annotations

import logging
from pathlib import Path

import gradio as gr

from assistant.errors import WerkagendaError, user_message
from assistant.models import Turn
from assistant.web.backend import ALL, ChatBackend, UiAction
from assistant.web.export import context_line
from assistant.web.feedback import FeedbackStore, normalise_rating
from assistant.web.limits import api_signatures
from assistant.web.render import CHAT_EMPTY_LOG, RATING_LABELS, render_chips, status_html

log = logging.getLogger(__name__)

TITLE = "Werkagenda-assistent"

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
            if not isinstance(exc, WerkagendaError):  # a bug: its traceback goes to the log
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
            if not isinstance(exc, WerkagendaError):  # a bug: its traceback goes to the log
                log.exception("API-feedback mislukt")
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
