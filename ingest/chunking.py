"""Turn a parsed document into citable chunks: one per priority opgave, resultaten, doel, actie, section.

Pure functions. Ids are stable (derived from the document's own numbering), so citations and
eval keys survive re-ingests.
"""

from __future__ import annotations

import re

from ingest.models import (
    Actie,
    Agenda,
    Chunk,
    Doel,
    DocumentInfo,
    GenericDocument,
    Item,
    ParsedDocument,
    Prioriteit,
    Programmalijn,
    Section,
)

LABEL_TITLE_MAX = 60
SEP = " · "


def short_title(title: str, limit: int = LABEL_TITLE_MAX) -> str:
    """Shorten long priority titles for labels, cutting at a word boundary."""
    if len(title) <= limit:
        return title
    cut = title[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + " …"


def render_items(items: list[Item]) -> list[str]:
    return [item.text + "".join(f" (Noot: {n})" for n in item.notes) for item in items]


def bullet_block(heading: str, items: list[Item]) -> str:
    if not items:
        return ""
    return heading + ":\n" + "\n".join(f"- {line}" for line in render_items(items))


def join_blocks(*blocks: str) -> str:
    return "\n\n".join(b for b in blocks if b.strip())


def notes_block(notes: list[str]) -> str:
    return "\n".join(f"Noot: {n}" for n in notes)


class _AgendaChunker:
    """Builds the chunks of the structured agenda; keeps the shared context in one place."""

    def __init__(self, agenda: Agenda):
        self.agenda = agenda
        self.doc: DocumentInfo = agenda.document

    def chunks(self) -> list[Chunk]:
        out = [self._section(s) for s in self.agenda.sections]
        for lijn in self.agenda.programmalijnen:
            if lijn.intro:
                out.append(self._programmalijn(lijn))
            for prio in lijn.prioriteiten:
                out.extend(self._prioriteit(lijn, prio))
        return out

    def _base(self, **kwargs) -> Chunk:
        return Chunk(document=self.doc.id, document_title=self.doc.title, source_url=self.doc.source_url, **kwargs)

    def _section(self, section: Section) -> Chunk:
        return _section_chunk(self.doc, section)

    def _programmalijn(self, lijn: Programmalijn) -> Chunk:
        label = f"{self.doc.label}{SEP}programmalijn {lijn.nummer} {short_title(lijn.titel)}"
        return self._base(
            id=f"{self.doc.id}:programmalijn:{lijn.nummer}",
            label=label,
            soort="programmalijn",
            programmalijn=lijn.nummer,
            programmalijn_titel=lijn.titel,
            nummer=lijn.nummer,
            titel=lijn.titel,
            text=lijn.intro,
            embed_text=f"{self.doc.title}{SEP}Programmalijn {lijn.nummer}: {lijn.titel}\n{lijn.intro}",
            fields={"intro": lijn.intro},
        )

    def _prioriteit(self, lijn: Programmalijn, prio: Prioriteit) -> list[Chunk]:
        context = (
            f"{self.doc.title}{SEP}Programmalijn {lijn.nummer}: {lijn.titel}{SEP}"
            f"Prioriteit {prio.code}: {prio.titel}"
        )
        prefix = f"{self.doc.label}{SEP}{prio.code} {short_title(prio.titel)}"

        def make(kind: str, nummer: int | None, label_suffix: str, text: str, fields, uitvoerders=()) -> Chunk:
            suffix = f":{nummer}" if nummer is not None else ""
            return self._base(
                id=f"{self.doc.id}:{prio.code}:{kind}{suffix}",
                label=f"{prefix}{SEP}{label_suffix}",
                soort=kind,
                programmalijn=lijn.nummer,
                programmalijn_titel=lijn.titel,
                prioriteit=prio.code,
                prioriteit_titel=prio.titel,
                nummer=nummer,
                uitvoerders=list(uitvoerders),
                text=text,
                embed_text=f"{context}{SEP}{label_suffix[0].upper()}{label_suffix[1:]}\n{text}",
                fields=fields,
            )

        out: list[Chunk] = []
        if prio.maatschappelijke_opgave or prio.opgave_items or prio.notes:
            # Notes about the priority as a whole (outside opgave and tables) travel with the opgave.
            text = join_blocks(
                prio.maatschappelijke_opgave,
                "\n".join(f"- {line}" for line in render_items(prio.opgave_items)),
                notes_block(prio.opgave_notes + prio.notes),
            )
            out.append(make("opgave", None, "maatschappelijke opgave", text, {"tekst": text}))
        if prio.behaalde_resultaten:
            lines = render_items(prio.behaalde_resultaten)
            text = bullet_block("Behaalde resultaten", prio.behaalde_resultaten)
            out.append(make("resultaten", None, "behaalde resultaten", text, {"items": lines}))
        for doel in prio.doelen:
            out.append(make("doel", doel.nummer, f"doel {doel.nummer}", doel_text(doel), doel_fields(doel)))
        for actie in prio.acties:
            out.append(
                make("actie", actie.nummer, f"actie {actie.nummer}", actie_text(actie), actie_fields(actie),
                     actie.uitvoerders)
            )
        return out


def doel_text(doel: Doel) -> str:
    return join_blocks(
        doel.tekst,
        "\n".join(f"- {line}" for line in render_items(doel.items)),
        notes_block(doel.notes),
        bullet_block("Beoogde indicatoren", doel.indicatoren),
    )


def doel_fields(doel: Doel) -> dict[str, str | list[str]]:
    return {
        "tekst": doel.tekst,
        "items": render_items(doel.items),
        "notes": doel.notes,
        "indicatoren": render_items(doel.indicatoren),
    }


def actie_text(actie: Actie) -> str:
    return join_blocks(
        actie.beschrijving,
        notes_block(actie.notes),
        bullet_block("Resultaat t/m 2023", actie.resultaat_2023),
        bullet_block("Resultaat t/m 2025", actie.resultaat_2025),
        f"Uitvoerder: {actie.uitvoerder_tekst or ', '.join(actie.uitvoerders)}" if actie.uitvoerders else "",
    )


def actie_fields(actie: Actie) -> dict[str, str | list[str]]:
    return {
        "beschrijving": actie.beschrijving,
        "notes": actie.notes,
        "resultaat_2023": render_items(actie.resultaat_2023),
        "resultaat_2025": render_items(actie.resultaat_2025),
        "uitvoerders": actie.uitvoerders,
        "uitvoerder_tekst": actie.uitvoerder_tekst,
    }


def _section_chunk(doc: DocumentInfo, section: Section) -> Chunk:
    return Chunk(
        id=f"{doc.id}:{section.slug}",
        label=f"{doc.label}{SEP}{section.titel}",
        document=doc.id,
        document_title=doc.title,
        source_url=doc.source_url,
        soort="sectie",
        titel=section.titel,
        text=section.tekst,
        embed_text=f"{doc.title}{SEP}{section.titel}\n{section.tekst}",
        fields={"tekst": section.tekst},
    )


def chunk_document(parsed: ParsedDocument) -> list[Chunk]:
    """All chunks of one parsed document, in document order, with unique ids."""
    if isinstance(parsed, Agenda):
        chunks = _AgendaChunker(parsed).chunks()
    elif isinstance(parsed, GenericDocument):
        chunks = [_section_chunk(parsed.document, s) for s in parsed.sections]
    else:  # pragma: no cover - the union is exhaustive
        raise TypeError(type(parsed))
    seen: set[str] = set()
    for seq, chunk in enumerate(chunks):
        chunk.seq = seq
        if chunk.id in seen:
            raise ValueError(f"Dubbele chunk-id {chunk.id}: de brontekst bevat een nummer twee keer.")
        seen.add(chunk.id)
    return chunks


# -- children (small-to-big) -------------------------------------------------------------------
# A long unit's embedding averages over everything it says, so a question about one line of a result
# cell finds the unit poorly. Each line becomes a child that search can match on its own.
CHILD_MIN_CHARS = 25  # shorter lines ("Zie actie 3.") say too little to be matched on their own
CHILD_MAX_CHARS = 600  # a longer line is split at its sentences
_CHILD_FIELDS = {
    "actie": (("beschrijving", "actie"), ("resultaat_2023", "resultaat t/m 2023"), ("resultaat_2025", "resultaat t/m 2025"), ("notes", "noot")),
    "doel": (("tekst", "doel"), ("items", "doel"), ("indicatoren", "beoogde indicator"), ("notes", "noot")),
    "resultaten": (("items", "behaald resultaat"),),
    "opgave": (("tekst", "maatschappelijke opgave"),),
    "programmalijn": (("intro", "programmalijn"),),
    "sectie": (("tekst", "sectie"),),
}


# Sentence ends, not abbreviations: "o.a.", "bijv.", "incl." and "t/m." are followed by lower case
# or stand before a number, so only a full stop before a capital or digit after whitespace counts.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"'(])")
_ABBREVIATION_END = re.compile(r"\b(?:o\.a|bijv|incl|m\.b\.t|i\.v\.m|t\.b\.v|e\.d|d\.w\.z|nl|ca|jl|resp)\.$", re.IGNORECASE)


def split_sentences(text: str) -> list[str]:
    """Sentences of a free text; a full stop after a known abbreviation does not end one."""
    out: list[str] = []
    for piece in _SENTENCE_END.split(" ".join(text.split())):
        if out and _ABBREVIATION_END.search(out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        elif piece.strip():
            out.append(piece.strip())
    return out


def _lines(value: str | list[str]) -> list[str]:
    """The lines of a field: list items as they are (long ones at their sentences); free text at its sentences."""
    items = value if isinstance(value, list) else [value] if value else []
    out: list[str] = []
    for item in items:
        if isinstance(value, list) and len(item) <= CHILD_MAX_CHARS:
            out.append(" ".join(item.split()))
        else:
            out.extend(split_sentences(item))
    return [line for line in out if len(line) >= CHILD_MIN_CHARS]


def child_chunks(parents: list[Chunk]) -> list[Chunk]:
    """The children of each parent: one per result item, indicator and sentence (none that repeat the
    parent whole). Their embed text keeps a short context, the priority or section title."""
    out: list[Chunk] = []
    for parent in parents:
        fields = _CHILD_FIELDS.get(parent.soort, ())
        context = parent.prioriteit_titel or parent.titel or parent.programmalijn_titel
        seen: set[str] = set()
        n = 0
        for key, what in fields:
            for line in _lines(parent.fields.get(key, "")):
                if line in seen or line == " ".join(parent.text.split()):
                    continue
                seen.add(line)
                n += 1
                out.append(parent.model_copy(update={
                    "id": f"{parent.id}:deel:{n}", "parent": parent.id, "text": line, "fields": {"soort_deel": what},
                    "embed_text": f"{context}{SEP}{what}: {line}",
                }))
    return out
