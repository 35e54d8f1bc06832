"""The Gradio Blocks of `werkagenda chat`: the chat with its sources, the filters, the agenda table, the
"Over" tab and the public API. Only wiring: the logic is `ChatBackend` (backend.py), the HTML render.py."""

from __future__ import annotations

import logging
from pathlib import Path

import gradio as gr

from assistant.errors import WerkagendaError, user_message
from assistant.models import Turn
from assistant.web.backend import ALL, FILTER_KEYS, KEEP, ChatBackend, Download, Keep, UiAction
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


def _static(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


CSS = _static("app.css")
# The page's own head: its description, the CSS outside Gradio's scope (page.css) and the script that keeps
# lang="nl" (also patched into the served HTML, server.DutchHtmlMiddleware) and runs the chat's own buttons,
# links, live region and downloads (see its header).
HEAD = f"{_static('head.html')}<style>\n{_static('page.css')}</style>\n<script>\n{_static('app.js')}</script>\n"
HEADER_HTML = _static("header.html")
ABOUT_MD = _static("over.md").replace("{up}", RATING_LABELS["up"]).replace("{down}", RATING_LABELS["down"])


# --------------------------------------------------------------------------------------------
# The Blocks app
# --------------------------------------------------------------------------------------------
def _out(value):
    """A backend value as a Gradio output: KEEP leaves the component as it is."""
    return gr.skip() if value is KEEP else value


def _download_state(can: bool | Keep):
    return gr.skip() if can is KEEP else gr.update(interactive=bool(can))


def build_app(assistant, feedback: FeedbackStore | None = None) -> gr.Blocks:
    """The chat interface for one opened Assistant; serve it with `serve(...)` (theme, css, lang fix)."""
    backend = ChatBackend(assistant, feedback)
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
                            export = gr.Button(
                                "Download gesprek", interactive=False, elem_id="download-gesprek",
                                size="md", scale=1, min_width=140,
                            )
                        status = gr.HTML(status_html(""), elem_id="status", padding=False)
                        # The page script's way into Python: buttons inside the chat HTML put a JSON
                        # action here and click one of the two buttons (rendered, never shown).
                        bridge = gr.Textbox(visible="hidden", elem_id="wa-brug", label="Actie", elem_classes="wa-verborgen")
                        bridge_ask = gr.Button("Vraag stellen", visible="hidden", elem_id="wa-brug-vraag", elem_classes="wa-verborgen")
                        bridge_act = gr.Button("Actie uitvoeren", visible="hidden", elem_id="wa-brug-actie", elem_classes="wa-verborgen")
                        # A download's text on its way to the browser (app.js waDownload saves it there).
                        file_out = gr.Textbox(visible="hidden", elem_id="wa-bestand", label="Bestand", elem_classes="wa-verborgen")
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
                    t_csv = gr.Button("Download als CSV", elem_id="download-csv", min_width=200)
                t_count = gr.HTML(status_html(""), elem_id="tabel-aantal", padding=False)
                table = gr.HTML(backend.explore().table, elem_id="agenda-tabel", padding=False)

            with gr.Tab("Over deze assistent", id="over", elem_id="paneel-over"):
                gr.Markdown(ABOUT_MD)

        # -- wiring: chat ---------------------------------------------------------------------
        filter_inputs = [f_prog, f_prio, f_uitv, f_doc]
        ask_inputs = [pending, turns, *filter_inputs]
        ask_outputs = [chat, turns, export, status]

        def take_question(text: str):
            return str(text or ""), ""

        def respond(*args):
            for view in backend.respond(*args):
                yield _out(view.chat), view.turns, _download_state(view.can_download), _out(view.status)

        def run_after(event):
            return event.then(
                respond, ask_inputs, ask_outputs, api_visibility="private", concurrency_id="antwoorden",
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
        def act(payload, turns_now):
            view = backend.act(payload, turns_now)
            dropdowns = [gr.update(value=ALL) if key == view.cleared_filter else gr.skip() for key in FILTER_KEYS]
            return _out(view.chat), view.turns, _out(view.status), *dropdowns

        def reset():
            view = backend.reset()
            return view.chat, view.turns, _download_state(view.can_download), view.status, ""

        def save(download: Download | None):
            """The file's text for the browser; the `.then` below saves it there (nothing on the server's disk)."""
            return download.payload() if download else gr.skip()

        bridge_act.click(act, [bridge, turns], [chat, turns, status, *filter_inputs], queue=False, api_visibility="private")
        new.click(reset, None, [chat, turns, export, status, question], queue=False, api_visibility="private")
        export.click(lambda t: save(backend.conversation_download(t)), [turns], [file_out], api_visibility="private",
                     show_progress="hidden").then(None, [file_out], None, js="(p) => window.waDownload(p)")

        def show_chips(*values):
            return render_chips(ChatBackend.filters_dict(*values), names)

        for dd in filter_inputs:
            dd.change(show_chips, filter_inputs, [chips], queue=False, api_visibility="private", show_progress="hidden")
        f_prog.change(lambda p: gr.update(choices=backend.prioriteit_choices(p), value=ALL), [f_prog], [f_prio],
                      queue=False, api_visibility="private")

        # -- wiring: the agenda table ---------------------------------------------------------
        t_inputs = [t_zoek, t_prog, t_prio, t_soort, t_uitv]
        t_outputs = [table, t_csv, t_count]

        def explore(*values):
            view = backend.explore(*values)
            return view.table, gr.update(value=view.csv_label), view.count

        t_zoek.change(explore, t_inputs, t_outputs, api_visibility="private", trigger_mode="always_last",
                      show_progress="hidden")
        for dd in (t_prio, t_soort, t_uitv):
            dd.change(explore, t_inputs, t_outputs, api_visibility="private", show_progress="hidden")
        t_prog.change(lambda p: gr.update(choices=backend.prioriteit_choices(p), value=ALL), [t_prog], [t_prio],
                      queue=False, api_visibility="private").then(
            explore, t_inputs, t_outputs, api_visibility="private", show_progress="hidden")
        demo.load(explore, t_inputs, t_outputs, api_visibility="private", show_progress="hidden")

        t_csv.click(lambda *v: save(backend.csv_download(*v)), t_inputs, [file_out], api_visibility="private",
                    show_progress="hidden").then(None, [file_out], None, js="(p) => window.waDownload(p)")

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
