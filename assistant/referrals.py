"""Where to go instead: a refusal names the official site for the question's subject.

The map lives in `assistant/lexicon/referrals.yaml` (maintained by hand, one entry per site). Pure
function over the question's folded words; no phrase of any eval question is listed.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from assistant.models import Referral
from assistant.text import fold, tokens

REFERRALS_FILE = Path(__file__).parent / "lexicon" / "referrals.yaml"
MAX_REFERRALS = 2


@lru_cache(maxsize=1)
def _table(path: Path = REFERRALS_FILE) -> tuple[Referral, list[tuple[Referral, tuple[str, ...]]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    default = Referral(**data["default"])
    entries = [
        (Referral(name=e["name"], url=e["url"], reason=e.get("reason", "")), tuple(fold(t) for t in e["terms"]))
        for e in data["referrals"]
    ]
    return default, entries


def _term_matches(term: str, words: list[str], folded: str) -> bool:
    if " " in term:  # a phrase: "eigen risico"
        return f" {term.rstrip('*')}" in f" {folded}"
    if term.endswith("*"):
        return any(w.startswith(term[:-1]) for w in words)
    return term in words


def referrals_for(question: str) -> list[Referral]:
    """The sites for the question's subject (at most MAX_REFERRALS), else rijksoverheid.nl."""
    default, entries = _table()
    folded = " ".join(fold(question).split())
    words = tokens(question) + [w for w in folded.split() if "-" in w]
    found = [ref for ref, terms in entries if any(_term_matches(t, words, folded) for t in terms)]
    return found[:MAX_REFERRALS] or [default]


def handled_elsewhere(word: str) -> bool:
    """Is this (folded) word a subject that the referral table sends elsewhere ("paspoort", "aow")?"""
    _, entries = _table()
    return any(_term_matches(t, [word], word) for _, terms in entries for t in terms if " " not in t)
