"""Pure text-cleaning helpers for text extracted from PDFs and HTML-ish table cells.

The 2022 Werkagenda reaches us as a PDF extraction: table cells hold `<p>`, `<ul>`, `<i>` and
`<div data-bbox=... style=...>` debris, bullets are "•" characters (or missing altogether),
and notes ("Noot: ...") sit in boxes next to the text they annotate. These helpers turn such
strings into clean text, list items and notes; they know nothing about the agenda's structure.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Literal

# --- plain text -------------------------------------------------------------------------------

_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"</?[A-Za-z][^>]*>")
# Attribute debris left when a tag was cut in half by the extraction.
_ATTR_DEBRIS = re.compile(r"""\b(?:data-bbox|style|class)\s*=\s*("[^"]*"|'[^']*'|\S+)""")
_SUPERSCRIPT = re.compile(r"\s*[¹²³⁴⁵⁶⁷⁸⁹⁰]+")
# A footnote number glued to a lowercase word: "alle1 overheden", "(uitvoering motie21)".
# Only all-lowercase words, so names such as "NIB2" or "CO2" are left alone.
_GLUED_FOOTNOTE = re.compile(r"\b([a-zà-ÿ]{3,})\d{1,2}(?=[\s),.;:]|$)")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,;:!?)]|\.(?!\.))")  # "commons' ." -> "commons'." (not "...")
_SPACE_AFTER_OPENING_QUOTE = re.compile(r"([“‘])\s+")  # "“ De huidige ..." -> "“De huidige ..."
_NOTE_PREFIX = re.compile(r"^\s*Noot\s*:\s*(?:\d{1,2}\.\s+)?", re.IGNORECASE)


def strip_markdown_links(text: str) -> str:
    """`[2.1 "Publieke waarden borgen"](#)` -> `2.1 "Publieke waarden borgen"`."""
    return _MD_LINK.sub(r"\1", text)


def strip_tags(text: str) -> str:
    """Remove HTML tags and stray attribute debris; tags become spaces so words stay apart."""
    return _ATTR_DEBRIS.sub(" ", _TAG.sub(" ", text))


def normalise_whitespace(text: str) -> str:
    """Collapse all whitespace (tabs, newlines, non-breaking spaces) into single spaces."""
    return " ".join(text.split())


def drop_footnote_markers(text: str) -> str:
    text = _SUPERSCRIPT.sub("", text)
    return _GLUED_FOOTNOTE.sub(r"\1", text)


def clean_text(text: str) -> str:
    """One line of clean text: no tags, entities, markdown links, footnote markers or odd spacing."""
    text = html.unescape(strip_tags(strip_markdown_links(text)))
    text = normalise_whitespace(drop_footnote_markers(text))
    text = _SPACE_AFTER_OPENING_QUOTE.sub(r"\1", text)
    return _SPACE_BEFORE_PUNCT.sub(r"\1", text)


def is_note(text: str) -> bool:
    return bool(_NOTE_PREFIX.match(clean_text(text)))


def note_text(text: str) -> str:
    """The body of a note: "Noot: 1. Zie ..." -> "Zie ..." (prefix and footnote number dropped)."""
    return _NOTE_PREFIX.sub("", clean_text(text)).strip()


# --- splitting list cells into items --------------------------------------------------------

# Words after which a capitalised word is part of the same phrase ("Tel mee met Taal", "de EU").
FUNCTION_WORDS = frozenset(
    """
    de het een der des den van en of met voor in op aan bij door naar om tot uit over als te dat die dit
    deze zoals via binnen buiten tussen onder tegen zonder vanuit vanaf waarop waarin waarmee waarbij
    waarvan welke wie per elke ieder iedere alle ons onze hun haar je jouw mijn is
    o.a. bijv. bijvoorbeeld incl. inclusief i.s.m. icm m.b.t. d.m.v. dmv t/m t.b.v. conform namens
    richting rond rondom omtrent jegens na sinds ten ter langs volgens dan
    on the for and to
    """.split()
)
# An item opening with a preposition and ending in a participle modifies what follows ("Met de Kamer gedeeld X").
PREPOSITIONS = frozenset("met voor in op aan bij door naar om tot uit over via van tussen onder zonder na".split())
# Capitalised words that open a new item even right after an acronym or a name ("... BIO Er zijn").
ITEM_STARTERS = frozenset("Er De Het Een Eerste Alle Zie Nader Nog Ook".split())
_OPENING_PUNCT = "'\"‘“("
_CLOSING_PUNCT = ")'\"’”"
_ENUMERATOR = re.compile(r"^\(\d{1,2}\)$")  # "(4)" in "... (4) Rijksbreed dashboard"
_PARTICIPLE = re.compile(r"^[a-zà-ÿ]*ge[a-zà-ÿ]*[dt]$")  # "opgesteld", "aangesteld", "gerealiseerd"
_SENTENCE_END = re.compile(r"[.:;!?]$")


