"""Where to go instead: a refusal names the official site for the question's subject.

The map lives in `assistant/lexicon/referrals.yaml` (maintained by hand, one entry per site). Pure
function over the question's folded words; no phrase of any eval question is listed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

from assistant.models import Referral
from assistant.text import fold, tokens

REFERRALS_FILE = Path(__file__).parent / "lexicon" / "referrals.yaml"
MAX_REFERRALS = 2
# A question after one's own case at an office: how to apply, file, renew, pay or report, what it costs, how much
# one gets or pays ("Hoe vraag ik …", "Wat kost een …", "Hoeveel huurtoeslag krijg ik …"). The agenda holds
# plans, not an office's procedures or amounts. General Dutch; "hoe krijg ik" and "hoe regel ik" are left
# out, since they also ask after what the agenda builds ("hoe krijg ik hulp", "hoe regel ik dat mijn zoon …").
OWN_CASE_RE = re.compile(
    r"\bhoe\s+(?:vul|vraag|geef|verleng|betaal|meld)\s+ik\b|\bwat\s+kost\s+(?:het|een|mijn|de)\b"
    r"|\bhoeveel\s+(?:\w+\s+){0,2}(?:krijg|krijgen|moet|moeten|betaal|betalen)\s+(?:ik|je|we|wij)\b",
    re.IGNORECASE,
)


@lru_cache(maxsize=1)
def _table(path: Path = REFERRALS_FILE) -> tuple[Referral, list[tuple[Referral, tuple[str, ...]]], frozenset[str]]:
    """(default, [(referral, terms)], names of the services the agenda itself builds)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    default = Referral(**data["default"])
    entries = [
        (Referral(name=e["name"], url=e["url"], reason=e.get("reason", "")), tuple(fold(t) for t in e["terms"]))
        for e in data["referrals"]
    ]
    return default, entries, frozenset(e["name"] for e in data["referrals"] if e.get("agenda_service"))


def _term_matches(term: str, words: list[str], folded: str) -> bool:
    if " " in term:  # a phrase: "eigen risico"
        return f" {term.rstrip('*')}" in f" {folded}"
    if term.endswith("*"):
        return any(w.startswith(term[:-1]) for w in words)
    return term in words


def referrals_for(question: str) -> list[Referral]:
    """The sites for the question's subject (at most MAX_REFERRALS), else rijksoverheid.nl."""
    default, entries, _ = _table()
    return _matching(question, entries)[:MAX_REFERRALS] or [default]


def _matching(question: str, entries: list[tuple[Referral, tuple[str, ...]]]) -> list[Referral]:
    folded = " ".join(fold(question).split())
    words = tokens(question) + [w for w in folded.split() if "-" in w]
    return [ref for ref, terms in entries if any(_term_matches(t, words, folded) for t in terms)]


def asks_an_office(question: str) -> Referral | None:
    """The office a question about one's own case belongs to ("Wat kost een nieuw paspoort?" → de gemeente),
    or None: no such phrasing, no office in the table, or only a service the agenda itself builds."""
    if not OWN_CASE_RE.search(question):
        return None
    _, entries, agenda_services = _table()
    return next((ref for ref in _matching(question, entries) if ref.name not in agenda_services), None)


def handled_elsewhere(word: str) -> bool:
    """Is this (folded) word a subject that the referral table sends elsewhere ("paspoort", "aow")?"""
    _, entries, _ = _table()
    return any(_term_matches(t, [word], word) for _, terms in entries for t in terms if " " not in t)
