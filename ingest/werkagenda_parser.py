"""Structured parser for the 2022 *Werkagenda Waardengedreven Digitaliseren* (a PDF extraction).

The text has three parts:
- a table of contents ("- [Aanleiding werkagenda](#)", ...), which only tells us the section titles;
- front matter: free-text sections, with the "Programmaliijn N" (sic) intros inside one of them;
- the body: per programmalijn "N Titel", per priority an "Overzicht" page (opgave, behaalde
  resultaten, doelen table) and an "Acties" page (actions table), up to the "Colofon".

Tables are tab-separated rows whose cells hold HTML debris; `ingest.clean` turns cells into
paragraphs, items and notes. A pure function: text in, `Agenda` out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.clean import Block, cell_blocks, clean_text, is_note, note_text, proper_names, slugify, split_uitvoerders
from ingest.models import Actie, Agenda, Doel, DocumentInfo, Item, Prioriteit, Programmalijn, Section

OPGAVE = "Maatschappelijke opgave"
RESULTATEN = "Behaalde resultaten"
EXTRA = "Extra opmerkingen op deze pagina"
END_OF_BODY = "Colofon"
ACTION_COLUMNS = 5  # Nr, Actiebeschrijving, Resultaat t/m 2023, Resultaat "t/m 2023" (= 2025), Uitvoerder

_TOC_ENTRY = re.compile(r"^\s*-\s*\[(?P<title>[^\]]+)\]\([^)]*\)\s*$")
_INTRO_HEADING = re.compile(r"^Programmal+i+jn\s+(?P<nr>\d)$")  # the source spells "Programmaliijn"
_LIJN_HEADING = re.compile(r"^(?P<nr>\d) (?P<titel>\S.*)$")
_PRIO_HEADING = re.compile(r"^(?P<code>\d\.\d{1,2})[a-z]?\s+(?P<titel>\S.*)$")
_PART_SUFFIX = re.compile(r"\s*\|\s*(?P<part>Overzicht|Acties)\s*$")
_BULLET = re.compile(r"^\s*[-•]\s+(?P<text>\S.*)$")
_SEPARATOR = re.compile(r"^\s*-{3,}\s*(\t|$)")
_DANGLING = re.compile(r"\b(dat|om|die|zodat|waarbij|waarmee)$")  # "De Wdo regelt dat" + next bullet
_MARKUP = re.compile(r"<(ul|li|p)\b|•")
NOTE_CONTINUATION_MAX = 60  # a short unterminated line right after a note still belongs to it


def parse_werkagenda(text: str, document: DocumentInfo) -> Agenda:
    """Parse the whole agenda: front-matter sections and the five programmalijnen."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    titles, front_start = _table_of_contents(lines)
    body_start = _body_start(lines, front_start)
    sections, intros = _front_matter(lines[front_start:body_start], titles)
    lijnen = _BodyParser(proper_names(text)).parse(lines[body_start:])
    for lijn in lijnen:
        titel, intro = intros.get(lijn.nummer, ("", ""))
        lijn.intro = intro
        lijn.titel = lijn.titel or titel
    return Agenda(document=document, sections=sections, programmalijnen=lijnen)


# --- document layout --------------------------------------------------------------------------


def _table_of_contents(lines: list[str]) -> tuple[list[str], int]:
    """Unnumbered TOC titles (the front-matter headings) and the index of the first line after the TOC."""
    entries = [(i, clean_text(m.group("title"))) for i, line in enumerate(lines) if (m := _TOC_ENTRY.match(line))]
    if not entries:
        raise ValueError("Geen inhoudsopgave gevonden: dit lijkt niet de Werkagenda 2022.")
    titles = [t for _, t in entries if not t[:1].isdigit()]
    return titles, entries[-1][0] + 1


def _body_start(lines: list[str], start: int) -> int:
    """The first programmalijn heading ("1 Iedereen kan meedoen ...") ends the front matter."""
    for i in range(start, len(lines)):
        if "\t" not in lines[i] and (m := _LIJN_HEADING.match(lines[i].strip())) and m.group("nr") == "1":
            return i
    raise ValueError("Geen programmalijn 1 gevonden in de werkagenda.")


# --- front matter -----------------------------------------------------------------------------


def _front_matter(lines: list[str], titles: list[str]) -> tuple[list[Section], dict[int, tuple[str, str]]]:
    """Sections under the TOC's unnumbered titles; "Programmaliijn N" blocks become intros instead."""
    raw = _split_on_headings(lines, set(titles))
    sections: list[Section] = []
    intros: dict[int, tuple[str, str]] = {}
    seen: set[str] = set()
    for titel, body in raw:
        rest, found = _extract_intros(body)
        intros.update(found)
        slug = _unique_slug(slugify(titel), seen)
        sections.append(Section(slug=slug, titel=titel, tekst=_prose(rest), level=2))
    return sections, intros