def _bare(word: str) -> str:
    return word.lstrip(_OPENING_PUNCT).rstrip(_CLOSING_PUNCT + ".,;:")


def _is_capitalised(word: str) -> bool:
    """"Het", "Pol.is", "Publiek-privaat" but not acronyms ("IDOs", "UvA", "CE-markering")."""
    w = _bare(word)
    return len(w) >= 2 and w[0].isupper() and w[1].islower() and not any(c.isupper() for c in w[1:])


def _is_acronymish(word: str) -> bool:
    return sum(c.isupper() for c in _bare(word)) >= 2


def proper_names(text: str) -> frozenset[str]:
    """Capitalised words the document itself uses mid-sentence ("de Wet", "internationale Cyberstrategie").

    Such words are names, so a run-on list cell is not split in front of them. Run-on list cells
    are skipped here (their item starts would look like mid-sentence capitals).
    """
    names: set[str] = set()
    for line in text.splitlines():
        line = re.sub(r"<ul[^>]*>(?![^<]*•)[^<\t]*", " ", line)  # drop run-on list contents
        for piece in re.split(r"\t|•|<[^>]+>|^\s*- ", line):
            words = clean_text(piece).split()
            for prev, word in zip(words, words[1:]):
                if _is_capitalised(word) and not _SENTENCE_END.search(prev):
                    names.add(_bare(word))
    return frozenset(names - ITEM_STARTERS)


def _ends_phrase(word: str) -> bool:
    """Can an item end with this word? A lowercase content word or a closing bracket/quote."""
    if word.lower() in FUNCTION_WORDS or _ENUMERATOR.match(word):
        return False
    return word[-1] in _CLOSING_PUNCT or word[-1].islower()


def _starts_item(prev: str, word: str, fragment: list[str], first: str, names: frozenset[str]) -> bool:
    """Is there a visible item boundary between `prev` and `word` in a run-on list cell?

    `fragment` holds the words of the item so far, `first` is the cell's first word (parallel
    items often repeat it: "Keurmerk is ... Keurmerk wordt").
    """
    if word.startswith("(") or prev.lower() in FUNCTION_WORDS or _ENUMERATOR.match(prev):
        return False
    if _SENTENCE_END.search(prev):
        return False  # items often hold two sentences, so "." is no boundary
    if " ".join(fragment).count("(") > " ".join(fragment).count(")"):
        return False  # inside an open bracket: "(herziening Wet Hergebruik ...)"
    if word == first and (_ends_phrase(prev) or _is_acronymish(prev)):
        return True
    if not _is_capitalised(word):
        return False
    if _bare(word) in ITEM_STARTERS or prev[-1] in _CLOSING_PUNCT:
        return True  # "herziene BIO Er zijn", "... (ADS) Publiek-privaat"
    if _is_acronymish(prev) or not _ends_phrase(prev):
        return False  # "Eurostat CBS Tel mee", "GovTech Incubator", "aan 3 Europese"
    if _PARTICIPLE.match(prev):  # "aangesteld Architectuurboard", but "Met de Kamer gedeeld Kabinetsbreed ..."
        return fragment[0].lower() not in PREPOSITIONS  # is one phrase: the participle modifies the noun
    if word[0] in "'‘":
        return True  # "beschikbaar 'Open source, tenzij'"
    if _is_capitalised(prev) or _bare(word) in names:
        return False  # "Alliantie Digitaal Samenleven", "herziening Europese Richtlijn"
    return len(fragment) >= 3  # a two-word start is too often a noun plus a name ("Jaarlijkse rapportage Meldpunt")


