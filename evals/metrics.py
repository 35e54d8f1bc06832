"""Pure metric functions for the eval harness: key matching, ranking metrics, keyword recall.

Everything here works on plain chunk ids and strings, so it is easy to test and to reuse (e.g. by a
tuning script). Chunk ids look like ``wwd-2022:2.4:actie:4``, ``wwd-2022:2.4:opgave`` or
``wwd-jaar-onderweg:desinformatie``.

Citation keys (see DESIGN.md, "Question-set format"):

- ``2.4``            any chunk of priority 2.4 of the agenda (id ``<doc>:2.4:...``)
- ``2.4/actie/4``    the chunk whose id ends in ``:2.4:actie:4`` (likewise ``doel``)
- ``2.4/opgave``     the chunk whose id ends in ``:2.4:opgave`` (likewise ``resultaten``)
- a full chunk id    exactly that chunk (``wwd-jaar-onderweg:desinformatie``)
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

PRIORITY_RE = re.compile(r"^\d+\.\d+$")
# "2.4", "2.4/opgave", "2.4/resultaten", "2.4/actie/4", "2.4/doel/1"
SHORT_KEY_RE = re.compile(r"^\d+\.\d+(/(opgave|resultaten)|/(actie|doel)/\d+)?$")
# a full chunk id: "<document>:<rest>" without spaces
CHUNK_ID_RE = re.compile(r"^[A-Za-z0-9][\w.\-]*(:[\w.\-]+)+$")


def is_valid_key(key: str) -> bool:
    """Is this a well-formed citation key (short form or full chunk id)?"""
    return bool(SHORT_KEY_RE.match(key) or CHUNK_ID_RE.match(key))


def matches(chunk_id: str, key: str) -> bool:
    """Does the chunk id satisfy the expected citation key?"""
    key = key.strip()
    if PRIORITY_RE.match(key):
        parts = chunk_id.split(":")
        return len(parts) >= 3 and parts[1] == key
    if SHORT_KEY_RE.match(key):
        return chunk_id.endswith(":" + key.replace("/", ":"))
    return chunk_id == key


def matches_any(chunk_id: str, keys: Iterable[str]) -> bool:
    return any(matches(chunk_id, k) for k in keys)


def key_priority(key: str) -> str:
    """The priority a key belongs to ("2.4/actie/4" → "2.4"); the document id for other chunk ids."""
    key = key.strip()
    if SHORT_KEY_RE.match(key):
        return key.split("/")[0]
    parts = key.split(":")
    if len(parts) >= 3 and PRIORITY_RE.match(parts[1]):
        return parts[1]
    return parts[0]


def chunk_priority(chunk_id: str) -> str:
    """The priority code of an agenda chunk id ("" for other chunks)."""
    parts = chunk_id.split(":")
    return parts[1] if len(parts) >= 3 and PRIORITY_RE.match(parts[1]) else ""


def relevance(ranked: Sequence[str], expected: Sequence[str]) -> list[bool]:
    """Binary relevance per ranked chunk: does it match any expected key?"""
    return [matches_any(cid, expected) for cid in ranked]


def first_hit_rank(ranked: Sequence[str], expected: Sequence[str]) -> int | None:
    """1-based rank of the first relevant chunk, or None."""
    for i, cid in enumerate(ranked, start=1):
        if matches_any(cid, expected):
            return i
    return None


def hit_at_k(ranked: Sequence[str], expected: Sequence[str], k: int) -> float:
    """1.0 when a chunk in the top k matches an expected key, else 0.0."""
    rank = first_hit_rank(ranked[:k], expected)
    return 1.0 if rank is not None else 0.0


def reciprocal_rank(ranked: Sequence[str], expected: Sequence[str]) -> float:
    """1 / rank of the first relevant chunk (0.0 when there is none); averaged this is MRR."""
    rank = first_hit_rank(ranked, expected)
    return 1.0 / rank if rank else 0.0


def ndcg_at_k(ranked: Sequence[str], expected: Sequence[str], k: int = 10) -> float:
    """nDCG@k with binary relevance.

    A retrieved chunk is relevant when it matches any expected key (gain 1, discount log2(rank+1)).
    The ideal DCG assumes min(#expected keys, k) relevant chunks at the top. Because a priority key
    ("2.4") is matched by many chunks, the DCG can exceed that ideal; the score is capped at 1.0.
    """
    if not expected:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 2) for i, rel in enumerate(relevance(ranked[:k], expected)) if rel)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(expected), k)))
    return min(1.0, dcg / ideal) if ideal else 0.0


def recall_at_k(ranked: Sequence[str], expected: Sequence[str], k: int = 10) -> float:
    """Fraction of expected keys matched by at least one chunk in the top k."""
    if not expected:
        return 0.0
    top = ranked[:k]
    return sum(1 for key in expected if any(matches(cid, key) for cid in top)) / len(expected)


def normalise_text(text: str) -> str:
    """Case-folded, markdown emphasis removed, whitespace collapsed (for keyword matching)."""
    text = text.replace("*", "").replace("\u00ad", "")
    return " ".join(text.casefold().split())


def keyword_recall(answer: str, keywords: Sequence[str]) -> float | None:
    """Share of expected keywords found (case-insensitively) in the answer; None without keywords."""
    keywords = [k for k in keywords if k.strip()]
    if not keywords:
        return None
    text = normalise_text(answer)
    return sum(1 for k in keywords if normalise_text(k) in text) / len(keywords)


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile (0..100) with linear interpolation (numpy's default); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    pos = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return float(ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo))


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None; None when there are none."""
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


CITATION_MARKER_RE = re.compile(r"\[(\d{1,3})\]")


def citations_valid(cited_ids: Sequence[str], known_ids: Iterable[str], answer: str = "", n_citations: int | None = None) -> bool:
    """Every cited id exists in the index, and every [n] marker in the answer names a listed citation."""
    known = known_ids if isinstance(known_ids, (set, frozenset, dict)) else set(known_ids)
    if any(cid not in known for cid in cited_ids):
        return False
    if answer and n_citations is not None:
        return all(1 <= int(m) <= n_citations for m in CITATION_MARKER_RE.findall(answer))
    return True


def yes_no_polarity(answer: str) -> str | None:
    """How an answer opens: "ja", "nee", "onduidelijk" ("Dat staat er niet precies in"), or None."""
    opening = normalise_text(answer)[:60]
    if opening.startswith("ja"):
        return "ja" if opening[2:3] in ("", ".", ",", " ", "!", ";") else None
    if opening.startswith("nee"):
        return "nee" if opening[3:4] in ("", ".", ",", " ", "!", ";") else None
    if opening.startswith("dat staat er niet precies in"):
        return "onduidelijk"
    return None
