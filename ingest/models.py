"""Typed model of the corpus: documents, the agenda's structure, generic sections and chunks.

These pydantic models are the boundary between parsing (pure functions producing them)
and indexing/answering (consuming them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field


class DocumentInfo(BaseModel):
    """One entry of `corpus/manifest.yaml` (or a document added with `werkagenda ingest PATH`)."""

    id: str
    file: str
    title: str
    short_title: str = ""
    year: int | None = None
    kind: str = "document"
    parser: Literal["werkagenda", "generic"] = "generic"
    source_url: str = ""
    version: str = ""

    @property
    def label(self) -> str:
        return self.short_title or self.title


class Item(BaseModel):
    """A list item (bullet) with the notes (`Noot: ...`) that annotate it."""

    text: str
    notes: list[str] = Field(default_factory=list)


class Doel(BaseModel):
    nummer: int
    tekst: str
    items: list[Item] = Field(default_factory=list)  # sub-bullets of the goal text itself
    notes: list[str] = Field(default_factory=list)
    indicatoren: list[Item] = Field(default_factory=list)


class Actie(BaseModel):
    nummer: int
    beschrijving: str
    notes: list[str] = Field(default_factory=list)
    resultaat_2023: list[Item] = Field(default_factory=list)
    resultaat_2025: list[Item] = Field(default_factory=list)
    uitvoerders: list[str] = Field(default_factory=list)
    uitvoerder_tekst: str = ""  # the cell as written ("BZK stimuleert, Public Spaces/publieke partijen")


class Prioriteit(BaseModel):
    code: str  # "2.4"
    titel: str
    maatschappelijke_opgave: str = ""
    opgave_items: list[Item] = Field(default_factory=list)
    opgave_notes: list[str] = Field(default_factory=list)
    behaalde_resultaten: list[Item] = Field(default_factory=list)
    # Notes and remarks about the priority as a whole, outside the opgave and the tables
    # (e.g. 2.4's note on the NLCS, 4.1's "Extra opmerkingen op deze pagina").
    notes: list[str] = Field(default_factory=list)
    doelen: list[Doel] = Field(default_factory=list)
    acties: list[Actie] = Field(default_factory=list)

    @property
    def programmalijn(self) -> int:
        return int(self.code.split(".")[0])


class Programmalijn(BaseModel):
    nummer: int
    titel: str
    intro: str = ""
    prioriteiten: list[Prioriteit] = Field(default_factory=list)


class Section(BaseModel):
    """A free-text section: the agenda's front matter, or a section of an article."""

    slug: str  # stable, unique within its document ("aanleiding-werkagenda")
    titel: str
    tekst: str
    level: int = 2


class Agenda(BaseModel):
    """The structured 2022 Werkagenda."""

    document: DocumentInfo
    sections: list[Section] = Field(default_factory=list)  # front matter, in order
    programmalijnen: list[Programmalijn] = Field(default_factory=list)

    def prioriteiten(self) -> list[Prioriteit]:
        return [p for lijn in self.programmalijnen for p in lijn.prioriteiten]

    def prioriteit(self, code: str) -> Prioriteit:
        for p in self.prioriteiten():
            if p.code == code:
                return p
        raise KeyError(code)


class GenericDocument(BaseModel):
    """Any other document: metadata plus heading-based sections."""

    document: DocumentInfo
    metadata: dict[str, str] = Field(default_factory=dict)
    sections: list[Section] = Field(default_factory=list)


ParsedDocument = Agenda | GenericDocument

Soort = Literal["opgave", "resultaten", "doel", "actie", "programmalijn", "sectie"]


class Chunk(BaseModel):
    """One citable unit, as stored in the index."""

    id: str  # "wwd-2022:2.4:actie:4"
    label: str  # "Werkagenda 2022 · 2.4 Versterken cybersecurity · actie 4"
    document: str  # document id
    document_title: str
    soort: Soort
    programmalijn: int | None = None
    programmalijn_titel: str = ""
    prioriteit: str = ""  # "2.4"
    prioriteit_titel: str = ""
    nummer: int | None = None
    uitvoerders: list[str] = Field(default_factory=list)
    titel: str = ""  # section title, for sections
    text: str  # the display text of the unit itself
    embed_text: str  # text + its context, what is embedded and BM25-indexed
    fields: dict[str, str | list[str]] = Field(default_factory=dict)  # structured fields for answers/UI
    source_url: str = ""
    seq: int = 0  # position within its document, to restore document order
    # A child (one result item, indicator or sentence) names its parent: the citable unit it belongs
    # to. Search ranks children with parents and collapses to the parent; only parents are cited.
    parent: str = ""

    @property
    def is_child(self) -> bool:
        return bool(self.parent)

    def metadata(self) -> dict[str, str | int | float | bool]:
        """Flat metadata for Chroma (scalar values only; lists joined with '|' and bracketed for contains-filters)."""
        return {
            "chunk_id": self.id,
            "label": self.label,
            "document": self.document,
            "soort": self.soort,
            "programmalijn": self.programmalijn or 0,
            "prioriteit": self.prioriteit,
            "nummer": self.nummer or 0,
            "uitvoerders": "|" + "|".join(self.uitvoerders) + "|" if self.uitvoerders else "",
            "parent": self.parent,
        }


@dataclass(frozen=True, slots=True)
class ChildLine:
    """What search keeps of a child chunk: its id, its parent and its line. Search ranks a child's vector
    and shows its line; the rest of a child is its parent's. At 100x the corpus, 89,100 full Chunk objects
    took most of the seconds an index needed to open (index/artifacts.py)."""

    id: str
    parent: str
    text: str