def _split_on_headings(lines: list[str], titles: set[str]) -> list[tuple[str, list[str]]]:
    """Group lines under headings; a heading directly followed by another keeps that one as a sub-heading."""
    out: list[tuple[str, list[str]]] = []
    for line in lines:
        stripped = line.strip()
        if stripped in titles and not (out and not any(x.strip() for x in out[-1][1])):
            out.append((stripped, []))
        elif out:  # text before the first heading is the title page: skipped
            out[-1][1].append(line)
    return out


def _extract_intros(lines: list[str]) -> tuple[list[str], dict[int, tuple[str, str]]]:
    """Pull the "Programmaliijn N / title / paragraph" blocks out of a front-matter section."""
    rest: list[str] = []
    blocks: dict[int, list[str]] = {}
    current: int | None = None
    for line in lines:
        stripped = line.strip()
        if m := _INTRO_HEADING.match(stripped):
            current = int(m.group("nr"))
            blocks[current] = []
        elif current is not None and (is_note(stripped) or _BULLET.match(line)):
            current = None  # a note after the intros is about the programme lines in general
            rest.append(line)
        elif current is not None:
            if stripped:
                blocks[current].append(clean_text(stripped))
        else:
            rest.append(line)
    intros = {nr: (b[0] if b else "", "\n\n".join(b[1:])) for nr, b in blocks.items()}
    return rest, intros


def _prose(lines: list[str]) -> str:
    """Free text with its structure kept: paragraphs apart, list lines ("- x", "1. x") together."""
    blocks: list[list[str]] = []
    previous_was_list = False
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        bullet = _BULLET.match(line)
        is_list = bool(bullet) or bool(re.match(r"^\d+\.\s", stripped))
        text = f"- {clean_text(bullet.group('text'))}" if bullet else clean_text(stripped)
        if is_note(stripped):
            text = f"Noot: {note_text(stripped)}"
        if is_list and previous_was_list:
            blocks[-1].append(text)
        else:
            blocks.append([text])
        previous_was_list = is_list
    return "\n\n".join("\n".join(b) for b in blocks)


def _unique_slug(slug: str, seen: set[str]) -> str:
    candidate, n = slug, 2
    while candidate in seen:
        candidate, n = f"{slug}-{n}", n + 1
    seen.add(candidate)
    return candidate


# --- body -------------------------------------------------------------------------------------


