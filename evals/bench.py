"""`werkagenda bench`: ingest time, cold start and query latency (p50/p95) at growing corpus sizes.

Measures the real paths: `run_ingest` into a fresh data dir (with and without the shipped embedding
cache), a new `werkagenda ask` process against an existing index (wall time and peak memory, at every
size), the search structures derived after a build (as an ingest does), the first and a later `Assistant.open` (loading them), and
`HybridRetriever.search` / `Assistant.ask` over Chroma collections built
through IndexStore/ChunkCollection. Larger sizes are synthetic copies of the corpus (document id
`<id>-kopie-N`); the copies reuse the stored embeddings of the originals, because embedding the
same text again gives the same vectors and would take hours for 20,000 chunks on a CPU.

The figures (pydantic models) and their formatting are pure; the measuring functions do the I/O.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field, field_validator
from tqdm import tqdm

from assistant.settings import Settings
from index.manifest import IndexManifest
from index.store import ChunkCollection, IndexStore
from ingest.models import Chunk

# Questions for timing only: latency does not depend on which questions were tuned on.
DEFAULT_QUESTIONS = Path(__file__).resolve().parent / "test.jsonl"
DEFAULT_SIZES = (1, 10, 100)
COLD_START_QUESTION = "Komt er een digitale identiteitswallet?"
WARM_UP_QUESTION = "Wat staat er in de werkagenda over digitale vaardigheden?"
ADD_BATCH = 1000  # chunks per ChunkCollection.add: bounded memory, a progress bar that moves
COLD_START_TIMEOUT_S = 600
RSS_POLL_S = 0.02  # how often a child's peak memory is read; the peak is monotonic, so a late read loses little
RETRIEVAL_PARTS = ("embed", "dense", "bm25")  # keys of SearchResult.timings_ms
EMBEDDINGS_NOTE = (
    "De kopieën bij grootte > 1 hergebruiken de opgeslagen embeddings van de originele chunks "
    "(identiek aan het opnieuw embedden van dezelfde tekst); alleen de ids, labels en documenten zijn nieuw."
)


# -- figures (pure) ----------------------------------------------------------------------------
class Latency(BaseModel):
    n: int
    p50_ms: float
    p95_ms: float
    mean_ms: float
    max_ms: float


class IngestFigures(BaseModel):
    model_load_s: float  # loading the embedding model, measured apart so `seconds` is the ingest itself
    seconds: float
    chunks: int
    chunks_per_s: float
    embedded: int = 0  # texts run through the model
    cached: int = 0  # vectors from the shipped embedding cache
    threads: int = 1  # threads the model embedded with


class ColdStart(BaseModel):
    command: str
    seconds: float | None = None  # wall time of the whole process: imports, opening the index, one answer
    answer_ms: float | None = None  # the process's own timings_ms.total for that answer
    exit_code: int
    error: str = ""
    peak_rss_mb: float | None = None  # the process's peak resident memory


class SizeFigures(BaseModel):
    size: int
    chunks: int
    build_s: float | None  # writing the replicated collection; None for the original index
    # deriving and storing the search structures after the build, as an ingest does (None: the ingest did it)
    prepare_s: float | None = None
    open_s: float  # first Assistant.open after the build: the stored chunks, BM25 and vocabulary loaded
    reopen_s: float | None = None  # a later Assistant.open: the same, once more
    process: ColdStart | None = None  # a new `werkagenda ask` process at this size: wall time and peak memory
    retrieval: Latency
    # Median of each retrieval step (embed the question, dense search in Chroma, BM25): embedding
    # the question dominates and does not grow with the corpus; this shows what does.
    retrieval_parts_p50_ms: dict[str, float]
    answer: Latency


class Machine(BaseModel):
    cpus: int
    system: str
    python: str
    load_avg_1m: float | None  # the machine is shared; a high load explains noisy figures


class BenchOptions(BaseModel):
    sizes: list[int] = Field(default_factory=lambda: list(DEFAULT_SIZES))
    queries: int = Field(default=50, ge=1)
    skip_ingest: bool = False
    no_cache_ingest: bool = True  # also a fresh ingest without the embedding cache (every text through the model)
    cold_start: bool = True
    questions_path: Path = DEFAULT_QUESTIONS

    @field_validator("sizes")
    @classmethod
    def _sizes_positive(cls, sizes: list[int]) -> list[int]:
        if not sizes or any(s < 1 for s in sizes):
            raise ValueError("groottes moeten gehele getallen ≥ 1 zijn, bijv. 1,10,100")
        return sorted(set(sizes))


class BenchResult(BaseModel):
    machine: Machine
    embedder: str
    llm: str
    questions: str
    queries: int
    ingest: IngestFigures | None  # with the shipped embedding cache
    ingest_no_cache: IngestFigures | None = None  # every text through the model (`ingest --no-cache`)
    cold_start: ColdStart | None
    sizes: list[SizeFigures]
    notes: list[str]


def latency(samples_ms: Sequence[float]) -> Latency:
    values = np.asarray(samples_ms, dtype=float)
    if values.size == 0:
        raise ValueError("geen metingen")
    return Latency(
        n=int(values.size), p50_ms=round(float(np.percentile(values, 50)), 2),
        p95_ms=round(float(np.percentile(values, 95)), 2), mean_ms=round(float(values.mean()), 2),
        max_ms=round(float(values.max()), 2),
    )


def parse_sizes(text: str) -> list[int]:
    """'1,10,100' → [1, 10, 100]; raises ValueError with a Dutch message."""
    try:
        sizes = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError as exc:
        raise ValueError(f"ongeldige groottes '{text}'; gebruik bijv. 1,10,100") from exc
    if not sizes or any(s < 1 for s in sizes):
        raise ValueError(f"ongeldige groottes '{text}'; elke grootte is een geheel getal ≥ 1")
    return sizes


def copy_document_id(document: str, copy: int) -> str:
    return f"{document}-kopie-{copy}"


def replica_chunk(chunk: Chunk, copy: int) -> Chunk:
    """The chunk as it would be in copy `copy` of its document: new ids, same text."""
    document = copy_document_id(chunk.document, copy)
    prefix = f"{chunk.document}:"

    def renamed(chunk_id: str) -> str:
        return document + ":" + chunk_id[len(prefix):] if chunk_id.startswith(prefix) else f"{chunk_id}-kopie-{copy}"

    return chunk.model_copy(update={
        "id": renamed(chunk.id), "document": document, "label": f"{chunk.label} (kopie {copy})",
        "parent": renamed(chunk.parent) if chunk.parent else "",
    })


def replica_manifest(source: IndexManifest, size: int) -> IndexManifest:
    """Originals first, then the copies, so chunk order (and the agenda document) stays the original's."""
    documents = dict(source.documents)
    for copy in range(1, size):
        for doc in source.documents.values():
            copy_id = copy_document_id(doc.id, copy)
            documents[copy_id] = doc.model_copy(update={"id": copy_id})
    return IndexManifest(embedder=source.embedder, dimension=source.dimension, documents=documents)


