"""Read a source file into text: detect its format, decode it safely, extract text from PDFs.

This is the I/O edge of ingest. Everything a user can get wrong (a scan, a corrupt PDF, a Word
file renamed to .txt) becomes an `UnreadableDocumentError` with a Dutch message saying what is
wrong and what to do, never a stack trace or silently garbled text.
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path
from typing import Literal

from ingest.errors import WerkagendaError

Format = Literal["text", "markdown", "html", "pdf"]

_EXTENSIONS: dict[str, Format] = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".pdf": "pdf",
}
SUPPORTED = ".txt, .md, .html en .pdf"
_SNIFF_BYTES = 8192
_PDF_MAGIC = b"%PDF-"
_HTML_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.IGNORECASE | re.DOTALL)
_FRONT_MATTER_START = re.compile(r"\A---[ \t]*\n[A-Za-z_][\w-]*[ \t]*:")
_ATX_HEADING = re.compile(r"^#{1,6}[ \t]+\S", re.MULTILINE)
# Control characters that never occur in real text (tab, newline, CR, form feed and ESC excluded).
_BINARY_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]")
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),  # Windows "Unicode" text files
    (b"\xfe\xff", "utf-16"),
)


class UnreadableDocumentError(WerkagendaError):
    """A source file that cannot be turned into text; the message is Dutch and tells what to do."""


def detect_format(path: Path, head: bytes) -> Format:
    """The file's format: by extension first, otherwise by sniffing the first bytes.

    The PDF magic number wins over the extension: a PDF saved as .txt would otherwise be
    indexed as binary garbage, and no text file starts with "%PDF-".
    """
    if head.lstrip().startswith(_PDF_MAGIC):
        return "pdf"
    by_extension = _EXTENSIONS.get(path.suffix.lower())
    if by_extension:
        return by_extension
    if _HTML_START.match(head):
        return "html"
    sample = _normalise_newlines(head.decode("utf-8", errors="replace")).lstrip("\ufeff")
    if _FRONT_MATTER_START.match(sample) or _ATX_HEADING.search(sample):
        return "markdown"
    return "text"


def read_text(path: Path) -> tuple[str, Format]:
    """(text, format) of a source file. Raises UnreadableDocumentError with a Dutch message."""
    try:
        data = path.read_bytes()
    except PermissionError as exc:  # the OS's own text (strerror) is English
        raise UnreadableDocumentError(f"Kan '{path.name}' niet openen: geen leesrechten.") from exc
    except OSError as exc:
        raise UnreadableDocumentError(f"Kan '{path.name}' niet openen (foutcode {exc.errno}).") from exc
    if not data:  # also an empty .pdf: "empty" says more than "damaged"
        raise UnreadableDocumentError(f"'{path.name}' is leeg; er valt niets te indexeren.")
    fmt = detect_format(path, data[:_SNIFF_BYTES])
    if fmt == "pdf":
        return _pdf_text(path.name, data), fmt
    return _normalise_newlines(decode_bytes(path.name, data)), fmt


# --- text decoding ------------------------------------------------------------------------------


def decode_bytes(name: str, data: bytes) -> str:
    """Decode text bytes: BOMs honoured, UTF-8 preferred, cp1252 for old Windows files.

    Undecodable bytes become U+FFFD rather than failing or guessing: the text stays usable and
    the damage stays visible. Binary content (NUL bytes, control characters) is refused.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    _refuse_binary(name, data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _decode_damaged(data)


# Formats people try to add that are not text, recognised by their first bytes: even a tiny one
# (too short for the control-character test below) must not be indexed as text.
_OTHER_FORMATS: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "een Office- of zipbestand (bijvoorbeeld .docx, .xlsx, .odt)"),
    (b"PK\x05\x06", "een Office- of zipbestand (bijvoorbeeld .docx, .xlsx, .odt)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "een oud Office-bestand (bijvoorbeeld .doc of .xls)"),
    (b"{\\rtf", "een RTF-bestand"),
    (b"\x89PNG", "een afbeelding"),
    (b"\xff\xd8\xff", "een afbeelding"),
    (b"GIF8", "een afbeelding"),
)


def _refuse_binary(name: str, data: bytes) -> None:
    sample = data[:_SNIFF_BYTES]
    kind = next((kind for magic, kind in _OTHER_FORMATS if sample.startswith(magic)), None)
    if kind:
        raise UnreadableDocumentError(
            f"Kan '{name}' niet lezen: het bestand bevat binaire gegevens ({kind}) en is geen tekstbestand. "
            f"Sla het op als {SUPPORTED} (bijvoorbeeld een Word-bestand via 'Opslaan als PDF')."
        )
    if b"\x00" in sample or len(_BINARY_CONTROL.findall(sample)) > max(8, len(sample) // 100):
        raise UnreadableDocumentError(
            f"Kan '{name}' niet lezen: het bestand bevat binaire gegevens en is geen tekstbestand. "
            f"Sla het op als {SUPPORTED} (bijvoorbeeld een Word-bestand via 'Opslaan als PDF')."
        )


def _decode_damaged(data: bytes) -> str:
    """Invalid UTF-8: a UTF-8 file with a few bad bytes, or a cp1252/latin-1 file.

    Decoding a mostly-UTF-8 file as cp1252 would garble every accented letter ("Ã©"), so the
    choice follows which reading explains more of the non-ASCII bytes.
    """
    as_utf8 = data.decode("utf-8", errors="replace")
    bad = as_utf8.count("\ufffd")
    good = sum(1 for ch in as_utf8 if ord(ch) > 127 and ch != "\ufffd")
    if good > bad:
        return as_utf8
    # cp1252 rather than latin-1: it maps 0x80-0x9f to € ‘ ’ “ ” – … instead of control codes.
    return data.decode("cp1252", errors="replace")


def _normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- PDF ------------------------------------------------------------------------------------------


def _pdf_text(name: str, data: bytes) -> str:
    """Page texts joined with blank lines; refuses PDFs without extractable text."""
    pages = _pdf_pages(name, data)
    if not pages:
        raise UnreadableDocumentError(f"Kan '{name}' niet lezen: het PDF-bestand bevat geen pagina's.")
    texts = [t.strip() for t in pages]
    if not any(texts):
        raise UnreadableDocumentError(
            f"Kan '{name}' niet lezen: het PDF-bestand bevat geen tekst (misschien een scan?). "
            "Gebruik een PDF met tekstlaag, bijvoorbeeld na tekstherkenning (OCR)."
        )
    return _normalise_newlines("\n\n".join(t for t in texts if t))


def _pdf_pages(name: str, data: bytes) -> list[str]:
    from pypdf import PdfReader

    corrupt = f"Kan '{name}' niet lezen: het PDF-bestand is beschadigd of onvolledig. Download of exporteer het opnieuw."
    # pypdf logs every repair it attempts on a damaged file; the user gets one clear error instead.
    pypdf_logger = logging.getLogger("pypdf")
    previous_level = pypdf_logger.level
    pypdf_logger.setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise UnreadableDocumentError(
                f"Kan '{name}' niet lezen: het PDF-bestand is beveiligd met een wachtwoord. Sla het onbeveiligd op."
            )
        return [page.extract_text() or "" for page in reader.pages]
    except UnreadableDocumentError:
        raise
    except Exception as exc:  # noqa: BLE001 - pypdf raises many unrelated types on damaged files
        raise UnreadableDocumentError(corrupt) from exc
    finally:
        pypdf_logger.setLevel(previous_level)