@dataclass
class _BodyParser:
    """A line-by-line state machine over the body; keeps where we are (lijn, priority, part)."""

    names: frozenset[str]
    lijnen: list[Programmalijn] = field(default_factory=list)
    prio: Prioriteit | None = None
    part: str = ""  # "opgave", "resultaten", "extra", "doelen", "acties"
    opgave: dict[str, list[str]] = field(default_factory=dict)  # opgave paragraphs per priority
    last_note: list[str] | None = None  # the list that got the latest note (for note continuations)

    def parse(self, lines: list[str]) -> list[Programmalijn]:
        i = 0
        while i < len(lines):
            line = lines[i].rstrip()
            if line.strip() == END_OF_BODY:
                break
            i = self._line(lines, i, line)
        for prio in (p for lijn in self.lijnen for p in lijn.prioriteiten):
            prio.maatschappelijke_opgave = "\n\n".join(self.opgave.get(prio.code, []))
            prio.opgave_items = _merge_dangling(prio.opgave_items)
            prio.behaalde_resultaten = _merge_dangling(prio.behaalde_resultaten)
        return self.lijnen

    def _line(self, lines: list[str], i: int, line: str) -> int:
        """Handle one line; returns the index of the next line to read."""
        stripped = line.strip()
        if not stripped or _SEPARATOR.match(line):
            return i + 1
        if "\t" in line:
            self._table_line(line)
            return i + 1
        if (heading := _priority_heading(lines, i)) is not None:
            code, titel, next_i = heading
            self._start_priority(code, titel)
            return next_i
        if m := self._lijn_heading(lines, i):
            self.lijnen.append(Programmalijn(nummer=int(m.group("nr")), titel=clean_text(m.group("titel"))))
            self.prio = None
            return i + 1
        if stripped in (OPGAVE, RESULTATEN, EXTRA):
            self.part = {OPGAVE: "opgave", RESULTATEN: "resultaten", EXTRA: "extra"}[stripped]
            return i + 1
        if self.prio is not None:
            self._text_line(line)
        return i + 1

    def _lijn_heading(self, lines: list[str], i: int) -> re.Match[str] | None:
        """"2 Iedereen kan ...": the next programmalijn number, directly followed by a priority heading."""
        m = _LIJN_HEADING.match(lines[i].strip())
        if not m or int(m.group("nr")) != len(self.lijnen) + 1:
            return None
        j = _next_nonblank(lines, i + 1)
        return m if j < len(lines) and _priority_heading(lines, j) is not None else None

    def _start_priority(self, code: str, titel: str) -> None:
        if not self.lijnen or int(code.split(".")[0]) != self.lijnen[-1].nummer:
            raise ValueError(f"Prioriteit {code} staat niet onder programmalijn {code.split('.')[0]}.")
        existing = [p for p in self.lijnen[-1].prioriteiten if p.code == code]
        if existing:  # the "| Acties" page of a priority already opened by its "| Overzicht" page
            self.prio = existing[0]
        else:
            self.prio = Prioriteit(code=code, titel=titel)
            self.lijnen[-1].prioriteiten.append(self.prio)
        self.part, self.last_note = "", None

    def _text_line(self, line: str) -> None:
        """A paragraph, bullet or note outside the tables of the current priority."""
        prio = self.prio
        assert prio is not None
        stripped = line.strip()
        if is_note(stripped):
            target = prio.opgave_notes if self.part == "opgave" else prio.notes
            target.append(note_text(stripped))
            self.last_note = target
            return
        if self.last_note is not None and _continues_note(stripped):
            self.last_note[-1] = f"{self.last_note[-1]} {clean_text(stripped)}"
            self.last_note = None
            return
        self.last_note = None
        bullet = _BULLET.match(line)
        text = clean_text(bullet.group("text") if bullet else stripped)
        if self.part == "opgave":
            if bullet:
                prio.opgave_items.append(Item(text=text))
            else:
                self.opgave.setdefault(prio.code, []).append(text)
        elif self.part == "resultaten":
            prio.behaalde_resultaten.append(Item(text=text))
        else:  # "Extra opmerkingen" and stray remarks after the tables
            prio.notes.append(text)

    def _table_line(self, line: str) -> None:
        cells = line.split("\t")
        first = cells[0].strip()
        if first.startswith("Nr."):  # a (repeated) table header says which table follows
            self.part = "doelen" if "Doelen" in line else "acties"
            return
        if self.prio is None or self.part not in ("doelen", "acties"):
            raise ValueError(f"Tabelregel buiten een tabel: {line[:60]!r}")
        if self.part == "doelen":
            self._doel_row(first, cells)
        else:
            self._actie_row(first, cells)

    def _doel_row(self, first: str, cells: list[str]) -> None:
        assert self.prio is not None
        cells = _pad(cells, 3)
        if first:
            self.prio.doelen.append(_doel(int(first), cells[1], cells[2], self.names))
        elif self.prio.doelen:  # continued over a page break
            _continue_doel(self.prio.doelen[-1], cells[1], cells[2], self.names)

    def _actie_row(self, first: str, cells: list[str]) -> None:
        assert self.prio is not None
        cells = _fix_split_uitvoerder(_pad(cells, ACTION_COLUMNS))
        if first:
            self.prio.acties.append(_actie(int(first), cells, self.names))
        elif self.prio.acties:  # continued over a page break
            _continue_actie(self.prio.acties[-1], cells, self.names)


def _priority_heading(lines: list[str], i: int) -> tuple[str, str, int] | None:
    """"1.3a Titel | Overzicht", also broken over two lines ("1.2 Toegankelijke, ..." / "dienstverlening | Overzicht").

    Returns (code, titel, index of the next line) or None. The "| Overzicht/Acties" suffix is
    required, so that no paragraph starting with a number is taken for a heading.
    """
    m = _PRIO_HEADING.match(lines[i].strip())
    if not m:
        return None
    titel = m.group("titel")
    if _PART_SUFFIX.search(titel):
        return m.group("code"), clean_text(_PART_SUFFIX.sub("", titel)), i + 1
    j = _next_nonblank(lines, i + 1)
    if j < len(lines) and "\t" not in lines[j] and _PART_SUFFIX.search(lines[j]):
        rest = _PART_SUFFIX.sub("", lines[j].strip())
        return m.group("code"), clean_text(f"{titel} {rest}"), j + 1
    return None