def _nl(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".")


def format_table(result: BenchResult) -> str:
    """The figures as Dutch text: a header, ingest and cold start, and one row per size."""
    m = result.machine
    lines = [
        f"Benchmark op {m.cpus} kernen ({m.system}, Python {m.python}"
        + (f", belasting {_nl(m.load_avg_1m, 2)}" if m.load_avg_1m is not None else "") + ")",
        f"Embedder {result.embedder}; taalmodel: {result.llm}; {result.queries} vragen uit {result.questions}.",
        "",
    ]
    if result.ingest:
        for label, i in (("met cache", result.ingest), ("zonder cache", result.ingest_no_cache)):
            if i is None:
                continue
            lines.append(
                f"Ingest {label} (verse index, {i.chunks} chunks, {i.embedded} ingebed, {i.cached} uit de cache, "
                f"{i.threads} threads): {_nl(i.seconds)} s ({_nl(i.chunks_per_s, 2)} chunks/s); "
                f"embeddingmodel laden: {_nl(i.model_load_s)} s"
            )
    else:
        lines.append("Ingest: overgeslagen (--skip-ingest)")
    cold = result.cold_start
    if cold is None:
        lines.append("Koude start: overgeslagen")
    elif cold.error:
        lines.append(f"Koude start mislukt (exitcode {cold.exit_code}): {cold.error}")
    else:
        lines.append(
            f"Koude start tot eerste antwoord (nieuw proces, `werkagenda ask`): {_nl(cold.seconds)} s"
            f" (waarvan het antwoord zelf {_nl(cold.answer_ms, 0)} ms)"
        )
    lines += ["", "Latentie per vraag (ms): zoeken = alleen retrieval, antwoord = volledig Assistant.ask", ""]
    header = (
        "grootte", "chunks", "opbouw (s)", "zoekstructuren (s)", "openen 1e (s)", "openen (s)", "zoeken p50", "zoeken p95",
        "embed/dense/bm25 p50", "antwoord p50", "antwoord p95", "nieuw proces (s)", "geheugen (MB)",
    )
    rows = [
        (
            f"{s.size}x", _nl(s.chunks, 0), _nl(s.build_s), _nl(s.prepare_s), _nl(s.open_s), _nl(s.reopen_s, 2),
            _nl(s.retrieval.p50_ms), _nl(s.retrieval.p95_ms),
            " / ".join(_nl(s.retrieval_parts_p50_ms.get(k)) for k in RETRIEVAL_PARTS),
            _nl(s.answer.p50_ms), _nl(s.answer.p95_ms),
            _nl(s.process.seconds if s.process else None), _nl(s.process.peak_rss_mb if s.process else None, 0),
        )
        for s in result.sizes
    ]
    widths = [max(len(r[c]) for r in [header, *rows]) for c in range(len(header))]
    for row in [header, *rows]:
        lines.append("  ".join(cell.rjust(w) for cell, w in zip(row, widths)))
    lines += ["", *result.notes]
    return "\n".join(lines)


