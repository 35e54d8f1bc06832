"""A conversation as a Markdown document with its sources, and the per-source fields the UI shows.

Pure functions over answers and chunks; the browser saves the result (backend.Download).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from assistant.models import Answer, Citation
from assistant.text import as_list
from ingest.models import Chunk

SOORT_NAMES = {
    "actie": "Actie",
    "doel": "Doel",
    "opgave": "Maatschappelijke opgave",
    "resultaten": "Behaalde resultaten",
    "programmalijn": "Programmalijn",
    "sectie": "Tekstdeel",
}
FILTER_NAMES = {
    "programmalijn": "programmalijn",
    "prioriteit": "prioriteit",
    "uitvoerder": "uitvoerder",
    "document": "document",
    "soort": "soort",
}


def source_fields(chunk: Chunk) -> list[tuple[str, str | list[str]]]:
    """The cited item in full, as (label, text or list of items), in reading order."""
    f = chunk.fields
    out: list[tuple[str, str | list[str]]] = []

    def add(label: str, value) -> None:
        items = as_list(value)
        if items:
            out.append((label, items if isinstance(value, list) else items[0]))

    if chunk.soort == "actie":
        add("Actie", f.get("beschrijving") or chunk.text)
        add("Noot", f.get("notes", []))
        add("Resultaat t/m 2023", f.get("resultaat_2023", []))
        add("Resultaat t/m 2025", f.get("resultaat_2025", []))
        add("Uitvoerders", f.get("uitvoerder_tekst") or ", ".join(as_list(f.get("uitvoerders")) or chunk.uitvoerders))
    elif chunk.soort == "doel":
        add("Doel", f.get("tekst") or chunk.text)
        add("Toelichting", f.get("items", []))
        add("Noot", f.get("notes", []))
        add("Beoogde indicatoren", f.get("indicatoren", []))
    elif chunk.soort == "resultaten":
        add("Behaalde resultaten", f.get("items") or chunk.text)
    elif chunk.soort == "opgave":
        add("Maatschappelijke opgave", f.get("tekst") or chunk.text)
    elif chunk.soort == "programmalijn":
        add(f"Programmalijn {chunk.programmalijn}: {chunk.programmalijn_titel}", f.get("intro") or chunk.text)
    else:
        add(chunk.titel or "Tekst", f.get("tekst") or chunk.text)
    if not out:
        add("Tekst", chunk.text)
    return out


def context_line(chunk: Chunk) -> str:
    """'Programmalijn 2 · Prioriteit 2.4: Versterken cybersecurity · Actie 4'."""
    parts = []
    if chunk.programmalijn:
        parts.append(f"Programmalijn {chunk.programmalijn}" + (f": {chunk.programmalijn_titel}" if chunk.soort != "programmalijn" and chunk.programmalijn_titel else ""))
    if chunk.prioriteit:
        parts.append(f"Prioriteit {chunk.prioriteit}: {chunk.prioriteit_titel}")
    if chunk.soort in ("actie", "doel") and chunk.nummer is not None:
        parts.append(f"{SOORT_NAMES[chunk.soort]} {chunk.nummer}")
    elif chunk.soort in ("opgave", "resultaten"):
        parts.append(SOORT_NAMES[chunk.soort])
    if not parts:
        parts.append(chunk.document_title)
    return " · ".join(parts)


def filters_text(filters: Mapping[str, object] | None) -> str:
    used = [(k, v) for k, v in (filters or {}).items() if v not in (None, "", "alle", "Alle")]
    return ", ".join(f"{FILTER_NAMES.get(k, k)} = {v}" for k, v in used)


def _md_block(label: str, value: str | list[str]) -> str:
    if isinstance(value, list):
        return f"**{label}:**\n\n" + "\n".join(f"- {_one_line(v)}" for v in value)
    return f"**{label}:** {value.strip()}"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def citation_markdown(citation: Citation, chunk: Chunk | None) -> str:
    if chunk is None:  # the index changed since the answer; keep what the answer carried
        return f"#### [{citation.n}] {citation.label}\n\n{citation.text.strip()}"
    lines = [f"#### [{citation.n}] {chunk.label}", f"*{context_line(chunk)}*"]
    lines += [_md_block(label, value) for label, value in source_fields(chunk)]
    if chunk.source_url:
        lines.append(f"Bron: [{chunk.document_title}]({chunk.source_url})")
    else:
        lines.append(f"Bron: {chunk.document_title}")
    return "\n\n".join(lines)


def conversation_markdown(
    answers: Sequence[Answer],
    by_id: Mapping[str, Chunk],
    filters: Sequence[Mapping[str, object] | None] | None = None,
    created: datetime | None = None,
) -> str:
    """The whole conversation: each question, the answer as shown, and every cited source in full."""
    created = created or datetime.now()
    out = [
        "# Gesprek met de Werkagenda-assistent",
        f"Geëxporteerd op {created.strftime('%d-%m-%Y %H:%M')}. De antwoorden verwijzen met [1], [2] … naar de "
        "bronnen die onder elk antwoord volledig zijn opgenomen.",
    ]
    if not answers:
        out.append("*Dit gesprek bevat nog geen vragen.*")
    for i, answer in enumerate(answers, start=1):
        out.append(f"## Vraag {i}: {_one_line(answer.question)}")
        used = filters_text(filters[i - 1] if filters and i - 1 < len(filters) else None)
        if used:
            out.append(f"*Filters: {used}*")
        out.append("### Antwoord")
        out.append(answer.answer.strip())
        if answer.notice:
            out.append(f"*Let op: {answer.notice}*")
        if answer.citations:
            out.append("### Bronnen bij dit antwoord")
            out.extend(citation_markdown(c, by_id.get(c.id)) for c in answer.citations)
    return "\n\n".join(out).rstrip() + "\n"
