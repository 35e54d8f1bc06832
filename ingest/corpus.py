"""The corpus on disk: `manifest.yaml`, extra files a user adds, and reading + parsing one document."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from ingest.chunking import chunk_document
from ingest.generic_parser import parse_generic
from ingest.models import Chunk, DocumentInfo, ParsedDocument
from ingest.readers import UnreadableDocumentError, read_text
from ingest.werkagenda_parser import parse_werkagenda

MANIFEST_NAME = "manifest.yaml"
# Bump when parsing or chunking changes, so that unchanged files are re-chunked anyway.
PIPELINE_VERSION = "2"


class CorpusError(Exception):
    """A problem with the corpus that the user can fix; the message is Dutch."""


@dataclass(frozen=True)
class SourceFile:
    info: DocumentInfo
    path: Path

    def fingerprint(self) -> str:
        digest = hashlib.sha256(self.path.read_bytes())
        digest.update(f"|{PIPELINE_VERSION}|{self.info.model_dump_json()}".encode())
        return digest.hexdigest()[:16]


def load_manifest(corpus_dir: Path) -> list[SourceFile]:
    manifest = corpus_dir / MANIFEST_NAME
    if not manifest.is_file():
        raise CorpusError(f"Geen {MANIFEST_NAME} gevonden in {corpus_dir}. Zet de bronteksten met een manifest in die map.")
    try:
        raw = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
        infos = [DocumentInfo.model_validate(entry) for entry in raw.get("documents", [])]
    except (yaml.YAMLError, ValidationError, AttributeError) as exc:
        raise CorpusError(f"{manifest} is ongeldig: {exc}") from exc
    sources = []
    for info in infos:
        path = corpus_dir / info.file
        if not path.is_file():
            raise CorpusError(f"{manifest} noemt {info.file}, maar dat bestand ontbreekt in {corpus_dir}.")
        sources.append(SourceFile(info, path))
    ids = [s.info.id for s in sources]
    if len(ids) != len(set(ids)):
        raise CorpusError(f"{manifest} bevat een document-id meer dan eens.")
    return sources


def slugify(value: str) -> str:
    ascii_value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_value.lower()).strip("-") or "document"


def source_for_path(path: Path) -> SourceFile:
    """A document the user adds with `werkagenda ingest PATH` (not in the manifest)."""
    if path.is_dir():
        raise CorpusError(
            f"'{path}' is een map, geen bestand. Geef de bestanden zelf op, bijvoorbeeld: werkagenda ingest {path}/*.pdf"
        )
    if not path.is_file():
        raise CorpusError(f"Bestand niet gevonden: {path}")
    title = path.stem.replace("_", " ").replace("-", " ").strip() or path.name
    info = DocumentInfo(id=slugify(path.stem), file=str(path.resolve()), title=title, kind="document", parser="generic")
    return SourceFile(info, path)


def parse_source(source: SourceFile) -> ParsedDocument:
    """Read and parse one document. Raises UnreadableDocumentError (Dutch message) on bad files."""
    text, fmt = read_text(source.path)
    if not text.strip():
        raise UnreadableDocumentError(f"'{source.path.name}' is leeg; er valt niets te indexeren.")
    if source.info.parser == "werkagenda":
        return parse_werkagenda(text, source.info)
    return parse_generic(text, fmt, source.info)


def chunks_for_source(source: SourceFile) -> list[Chunk]:
    return chunk_document(parse_source(source))


EXTRA_DIR = "extra-documenten"


def load_extras(data_dir: Path) -> list[SourceFile]:
    """Documents a user added with `werkagenda ingest PATH`, kept under the data dir."""
    folder = data_dir / EXTRA_DIR
    return load_manifest(folder) if (folder / MANIFEST_NAME).is_file() else []


def add_extra(data_dir: Path, path: Path) -> SourceFile:
    """Copy a user's file next to the index and record it, so later ingests keep it."""
    import shutil

    source = source_for_path(path)
    folder = data_dir / EXTRA_DIR
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (source.info.id + path.suffix.lower())
    shutil.copyfile(path, target)
    info = source.info.model_copy(update={"file": target.name})
    existing = [s.info for s in load_extras(data_dir) if s.info.id != info.id]
    entries = [i.model_dump(exclude_defaults=True) | {"id": i.id, "file": i.file, "title": i.title} for i in [*existing, info]]
    manifest = folder / MANIFEST_NAME
    tmp = manifest.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump({"documents": entries}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    tmp.replace(manifest)
    return SourceFile(info, target)
