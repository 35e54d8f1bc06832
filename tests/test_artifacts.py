"""The search structures (analyzer, BM25, scope vocabulary) stored beside the index: loaded when they
match, rebuilt when not."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from assistant.analysis import DutchAnalyzer, thesaurus
from assistant.search_structures import SearchParts, link_progress_sections, search_structures
from assistant.lexical import LexicalIndex
from assistant.scope import CorpusVocabulary
from ingest.corpus import BUNDLED_CORPUS_DIR
from index import artifacts
from ingest.corpus import chunks_for_source, load_manifest

QUERIES = (
    "Komt er een digitale identiteitswallet?", "cybersecurity van het mkb", "desinformatie en open source",
    "Wat doet BZK aan algoritmen?", "onbekendwoord",
)


@pytest.fixture(scope="module")
def chunks():
    return [c for source in load_manifest(BUNDLED_CORPUS_DIR) for c in chunks_for_source(source)]


@pytest.fixture(scope="module")
def fresh(chunks):
    """The structures built directly, without any store: what a stored copy must equal."""
    analyzer = DutchAnalyzer(c.embed_text for c in chunks)
    vocabulary = CorpusVocabulary(analyzer.document_terms(c.embed_text) for c in chunks)
    return analyzer, LexicalIndex(chunks), vocabulary


@pytest.fixture(scope="module")
def stored_once(chunks, tmp_path_factory):
    """A data dir in which the structures were built and stored once (each test copies it)."""
    directory = tmp_path_factory.mktemp("stored")
    built = search_structures(chunks, SearchParts(), directory)
    return directory, built


@pytest.fixture()
def stored(stored_once, tmp_path):
    directory, built = stored_once
    shutil.copytree(directory, tmp_path, dirs_exist_ok=True)
    return built


def lexical(chunks, cache_dir):
    return search_structures(chunks, SearchParts(), cache_dir)[1]


def _refuse_to_build(*_args, **_kwargs):
    raise AssertionError("built again although a stored copy matches")


def test_lexical_index_is_stored_and_loaded_with_the_same_scores(chunks, fresh, stored, tmp_path, monkeypatch):
    built = stored[1]
    assert list((tmp_path / artifacts.ARTIFACTS_SUBDIR).glob("search-*/" + artifacts.PAYLOAD_NAME))
    monkeypatch.setattr(LexicalIndex, "__init__", _refuse_to_build)
    loaded = lexical(chunks, tmp_path)
    monkeypatch.undo()
    fresh_index = fresh[1]
    assert loaded.ids == fresh_index.ids == [c.id for c in chunks]
    for query in QUERIES:
        assert np.array_equal(loaded.scores(query), fresh_index.scores(query)), query
        assert np.array_equal(built.scores(query), fresh_index.scores(query)), query
    assert loaded.scores(QUERIES[0]).max() > 0 and not loaded.scores("onbekendwoord").any()


def test_vocabulary_and_analyzer_are_stored_and_loaded_unchanged(chunks, fresh, stored, tmp_path, monkeypatch):
    monkeypatch.setattr(CorpusVocabulary, "__init__", _refuse_to_build)
    monkeypatch.setattr(DutchAnalyzer, "__init__", _refuse_to_build)
    analyzer, _, loaded, links = search_structures(chunks, SearchParts(), tmp_path)
    monkeypatch.undo()
    fresh_analyzer, fresh_index, fresh_vocabulary = fresh
    assert (loaded.chunks, loaded.document_frequency) == (fresh_vocabulary.chunks, fresh_vocabulary.document_frequency)
    assert links == link_progress_sections(chunks, fresh_index)
    assert links["2.4"] == ["wwd-jaar-onderweg:versterken-van-de-digitale-veiligheid-en-weerbaarheid"]
    for query in QUERIES:
        assert analyzer.question_terms(query) == fresh_analyzer.question_terms(query)


def test_other_search_parts_get_their_own_structure(chunks, stored, tmp_path):
    analyzer, _, _, _ = search_structures(chunks, SearchParts(thesaurus=False), tmp_path)
    assert not analyzer.use_thesaurus


def test_changed_chunks_get_their_own_structure(chunks, stored, tmp_path):
    edited = [chunks[0].model_copy(update={"embed_text": chunks[0].embed_text + " quantumcomputer"}), *chunks[1:]]
    index = lexical(edited, tmp_path)
    assert index.scores("quantumcomputer")[0] > 0  # not the stored structure of the unedited chunks
    fewer = lexical(chunks[:10], tmp_path)
    assert len(fewer.ids) == 10
    lexical(chunks[:20], tmp_path)  # a fourth: the oldest is dropped
    assert len(list((tmp_path / artifacts.ARTIFACTS_SUBDIR).glob("search-*"))) == artifacts.KEEP_PER_KIND


def test_key_names_kind_version_code_and_every_chunk(chunks):
    key = artifacts.chunks_key("lexical", 1, "code", chunks)
    assert key == artifacts.chunks_key("lexical", 1, "code", list(chunks))
    renamed = [chunks[0].model_copy(update={"id": chunks[0].id + "x"}), *chunks[1:]]
    others = {
        artifacts.chunks_key("vocabulary", 1, "code", chunks), artifacts.chunks_key("lexical", 2, "code", chunks),
        artifacts.chunks_key("lexical", 1, "other code", chunks), artifacts.chunks_key("lexical", 1, "code", renamed),
        artifacts.chunks_key("lexical", 1, "code", chunks[::-1]),
    }
    assert key not in others and len(others) == 5


def test_code_digest_follows_the_source(tmp_path):
    (tmp_path / "tok.py").write_text("STOP = ['de']\n")
    first = artifacts.code_digest(tmp_path, ("numpy",))
    (tmp_path / "tok.py").write_text("STOP = ['de', 'het']\n")
    assert artifacts.code_digest(tmp_path, ("numpy",)) != first


def test_a_damaged_file_is_rebuilt(chunks, stored, tmp_path):
    (payload,) = (tmp_path / artifacts.ARTIFACTS_SUBDIR).glob("search-*/" + artifacts.PAYLOAD_NAME)
    payload.write_bytes(b"kapot")
    index = lexical(chunks, tmp_path)
    assert index.scores(QUERIES[0]).max() > 0
    assert payload.read_bytes() != b"kapot"  # replaced by a good copy


def test_an_unwritable_data_dir_still_opens(chunks, tmp_path):
    blocked = tmp_path / "bestand"
    blocked.write_text("een bestand waar een map hoort")  # mkdir fails here, for root too
    index = lexical(chunks, blocked)
    assert index.scores(QUERIES[0]).max() > 0
    assert blocked.read_text() == "een bestand waar een map hoort"


@pytest.mark.slow
def test_assistant_stores_them_beside_the_index_and_answers_the_same(index_settings, assistant):
    from assistant.engine import Assistant

    stored = {p.name.split("-")[0] for p in (index_settings.data_dir / artifacts.ARTIFACTS_SUBDIR).iterdir()}
    assert {"search", "chunks"} <= stored
    again = Assistant.open(index_settings, progress=False, notify=lambda _m: None)
    for question in QUERIES[:4]:
        first, second = assistant.ask(question), again.ask(question)
        assert first.answer == second.answer and [c.id for c in first.citations] == [c.id for c in second.citations]


@pytest.mark.slow
def test_a_builds_chunks_are_stored_after_the_first_read(index_settings, tmp_path, monkeypatch):
    from index.store import ChunkCollection, IndexStore

    collection = IndexStore.open(index_settings.data_dir).active()
    first = artifacts.build_chunks(collection, tmp_path)
    units = collection.chunks(children=True)
    parents, children = first
    assert parents == [c for c in units if not c.is_child] and len(parents) == 200
    # children as lines: id, parent and text of each child chunk, in the index's order
    assert [(c.id, c.parent, c.text) for c in children] == [(c.id, c.parent, c.text) for c in units if c.is_child]
    assert len(children) > 800 and all(c.parent in {p.id for p in parents} for c in children)
    monkeypatch.setattr(ChunkCollection, "chunks", _refuse_to_build)
    assert artifacts.build_chunks(collection, tmp_path) == first  # loaded, not read from Chroma again
    # another build (a new ingest has a new name) is read afresh
    other = ChunkCollection(collection.collection, collection.manifest.model_copy(update={"built_at": "later"}))
    with pytest.raises(AssertionError, match="built again"):
        artifacts.build_chunks(other, tmp_path)


def test_half_written_copies_of_a_killed_process_are_cleared(chunks, tmp_path):
    import os
    import time

    stale = tmp_path / artifacts.ARTIFACTS_SUBDIR / ".search-abc.999-deadbeef"
    fresh = tmp_path / artifacts.ARTIFACTS_SUBDIR / ".search-def.998-cafebabe"  # another process saving now
    for path in (stale, fresh):
        path.mkdir(parents=True)
    old = time.time() - artifacts.STALE_TMP_S - 60
    os.utime(stale, (old, old))
    lexical(chunks[:5], tmp_path)
    assert not stale.exists() and fresh.exists()


@pytest.mark.slow
def test_an_ingest_stores_them_so_the_first_start_derives_nothing(tmp_path, monkeypatch):
    from assistant.engine import Assistant
    from assistant.index_access import ingest
    from assistant.settings import Settings
    from index.store import ChunkCollection

    settings = Settings(data_dir=tmp_path / "data")
    assert ingest(settings, progress=False).new_build
    stored = {p.name.split("-")[0] for p in (settings.data_dir / artifacts.ARTIFACTS_SUBDIR).iterdir()}
    assert {"search", "chunks"} <= stored
    for cls in (DutchAnalyzer, LexicalIndex, CorpusVocabulary):
        monkeypatch.setattr(cls, "__init__", _refuse_to_build)
    monkeypatch.setattr(ChunkCollection, "chunks", _refuse_to_build)  # not read back from Chroma either
    thesaurus.cache_clear()
    opened = Assistant.open(settings, progress=False, notify=lambda _m: None)
    assert len(opened.chunks) == 200 and opened.retriever.children
    opened._warm_up.join()
    assert thesaurus.cache_info().currsize == 1  # read after open, in the background, not by the first question
    monkeypatch.undo()
    assert not ingest(settings, progress=False).new_build  # nothing changed: the active build is kept
