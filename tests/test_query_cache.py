"""The query-embedding cache: bounded, and owned by one retriever (no module-level state to clear)."""

from __future__ import annotations

from assistant.retrieval import QueryCache


class CountingModel:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def embed(self, query: str) -> list[float]:
        self.calls.append(query)
        return [float(len(self.calls))]


def test_a_repeated_question_skips_the_model():
    model, cache = CountingModel(), QueryCache(size=4)
    assert cache.vector("wallet", model.embed) == cache.vector("wallet", model.embed) == [1.0]
    assert model.calls == ["wallet"]


def test_the_cache_keeps_the_most_recently_used_questions_only():
    model, cache = CountingModel(), QueryCache(size=2)
    for question in ("a", "b", "a", "c"):  # "a" is used again, so "b" is the one to go
        cache.vector(question, model.embed)
    cache.vector("a", model.embed)
    cache.vector("b", model.embed)
    assert model.calls == ["a", "b", "c", "b"]


def test_two_caches_share_nothing_and_size_zero_keeps_nothing():
    model = CountingModel()
    first, second, off = QueryCache(), QueryCache(), QueryCache(size=0)
    first.vector("x", model.embed)
    second.vector("x", model.embed)
    off.vector("x", model.embed)
    off.vector("x", model.embed)
    assert model.calls == ["x"] * 4
    first.clear()
    first.vector("x", model.embed)
    assert len(model.calls) == 5