def split_run_on_items(text: str, names: frozenset[str] = frozenset()) -> list[str]:
    """Split a list cell whose bullets were lost ("... voor iedereen Het Informatiepunt ...").

    Conservative: when unsure, it does not split. Sentence ends (".") never split, as items often
    hold two sentences.
    """
    words = text.split()
    items: list[list[str]] = []
    for i, word in enumerate(words):
        if not items or _starts_item(words[i - 1], word, items[-1], words[0], names):
            items.append([])
        items[-1].append(word)
    return [" ".join(w) for w in items]


def split_bullets(text: str, names: frozenset[str] = frozenset()) -> list[str]:
    """List items of a cell: split on "•" when present, otherwise on visible item starts."""
    if "•" in text:
        return [p for p in (clean_text(p) for p in text.split("•")) if p]
    text = clean_text(text)
    return split_run_on_items(text, names) if text else []


# --- table cells as blocks --------------------------------------------------------------------

BlockKind = Literal["para", "item", "note"]


@dataclass
class Block:
    kind: BlockKind
    text: str
    notes: list[str] = field(default_factory=list)


# Note boxes, in the three shapes the extraction produces. The div form may contain nested <p>/<i>.
_NOTE_BOX = re.compile(
    r"<div\b[^>]*>(?P<div>.*?)</div>"
    r"|<p>\s*<i>\s*(?P<pi>Noot\s*:.*?)</i>\s*</p>"
    r"|<i>\s*(?P<i>Noot\s*:.*?)</i>",
    re.DOTALL | re.IGNORECASE,
)
_STRUCTURE_TAG = re.compile(r"<(?P<close>/)?(?P<name>ul|li|p)\b[^>]*>", re.IGNORECASE)


def _segments(raw: str) -> list[tuple[str, str]]:
    """Cut a cell into ("note", text) and ("tag", name) / ("text", text) pieces, in order."""
    out: list[tuple[str, str]] = []
    pos = 0
    for match in _NOTE_BOX.finditer(raw):
        out.extend(_tag_segments(raw[pos : match.start()]))
        body = match.group("div") or match.group("pi") or match.group("i") or ""
        out.append(("note", body))
        pos = match.end()
    out.extend(_tag_segments(raw[pos:]))
    return out


