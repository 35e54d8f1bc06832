"""HTML for the chat app, as pure functions: the conversation, each answer's sources, refusals, filter
chips, the agenda table and the CSV's name.

The chat is our own HTML (not Gradio's Chatbot) so that every answer can keep its own sources
under it, a refusal can carry links and question buttons, feedback sits under the answer it rates,
and every screen-reader name is Dutch. Buttons carry `data-actie`; the page script (static/app.js)
hands them to the server through one hidden text box.

Everything from the corpus, a user or an LLM is escaped or rendered as inert Markdown (no HTML,
no links, no images from the text); only the links this module builds are live.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from markdown_it import MarkdownIt

from assistant.web.export import context_line, filters_text, source_fields
from assistant.models import Answer, Citation
from ingest.clean import slugify
from ingest.models import Chunk

# --------------------------------------------------------------------------------------------
# Escaping and inert Markdown
# --------------------------------------------------------------------------------------------
_CITATION_RE = re.compile(r"\[(\d{1,3})\](?![(\[])")
_REFERENCE_LINK_RE = re.compile(r"(?m)^(\s*)\[([^\]\n]*)\]:")
# Brackets make links and images, the rest emphasis, code, headings, lists, tables and formulas.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]{}#+\-!|~$])")
# html=False: tags in the text are shown as text; links/images from the text are escaped before.
_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_SOURCES_HEADING = re.compile(r"(?m)^\*\*Bronnen\*\*\s*$")


def esc(text: object) -> str:
    """HTML-escape text (also `$`, which Gradio's HTML component would read as a template)."""
    return html.escape(str(text), quote=True).replace("$", "&#36;")


def safe_url(url: str) -> str:
    return url if re.match(r"^https?://[^\s\"'<>]+$", url or "") else ""


def literal_markdown(text: object) -> str:
    """What a user typed, as Markdown that shows it as typed: no HTML, links, images, emphasis or formulas."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))


def inert_markdown(text: str) -> str:
    """Answer Markdown (from the corpus, a user's own document or an LLM) without live HTML, links or images."""
    text = text.replace("<", "&lt;").replace(">", "&gt;").replace("![", "!\\[")
    text = text.replace("](", "]\\(")  # no inline link from the text: [x](javascript:…) stays text
    return _REFERENCE_LINK_RE.sub(r"\1\\[\2]:", text)  # nor a reference definition "[x]: url"


def link_citations(markdown: str, numbers: set[int], prefix: str = "") -> str:
    """Make every [n] of an answer a Markdown link to its source card `#{prefix}bron-n`."""
    return _CITATION_RE.sub(
        lambda m: f"[[{m.group(1)}]](#{prefix}bron-{m.group(1)})" if int(m.group(1)) in numbers else m.group(0), markdown
    )


def markdown_html(markdown: str) -> str:
    return _MD.render(markdown).replace("$", "&#36;")


def _plain(markdown_text: str) -> str:
    """Markdown as plain text (for the spoken announcement)."""
    text = re.sub(r"[*_`#>]", "", markdown_text)
    return " ".join(text.replace("\\", "").split())


# --------------------------------------------------------------------------------------------
# One answer
# --------------------------------------------------------------------------------------------
def answer_body(answer: Answer) -> str:
    """The answer's text as shown: without the trailing "Bronnen" list (the cards under it show the
    sources), and for a refusal only its first paragraph (links and questions are rendered apart)."""
    text = answer.answer.strip()
    match = None
    for match in _SOURCES_HEADING.finditer(text):
        pass
    if match is not None and answer.citations:
        text = text[: match.start()].rstrip()
    if answer.outcome == "not_covered" and (answer.referrals or answer.suggestions):
        text = re.split(r"\n\s*\n", text, maxsplit=1)[0]
    return text


def lead_text(answer: Answer, limit: int = 280) -> str:
    """The first paragraph of the answer as plain text, for the one announcement per answer."""
    first = re.split(r"\n\s*\n", answer_body(answer), maxsplit=1)[0]
    text = _CITATION_RE.sub("", _plain(first)).replace(" .", ".").strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def section_url(chunk: Chunk) -> str:
    """A link to the cited section where the page lets us: a text fragment on the heading of an
    article's section (the agenda itself is a download page without anchors, so it gets none)."""
    url = safe_url(chunk.source_url)
    if not url:
        return ""
    if chunk.soort == "sectie" and chunk.titel:
        return f"{url}#:~:text={quote(chunk.titel, safe='')}"
    return url


def section_name(chunk: Chunk) -> str:
    """Where in the document the item is, in words: "prioriteit 2.4 Versterken cybersecurity, actie 4"."""
    if chunk.soort == "sectie":
        return f"onderdeel '{chunk.titel}'" if chunk.titel else ""
    parts = []
    if chunk.prioriteit:
        parts.append(f"prioriteit {chunk.prioriteit} {chunk.prioriteit_titel}".strip())
    elif chunk.programmalijn:
        parts.append(f"programmalijn {chunk.programmalijn}")
    if chunk.soort in ("actie", "doel") and chunk.nummer is not None:
        parts.append(f"{chunk.soort} {chunk.nummer}")
    elif chunk.soort == "opgave":
        parts.append("maatschappelijke opgave")
    elif chunk.soort == "resultaten":
        parts.append("behaalde resultaten")
    return ", ".join(parts)


def _field_html(label: str, value: str | list[str]) -> str:
    if isinstance(value, list):
        body = "<ul>" + "".join(f"<li>{esc(v)}</li>" for v in value) + "</ul>"
    else:
        paras = [p for p in re.split(r"\n\s*\n", value.strip()) if p.strip()]
        body = "".join(f"<p>{esc(p).replace(chr(10), '<br>')}</p>" for p in paras)
    return f"<dt>{esc(label)}</dt><dd>{body}</dd>"


def source_card(citation: Citation, chunk: Chunk | None, prefix: str, answer_id: str) -> str:
    """One cited item in full, as a card that opens in place under its answer."""
    card_id = f"{prefix}bron-{citation.n}"
    label = chunk.label if chunk else citation.label
    parts = [
        f'<details class="wa-bron" id="{card_id}">'
        f'<summary id="{card_id}-titel"><span class="wa-nr">[{citation.n}]</span> {esc(label)}</summary>'
        '<div class="wa-bron-inhoud">'
    ]
    if chunk is None:  # the index changed since the answer; show what the answer carried
        parts.append(f"<dl>{_field_html('Tekst', citation.text)}</dl>")
    else:
        parts.append(f'<p class="wa-context">{esc(context_line(chunk))}</p><dl>')
        parts.extend(_field_html(label_, value) for label_, value in source_fields(chunk))
        parts.append("</dl>")
        where = section_name(chunk)
        where_text = f", {esc(where)}" if where else ""
        url = section_url(chunk)
        if url:
            parts.append(
                f'<p class="wa-link"><a href="{esc(url)}" target="_blank" rel="noopener noreferrer">'
                f"Brondocument: {esc(chunk.document_title)}</a>{where_text}"
                '<span class="wa-sr"> (de link opent in een nieuw venster)</span></p>'
            )
        else:
            parts.append(f'<p class="wa-link">Brondocument: {esc(chunk.document_title)}{where_text}</p>')
    parts.append(
        f'<p class="wa-terug"><a href="#{answer_id}" data-actie="terug" data-bron="{card_id}">Terug naar het antwoord</a></p>'
        "</div></details>"
    )
    return "".join(parts)


def render_sources(answer: Answer, by_id: Mapping[str, Chunk], prefix: str = "b1-", answer_id: str = "antwoord-1") -> str:
    """The sources of one answer: every cited item in full, numbered like the answer's [n]."""
    if not answer.citations:
        return ""
    mode = (
        "Het antwoord is door een taalmodel geformuleerd op basis van deze bronnen."
        if answer.mode == "llm" else "Het antwoord is letterlijk samengesteld uit deze bronnen."
    )
    n = len(answer.citations)
    cards = "".join(f"<li>{source_card(c, by_id.get(c.id), prefix, answer_id)}</li>" for c in answer.citations)
    return (
        f'<section class="wa-bronnen" aria-labelledby="{prefix}bronnen-kop">'
        f'<h3 id="{prefix}bronnen-kop">Bronnen bij dit antwoord ({n})</h3>'
        f'<p class="wa-mode">{mode} Open een bron met het nummer in de tekst of hieronder.</p>'
        f'<ol class="wa-bronlijst">{cards}</ol></section>'
    )


def render_refusal_help(answer: Answer, prefix: str) -> str:
    """Where to go instead (links) and questions the agenda does answer (buttons that ask them)."""
    parts = []
    if answer.referrals:
        links = "".join(
            f'<li><a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(r.name)}</a>'
            f"{f' ({esc(r.reason)})' if r.reason else ''}<span class=\"wa-sr\"> (de link opent in een nieuw venster)</span></li>"
            for r in answer.referrals if (url := safe_url(r.url))
        )
        if links:
            parts.append(
                f'<section class="wa-verwijzing" aria-labelledby="{prefix}waar-kop">'
                f'<h3 id="{prefix}waar-kop">Waar je wel terechtkunt</h3><ul>{links}</ul></section>'
            )
    if answer.suggestions:
        buttons = "".join(
            f'<li><button type="button" class="wa-suggestie" data-actie="vraag" data-vraag="{esc(q)}">{esc(q)}</button></li>'
            for q in answer.suggestions
        )
        parts.append(
            f'<section class="wa-suggesties" aria-labelledby="{prefix}sugg-kop">'
            f'<h3 id="{prefix}sugg-kop">Vragen die ik wel kan beantwoorden</h3><ul>{buttons}</ul></section>'
        )
    return "".join(parts)


RATING_LABELS = {"up": "Ja, nuttig", "down": "Nee, niet nuttig"}  # the "Over" tab uses the same words


def render_feedback(index: int, rating: str | None, comment_sent: bool) -> str:
    """Under an answer: two buttons with a pressed state, then an optional comment."""
    prefix = f"b{index}-"
    buttons = "".join(
        f'<button type="button" class="wa-fb" data-actie="oordeel" data-beurt="{index}" data-oordeel="{key}" '
        f'aria-pressed="{"true" if rating == key else "false"}">{label}</button>'
        for key, label in RATING_LABELS.items()
    )
    parts = [
        f'<div class="wa-feedback" role="group" aria-labelledby="{prefix}fb-kop">'
        f'<p class="wa-fb-kop" id="{prefix}fb-kop">Was dit antwoord nuttig?</p><div class="wa-fb-knoppen">{buttons}</div>'
    ]
    if rating:
        thanks = "Dank je wel voor je toelichting." if comment_sent else "Dank je wel voor je beoordeling."
        parts.append(
            f'<p class="wa-fb-dank">{thanks}</p>'
            f'<label for="{prefix}toelichting">Toelichting bij je beoordeling (optioneel)</label>'
            f'<textarea id="{prefix}toelichting" rows="2" maxlength="2000" '
            'placeholder="Wat was goed of wat ontbrak?"></textarea>'
            f'<button type="button" class="wa-fb-stuur" data-actie="toelichting" data-beurt="{index}" '
            f'data-oordeel="{esc(rating)}">Verstuur toelichting</button>'
        )
    parts.append("</div>")
    return "".join(parts)


def render_turn(index: int, turn: Mapping[str, Any], by_id: Mapping[str, Chunk]) -> str:
    """One question and its answer (or error), with the answer's own sources and feedback."""
    prefix, answer_id = f"b{index}-", f"antwoord-{index}"
    question = f'<div class="wa-vraag" data-testid="user"><span class="wa-sr">Jouw vraag: </span>{esc(turn["question"])}</div>'
    if "answer" in turn:
        answer = Answer.model_validate(turn["answer"])
        body = inert_markdown(answer_body(answer))
        body = link_citations(body, {c.n for c in answer.citations}, prefix)
        notes = []
        used = filters_text(turn.get("filters"))
        if used:
            notes.append(f"Gezocht met filters: {literal_markdown(used)}.")
        if answer.notice:
            notes.append(inert_markdown(answer.notice))
        if notes:
            body += "\n\n" + "\n\n".join(f"*{n}*" for n in notes)
        kind = {"covered": "", "related": " wa-verwant", "not_covered": " wa-geweigerd"}[answer.outcome]
        content = (
            f'<div class="wa-tekst">{_citation_links(markdown_html(body))}</div>'
            + render_refusal_help(answer, prefix)
            + render_sources(answer, by_id, prefix, answer_id)
            + render_feedback(index, turn.get("rating"), bool(turn.get("comment_sent")))
        )
    elif "error" in turn:
        kind, content = " wa-fout", f'<p><strong>Dat lukte niet.</strong> {esc(turn["error"])}</p>'
    else:  # still streaming
        kind = " wa-bezig"
        text = str(turn.get("pending", ""))
        content = markdown_html(inert_markdown(text)) if text else '<p><em>Even zoeken in de werkagenda …</em></p>'
    return (
        f'<article class="wa-beurt" id="beurt-{index}" aria-labelledby="beurt-{index}-kop">'
        f'<h2 class="wa-sr" id="beurt-{index}-kop">Vraag {index}</h2>{question}'
        f'<div class="wa-antwoord{kind}" id="{answer_id}" data-testid="bot" tabindex="-1">'
        f'<span class="wa-sr">Antwoord: </span>{content}</div></article>'
    )


_ANCHOR_RE = re.compile(r'<a href="#(b\d+-bron-(\d+))">\[\d+\]</a>')


def _citation_links(rendered: str) -> str:
    """Our [n] links (the only links the rendered text can hold): marked, with a spoken name."""
    return _ANCHOR_RE.sub(
        lambda m: f'<a class="wa-cite" href="#{m.group(1)}" data-actie="bron" data-bron="{m.group(1)}">'
        f'[{m.group(2)}]<span class="wa-sr"> (bron {m.group(2)})</span></a>',
        rendered,
    )


CHAT_EMPTY = (
    '<p class="wa-leeg">Stel hieronder je vraag, of kies een voorbeeldvraag. Elk antwoord toont zijn eigen '
    "bronnen; klik op een nummer als [1] om de bron te openen.</p>"
)


def render_chat(
    turns: Sequence[Mapping[str, Any]], by_id: Mapping[str, Chunk], pending: tuple[str, str] | None = None,
    phase: str = "",
) -> str:
    """The whole conversation. `phase` ("bezig" while an answer streams in, "klaar" when it is done)
    tells the page script to mark the log busy and to scroll the newest answer's first line into view."""
    items = [render_turn(i, t, by_id) for i, t in enumerate(turns, start=1)]
    if pending is not None:
        items.append(render_turn(len(turns) + 1, {"question": pending[0], "pending": pending[1]}, by_id))
    newest = f"beurt-{len(items)}" if phase and items else ""
    attrs = f' data-fase="{phase}" data-nieuw="{newest}"' if newest else ""
    return f'<div class="wa-log"{attrs}>' + ("".join(items) or CHAT_EMPTY) + "</div>"


# --------------------------------------------------------------------------------------------
# Filter chips
# --------------------------------------------------------------------------------------------
FILTER_LABELS = {"programmalijn": "Programmalijn", "prioriteit": "Prioriteit", "uitvoerder": "Uitvoerder", "document": "Document"}


def render_chips(filters: Mapping[str, str], names: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """The active filters as removable chips ("Uitvoerder: VNG ✕") above the question box."""
    if not filters:
        return ""
    chips = []
    for key, value in filters.items():
        shown = (names or {}).get(key, {}).get(value, value)
        label = f"{FILTER_LABELS.get(key, key)}: {shown}"
        chips.append(
            f'<li><button type="button" class="wa-chip" data-actie="filter-weg" data-filter="{esc(key)}">'
            f'{esc(label)} <span aria-hidden="true">✕</span><span class="wa-sr"> (filter weghalen)</span></button></li>'
        )
    return (
        '<div class="wa-chips" role="group" aria-labelledby="wa-chips-kop">'
        '<span class="wa-chips-kop" id="wa-chips-kop">Actieve filters:</span>'
        f'<ul>{"".join(chips)}</ul></div>'
    )


# --------------------------------------------------------------------------------------------
# The agenda table and its CSV
# --------------------------------------------------------------------------------------------
def render_table(rows: Sequence[Mapping[str, str]], columns: Sequence[str], caption: str) -> str:
    """A real <table> (headers, caption); below ~600 px the CSS stacks each row as a card."""
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in columns)
    body = []
    for row in rows:
        cells = []
        for c in columns:
            value = str(row.get(c, ""))
            text = "<br>".join(esc(line) for line in value.split("\n"))
            cells.append(f'<td data-label="{esc(c)}">{text}</td>' if value else '<td class="wa-leeg-cel"></td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(columns)}">Geen onderdelen gevonden. Probeer een ander woord of filter.</td></tr>')
    return (
        '<div class="wa-tabel-wrap" role="region" aria-labelledby="tabel-bijschrift" tabindex="0">'
        f'<table class="wa-tabel"><caption id="tabel-bijschrift">{esc(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


SOORT_PLURAL = {
    "actie": "acties", "doel": "doelen", "opgave": "opgaven", "resultaten": "resultaten",
    "programmalijn": "inleidingen", "sectie": "tekstdelen",
}
_SLUG_MAX = 40  # keeps a search text from making an unwieldy file name


def slug(text: str) -> str:
    return slugify(str(text))[:_SLUG_MAX].strip("-")


def csv_name(zoek: str = "", programmalijn: str = "", prioriteit: str = "", soort: str = "", uitvoerder: str = "") -> str:
    """The download is named after its filter: werkagenda-acties-vng.csv, werkagenda-2-4-zoek-wallet.csv."""
    parts = ["werkagenda"]
    if soort:
        parts.append(SOORT_PLURAL.get(soort, slug(soort)))
    if programmalijn:
        parts.append(f"programmalijn-{slug(programmalijn)}")
    if prioriteit:
        parts.append(slug(prioriteit))
    if uitvoerder:
        parts.append(slug(uitvoerder))
    if zoek and slug(zoek):
        parts.append(f"zoek-{slug(zoek)}")
    return "-".join(p for p in parts if p) + ".csv"


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
