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
from ingest.clean import slugify
from ingest.errors import WerkagendaError
from ingest.generic_parser import parse_generic
from ingest.models import Chunk, DocumentInfo, ParsedDocument
from ingest.readers import UnreadableDocumentError, read_text
from ingest.limits import IngestLimits
from ingest.werkagenda_parser import parse_werkagenda

# The corpus that ships with the project (corpus/ at the top of the repository).
BUNDLED_CORPUS_DIR = Path(__file__).resolve().parent.parent / "corpus"

MANIFEST_NAME = "manifest.yaml"
# Bump when parsing or chunking changes, so that unchanged files are re-chunked anyway.
PIPELINE_VERSION = "2"


class CorpusError(WerkagendaError):
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


def source_for_path(path: Path, limits: IngestLimits | None = None) -> SourceFile:
    """A document the user adds with `werkagenda ingest PATH` (not in the manifest); its id is the slug only.

    `stage_extra` gives it a unique id; this only checks that the path is a regular file within the size limit.
    """
    if path.is_dir():
        raise CorpusError(
            f"'{path}' is een map, geen bestand. Geef de bestanden zelf op, bijvoorbeeld: werkagenda ingest {path}/*.pdf"
        )
    if path.exists() and not path.is_file():  # /dev/zero, a fifo, a socket: reading it never ends
        raise CorpusError(f"'{path}' is geen gewoon bestand (maar bijvoorbeeld een apparaat of pijp); geef een tekstbestand op.")
    if not path.is_file():
        raise CorpusError(f"Bestand niet gevonden: {path}")
    limits = limits or IngestLimits()
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise CorpusError(
            f"'{path.name}' is {size / 1e6:.1f} MB; de grens is {limits.max_file_mb:g} MB per bestand. "
            "Splits het bestand, of verhoog de grens met --max-mb (of WERKAGENDA_MAX_FILE_MB)."
        )
    title = path.stem.replace("_", " ").replace("-", " ").strip() or path.name
    info = DocumentInfo(id=base_id(path), file=str(path.resolve()), title=title, kind="document", parser="generic")
    return SourceFile(info, path)


def base_id(path: Path) -> str:
    """The id a file's name suggests; a name without latin letters or digits gets a short hash, not "document"."""
    ascii_stem = unicodedata.normalize("NFKD", path.stem).encode("ascii", "ignore").decode()
    if not re.search(r"[A-Za-z0-9]", ascii_stem):  # 数据.txt, ملاحظة.txt
        return f"document-{hashlib.sha256(path.stem.encode()).hexdigest()[:8]}"
    return slugify(path.stem, fallback="document")


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
STAGING_DIR = ".in-behandeling"  # files of an ingest that has not finished; registered only after their chunks are stored


@dataclass(frozen=True)
class ExtraEntry:
    """One registered user document: what `werkagenda list` shows and `werkagenda remove` removes."""

    info: DocumentInfo
    origin: str  # the path the user gave, resolved; the same path again replaces the document
    added_at: str


def load_extras(data_dir: Path) -> list[SourceFile]:
    """Documents a user added with `werkagenda ingest PATH`, kept under the data dir."""
    folder = data_dir / EXTRA_DIR
    return load_manifest(folder) if (folder / MANIFEST_NAME).is_file() else []


def extra_entries(data_dir: Path) -> list[ExtraEntry]:
    folder = data_dir / EXTRA_DIR
    manifest = folder / MANIFEST_NAME
    if not manifest.is_file():
        return []
    try:
        raw = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
        return [
            ExtraEntry(DocumentInfo.model_validate(e), str(e.get("origin", "")), str(e.get("added_at", "")))
            for e in raw.get("documents", [])
        ]
    except (yaml.YAMLError, ValidationError, AttributeError) as exc:
        raise CorpusError(f"{manifest} is ongeldig: {exc}") from exc


@dataclass(frozen=True)
class StagedExtra:
    """A user's file copied aside under its unique id, waiting until its chunks are stored."""

    source: SourceFile  # path: the staged copy; info.file: its name once registered
    origin: str
    note: str = ""  # Dutch: why the id differs from the file name


def stage_extra(
    data_dir: Path, path: Path, taken: dict[str, str], limits: IngestLimits | None = None,
) -> StagedExtra:
    """Copy a user's file aside under a unique id. `taken` maps ids in use to what uses them (updated).

    The same file again (same resolved path) keeps its id and replaces its earlier version; another
    file whose name gives the same id gets a suffix (-2, -3, …), so nothing is replaced silently.
    """
    import shutil

    source = source_for_path(path, limits)
    origin = str(path.resolve())
    base = source.info.id
    doc_id, n = base, 1
    while doc_id in taken and taken[doc_id] != origin:
        n += 1
        doc_id = f"{base}-{n}"
    note = ""
    if doc_id != base:
        note = (f"'{path.name}' heeft de id '{doc_id}' gekregen: '{base}' is al in gebruik door "
                f"{_shown(taken[base])}. Verwijderen kan met: werkagenda remove {doc_id}")
    taken[doc_id] = origin
    staging = data_dir / EXTRA_DIR / STAGING_DIR
    staging.mkdir(parents=True, exist_ok=True)
    name = doc_id + path.suffix.lower()
    target = staging / name
    shutil.copyfile(path, target)
    info = source.info.model_copy(update={"id": doc_id, "file": name})
    return StagedExtra(SourceFile(info, target), origin, note)


def _shown(origin: str) -> str:
    return f"'{Path(origin).name}'" if origin.startswith("/") else origin


def used_ids(corpus_sources: list[SourceFile], data_dir: Path) -> dict[str, str]:
    """Ids in use → their origin (a user file's path, or "het brondocument <file>")."""
    taken = {s.info.id: f"het brondocument {s.info.file}" for s in corpus_sources}
    for entry in extra_entries(data_dir):
        taken.setdefault(entry.info.id, entry.origin or entry.info.file)
    return taken


def register_extras(data_dir: Path, staged: list[StagedExtra], removed: set[str] = frozenset()) -> None:
    """Move staged files into place and record them (and drop `removed`): call only after the index has them."""
    from datetime import datetime, timezone

    folder = data_dir / EXTRA_DIR
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    new_ids = {s.source.info.id for s in staged}
    kept = [e for e in extra_entries(data_dir) if e.info.id not in new_ids and e.info.id not in removed]
    for s in staged:
        s.source.path.replace(folder / s.source.info.file)
    entries = [_entry(e.info, e.origin, e.added_at) for e in kept] + [_entry(s.source.info, s.origin, now) for s in staged]
    manifest = folder / MANIFEST_NAME
    tmp = manifest.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump({"documents": entries}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    tmp.replace(manifest)
    prune_extras(data_dir)


def _entry(info: DocumentInfo, origin: str, added_at: str) -> dict:
    data = info.model_dump(exclude_defaults=True) | {"id": info.id, "file": info.file, "title": info.title}
    return data | {"origin": origin, "added_at": added_at}


def prune_extras(data_dir: Path) -> list[str]:
    """Delete files of the extra folder that no entry names (a killed ingest's staged or stale copies)."""
    import shutil

    folder = data_dir / EXTRA_DIR
    if not folder.is_dir():
        return []
    named = {e.info.file for e in extra_entries(data_dir)} | {MANIFEST_NAME}
    removed = []
    for child in folder.iterdir():
        if child.name in named:
            continue
        shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)
        removed.append(child.name)
    return removed
