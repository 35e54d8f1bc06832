"""Heading-based parser for articles, letters, web pages and PDFs: text -> `GenericDocument`.

Pure functions. Each format is first turned into the same flat list of blocks (`Heading`,
`Paragraph`) with all markup gone (Markdown through markdown-it-py's token stream, HTML through
BeautifulSoup, plain and PDF text by the shape of its lines); one builder then groups blocks into sections, drops the
document title and scraper debris, splits overlong sections and gives every section a stable,
unique slug (the slug ends up in chunk ids and citations, so it must not depend on chance).
"""

from __future__ import annotations

import html as html_lib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import CData, Comment, Declaration, Doctype, ProcessingInstruction
from markdown_it import MarkdownIt
from markdown_it.token import Token

from ingest.clean import slugify
from ingest.models import DocumentInfo, GenericDocument, Section

MAX_SECTION_CHARS = 4000  # longer sections are split into "titel (deel 2)", ...
PART_CHARS = 1500  # size of the "Deel 1", "Deel 2" parts of a document without headings
INTRO_SLUG = "inleiding"
MAX_HEADING_CHARS = 80
MAX_HEADING_WORDS = 12
MAX_SLUG_CHARS = 80


@dataclass(frozen=True)
class Heading:
    level: int
    title: str


@dataclass(frozen=True)
class Paragraph:
    text: str  # clean text; list items and table rows on their own lines


Block = Heading | Paragraph


def parse_generic(text: str, fmt: str, document: DocumentInfo) -> GenericDocument:
    """Parse a document's text (as returned by `ingest.readers.read_text`) into sections."""
    metadata: dict[str, str] = {}
    if fmt == "html":
        metadata, blocks = html_blocks(text)
    else:
        metadata, body = split_front_matter(text)
        blocks = markdown_blocks(body) if fmt == "markdown" else plain_blocks(body, pdf=fmt == "pdf")
    blocks = _drop_title_and_source(blocks, metadata, document)
    blocks = [b for b in blocks if not _is_boilerplate(b)]
    intro_title = document.title or metadata.get("title", "") or "Inleiding"
    return GenericDocument(document=document, metadata=metadata, sections=build_sections(blocks, intro_title))


# --- text helpers -------------------------------------------------------------------------------

# Characters that are invisible in the source but break words for search: soft hyphen, zero-width.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))


def normalise_line(text: str) -> str:
    """One line: invisible characters removed, all whitespace runs (incl. NBSP) a single space."""
    return " ".join(text.translate(_INVISIBLE).split())


def _comparable(text: str) -> str:
    return normalise_line(text).casefold().rstrip(" .:")


# --- front matter -------------------------------------------------------------------------------

