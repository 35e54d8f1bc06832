"""Markdown → blocks through markdown-it-py's token stream, table-driven: what becomes a heading, a
paragraph or one line per list item, and what the reader keeps that is not Markdown."""

from __future__ import annotations

import pytest

from ingest.generic_parser import Heading, Paragraph, markdown_blocks

H, P = Heading, Paragraph

BLOCKS = [
    ("# Titel\n\nTekst.\n\n## Kop\n\nMeer.", [H(1, "Titel"), P("Tekst."), H(2, "Kop"), P("Meer.")]),
    ("Titel\n=====\n\nSub\n---\n\nTekst", [H(1, "Titel"), H(2, "Sub"), P("Tekst")]),  # setext headings
    ("## Kop #\n\n#\n\n##### Diep\n\nTekst", [H(2, "Kop"), P("Diep"), P("Tekst")]),  # closing #s, empty, too deep
    ("## Kop {#anker}", [H(2, "Kop")]),  # a heading anchor is no title text
    ("Een regel\ndie doorloopt.\n\nTweede alinea.", [P("Een regel die doorloopt."), P("Tweede alinea.")]),
    # adjacent lists, even across blank lines and marker changes, are one block with one line per item
    ("* een\n+ twee\n  loopt door\n\n1) drie\n2) vier", [P("- een\n- twee loopt door\n1) drie\n2) vier")]),
    ("- a\n  - b\n    - c\n- d", [P("- a\n- b\n- c\n- d")]),  # nested lists flattened in reading order
    ("- a\n\n  vervolg\n- b\n\nNa de lijst.", [P("- a vervolg\n- b"), P("Na de lijst.")]),
    ("  3. drie\n  4. vier", [P("3. drie\n4. vier")]),  # the number as written, not renumbered
    ("Tekst\n• een\n• twee\nloopt door", [P("Tekst"), P("- een\n- twee loopt door")]),  # "•" is no Markdown marker
    ("| A | B |\n|---|---|\n| 1 | |", [P("A; B\n1")]),  # a GFM table: a row per line, empty cells left out
    ("| A | B |\n| 1 | 2 |", [P("A; B\n1; 2")]),  # pipe rows without a "|---|" row: rows all the same
    ("    ingesprongen tekst", [P("ingesprongen tekst")]),  # indentation is layout, not code
    ("```\ncode  regel\n\n  twee\n```", [P("code regel\ntwee")]),
    ("> Een citaat\n> over twee regels.", [P("Een citaat over twee regels.")]),
    ("Tekst\n\n---\n\n***\n\nMeer", [P("Tekst"), P("Meer")]),  # rules separate, add nothing
    ("- [Deel op X](https://x.com/share?url=a)\n- [Lees meer](https://example.org/a)", [P("- Lees meer")]),  # share links dropped
    ("Zie <https://x.com/share?url=a>.", [P("Zie https://x.com/share?url=a.")]),  # an autolink is text, kept
    ("Een ![logo *klein*](l.png) en `x  y` en \\*geen nadruk\\*", [P("Een logo klein en x y en *geen nadruk*")]),
    ("a<!--weg-->b <span>c</span> &amp; ~~d~~", [P("ab c & d")]),
    ("<div>\nEen <b>blok</b> &amp; x\n</div>\n\nTekst", [P("Een blok & x"), P("Tekst")]),  # raw HTML: its text
    ("[1]: https://example.org\n\nEen [verwijzing][1].", [P("Een verwijzing.")]),
]


@pytest.mark.parametrize(("markdown", "blocks"), BLOCKS)
def test_markdown_blocks(markdown, blocks):
    assert markdown_blocks(markdown) == blocks
