"""Readers (format detection, decoding, PDF) and the generic heading-based parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.clean import slugify
from ingest.generic_parser import MAX_SECTION_CHARS, PART_CHARS, parse_generic, split_front_matter
from ingest.models import DocumentInfo, GenericDocument
from ingest.readers import UnreadableDocumentError, detect_format, read_text

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
ARTICLE = CORPUS / "werkagenda-jaar-onderweg-2023.md"
ARTICLE_INFO = DocumentInfo(
    id="wwd-jaar-onderweg",
    file=ARTICLE.name,
    title="De werkagenda: een jaar onderweg",
    short_title="Werkagenda een jaar onderweg",
    year=2023,
    kind="artikel",
)
ARTICLE_SLUGS = [
    "inleiding",
    "desinformatie",
    "borgen-van-mensenrechten",
    "verbeteren-van-dienstverlening",
    "privacy-en-gegevensbescherming",
    "versterken-van-de-digitale-veiligheid-en-weerbaarheid",
    "op-orde-brengen-van-de-gegevens-en-informatiehuishouding",
    "caribisch-nederland",
    "en-nu-doorpakken-in-2024",
]
MARKUP = ("](", "**", "<", "##", "](http", "&amp;", "&nbsp;")


def info(title: str = "Testdocument") -> DocumentInfo:
    return DocumentInfo(id="test", file="test", title=title)


def parse_file(path: Path, title: str = "Testdocument") -> GenericDocument:
    text, fmt = read_text(path)
    return parse_generic(text, fmt, info(title))


def parse(text: str, fmt: str = "markdown", title: str = "Testdocument") -> GenericDocument:
    return parse_generic(text, fmt, info(title))


def slugs(doc: GenericDocument) -> list[str]:
    return [s.slug for s in doc.sections]


def section(doc: GenericDocument, slug: str) -> str:
    return next(s.tekst for s in doc.sections if s.slug == slug)


def assert_clean(doc: GenericDocument) -> None:
    for s in doc.sections:
        assert s.tekst.strip(), s.slug
        for bad in MARKUP:
            assert bad not in s.tekst, (s.slug, bad)
            assert bad not in s.titel, (s.slug, bad)
        assert "  " not in s.tekst and "\n\n\n" not in s.tekst


# --- the real article ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def article() -> GenericDocument:
    text, fmt = read_text(ARTICLE)
    assert fmt == "markdown"
    return parse_generic(text, fmt, ARTICLE_INFO)


def test_article_metadata_from_front_matter(article: GenericDocument) -> None:
    assert article.metadata["title"].startswith("De werkagenda: een jaar onderweg")
    assert article.metadata["url"] == (
        "https://www.digitaleoverheid.nl/kabinetsbeleid-digitalisering/werkagenda/de-werkagenda-een-jaar-onderweg/"
    )
    assert article.metadata["scraped_at"].startswith("2025-06-11")


def test_article_sections_are_intro_plus_the_eight_h2_sections_in_order(article: GenericDocument) -> None:
    assert slugs(article) == ARTICLE_SLUGS
    assert [s.titel for s in article.sections][1:3] == ["Desinformatie", "Borgen van mensenrechten"]


def test_article_intro_has_document_title_and_no_scraper_debris(article: GenericDocument) -> None:
    intro = article.sections[0]
    assert intro.titel == "De werkagenda: een jaar onderweg"
    assert intro.tekst.startswith("Op 4 november 2022 werd de Werkagenda")
    assert "Source:" not in intro.tekst and "https://" not in intro.tekst and "---" not in intro.tekst
    assert "federatief datastelsel" in intro.tekst


def test_article_desinformatie_mentions_polis(article: GenericDocument) -> None:
    assert "Pol.is" in section(article, "desinformatie")


def test_article_has_no_markup_left(article: GenericDocument) -> None:
    assert_clean(article)


def test_article_links_keep_their_text(article: GenericDocument) -> None:
    text = section(article, "borgen-van-mensenrechten")
    assert "op de website gegevensbijbesluiten.overheid.nl." in text
    assert "via MijnOverheid.nl inzien" in text
    assert "De Wet digitale overheid regelt" in section(article, "verbeteren-van-dienstverlening")


def test_article_lists_are_kept_and_share_buttons_dropped(article: GenericDocument) -> None:
    text = section(article, "en-nu-doorpakken-in-2024")
    assert "\n\n1. Allereerst omdat doelen zijn behaald." in text
    assert "\n3. Actualisatie kan tenslotte" in text
    assert "\n- Bij bestaande initiatieven" in text
    assert text.endswith("bij het Nationaal Groeifonds.")
    assert "Deel" not in text.split("Groeifonds.")[-1]
    for s in article.sections:
        assert "Deel deze pagina" not in s.tekst and "LinkedIn" not in s.tekst


def test_article_sections_are_below_the_split_size(article: GenericDocument) -> None:
    assert all(len(s.tekst) <= MAX_SECTION_CHARS for s in article.sections)


# --- front matter and markdown ---------------------------------------------------------------


def test_front_matter_tolerates_colons_quotes_and_lists() -> None:
    meta, body = split_front_matter('---\ntitle: "Een titel: met dubbele punt"\ntags:\n  - a\n  - b\n---\n\nTekst\n')
    assert meta == {"title": "Een titel: met dubbele punt", "tags": "a, b"}
    assert body.strip() == "Tekst"


def test_a_leading_rule_is_not_front_matter() -> None:
    meta, body = split_front_matter("---\nGewone tekst zonder sleutels.\n---\nMeer\n")
    assert meta == {}
    assert "Gewone tekst" in body


def test_markdown_duplicate_headings_get_unique_slugs() -> None:
    doc = parse("## Aanpak\n\nEerste.\n\n## Aanpak\n\nTweede.\n\n## Aanpak\n\nDerde.\n\n## Aanpak 2\n\nVierde.\n")
    assert slugs(doc) == ["aanpak", "aanpak-2", "aanpak-3", "aanpak-2-2"]
    assert [s.tekst for s in doc.sections] == ["Eerste.", "Tweede.", "Derde.", "Vierde."]


def test_markdown_empty_sections_are_dropped_and_subheadings_are_sections() -> None:
    doc = parse("# Titel\n\nIntro.\n\n## Leeg\n\n## Hoofdstuk\n\nTekst.\n\n### Paragraaf\n\nMeer tekst.\n")
    assert slugs(doc) == ["inleiding", "hoofdstuk", "paragraaf"]
    assert [s.level for s in doc.sections] == [2, 2, 3]


def test_markdown_inline_syntax_is_removed() -> None:
    text = (
        "## Kop met `code` en **vet** {#anker}\n\n"
        "Een **vette** en *schuine* en _andere_ tekst met `code`, een ![logo](logo.png) en een "
        "[link](https://example.org/a_(b) \"titel\"), een [verwijzing][1], <https://example.org> en "
        "<span class=\"x\">html</span> &amp; een snake_case_naam.\n\n"
        "[1]: https://example.org\n\n"
        "> Een citaat\n> over twee regels.\n\n"
        "| Kolom A | Kolom B |\n|---|---|\n| een | twee |\n"
    )
    doc = parse(text)
    assert slugs(doc) == ["kop-met-code-en-vet"]
    assert doc.sections[0].titel == "Kop met code en vet"
    tekst = doc.sections[0].tekst
    assert "Een vette en schuine en andere tekst met code, een logo en een link, een verwijzing" in tekst
    assert "https://example.org en html & een snake_case_naam." in tekst
    assert "Een citaat over twee regels." in tekst
    assert "Kolom A; Kolom B\neen; twee" in tekst
    assert_clean(doc)


def test_markdown_list_markers_are_normalised() -> None:
    doc = parse("## Lijst\n\n* een\n+ twee\n  loopt door\n1) drie\n2) vier\n")
    assert doc.sections[0].tekst == "- een\n- twee loopt door\n1) drie\n2) vier"


def test_slugs_fold_accents_and_are_ascii() -> None:
    assert slugify("Borgen van mensenrechten") == "borgen-van-mensenrechten"
    assert slugify("Één loket: privacy & ‘ethiek’ in ’t IJsselmeer — ĳs") == "een-loket-privacy-ethiek-in-t-ijsselmeer-ijs"
    assert slugify("Straße, Ørsted") == "strasse-orsted"
    assert slugify("!!!", fallback="sectie") == "sectie"
    assert len(slugify("woord " * 40, max_chars=80)) <= 80 < len(slugify("woord " * 40))


def test_long_sections_are_split_into_parts() -> None:
    paragraph = "Dit is een zin over digitalisering die vaak terugkomt. " * 12
    doc = parse("## Lang verhaal\n\n" + "\n\n".join([paragraph.strip()] * 12) + "\n\n## Kort\n\nKlaar.\n")
    titles = [s.titel for s in doc.sections]
    assert titles[0] == "Lang verhaal" and titles[1] == "Lang verhaal (deel 2)" and titles[-1] == "Kort"
    assert slugs(doc)[1] == "lang-verhaal-deel-2"
    assert all(len(s.tekst) <= MAX_SECTION_CHARS for s in doc.sections)
    parts = [s.tekst for s in doc.sections if s.titel.startswith("Lang verhaal")]
    assert "\n\n".join(parts) == "\n\n".join([paragraph.strip()] * 12)  # nothing lost, paragraphs intact


# --- HTML ----------------------------------------------------------------------------------------

HTML = """<!DOCTYPE html>
<html lang="nl"><head>
<title>Digitale inclusie | Rijksoverheid</title>
<link rel="canonical" href="https://example.org/inclusie">
<style>p { color: red }</style><script>var x = "<h2>Geen kop</h2>";</script>
</head><body>
<header><nav><a href="/">Home</a> <a href="/menu">Menu</a></nav></header>
<main>
  <h1>Digitale inclusie</h1>
  <p>Iedereen moet <strong>mee kunnen</strong> doen.<br>Ook <a href="https://example.org/ouderen">ouderen</a>.</p>
  <h2>Aanpak &amp; doelen</h2>
  <div>Losse tekst in een div.</div>
  <ul><li>Informatiepunten in <em>bibliotheken</em></li><li>Cursussen<ul><li>online</li></ul></li></ul>
  <ol start="3"><li>derde stap</li><li>vierde stap</li></ol>
  <h2>Lege kop</h2>
  <h3>Resultaten</h3>
  <table><tr><th>Jaar</th><th>Bereik</th></tr><tr><td>2023</td><td>10.000</td></tr></table>
  <p><!-- commentaar -->Met een <code>x &lt; y</code> voorbeeld.</p>
  <div class="share"><a href="https://www.linkedin.com/shareArticle?url=x">Deel op LinkedIn</a></div>