# Front matter is YAML before the Markdown, not Markdown: markdown-it has no rule for it (mdit-py-plugins
# is not installed), and scraped titles are often invalid YAML (see _parse_front_matter).
_FRONT_MATTER = re.compile(r"\A\ufeff?\s*---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_MATTER_KEY = re.compile(r"^([A-Za-z_][\w.-]*)[ \t]*:[ \t]*(.*)$")
_BLOCK_SCALAR = {"|", ">", "|-", ">-", "|+", ">+"}


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """(metadata, body). `---` blocks that do not hold `key: value` lines are left in the body."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    metadata = _parse_front_matter(match.group(1))
    return (metadata, text[match.end() :]) if metadata else ({}, text)


def _parse_front_matter(raw: str) -> dict[str, str]:
    """Line-based, not yaml.safe_load: scraped titles such as "De werkagenda: een jaar" are invalid YAML."""
    metadata: dict[str, str] = {}
    key: str | None = None
    for line in raw.split("\n"):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _FRONT_MATTER_KEY.match(line)
        if match and not line[0].isspace():
            key = match.group(1).lower()
            value = match.group(2).strip()
            metadata[key] = "" if value in _BLOCK_SCALAR else _unquote(value)
            continue
        if key is None:
            return {}  # not front matter after all
        item = line.strip()
        joiner = " "
        if item.startswith("- "):
            item, joiner = _unquote(item[2:].strip()), ", "
        metadata[key] = f"{metadata[key]}{joiner}{item}" if metadata[key] else item
    return metadata


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


# --- markdown -------------------------------------------------------------------------------------

# CommonMark plus GFM tables and strikethrough. Indented code is off: scraped articles indent list
# items and paragraphs by a few spaces as layout, and the previous reader read those as text too.
_MARKDOWN = MarkdownIt("commonmark").enable(["table", "strikethrough"]).disable("code")
# Not Markdown, so markdown-it leaves these alone:
_HEADING_ID = re.compile(r"[ \t]*\{#[\w-]+\}[ \t]*$")  # a Pandoc/kramdown heading anchor "{#id}"
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)  # raw HTML passes through markdown-it untouched
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")  # tags of a raw HTML block; its text is kept
_GLYPH_BULLET = re.compile(r"^•[ \t]+")  # "•" is no Markdown list marker, but pasted text uses it
# "| a | b |" lines without a "|---|" row are no GFM table, but scraped pages have them: rows all the same.
_PIPE_ROW = re.compile(r"^\|.*\|$")
_TABLE_RULE = re.compile(r"^\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?$")  # its "|---|" line
# Share buttons scraped along with a page: "Deel via e-mail", "Deel op X", "Deel op LinkedIn".
_SHARE_URL = re.compile(
    r"^mailto:[^?]*\?(?:.*&)?(?:subject|body)=|[/.](?:share|sharer|shareArticle)\b|/intent/tweet|whatsapp\.com/send|wa\.me/",
    re.IGNORECASE,
)


def is_share_url(url: str) -> bool:
    return bool(_SHARE_URL.search(url.strip()))


def _inline_lines(children: list[Token]) -> list[str]:
    """The plain text of an inline token stream, one string per source line: links keep their text
    (share links are dropped), images their alt text, emphasis and code lose their marks."""
    lines: list[str] = [""]
    dropped_links = 0  # depth inside a share link
    for token in children:
        kind = token.type
        if dropped_links:
            dropped_links += {"link_open": 1, "link_close": -1}.get(kind, 0)
        elif kind == "link_open" and token.markup != "autolink" and is_share_url(str(token.attrGet("href") or "")):
            dropped_links = 1
        elif kind in ("text", "code_inline"):
            lines[-1] += token.content
        elif kind == "image":
            lines[-1] += _inline_text(token.children or [])  # its alt text, itself inline Markdown
        elif kind == "html_inline":
            lines[-1] += "" if token.content.startswith("<!--") else " "
        elif kind in ("softbreak", "hardbreak"):
            lines.append("")
    return [normalise_line(line) for line in lines]


def _inline_text(children: list[Token]) -> str:
    return normalise_line(" ".join(_inline_lines(children)))


@dataclass
class _MarkdownReader:
    """markdown-it's token stream as blocks: a heading per heading, a paragraph per paragraph, and the
    items of adjacent lists and tables together as one paragraph, one line per item or row.

    Where CommonMark and the previous line-based reader differ, CommonMark wins in three cases that
    do not occur in scraped articles and lose no text: "Tekst\n2. punt" (only a list that starts at 1
    may interrupt a paragraph), "[tekst][1]" without a definition (literal text), and "Tekst\n<div>"
    (an HTML block starts a new paragraph)."""

    blocks: list[Block] = field(default_factory=list)
    items: list[list[str]] = field(default_factory=list)  # [marker, text] of pending list items and rows
    open_items: list[int] = field(default_factory=list)  # indexes into items of the enclosing <li>s
    row: list[str] | None = None  # the cells of the table row being read
    heading: int = 0  # the level of the heading being read

    def read(self, body: str) -> list[Block]:
        for token in _MARKDOWN.parse(body):
            self._token(token)
        self._flush_items()
        return self.blocks

    def _token(self, token: Token) -> None:
        kind = token.type
        if kind == "heading_open":
            self._flush_items()
            self.heading = int(token.tag[1])
        elif kind == "heading_close":
            self.heading = 0
        elif kind == "inline" and self.heading:
            self._heading(self.heading, _inline_text(token.children or []))
        elif kind == "list_item_open":
            marker = f"{token.info}{token.markup}" if token.info else "-"  # "3)" as written; bullets "-"
            self.items.append([marker, ""])
            self.open_items.append(len(self.items) - 1)
        elif kind == "list_item_close":
            self.open_items.pop()
        elif kind == "tr_open":
            self.row = []
        elif kind == "tr_close" and self.row is not None:
            self.items.append(["", "; ".join(c for c in self.row if c)])
            self.row = None
        elif kind == "inline" and self.row is not None:
            self.row.append(_inline_text(token.children or []))
        elif kind == "inline":
            self._paragraph(_inline_lines(token.children or []))
        elif kind in ("fence", "code_block"):
            self._flush_items()
            self._add("\n".join(line for line in map(normalise_line, token.content.split("\n")) if line))
        elif kind == "html_block":
            text = normalise_line(html_lib.unescape(_TAG.sub(" ", _HTML_COMMENT.sub("", token.content))))
            if text:
                self._paragraph([text])
        elif kind == "hr":
            self._flush_items()

    def _paragraph(self, lines: list[str]) -> None:
        """A paragraph's lines; from a "•" line or a pipe row on, each of those is an item of its own
        and the lines after one continue it (as in a Markdown list item)."""
        first = next((n for n, line in enumerate(lines) if _GLYPH_BULLET.match(line) or _PIPE_ROW.match(line)), len(lines))
        lead = normalise_line(" ".join(lines[:first]))
        if self.open_items:  # the paragraph of a list item (or its continuation)
            item = self.items[self.open_items[-1]]
            item[1] = normalise_line(f"{item[1]} {lead}")
        elif lead:
            self._flush_items()
            self._add(lead)
        for line in lines[first:]:
            if bullet := _GLYPH_BULLET.match(line):
                self.items.append(["-", line[bullet.end() :]])
            elif _PIPE_ROW.match(line):
                if not _TABLE_RULE.match(line):
                    self.items.append(["", "; ".join(c.strip() for c in line.strip("|").split("|") if c.strip())])
            elif self.items:
                self.items[-1][1] = normalise_line(f"{self.items[-1][1]} {line}")
            else:  # after a lone "|---|" line
                self._add(line)

    def _heading(self, level: int, text: str) -> None:
        title = normalise_line(_HEADING_ID.sub("", text))
        if not title:
            return
        # ##### and deeper are too fine-grained for citable sections: keep them as text.
        self.blocks.append(Heading(level, title) if level <= 4 else Paragraph(title))

    def _add(self, text: str) -> None:
        if text:
            self.blocks.append(Paragraph(text))

    def _flush_items(self) -> None:
        lines = [f"{marker} {text}" if marker else text for marker, text in self.items if text]
        self._add("\n".join(lines))
        self.items.clear()


def markdown_blocks(body: str) -> list[Block]:
    return _MarkdownReader().read(body)


# --- HTML ------------------------------------------------------------------------------------------

# Page chrome and non-text elements. <aside> holds "related" links on government sites.
_HTML_DROP = (
    "script", "style", "nav", "footer", "noscript", "template", "svg", "iframe", "form", "button",
    "aside", "head", "title", "meta", "link", "object", "embed", "canvas", "select", "input",
)  # fmt: skip
_HTML_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4}
_HTML_INLINE = frozenset(
    "a abbr acronym b bdi bdo big cite code data del dfn em font i img ins kbd label mark q s samp small "
    "span strike strong sub sup time tt u var wbr".split()
)
_HTML_TEXT_BLOCKS = frozenset("p pre h5 h6 dt dd figcaption address summary legend".split())
_HTML_NON_TEXT = (Comment, Declaration, Doctype, ProcessingInstruction, CData)


def html_blocks(source: str) -> tuple[dict[str, str], list[Block]]:
    """(metadata, blocks) of an HTML page; page chrome (nav, header, footer, scripts) is dropped."""
    soup = BeautifulSoup(source, "html.parser")
    metadata = _html_metadata(soup)
    for tag in soup.find_all(_HTML_DROP):
        if not tag.decomposed:
            tag.decompose()
    for tag in soup.find_all("header"):
        # A page header is chrome; an article's own <header> usually holds its <h1>.
        if not tag.decomposed and tag.find_parent(["article", "main"]) is None:
            tag.decompose()
    root = soup.find("main") or soup.find(attrs={"role": "main"}) or soup.body or soup
    return metadata, _HtmlWalker().walk(root) if isinstance(root, Tag) else []


def _html_metadata(soup: BeautifulSoup) -> dict[str, str]:
    metadata: dict[str, str] = {}
    if soup.title and (title := normalise_line(soup.title.get_text(" "))):
        metadata["title"] = title
    for key, attrs in (
        ("description", {"name": "description"}),
        ("url", {"property": "og:url"}),
    ):
        tag = soup.find("meta", attrs=attrs)
        if isinstance(tag, Tag) and (content := normalise_line(str(tag.get("content") or ""))):
            metadata[key] = content
    canonical = soup.find("link", rel="canonical")
    if isinstance(canonical, Tag) and canonical.get("href"):
        metadata["url"] = str(canonical.get("href"))
    return metadata


def _html_text(node: Tag, skip_lists: bool = False) -> str:
    """The text of an element; block children are kept apart by spaces, share links left out."""
    parts: list[str] = []
    for child in node.children:
        if isinstance(child, NavigableString):
            if not isinstance(child, _HTML_NON_TEXT):
                parts.append(str(child))
        elif isinstance(child, Tag):
            if (skip_lists and child.name in ("ul", "ol")) or (child.name == "a" and is_share_url(str(child.get("href") or ""))):
                continue
            text = _html_text(child, skip_lists)
            parts.append(text if child.name in _HTML_INLINE else f" {text} ")
    return "".join(parts)


@dataclass
class _HtmlWalker:
    """Walks the element tree in document order; loose text between blocks becomes a paragraph."""

    blocks: list[Block] = field(default_factory=list)
    inline: list[str] = field(default_factory=list)

    def walk(self, root: Tag) -> list[Block]:
        for child in root.children:
            self._visit(child)
        self._flush()
        return self.blocks

    def _visit(self, node: object) -> None:
        if isinstance(node, NavigableString):
            if not isinstance(node, _HTML_NON_TEXT):
                self.inline.append(str(node))
            return
        if not isinstance(node, Tag):
            return
        name = node.name
        if name in _HTML_INLINE or name == "br":
            if not (name == "a" and is_share_url(str(node.get("href") or ""))):
                self.inline.append(" " if name == "br" else _html_text(node))
            return
        self._flush()
        if name in _HTML_HEADINGS:
            if title := normalise_line(_html_text(node)):
                self.blocks.append(Heading(_HTML_HEADINGS[name], title))
        elif name in ("ul", "ol"):
            self._add("\n".join(_html_list_lines(node, ordered=name == "ol")))
        elif name == "li":  # an item outside any list
            if item := normalise_line(_html_text(node)):
                self._add(f"- {item}")
        elif name == "table":
            self._add("\n".join(_html_table_rows(node)))
        elif name in _HTML_TEXT_BLOCKS:
            self._add(normalise_line(_html_text(node)))
        else:  # a container: div, section, article, blockquote, ...
            for child in node.children:
                self._visit(child)
            self._flush()

    def _add(self, text: str) -> None:
        if text.strip():
            self.blocks.append(Paragraph(text))

    def _flush(self) -> None:
        self._add(normalise_line("".join(self.inline)))
        self.inline.clear()


def _html_list_lines(node: Tag, ordered: bool) -> list[str]:
    """One line per item ("- x" or "3. x"); nested lists follow their item, flattened."""
    lines: list[str] = []
    try:
        number = int(str(node.get("start") or 1))
    except ValueError:
        number = 1
    for child in node.children:
        if not isinstance(child, Tag):
            continue
        if child.name != "li":
            nested_ordered = child.name == "ol" if child.name in ("ul", "ol") else ordered
            lines.extend(_html_list_lines(child, nested_ordered))
            continue
        if text := normalise_line(_html_text(child, skip_lists=True)):
            lines.append(f"{number}. {text}" if ordered else f"- {text}")
        number += 1
        for nested in child.find_all(["ul", "ol"]):
            if nested.find_parent(["ul", "ol"]) is node:
                lines.extend(_html_list_lines(nested, ordered=nested.name == "ol"))
    return lines


def _html_table_rows(table: Tag) -> list[str]:
    rows = []
    if table.caption and (caption := normalise_line(_html_text(table.caption))):
        rows.append(caption)
    for row in table.find_all("tr"):
        if row.find_parent("table") is not table:
            continue  # rows of a nested table are part of their cell's text
        cells = [normalise_line(_html_text(cell)) for cell in row.find_all(["td", "th"], recursive=False)]
        if line := "; ".join(c for c in cells if c):
            rows.append(line)
    return rows


# --- plain text and PDF text -------------------------------------------------------------------

# Plain and PDF text has no markup: its lists, numbered headings and page numbers are found by shape.
_LIST_LINE = re.compile(r"^(?:([-*•·–▪◦])|(\d{1,3}[.)]))\s+(\S.*)$")
_NUMBERED_ITEM = re.compile(r"^\d{1,3}[.)]\s")  # "1. Burgers": an item, unless it stands alone
_NUMBERED_HEADING = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})(\.?)\s+(\S.*)$")  # "2.3 Titel"
# "12", "pagina 3 van 40": page furniture of a PDF
_PAGE_NUMBER = re.compile(r"^(?:pagina\s+|page\s+)?\d{1,4}(?:\s*(?:/|van|of)\s*\d{1,4})?$", re.IGNORECASE)
_SENTENCE_END = (".", "!", "?", ":", ";", ")", '"', "”", "’")
_HEADING_BAD_END = (".", ",", ";", ":", "-")
_SOFT_HYPHEN_BREAK = re.compile(r"[a-zà-ÿ]-$")  # a PDF line ending in a hyphenated word


def plain_blocks(text: str, pdf: bool = False) -> list[Block]:
    """Blocks of plain text: headings by heuristic, paragraphs split on blank lines."""
    lines = [normalise_line(line) for line in text.replace("\f", "\n\n").split("\n")]
    if pdf:  # lone page numbers are page furniture, not text
        lines = [line for line in lines if not _PAGE_NUMBER.match(line)]
    headings = {i: h for i in range(len(lines)) if (h := _plain_heading_at(lines, i))}
    blocks: list[Block] = []
    paragraph: list[str] = []
    for i, line in enumerate(lines):
        if i in headings or not line:
            if paragraph:
                blocks.append(Paragraph(_join_lines(paragraph, pdf)))
                paragraph = []
            if i in headings:
                blocks.append(headings[i])
        else:
            paragraph.append(line)
    if paragraph:
        blocks.append(Paragraph(_join_lines(paragraph, pdf)))
    return blocks


def _heading_shaped(text: str) -> bool:
    """Short, starts with a capital or digit, no sentence-final punctuation."""
    return (
        0 < len(text) <= MAX_HEADING_CHARS
        and len(text.split()) <= MAX_HEADING_WORDS
        and (text[0].isupper() or text[0].isdigit())
        and not text.endswith(_HEADING_BAD_END)
        and any(c.isalpha() for c in text)
    )


def _plain_heading_at(lines: list[str], i: int) -> Heading | None:
    return _numbered_heading_at(lines, i) or _unnumbered_heading_at(lines, i)


def _numbered_heading(line: str) -> Heading | None:
    """ "2.3 Titel" -> Heading(3, "2.3 Titel"): level follows the depth of the number."""
    match = _NUMBERED_HEADING.match(line)
    if not match or not match.group(3)[0].isupper() or not _heading_shaped(line):
        return None
    return Heading(min(4, match.group(1).count(".") + 2), line)


def _numbered_heading_at(lines: list[str], i: int) -> Heading | None:
    heading = _numbered_heading(lines[i])
    if heading is None:
        return None
    previous = lines[i - 1] if i > 0 else ""
    # In PDF text headings are rarely set off by blank lines, but they never continue a sentence.
    if previous and not (previous.endswith(_SENTENCE_END) or _LIST_LINE.match(previous) or _numbered_heading(previous)):
        return None
    # "1. Burgers" next to "2. Bedrijven" is a numbered list, not two headings.
    if _NUMBERED_ITEM.match(lines[i]) and any(_NUMBERED_ITEM.match(n) for n in _neighbours(lines, i)):
        return None
    return heading


def _unnumbered_heading_at(lines: list[str], i: int) -> Heading | None:
    """A lone short line between blank lines, followed by a real paragraph."""
    line = lines[i]
    if not line or _LIST_LINE.match(line) or not _heading_shaped(line):
        return None
    if (i > 0 and lines[i - 1]) or i + 1 >= len(lines) or lines[i + 1]:
        return None
    following = _paragraph_after(lines, i + 1)
    if not following or (len(following) == 1 and _heading_shaped(following[0])):
        return None
    return Heading(2, line)


def _neighbours(lines: list[str], i: int) -> list[str]:
    before = next((line for line in reversed(lines[:i]) if line), "")
    after = next((line for line in lines[i + 1 :] if line), "")
    return [n for n in (before, after) if n]


def _paragraph_after(lines: list[str], start: int) -> list[str]:
    """The lines of the first paragraph at or after `start`."""
    i = start
    while i < len(lines) and not lines[i]:
        i += 1
    out = []
    while i < len(lines) and lines[i]:
        out.append(lines[i])
        i += 1
    return out


def _join_lines(lines: list[str], pdf: bool) -> str:
    """Wrapped lines become one paragraph; list items stay on their own line."""
    out: list[str] = []
    for line in lines:
        if item := _LIST_LINE.match(line):
            marker = item.group(2) or "-"
            out.append(f"{marker} {item.group(3)}")
        elif out and pdf and _SOFT_HYPHEN_BREAK.search(out[-1]) and line[:1].islower():
            out[-1] = out[-1][:-1] + line  # "digitali-" + "sering": a word broken at the line end
        elif out:
            out[-1] = f"{out[-1]} {line}"
        else:
            out.append(line)
    return "\n".join(out)


# --- from blocks to sections --------------------------------------------------------------------

# The scraper's own "Source: URL" line above an article: page furniture, in any format.
_SOURCE_LINE = re.compile(r"^(?:source|bron)\s*:\s*(\S+)$", re.IGNORECASE)
_BOILERPLATE = frozenset(
    {"deel deze pagina", "deel dit artikel", "deel dit bericht", "share this page", "print deze pagina", "terug naar boven", "naar boven"}
)


def _drop_title_and_source(blocks: list[Block], metadata: dict[str, str], document: DocumentInfo) -> list[Block]:
    """Drop the document's own title headings and the scraper's "Source: URL" line before the first section.

    The title is already the document's name and becomes the intro's titel; as a section of its
    own it would hold nothing but the intro. Text under a title heading flows into the intro.
    """
    titles = {_comparable(t) for t in (document.title, document.short_title, metadata.get("title", "")) if t}
    title_indexes = {i for i, b in enumerate(blocks) if isinstance(b, Heading) and _comparable(b.title) in titles}
    title_indexes |= _leading_top_headings(blocks)
    out: list[Block] = []
    in_preamble = True
    for i, block in enumerate(blocks):
        if i in title_indexes and isinstance(block, Heading):
            metadata.setdefault("title", block.title)
            continue
        if isinstance(block, Heading):
            in_preamble = False
        elif in_preamble and (source := _SOURCE_LINE.match(block.text)):
            metadata.setdefault("url", source.group(1))
            continue
        out.append(block)
    return out


def _leading_top_headings(blocks: list[Block]) -> set[int]:
    """Level-1 headings that all come before the first deeper heading are document titles."""
    headings = [(i, b) for i, b in enumerate(blocks) if isinstance(b, Heading)]
    first_deeper = next((i for i, h in headings if h.level > 1), None)
    level_one = [i for i, h in headings if h.level == 1]
    if first_deeper is None or not level_one or max(level_one) > first_deeper:
        return set()
    return set(level_one)


def _is_boilerplate(block: Block) -> bool:
    return isinstance(block, Paragraph) and _comparable(block.text) in _BOILERPLATE


@dataclass
class _Draft:
    title: str
    level: int
    slug: str
    paragraphs: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(p for p in self.paragraphs if p.strip())


def build_sections(blocks: list[Block], intro_title: str) -> list[Section]:
    """Group blocks under their headings; text before the first heading is the intro ("inleiding")."""
    levels = [b.level for b in blocks if isinstance(b, Heading)]
    drafts = [_Draft(intro_title, min(levels, default=2), INTRO_SLUG)]
    for block in blocks:
        if isinstance(block, Heading):
            drafts.append(_Draft(block.title, block.level, slugify(block.title, fallback="sectie", max_chars=MAX_SLUG_CHARS)))
        else:
            drafts[-1].paragraphs.append(block.text)
    if len(drafts) == 1:  # no headings at all: cut the text into parts of a readable size
        drafts = _numbered_parts(drafts[0].paragraphs)
    else:
        drafts = [part for draft in drafts for part in _split_long(draft)]
    return _with_unique_slugs(d for d in drafts if d.text)


def _numbered_parts(paragraphs: list[str]) -> list[_Draft]:
    parts = _pack(_pieces(paragraphs, PART_CHARS), PART_CHARS)
    return [_Draft(f"Deel {n}", 2, f"deel-{n}", [text]) for n, text in enumerate(parts, start=1)]


def _split_long(draft: _Draft) -> list[_Draft]:
    """A section over MAX_SECTION_CHARS becomes "titel", "titel (deel 2)", ...; the first keeps its slug."""
    if len(draft.text) <= MAX_SECTION_CHARS:
        return [draft]
    parts = _pack(_pieces(draft.paragraphs, MAX_SECTION_CHARS), MAX_SECTION_CHARS)
    out = [_Draft(draft.title, draft.level, draft.slug, [parts[0]])]
    for n, text in enumerate(parts[1:], start=2):
        out.append(_Draft(f"{draft.title} (deel {n})", draft.level, f"{draft.slug}-deel-{n}", [text]))
    return out


def _with_unique_slugs(drafts: Iterable[_Draft]) -> list[Section]:
    seen: set[str] = set()
    sections = []
    for draft in drafts:
        slug, n = draft.slug, 2
        while slug in seen:
            slug, n = f"{draft.slug}-{n}", n + 1
        seen.add(slug)
        sections.append(Section(slug=slug, titel=draft.title, tekst=draft.text, level=draft.level))
    return sections


# --- splitting text into parts of bounded size ---------------------------------------------------

# Where an overlong paragraph may be cut: after a sentence end, before a capital (text, not Markdown).
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[\"'‘“(]?[A-Z0-9À-Þ])")
Piece = tuple[str, str]  # (separator before it, text)


def _pieces(paragraphs: list[str], limit: int) -> list[Piece]:
    """Paragraphs cut into pieces of at most `limit` chars: by line, then sentence, then word."""
    out: list[Piece] = []
    for paragraph in paragraphs:
        pieces = _explode(paragraph, limit, depth=0)
        out.append(("\n\n", pieces[0][1]))
        out.extend(pieces[1:])
    return out


def _explode(text: str, limit: int, depth: int) -> list[Piece]:
    splitters = (("\n", lambda t: t.split("\n")), (" ", _SENTENCE_BREAK.split), (" ", lambda t: _word_runs(t, limit)))
    if len(text) <= limit or depth >= len(splitters):
        return [("", text)]
    separator, split = splitters[depth]
    out: list[Piece] = []
    for n, part in enumerate(p for p in split(text) if p):
        sub = _explode(part, limit, depth + 1)
        out.append(("" if n == 0 else separator, sub[0][1]))
        out.extend(sub[1:])
    return out


def _word_runs(text: str, limit: int) -> list[str]:
    runs: list[str] = []
    current = ""
    for word in text.split(" "):
        if current and len(current) + 1 + len(word) > limit:
            runs.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    return [*runs, current] if current else runs


def _pack(pieces: list[Piece], limit: int) -> list[str]:
    """Join pieces into parts of at most `limit` chars, of roughly equal size (no tiny last part)."""
    total = sum(len(sep) + len(text) for sep, text in pieces)
    target = total / max(1, math.ceil(total / limit))
    parts: list[str] = []
    current = ""
    for separator, text in pieces:
        if current and (len(current) + len(separator) + len(text) > limit or len(current) >= target):
            parts.append(current)
            current = text
        else:
            current = f"{current}{separator}{text}" if current else text
    return [*parts, current] if current else parts
