"""Search structures derived from a build's chunks (BM25, the scope vocabulary), kept on disk.

Deriving them means tokenizing and stemming every chunk: most of the 7 s it took to open the index
at 100x the corpus; loading them takes milliseconds. They are stored beside the index in the data
dir (`search-artifacts/`), under a key that names exactly what they were derived from:

- the kind ("lexical", "vocabulary") and `ARTIFACT_VERSION` plus the caller's own version constant,
  to bump when the derivation changes in a way the code digest cannot see (a word list, a data file);
- a digest of the deriving code: every `.py` file of the caller's package and the versions of the
  libraries it names (bm25s, PyStemmer), so an edited tokenizer never reads an old structure;
- every chunk's id and embedded text, in order.

A key that does not match is a miss: the structure is built as before, saved, and used. A damaged or
unreadable file is a miss too. The data dir is trusted like the Chroma files beside it (which
hold pickles of their own); nothing here is read from anywhere else.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import pickle
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from ingest.models import ChildLine, Chunk

log = logging.getLogger(__name__)
T = TypeVar("T")

ARTIFACT_VERSION = 2  # the file layout of this module (2: children stored as columns)
ARTIFACTS_SUBDIR = "search-artifacts"
PAYLOAD_NAME = "artifact.pickle"
# Other keys of a kind stay a while: a second process may still serve the previous build.
KEEP_PER_KIND = 3
STALE_TMP_S = 3600  # far longer than any save takes


def code_digest(package_dir: Path, libraries: Iterable[str] = ()) -> str:
    digest = hashlib.sha256()
    for path in sorted(package_dir.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for name in libraries:
        try:
            version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = "?"
        digest.update(f"{name}={version}\0".encode())
    return digest.hexdigest()


def chunks_key(kind: str, version: int, code: str, chunks: Sequence[Chunk]) -> str:
    digest = hashlib.sha256(f"{kind}\0{ARTIFACT_VERSION}\0{version}\0{code}\0".encode())
    for chunk in chunks:
        digest.update(chunk.id.encode() + b"\0" + chunk.embed_text.encode() + b"\n")
    return digest.hexdigest()[:32]


class _Pickler(pickle.Pickler):
    """Objects that cannot be pickled (a PyStemmer stemmer) are stored by name and supplied on load."""

    def __init__(self, file, shared: Mapping[str, Any]):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.shared = shared

    def persistent_id(self, obj: Any) -> str | None:
        for name, value in self.shared.items():
            if obj is value:
                return name
            owner = getattr(obj, "__self__", None)  # a bound method of a shared object (Tokenizer keeps stemWord)
            if owner is value and owner is not None:
                return f"{name}.{obj.__name__}"
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, shared: Mapping[str, Any]):
        super().__init__(file)
        self.shared = shared

    def persistent_load(self, pid: Any) -> Any:
        name, _, method = str(pid).partition(".")
        value = self.shared[name]
        return getattr(value, method) if method else value


def artifact_path(cache_dir: Path, kind: str, key: str) -> Path:
    return cache_dir / ARTIFACTS_SUBDIR / f"{kind}-{key}"


def load_or_build(
    cache_dir: Path | None, kind: str, key: str, build: Callable[[], T], shared: Mapping[str, Any] | None = None,
) -> T:
    """The stored structure for `key`, or a freshly built one (then stored for the next start)."""
    shared = shared or {}
    if cache_dir is None:
        return build()
    target = artifact_path(cache_dir, kind, key)
    try:
        with open(target / PAYLOAD_NAME, "rb") as handle:
            return _Unpickler(handle, shared).load()
    except FileNotFoundError:
        pass
    except Exception as exc:  # a damaged or foreign file: rebuild, and replace it below
        log.warning("zoekstructuur %s onleesbaar (%s: %s); wordt opnieuw opgebouwd", target, type(exc).__name__, exc)
        shutil.rmtree(target, ignore_errors=True)
    value = build()
    save(target, value, shared)
    return value


def save(target: Path, value: Any, shared: Mapping[str, Any]) -> bool:
    """Write to a private directory, then rename: a reader never sees half a structure."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        tmp.mkdir(parents=True)
        with open(tmp / PAYLOAD_NAME, "wb") as handle:
            _Pickler(handle, shared).dump(value)
        try:
            tmp.rename(target)
        except OSError:  # another process stored the same key first; its copy is identical
            shutil.rmtree(tmp, ignore_errors=True)
        prune(target.parent, target.name.rsplit("-", 1)[0], keep=target.name)
        return True
    except (OSError, pickle.PicklingError, TypeError, AttributeError) as exc:
        # A read-only data dir, a full disk or an object that cannot be stored: it is built at each start instead.
        log.warning("zoekstructuur niet bewaard in %s (%s: %s)", target, type(exc).__name__, exc)
        shutil.rmtree(tmp, ignore_errors=True)
        return False


def prune(directory: Path, kind: str, keep: str) -> None:
    """Drop all but the KEEP_PER_KIND most recent structures of a kind (earlier builds)."""
    entries = [p for p in directory.glob(f"{kind}-*") if p.is_dir() and p.name != keep]
    entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP_PER_KIND - 1 :]:
        shutil.rmtree(old, ignore_errors=True)
    # Half-written copies of a process that was killed while saving.
    for tmp in directory.glob(f".{kind}-*"):
        if time.time() - tmp.stat().st_mtime > STALE_TMP_S:
            shutil.rmtree(tmp, ignore_errors=True)


def build_chunks(collection, cache_dir: Path | None) -> tuple[list[Chunk], list[ChildLine]]:
    """The parents of `collection` and their children as lines, stored beside the index after the first read.

    Reading 20,000 chunks back from Chroma and validating each costs seconds; a pickle of them loads
    several times faster. Children are stored as three columns of strings (id, parent, line): unpickling
    89,100 child Chunk objects took 1.2 s at 100x, the columns take 0.02 s. A build is never changed once
    activated, so its name (a fresh uuid per build), manifest and count identify its chunks; the Chunk
    model's source is in the key too.
    """
    from ingest import models

    def read() -> tuple[list[Chunk], tuple[list[str], list[str], list[str]]]:
        units = collection.chunks(children=True)
        children = [c for c in units if c.is_child]
        return [c for c in units if not c.is_child], ([c.id for c in children], [c.parent for c in children], [c.text for c in children])

    code = code_digest(Path(models.__file__).parent, ("pydantic",))
    identity = f"{collection.name}\0{collection.manifest.model_dump_json()}\0{collection.count()}\0{code}"
    key = hashlib.sha256(f"chunks+children\0{ARTIFACT_VERSION}\0{identity}".encode()).hexdigest()[:32]
    parents, (ids, parent_ids, lines) = load_or_build(cache_dir, "chunks", key, read)
    return parents, [ChildLine(*row) for row in zip(ids, parent_ids, lines)]