def _next_nonblank(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


def _continues_note(text: str) -> bool:
    """"Deepfakes zijn hier een voorbeeld van" after a note box: the box's last line, not body text."""
    return len(text) <= NOTE_CONTINUATION_MAX and not re.search(r"[.:;!?]$", text) and not _BULLET.match(text)


def _merge_dangling(items: list[Item]) -> list[Item]:
    """An item ending in "... regelt dat" continues in the next bullet (the PDF split one sentence)."""
    out: list[Item] = []
    for item in items:
        if out and _DANGLING.search(out[-1].text):
            out[-1] = Item(text=f"{out[-1].text} {item.text}", notes=[*out[-1].notes, *item.notes])
        else:
            out.append(item)
    return out


def _pad(cells: list[str], n: int) -> list[str]:
    return (cells + [""] * n)[:n] if len(cells) <= n else [*cells[: n - 1], " ".join(cells[n - 1 :])]


def _fix_split_uitvoerder(cells: list[str]) -> list[str]:
    """4.1 actie 5: the uitvoerder cell spilled into the second result column ("Regeringscommissaris").

    A result cell always carries list/paragraph markup when its neighbour does; a bare cell
    there is the first line of the uitvoerder cell.
    """
    r2023, r2025, wie = cells[2], cells[3], cells[4]
    if r2025.strip() and wie.strip() and not _MARKUP.search(r2025) and _MARKUP.search(r2023):
        return [*cells[:3], "", f"{r2025.strip()}, {wie.strip()}"]
    return cells


# --- rows -> model ----------------------------------------------------------------------------


def _doel(nummer: int, doel_cell: str, indicator_cell: str, names: frozenset[str]) -> Doel:
    doel = Doel(nummer=nummer, tekst="")
    _continue_doel(doel, doel_cell, indicator_cell, names)
    return doel


def _continue_doel(doel: Doel, doel_cell: str, indicator_cell: str, names: frozenset[str]) -> None:
    """Add a doel row's cells: paragraphs to the text, bullets to items, notes where they belong."""
    paragraphs = [doel.tekst] if doel.tekst else []
    for block in cell_blocks(doel_cell, names):
        if block.kind == "item":
            doel.items.append(Item(text=block.text, notes=block.notes))
        elif block.kind == "para":
            paragraphs.append(block.text)
            doel.notes.extend(block.notes)
        else:
            doel.notes.append(block.text)
    doel.tekst = "\n\n".join(paragraphs)
    loose = _extend_items(doel.indicatoren, cell_blocks(indicator_cell, names), continues=False)
    doel.notes.extend(loose)


def _actie(nummer: int, cells: list[str], names: frozenset[str]) -> Actie:
    actie = Actie(nummer=nummer, beschrijving="")
    _fill_actie(actie, cells, names, continues=False)
    return actie


def _continue_actie(actie: Actie, cells: list[str], names: frozenset[str]) -> None:
    _fill_actie(actie, cells, names, continues=True)


def _fill_actie(actie: Actie, cells: list[str], names: frozenset[str], continues: bool) -> None:
    """Add an action row's cells; a continuation row's text continues each column's last item."""
    desc = cell_blocks(cells[1], names)
    texts = [actie.beschrijving] if actie.beschrijving else []
    texts += [b.text if b.kind == "para" else f"- {b.text}" for b in desc if b.kind != "note"]
    actie.beschrijving = "\n\n".join(texts) if not continues else " ".join(texts)
    actie.notes += [n for b in desc for n in ([b.text] if b.kind == "note" else b.notes)]
    actie.notes += _extend_items(actie.resultaat_2023, cell_blocks(cells[2], names), continues)
    actie.notes += _extend_items(actie.resultaat_2025, cell_blocks(cells[3], names), continues)
    wie = cell_blocks(cells[4])
    cell_text = ", ".join(b.text for b in wie if b.kind != "note")
    if cell_text:
        actie.uitvoerder_tekst = f"{actie.uitvoerder_tekst} {cell_text}".strip()
        actie.uitvoerders = split_uitvoerders(actie.uitvoerder_tekst)
    actie.notes += [n for b in wie for n in ([b.text] if b.kind == "note" else b.notes)]


def _extend_items(items: list[Item], blocks: list[Block], continues: bool) -> list[str]:
    """Append a cell's blocks as items; returns notes that have no item to attach to.

    Paragraphs are items too ("Nog te bepalen" is often bare text). A lead-in paragraph ending in
    ":" with a single item after it is merged into that item. In a continuation row, a leading
    paragraph (or note) continues the column's last item.
    """
    blocks = _merge_lead_in(blocks)
    loose: list[str] = []
    for n, block in enumerate(blocks):
        if block.kind == "note":
            (items[-1].notes if items else loose).append(block.text)
        elif continues and n == 0 and block.kind == "para" and items:
            items[-1].text = f"{items[-1].text} {block.text}"
            items[-1].notes.extend(block.notes)
        else:
            items.append(Item(text=block.text, notes=list(block.notes)))
    return loose


def _merge_lead_in(blocks: list[Block]) -> list[Block]:
    """"Afhankelijk van uitkomst verkenning:" + one item -> one item."""
    if len(blocks) == 2 and blocks[0].kind == "para" and blocks[0].text.endswith(":") and blocks[1].kind == "item":
        lead, item = blocks
        return [Block("item", f"{lead.text} {item.text}", [*lead.notes, *item.notes])]
    return blocks
