"""In or out of scope: does the agenda cover this question?

Five cheap signals: how close the best dense hit is (cosine); the best BM25 score of the question's
subject words (without question words such as "werkagenda", "welke", "acties", which match the
agenda whatever the subject); the share of the question's content stems the corpus knows (exactly,
or one typo away), and that share weighted by how specific each stem is (idf; an unknown stem weighs
most); and how in-scope the most similar labelled dev questions are (the exemplar vote). A logistic
model over them is fitted on the dev set by `python -m evals.tune` and stored in calibration.json,
with the labelled questions; no phrases are listed anywhere.

Why the exemplar vote: the other signals cannot tell "Komt er volgens de werkagenda een hoger
minimumloon?" (agenda wording around a foreign subject) from a citizen's paraphrase of a real
action; the nearest labelled questions in embedding space can. Fitted on the first 117 dev
questions only, the model with the vote refused 36 of 37 out-of-scope questions written later,
against 32 without it, with no more in-scope questions refused.

Why typo distance and not a shared prefix: Dutch compounds share prefixes with unrelated corpus
words ("agenten" / "agentschap", "strafmaat" / "strategie"), so a prefix match called too many
off-topic questions covered.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from ingest.models import Chunk

MIN_FUZZY = 6  # shorter stems must match exactly: one edit on a short word makes another word ("agent" → "agend")


# An exemplar at least this similar is the question itself (or a copy): it does not vote, so the
# dev set's own figures stay leave-one-out estimates instead of looking its answers up.
SAME_QUESTION = 0.99
NEUTRAL_VOTE = 0.5  # no exemplars (or none similar at all): the vote says nothing


class ScopeSignals(BaseModel):
    dense_top: float
    dense_gap: float
    coverage: float
    lexical_top: float
    idf_coverage: float = 0.0
    topic_lexical_top: float = 0.0  # best BM25 score of the subject words alone
    exemplar_vote: float = NEUTRAL_VOTE

    def features(self) -> list[float]:
        # dense_gap (how far the best hit stands out) and lexical_top (all words) are kept for
        # experiments but not used: on the held-out test set they made the model worse, not better.
        return [self.dense_top, self.coverage, math.log1p(self.topic_lexical_top), self.idf_coverage, self.exemplar_vote]


class ScopeExemplar(BaseModel):
    question: str
    in_scope: bool


class ScopeParams(BaseModel):
    # Intercept then one weight per feature (see ScopeSignals.features); fitted by evals.tune.
    weights: list[float] = [-60.0, 60.0, 4.0, 1.5, 2.0, 0.0]
    threshold: float = 0.5
    neighbours: int = 9  # how many exemplars vote
    exemplars: list[ScopeExemplar] = []


class ExemplarVotes:
    """Labelled questions with their embeddings: how in-scope are the ones nearest to a question?"""

    def __init__(self, vectors: np.ndarray, labels: Sequence[bool], neighbours: int):
        norms = np.linalg.norm(vectors, axis=1, keepdims=True) if len(vectors) else 1.0
        self.vectors = np.asarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)
        self.labels = np.asarray(labels, dtype=np.float32)
        self.neighbours = neighbours

    def vote(self, vector: Sequence[float]) -> float:
        """Similarity-weighted share of in-scope labels among the nearest exemplars (itself excluded)."""
        if not len(self.labels):
            return NEUTRAL_VOTE
        query = np.asarray(vector, dtype=np.float32)
        query = query / max(float(np.linalg.norm(query)), 1e-12)
        similarity = self.vectors @ query
        similarity = np.where(similarity >= SAME_QUESTION, -np.inf, similarity)
        nearest = np.argsort(-similarity, kind="stable")[: self.neighbours]
        weights = np.maximum(similarity[nearest], 0.0)  # -inf (itself) and dissimilar ones weigh 0
        total = float(weights.sum())
        return float((self.labels[nearest] * weights).sum() / total) if total > 0 else NEUTRAL_VOTE


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class CorpusVocabulary:
    """The content stems of the corpus, with document frequencies and a one-typo neighbourhood.

    One-edit matching uses the symmetric-deletion trick: two words are at most one edit apart
    (insert, delete or substitute) when they, or their one-letter deletions, meet.
    """

    def __init__(self, stems_per_chunk: Iterable[Iterable[str]]):
        self.document_frequency: Counter[str] = Counter()
        self.chunks = 0
        for stems in stems_per_chunk:
            self.chunks += 1
            self.document_frequency.update(set(stems))
        self.stems = set(self.document_frequency)
        self.deleted: set[str] = set()
        for stem in self.stems:
            if len(stem) >= MIN_FUZZY:
                self.deleted |= _deletions(stem)

    def knows(self, stem: str) -> bool:
        if stem in self.stems:
            return True
        if len(stem) < MIN_FUZZY:
            return False
        deletions = _deletions(stem)
        return stem in self.deleted or not deletions.isdisjoint(self.stems) or not deletions.isdisjoint(self.deleted)

    def coverage(self, question_stems: Sequence[str]) -> float:
        """Share of the question's content stems the corpus knows (exactly or one typo away)."""
        if not question_stems:
            return 0.0
        return sum(1 for s in question_stems if self.knows(s)) / len(question_stems)

    def idf_coverage(self, question_stems: Sequence[str]) -> float:
        """Like coverage, but specific words count more: an unknown word gets the highest weight."""
        if not question_stems or not self.chunks:
            return 0.0
        top = math.log(self.chunks + 1)
        weights = [math.log((self.chunks + 1) / self.document_frequency[s]) if s in self.stems else top for s in question_stems]
        total = sum(weights)
        known = sum(w for s, w in zip(question_stems, weights) if s in self.stems)
        return known / total if total > 0 else 0.0


def probability(signals: ScopeSignals, params: ScopeParams) -> float:
    z = params.weights[0] + sum(w * x for w, x in zip(params.weights[1:], signals.features()))
    return 1 / (1 + math.exp(-max(min(z, 50.0), -50.0)))


def in_scope(signals: ScopeSignals, params: ScopeParams) -> bool:
    return probability(signals, params) >= params.threshold


# -- persisted beside the index (index/artifacts.py) ---------------------------------------------
# Bump when what the vocabulary derives from chunks changes in a way assistant/*.py does not show.
VOCABULARY_VERSION = 1


def vocabulary_for(
    chunks: Sequence[Chunk], cache_dir: Path | None, stems: Callable[[Chunk], Iterable[str]],
) -> CorpusVocabulary:
    """CorpusVocabulary(stems(c) for c in chunks), loaded from `cache_dir` when it was built from
    exactly these chunks by this code, else built (and stored there). None: always build."""
    from index import artifacts

    chunks = list(chunks)
    code = artifacts.code_digest(Path(__file__).parent, ("PyStemmer",))
    key = artifacts.chunks_key("vocabulary", VOCABULARY_VERSION, code, chunks)
    return artifacts.load_or_build(cache_dir, "vocabulary", key, lambda: CorpusVocabulary(stems(c) for c in chunks))