</main>
<footer><p>Copyright en privacyverklaring</p></footer>
</body></html>
"""


def test_html_headings_become_sections_without_page_chrome(tmp_path: Path) -> None:
    path = tmp_path / "pagina.html"
    path.write_text(HTML, encoding="utf-8")
    text, fmt = read_text(path)
    assert fmt == "html"
    doc = parse_generic(text, fmt, info("Digitale inclusie"))
    assert slugs(doc) == ["inleiding", "aanpak-doelen", "resultaten"]
    assert doc.sections[0].tekst == "Iedereen moet mee kunnen doen. Ook ouderen."
    aanpak = section(doc, "aanpak-doelen")
    assert doc.sections[1].titel == "Aanpak & doelen"
    assert aanpak == (
        "Losse tekst in een div.\n\n- Informatiepunten in bibliotheken\n- Cursussen\n- online\n\n3. derde stap\n4. vierde stap"
    )
    assert section(doc, "resultaten") == "Jaar; Bereik\n2023; 10.000\n\nMet een x < y voorbeeld."
    everything = " ".join(s.tekst for s in doc.sections)
    for chrome in ("Home", "Menu", "color", "var x", "Geen kop", "Copyright", "LinkedIn", "commentaar"):
        assert chrome not in everything
    assert doc.metadata == {"title": "Digitale inclusie | Rijksoverheid", "url": "https://example.org/inclusie"}


def test_html_without_extension_is_sniffed_and_h1_sections_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "export"
    path.write_text("<html><body><h1>Een</h1><p>Eerste.</p><h1>Twee</h1><p>Tweede.</p></body></html>", encoding="utf-8")
    doc = parse_file(path)
    assert slugs(doc) == ["een", "twee"]  # h1s that are not a title are the sections
    assert all("<" not in s.tekst for s in doc.sections)


# --- plain text ---------------------------------------------------------------------------------

NUMBERED = """Rapport digitale overheid

