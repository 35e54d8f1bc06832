"""Pydantic models at the answer boundary: filters, citations, answers, conversation turns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from assistant.errors import UserInputError

Route = Literal["opzoeken", "organisatie", "zoeken", "lijst", "vervolg", "buiten_scope", "instructie", "ongeldig"]
# covered: the agenda states it; related: nothing states it, but the citations are the closest the
# agenda comes; not_covered: an honest refusal with referrals (DESIGN.md, "Answer outcomes").
Outcome = Literal["covered", "related", "not_covered"]


class Filters(BaseModel):
    """Narrow retrieval. Empty fields do not filter."""

    document: str | None = None
    programmalijn: int | None = None
    prioriteit: str | None = None
    soort: str | None = None
    uitvoerder: str | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_none(cls, value):
        return None if value in ("", "Alle", "alle", 0) else value

    def is_empty(self) -> bool:
        return not any(self.model_dump().values())


def parse_filters(values: Mapping[str, object] | None) -> Filters | None:
    """A user's filter values (the CLI's --filter, the chat's dropdowns, the API) as Filters; None when none
    is set; a Dutch UserInputError for an unknown key or a value of the wrong kind."""
    used = {k: v for k, v in (values or {}).items() if v not in (None, "", "alle", "Alle")}
    unknown = [k for k in used if k not in Filters.model_fields]
    if unknown:
        raise UserInputError(f"Onbekend filter '{unknown[0]}'. Kies uit: {', '.join(Filters.model_fields)}.")
    if not used:
        return None
    try:
        return Filters(**used)
    except ValueError as exc:
        raise UserInputError(f"Ongeldige filterwaarde: {', '.join(f'{k}={v}' for k, v in used.items())}.") from exc


class Citation(BaseModel):
    n: int
    id: str
    label: str
    prioriteit: str = ""
    soort: str
    nummer: int | None = None
    document: str
    text: str
    score: float = 0.0


class Referral(BaseModel):
    """Where to go instead, for a subject the agenda does not cover."""

    name: str  # "de gemeente"
    url: str  # "https://www.rijksoverheid.nl/..."
    reason: str = ""  # "voor een paspoort of identiteitskaart"


class Answer(BaseModel):
    question: str
    answer: str  # Markdown shown to the user, with [n] markers and a "Bronnen" list
    in_scope: bool  # False only for not_covered (and refused input)
    route: Route
    outcome: Outcome = "covered"
    question_type: str = ""  # what the lead answers: "janee", "wie", "wanneer", "hoeveel", "naam", "bereikt", "lijst", ...
    referrals: list[Referral] = Field(default_factory=list)  # not_covered: official sites to go to
    suggestions: list[str] = Field(default_factory=list)  # questions the agenda does answer (clickable in the UI)
    citations: list[Citation] = Field(default_factory=list)
    retrieved: list[str] = Field(default_factory=list)  # ranked chunk ids behind the answer (for evals)
    notice: str = ""  # e.g. "Het taalmodel reageerde niet; dit is het antwoord zonder taalmodel."
    mode: Literal["extractief", "llm"] = "extractief"
    timings_ms: dict[str, float] = Field(default_factory=dict)

    def public_json(self) -> dict:
        """The `werkagenda ask --json` contract of DESIGN.md."""
        return {
            "question": self.question,
            "answer": self.answer,
            "in_scope": self.in_scope,
            "outcome": self.outcome,
            "question_type": self.question_type,
            "route": self.route,
            "mode": self.mode,
            "notice": self.notice,
            "citations": [c.model_dump() for c in self.citations],
            "referrals": [r.model_dump() for r in self.referrals],
            "retrieved": self.retrieved,  # the ranked chunk ids behind the answer: citations first, then the rest
            "suggestions": self.suggestions,
            "timings_ms": self.timings_ms,
        }


class Turn(BaseModel):
    """One earlier exchange in a conversation, as much as follow-ups need."""

    question: str
    citation_ids: list[str] = Field(default_factory=list)