# -- measuring (I/O) ---------------------------------------------------------------------------
def machine() -> Machine:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    try:
        load = round(os.getloadavg()[0], 2)
    except OSError:
        load = None
    return Machine(cpus=cpus, system=f"{platform.system()} {platform.machine()}", python=platform.python_version(), load_avg_1m=load)


def bench_questions(path: Path, limit: int) -> list[str]:
    """The first `limit` stand-alone questions of a question file (follow-ups need their history)."""
    from evals.questions import load_questions

    questions = [q.question for q in load_questions(path).questions if not q.history]
    return questions[:limit]


def _local(settings: Settings, data_dir: Path) -> Settings:
    return settings.model_copy(update={"data_dir": data_dir, "chroma_host": None})


def measure_ingest(settings: Settings, data_dir: Path, progress: bool, use_cache: bool = True) -> IngestFigures:
    from index.build import run_ingest
    from index.embeddings import ingest_thread_count, load_embedding, parse_embedder

    started = time.perf_counter()
    load_embedding(parse_embedder(settings.embedder)).get_query_embedding("opwarmen")
    model_load = time.perf_counter() - started
    started = time.perf_counter()
    report = run_ingest(
        data_dir=data_dir, corpus_dir=settings.corpus_dir, embedder=settings.embedder, progress=progress,
        use_cache=use_cache,
    )
    seconds = time.perf_counter() - started
    return IngestFigures(
        model_load_s=round(model_load, 2), seconds=round(seconds, 2), chunks=report.chunks,
        chunks_per_s=round(report.chunks / seconds, 2) if seconds > 0 else 0.0,
        embedded=report.embedded, cached=report.cached, threads=ingest_thread_count() if report.embedded else 1,
    )


def cli_command() -> list[str]:
    """The installed `werkagenda` script next to this interpreter, or the module as a fallback."""
    script = Path(sys.executable).with_name("werkagenda")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "assistant.cli"]