1 Inleiding
Dit rapport beschrijft de stand van zaken. Het is geschreven voor de Kamer.

2 Aanpak

Wij werken in drie stappen:
1. Burgers betrekken
2. Bouwen
3. Evalueren

2.1 Doelen
De doelen zijn ambitieus. In 2025 gebruikt 1.5 miljoen
mensen de app.

2.2 Middelen

Er is budget vrijgemaakt.
"""


def test_plain_text_numbered_headings() -> None:
    doc = parse(NUMBERED, fmt="text")
    # The title line heads no text of its own, so it yields no (empty) section.
    assert [(s.slug, s.level) for s in doc.sections] == [
        ("1-inleiding", 2),
        ("2-aanpak", 2),
        ("2-1-doelen", 3),
        ("2-2-middelen", 3),
    ]
    assert section(doc, "1-inleiding") == "Dit rapport beschrijft de stand van zaken. Het is geschreven voor de Kamer."
    assert section(doc, "2-aanpak") == "Wij werken in drie stappen:\n1. Burgers betrekken\n2. Bouwen\n3. Evalueren"
    assert section(doc, "2-1-doelen") == "De doelen zijn ambitieus. In 2025 gebruikt 1.5 miljoen mensen de app."


def test_plain_text_short_lines_followed_by_a_paragraph_are_headings() -> None:
    text = (
        "Dit is de inleiding van een brief, zonder kop.\n\n"
        "Digitale vaardigheden\n\n"
        "Veel mensen hebben moeite met digitale\nmedia. Daarom investeren we.\n\n"
        "Met vriendelijke groet,\n\n"
        "De minister\n\n"
        "Jan Jansen\n"
    )
    doc = parse(text, fmt="text", title="Kamerbrief")
    assert slugs(doc) == ["inleiding", "digitale-vaardigheden"]
    assert doc.sections[0].titel == "Kamerbrief"
    assert section(doc, "digitale-vaardigheden") == (
        "Veel mensen hebben moeite met digitale media. Daarom investeren we.\n\n"
        "Met vriendelijke groet,\n\nDe minister\n\nJan Jansen"
    )


def test_plain_text_without_headings_is_split_into_parts() -> None:
    paragraphs = [f"Alinea {n}. " + "Dit is gewone doorlopende tekst zonder kopjes. " * 6 for n in range(1, 13)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    doc = parse(text, fmt="text")
    assert len(doc.sections) >= 3
    assert [s.titel for s in doc.sections] == [f"Deel {n}" for n in range(1, len(doc.sections) + 1)]
    assert slugs(doc)[:2] == ["deel-1", "deel-2"]
    assert all(len(s.tekst) <= PART_CHARS for s in doc.sections)
    assert all(s.tekst.startswith("Alinea") for s in doc.sections)  # cut on paragraph boundaries
    assert "\n\n".join(s.tekst for s in doc.sections) == text


def test_one_huge_paragraph_is_cut_at_sentences() -> None:
    text = " ".join(f"Zin nummer {n} gaat over digitalisering." for n in range(200))
    doc = parse(text, fmt="text")
    assert all(len(s.tekst) <= PART_CHARS for s in doc.sections)
    assert all(s.tekst.startswith("Zin nummer") and s.tekst.endswith(".") for s in doc.sections)


# --- readers: text decoding ------------------------------------------------------------------


def test_cp1252_text_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "oud.txt"
    path.write_bytes("Café ‘privacy’ kost € 5 – ook in België.\r\nTweede regel.".encode("cp1252"))
    text, fmt = read_text(path)
    assert fmt == "text"
    assert text == "Café ‘privacy’ kost € 5 – ook in België.\nTweede regel."


def test_mostly_utf8_with_a_bad_byte_keeps_utf8(tmp_path: Path) -> None:
    path = tmp_path / "kapot.md"
    path.write_bytes("# Titel\n\nBeïnvloeding en financiële dekking ".encode() + b"\xff" + " geïnvesteerd.".encode())
    text, _ = read_text(path)
    assert "Beïnvloeding en financiële dekking \ufffd geïnvesteerd." in text


def test_undefined_cp1252_bytes_are_replaced_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "raar.txt"
    path.write_bytes(b"Caf\xe9 \x81 einde")
    assert read_text(path)[0] == "Café \ufffd einde"


def test_boms_are_handled(tmp_path: Path) -> None:
    utf8 = tmp_path / "bom.md"
    utf8.write_bytes(b"\xef\xbb\xbf# Kop\n\nTekst")
    assert read_text(utf8) == ("# Kop\n\nTekst", "markdown")
    utf16 = tmp_path / "notepad.txt"
    utf16.write_bytes("Tekst met ë".encode("utf-16"))
    assert read_text(utf16) == ("Tekst met ë", "text")


def test_binary_file_is_refused_in_dutch(tmp_path: Path) -> None:
    path = tmp_path / "plaatje.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(UnreadableDocumentError, match="binaire gegevens"):
        read_text(path)


def test_missing_file_is_a_dutch_error(tmp_path: Path) -> None:
    with pytest.raises(UnreadableDocumentError, match="Kan 'weg.txt' niet openen"):
        read_text(tmp_path / "weg.txt")


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("a.txt", b"# lijkt markdown", "text"),
        ("a.md", b"gewone tekst", "markdown"),
        ("a.HTM", b"tekst", "html"),
        ("a.pdf", b"%PDF-1.4", "pdf"),
        ("verkeerd.txt", b"%PDF-1.7\n", "pdf"),
        ("geen-extensie", b"%PDF-1.4", "pdf"),
        ("geen-extensie", b"  <!DOCTYPE html><html>", "html"),
        ("geen-extensie", b"<!-- x --><HTML lang='nl'>", "html"),
        ("geen-extensie", b"---\ntitle: x\n---\ntekst", "markdown"),
        ("geen-extensie", b"Intro\n\n## Kop\n", "markdown"),
        ("geen-extensie", b"Gewone tekst met een #hashtag", "text"),
    ],
)
def test_detect_format(name: str, head: bytes, expected: str) -> None:
    assert detect_format(Path(name), head) == expected


# --- readers: PDF --------------------------------------------------------------------------------


def _pdf_string(text: str) -> bytes:
    return b"(" + text.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def make_pdf(pages: list[list[str]]) -> bytes:
    """A minimal, valid PDF: one Helvetica text line per entry, one page per list."""
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, lines in enumerate(pages):
        stream = b"BT /F1 12 Tf 14 TL 72 720 Td " + b" ".join(_pdf_string(line) + b" Tj T*" for line in lines) + b" ET"
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {5 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


PDF_PAGES = [
    ["1 Inleiding", "De werkagenda is in 2022 gepubliceerd.", "Zij telt vijf programmalijnen."],
    ["2 Resultaten", "Er is veel bereikt (ook in België)."],
]


def test_pdf_text_is_extracted_and_pages_joined_with_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "rapport.pdf"
    path.write_bytes(make_pdf(PDF_PAGES))
    text, fmt = read_text(path)
    assert fmt == "pdf"
    assert "De werkagenda is in 2022 gepubliceerd." in text
    first, second = text.split("\n\n")
    assert first.startswith("1 Inleiding") and second.startswith("2 Resultaten")
    doc = parse_generic(text, fmt, info())
    assert slugs(doc) == ["1-inleiding", "2-resultaten"]
    assert section(doc, "1-inleiding") == "De werkagenda is in 2022 gepubliceerd. Zij telt vijf programmalijnen."
    assert section(doc, "2-resultaten") == "Er is veel bereikt (ook in België)."


def test_pdf_with_a_wrong_extension_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "rapport.txt"
    path.write_bytes(make_pdf(PDF_PAGES))
    assert read_text(path)[1] == "pdf"


def test_pdf_without_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([[]]))
    with pytest.raises(UnreadableDocumentError, match=r"Kan 'scan.pdf' niet lezen: .*geen tekst \(misschien een scan\?\)"):
        read_text(path)


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\nDit is geen echte PDF, alleen een kop.\n",
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R",
        b"%PDF-",
        make_pdf(PDF_PAGES)[:400],  # a download that broke off halfway
    ],
    ids=["alleen-kop", "afgebroken-object", "alleen-magic", "half-gedownload"],
)
def test_corrupt_pdf_is_refused(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "kapot.pdf"
    path.write_bytes(data)
    with pytest.raises(UnreadableDocumentError, match="Kan 'kapot.pdf' niet lezen: het PDF-bestand is beschadigd of onvolledig"):
        read_text(path)


def test_pdf_without_pages_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "leeg.pdf"
    path.write_bytes(make_pdf([]))
    with pytest.raises(UnreadableDocumentError, match="geen pagina's"):
        read_text(path)


def test_pdf_extension_with_text_content_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "nep.pdf"
    path.write_text("gewone tekst", encoding="utf-8")
    with pytest.raises(UnreadableDocumentError, match="beschadigd"):
        read_text(path)