def _tag_segments(raw: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    for match in _STRUCTURE_TAG.finditer(raw):
        out.append(("text", raw[pos : match.start()]))
        out.append(("tag", ("/" if match.group("close") else "") + match.group("name").lower()))
        pos = match.end()
    out.append(("text", raw[pos:]))
    return [s for s in out if s[0] == "tag" or s[1].strip()]


def cell_blocks(raw: str, names: frozenset[str] = frozenset()) -> list[Block]:
    """Parse one table cell into paragraphs, list items and notes, in reading order.

    A note is kept attached to the block it follows (the item or paragraph it annotates); a note
    at the very start of a cell becomes a block of its own.
    """
    blocks: list[Block] = []
    in_list = False
    for kind, value in _segments(raw):
        if kind == "tag":
            # <ul>/<li> open a list; <p> and </ul> go back to running text.
            if value in ("ul", "li"):
                in_list = True
            elif value in ("/ul", "p"):
                in_list = False
            continue
        if kind == "note":
            text = note_text(value)
            if text and blocks:
                blocks[-1].notes.append(text)
            elif text:
                blocks.append(Block("note", text))
            continue
        if in_list:
            blocks.extend(Block("item", t) for t in split_bullets(value, names))
        else:
            text = clean_text(value.replace("•", " "))
            if text:
                blocks.append(Block("para", text))
    return blocks


# --- uitvoerder cells -------------------------------------------------------------------------

# Generic parties that the extraction sometimes runs together ("Rijksbreed Medeoverheden
# Uitvoeringsorganisaties"); written in lowercase in the list so each is counted once.
GENERIC_PARTIES = frozenset(
    "medeoverheden uitvoeringsorganisaties gemeenten departementen overheden toezichthouders bibliotheken".split()
)
# Cells that name no organisation ("Ntb" = nog te bepalen).
NOT_AN_ORGANISATION = frozenset({"ntb", "nog te bepalen", "nader te bepalen"})
# Words that open a party description and are only capitalised at the start of a cell.
_LOWERCASE_LEADS = frozenset({"alle", "andere", "diverse", "vooral", "overige"})
_PAREN = re.compile(r"\(([^()]*)\)")
_ORG_NAME = re.compile(r"^(?:de\s+)?(?P<name>[A-Z][\w&.'-]*(?:\s+[A-Z][\w&.'-]*)*)$")
_LIST_SEP = re.compile(r"\s*,\s*|\s+en\s+|\s*\+\s*|\s*/\s*")


def _is_org(word: str) -> bool:
    return sum(c.isupper() for c in word) >= 2


def _expand_paren(match: re.Match[str]) -> str:
    """"(VNG, IPO, UvW)" lists more parties and is kept; "(voor algoritmes)" is a qualifier and goes."""
    parts = [p for p in re.split(r"\s*,\s*|\s+en\s+", match.group(1).strip()) if p]
    names = [m.group("name") for p in parts if (m := _ORG_NAME.match(p))]
    if len(parts) >= 2 and len(names) == len(parts):
        return ", " + ", ".join(names) + ","
    return ","  # a qualifier: drop it, but keep the boundary it marks ("BZK (CIO Rijk) VNG ...")


def _split_generic_runs(entry: str) -> list[str]:
    """"Rijksbreed Medeoverheden Uitvoeringsorganisaties" -> three parties."""
    out: list[list[str]] = [[]]
    for word in entry.split():
        if out[-1] and word.lower() in GENERIC_PARTIES and word[0].isupper():
            out.append([])
        out[-1].append(word)
    return [" ".join(w) for w in out if w]


def _canonical_party(entry: str) -> str:
    """"BZK stimuleert" / "VNG voor gemeentes" -> the organisation; generic parties in lowercase."""
    words = entry.split()
    if len(words) > 1 and _is_org(words[0]) and words[1][0].islower():
        return words[0]
    if entry.lower() in GENERIC_PARTIES:
        return entry.lower()
    if words and words[0].lower() in _LOWERCASE_LEADS:  # "Alle departementen" opening a cell
        return entry[0].lower() + entry[1:]
    return entry


def split_uitvoerders(text: str) -> list[str]:
    """Organisations named in an uitvoerder cell, in order, without qualifiers.

    "BZK, OCW, VWS, EZK en JenV" -> [BZK, OCW, VWS, EZK, JenV]; "BZK (voor algoritmes)" -> BZK;
    "interbestuurlijk (VNG, IPO, UvW)" -> [interbestuurlijk, VNG, IPO, UvW]; "AZ/DPC" -> [AZ, DPC].
    """
    text = clean_text(text.replace("•", " "))
    text = re.sub(r"\((\w+)\)(?=\w)", r"\1", text)  # "(mede)overheden" is a word, not a qualifier
    text = _PAREN.sub(_expand_paren, text)
    out: list[str] = []
    for raw in _LIST_SEP.split(text):
        for entry in _split_generic_runs(raw.strip(" ,;:")):
            party = _canonical_party(entry)
            if party and party.lower() not in NOT_AN_ORGANISATION and party not in out:
                out.append(party)
    return out


# --- slugs ------------------------------------------------------------------------------------


# Letters NFKD does not take apart into an ASCII letter and an accent.
_SLUG_TRANSLIT = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "OE", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D"}
)


def slugify(value: str, fallback: str = "", max_chars: int = 0) -> str:
    """"Aanleiding werkagenda" -> "aanleiding-werkagenda", "Ĳsselmeer" -> "ijsselmeer" (ASCII, lowercase,
    hyphens); cut at a hyphen to at most `max_chars` (0: no limit); `fallback` when nothing is left."""
    folded = unicodedata.normalize("NFKD", value.translate(_SLUG_TRANSLIT)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if max_chars and len(slug) > max_chars:
        slug = slug[:max_chars].rsplit("-", 1)[0]
    return slug or fallback