def measure_cold_start(settings: Settings, question: str = COLD_START_QUESTION) -> ColdStart:
    """Wall time of a new process that opens the index and answers one question."""
    command = [*cli_command(), "--data-dir", str(settings.data_dir), "--embedder", settings.embedder, "ask", question, "--json"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("WERKAGENDA_")}
    # The child must see exactly this benchmark's settings, not whatever the shell exported.
    env.update({"WERKAGENDA_CORPUS_DIR": str(settings.corpus_dir), "WERKAGENDA_LLM": settings.llm})
    if settings.chroma_host:
        env.update({"WERKAGENDA_CHROMA_HOST": settings.chroma_host, "WERKAGENDA_CHROMA_PORT": str(settings.chroma_port)})
    shown = f'werkagenda --data-dir {settings.data_dir} ask "{question}" --json'
    started = time.perf_counter()
    try:
        code, stdout, stderr, peak_rss_mb = _run_measured(command, env, COLD_START_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return ColdStart(command=shown, exit_code=-1, error=f"geen antwoord binnen {COLD_START_TIMEOUT_S} s")
    seconds = time.perf_counter() - started
    if code != 0:
        tail = (stderr.strip().splitlines() or ["(geen uitvoer)"])[-1]
        return ColdStart(command=shown, exit_code=code, error=tail, peak_rss_mb=peak_rss_mb)
    try:
        answer_ms = json.loads(stdout)["timings_ms"].get("total")
    except (ValueError, KeyError, TypeError):
        answer_ms = None
    return ColdStart(command=shown, seconds=round(seconds, 2), answer_ms=answer_ms, exit_code=0, peak_rss_mb=peak_rss_mb)


def _run_measured(command: list[str], env: dict[str, str], timeout: float) -> tuple[int, str, str, float | None]:
    """Run a process to its end: (exit code, stdout, stderr, its peak RSS in MB where /proc shows it).

    The peak is the child's own VmHWM, read while it runs. Its rusage would not do: after a fork
    the child's maxrss already counts the parent's pages (this benchmark holds the 100x index).
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True)
        status = Path(f"/proc/{proc.pid}/status")
        peak_kb: int | None = None
        deadline = time.monotonic() + timeout
        while proc.poll() is None:
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                raise subprocess.TimeoutExpired(command, timeout)
            peak_kb = max(peak_kb or 0, _vm_hwm_kb(status) or 0) or peak_kb
            time.sleep(RSS_POLL_S)
        out.seek(0)
        err.seek(0)
        peak = round(peak_kb / 1024, 1) if peak_kb else None
        return proc.returncode, out.read(), err.read(), peak


def _vm_hwm_kb(status: Path) -> int | None:
    try:
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):  # not Linux, or the process just ended
        return None
    return None


def build_replica(source: ChunkCollection, data_dir: Path, size: int, progress: bool) -> int:
    """Write `size` copies of the source index (the first is the original) as the active build in data_dir."""
    chunks = source.chunks(children=True)
    ids = [c.id for c in chunks]
    vectors: dict[str, list[float]] = {}
    for start in range(0, len(ids), ADD_BATCH):
        got = source.collection.get(ids=ids[start : start + ADD_BATCH], include=["embeddings"])
        vectors.update({i: list(map(float, e)) for i, e in zip(got["ids"], got["embeddings"])})
    embeddings = [vectors[i] for i in ids]
    store = IndexStore.open(data_dir)
    build = store.create_build(replica_manifest(source.manifest, size))
    bar = tqdm(total=len(chunks) * size, desc=f"Kopieën schrijven ({size}x)", unit="chunk", disable=not progress)
    for copy in range(size):
        batch = chunks if copy == 0 else [replica_chunk(c, copy) for c in chunks]
        for start in range(0, len(batch), ADD_BATCH):
            build.add(batch[start : start + ADD_BATCH], embeddings[start : start + ADD_BATCH])
            bar.update(len(batch[start : start + ADD_BATCH]))
    bar.close()
    store.activate(build)
    return build.count()


def measure_queries(
    assistant, questions: Sequence[str], progress: bool, desc: str,
) -> tuple[Latency, dict[str, float], Latency]:
    """Retrieval-only latency (and its steps) and full-answer latency per question, each with a cold query-embedding cache."""
    from assistant.engine import SEARCH_DEPTH

    # One untimed question first: Chroma loads its HNSW segment lazily on the first query.
    assistant.ask(WARM_UP_QUESTION)
    search_ms: list[float] = []
    answer_ms: list[float] = []
    parts: dict[str, list[float]] = {k: [] for k in RETRIEVAL_PARTS}
    for question in tqdm(questions, desc=desc, unit="vraag", disable=not progress):
        # A user's question is new: without forgetting it, the second measurement would skip the model.
        assistant.retriever.query_cache.clear()
        started = time.perf_counter()
        found = assistant.retriever.search(question, None, SEARCH_DEPTH)
        search_ms.append((time.perf_counter() - started) * 1000)
        for key in RETRIEVAL_PARTS:
            parts[key].append(found.timings_ms.get(key, 0.0))
        assistant.retriever.query_cache.clear()
        started = time.perf_counter()
        assistant.ask(question)
        answer_ms.append((time.perf_counter() - started) * 1000)
    parts_p50 = {k: round(float(np.percentile(v, 50)), 2) for k, v in parts.items()}
    return latency(search_ms), parts_p50, latency(answer_ms)


def run_bench(
    settings: Settings, options: BenchOptions | None = None, progress: bool = True,
    notify: Callable[[str], None] = lambda _m: None,
) -> BenchResult:
    from assistant.engine import Assistant
    from assistant.errors import UserInputError
    from assistant.index_access import open_index
    from assistant.search_structures import prepare_search
    from index.embeddings import parse_embedder

    options = options or BenchOptions()
    questions = bench_questions(options.questions_path, options.queries)
    if not questions:
        raise UserInputError(f"Het vragenbestand {options.questions_path} bevat geen losse vragen (zonder history).")
    host = machine()
    notes = [
        "Latentie zonder cache van query-embeddings (elke vraag wordt opnieuw ingebed); "
        "één onbemeten opwarmvraag per grootte.",
        "Zoekstructuren = de chunks, BM25 en woordenschat afleiden en opslaan, wat een ingest direct na het bouwen doet "
        "(bij 1x zit het in de ingest). Openen 1e = eerste Assistant.open daarna, openen = een volgende start: "
        "beide laden ze uit de data-map. Nieuw proces = `werkagenda ask` "
        "van start tot antwoord, met het piekgeheugen (RSS) van dat proces.",
    ]
    with tempfile.TemporaryDirectory(prefix="werkagenda-bench-", ignore_cleanup_errors=True) as tmp:
        root = Path(tmp)
        ingest = ingest_no_cache = None
        if options.skip_ingest:
            source_settings = settings
        else:
            if options.no_cache_ingest:
                notify("Verse ingest zonder embeddingcache in een tijdelijke map …")
                ingest_no_cache = measure_ingest(settings, root / "ingest-zonder-cache", progress, use_cache=False)
            notify("Verse ingest in een tijdelijke map …")
            source_settings = _local(settings, root / "ingest")
            ingest = measure_ingest(settings, source_settings.data_dir, progress)
        source = open_index(source_settings)  # --skip-ingest on an empty data dir: says to run `werkagenda ingest`
        cold = None
        if options.cold_start:
            notify("Koude start meten (nieuw proces) …")
            cold = measure_cold_start(source_settings)
        figures: list[SizeFigures] = []
        for size in options.sizes:
            build_s = prepare_s = None
            size_settings = source_settings
            if size > 1:
                started = time.perf_counter()
                size_settings = _local(settings, root / f"x{size}")
                build_replica(source, size_settings.data_dir, size, progress)
                build_s = round(time.perf_counter() - started, 2)
                notify(f"Zoekstructuren afleiden ({size}x), zoals een ingest doet …")
                started = time.perf_counter()
                prepare_search(open_index(size_settings), size_settings.data_dir)
                prepare_s = round(time.perf_counter() - started, 2)
                gc.collect()
            started = time.perf_counter()
            assistant = Assistant.open(size_settings, progress=progress, notify=notify)
            open_s = round(time.perf_counter() - started, 2)
            del assistant
            gc.collect()
            started = time.perf_counter()
            assistant = Assistant.open(size_settings, progress=progress, notify=notify)
            reopen_s = round(time.perf_counter() - started, 3)
            retrieval_lat, parts_p50, answer_lat = measure_queries(assistant, questions, progress, f"Vragen ({size}x)")
            chunks = len(assistant.chunks)
            del assistant
            gc.collect()
            process = None
            if options.cold_start:
                notify(f"Nieuw proces bij {size}x (tijd en geheugen) …")
                process = measure_cold_start(size_settings)
            figures.append(SizeFigures(
                size=size, chunks=chunks, build_s=build_s, prepare_s=prepare_s, open_s=open_s, reopen_s=reopen_s, process=process,
                retrieval=retrieval_lat, retrieval_parts_p50_ms=parts_p50, answer=answer_lat,
            ))
    if any(s > 1 for s in options.sizes):
        notes.append(EMBEDDINGS_NOTE)
        notes.append(
            "Grootte > 1: echte Chroma-collecties in een tijdelijke map, gebouwd via IndexStore/ChunkCollection; "
            "BM25 en de woordenschat lopen over alle chunks. De antwoorden zelf zijn daar niet zinvol (veel gelijke kopieën)."
        )
    return BenchResult(
        machine=host, embedder=parse_embedder(settings.embedder).key, llm=settings.llm or "geen",
        questions=_shown_path(options.questions_path), queries=len(questions),
        ingest=ingest, ingest_no_cache=ingest_no_cache, cold_start=cold, sizes=figures, notes=notes,
    )


def _shown_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
