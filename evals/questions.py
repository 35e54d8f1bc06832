"""Load and validate a question file (JSONL), with Dutch errors that name the line.

One JSON object per line (blank lines and lines starting with ``#`` are skipped)::

    {"id": "q001", "question": "…", "expected": ["2.4/actie/4", "2.4"], "keywords": ["…"],
     "out_of_scope": false, "style": "burger", "programmalijn": 2, "history": ["eerdere vraag"]}

Only ``id`` and ``question`` are required. An in-scope question without ``expected`` keys still
counts for the answer metrics, but not for the retrieval metrics. Unknown fields are reported as
warnings (a typo such as ``"expectd"`` would otherwise silently drop the expectations).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant.errors import UserInputError
from evals.metrics import is_valid_key, matches

FIELD_NAMES_NL = {
    "id": "id",
    "question": "question (de vraag)",
    "expected": "expected (verwachte bronnen)",
    "keywords": "keywords (trefwoorden)",
    "out_of_scope": "out_of_scope (true/false)",
    "style": "style",
    "programmalijn": "programmalijn (1 t/m 5)",
    "history": "history (eerdere vragen)",
    "yesno": "yesno (ja/nee/onduidelijk: het juiste antwoord op een ja/nee-vraag)",
    "list": "list (true: de vraag vraagt om een lijst)",
}


class QuestionFileError(UserInputError):
    """The question file cannot be used; the message lists every problem with its line number."""


class Question(BaseModel):
    model_config = ConfigDict(extra="allow", str_strip_whitespace=True, populate_by_name=True)

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    expected: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    out_of_scope: bool = False
    style: str = ""
    programmalijn: int | None = Field(default=None, ge=0, le=9)  # 0: article, multi-priority or out of scope
    history: list[str] = Field(default_factory=list)
    yesno: str | None = None  # "ja" | "nee" | "onduidelijk"
    is_list: bool = Field(default=False, alias="list")  # the question asks for a list (all matching actions)
    line: int = Field(default=0, exclude=True)

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value):
        return str(value) if isinstance(value, int) else value

    @field_validator("expected", "keywords", "history", mode="before")
    @classmethod
    def _one_is_a_list(cls, value):
        if value is None:
            return []
        return [value] if isinstance(value, str) else value

    @field_validator("expected")
    @classmethod
    def _keys_well_formed(cls, keys: list[str]) -> list[str]:
        bad = [k for k in keys if not is_valid_key(k)]
        if bad:
            raise ValueError(
                f"onbekende bronsleutel(s) {', '.join(repr(b) for b in bad)}; gebruik '2.4', '2.4/actie/4', "
                "'2.4/doel/1', '2.4/opgave', '2.4/resultaten' of een volledige chunk-id zoals 'wwd-jaar-onderweg:desinformatie'"
            )
        return keys

    @field_validator("history")
    @classmethod
    def _history_not_empty(cls, history: list[str]) -> list[str]:
        if any(not h.strip() for h in history):
            raise ValueError("een eerdere vraag in history is leeg")
        return history

    @model_validator(mode="after")
    def _scope_consistent(self) -> Question:
        if self.out_of_scope and self.expected:
            raise ValueError("een vraag buiten de scope (out_of_scope: true) kan geen verwachte bronnen hebben")
        return self

    @property
    def extra_fields(self) -> list[str]:
        return sorted((self.model_extra or {}).keys())

    @property
    def priority(self) -> str:
        """The priority (or document) this question is about, for the per-priority breakdown."""
        from evals.metrics import key_priority

        return key_priority(self.expected[0]) if self.expected else ""


class QuestionSet(BaseModel):
    path: str
    questions: list[Question]
    warnings: list[str] = Field(default_factory=list)

    def __len__(self) -> int:
        return len(self.questions)

    def check_against_index(self, chunk_ids: Iterable[str]) -> list[str]:
        """Warnings for expected keys that match no chunk of the index (usually a typo)."""
        ids = list(chunk_ids)
        out = []
        for q in self.questions:
            for key in q.expected:
                if not any(matches(cid, key) for cid in ids):
                    out.append(f"regel {q.line} ({q.id}): bronsleutel '{key}' komt in geen enkele chunk van de index voor")
        return out


def _describe(error: dict) -> str:
    loc = ".".join(str(p) for p in error.get("loc", ()))
    field = str(error["loc"][0]) if error.get("loc") else ""
    name = FIELD_NAMES_NL.get(field, loc or "vraag")
    kind = error.get("type", "")
    if kind == "missing":
        return f"veld '{name}' ontbreekt"
    if kind in ("string_too_short",):
        return f"veld '{name}' is leeg"
    if kind in ("bool_type", "bool_parsing"):
        return f"veld '{name}' moet true of false zijn"
    if kind in ("list_type",):
        return f"veld '{name}' moet een lijst zijn, bijv. [\"…\"]"
    if kind in ("int_type", "int_parsing", "greater_than_equal", "less_than_equal"):
        return f"veld '{name}' moet een geheel getal zijn (1 t/m 5)"
    if kind in ("string_type",):
        return f"veld '{loc}' moet tekst zijn"
    if kind == "value_error":
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        return f"{name}: {message}" if field else message
    return f"veld '{loc}': ongeldige waarde"


def parse_questions(lines: Iterable[str], path: str = "<vragen>") -> QuestionSet:
    """Validate JSONL lines; raises QuestionFileError listing every problem (with line numbers)."""
    questions: list[Question] = []
    problems: list[str] = []
    warnings: list[str] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"regel {number}: geen geldige JSON ({exc.msg}, kolom {exc.colno})")
            continue
        if not isinstance(data, dict):
            problems.append(f"regel {number}: verwacht een JSON-object {{...}}, maar vond {type(data).__name__}")
            continue
        try:
            question = Question.model_validate({**data, "line": number})
        except ValidationError as exc:
            problems.extend(f"regel {number}: {_describe(e)}" for e in exc.errors())
            continue
        if question.id in seen:
            problems.append(f"regel {number}: id '{question.id}' komt al voor op regel {seen[question.id]}")
            continue
        seen[question.id] = number
        if question.extra_fields:
            warnings.append(
                f"regel {number} ({question.id}): onbekend(e) veld(en) {', '.join(question.extra_fields)} genegeerd; "
                f"bekende velden: {', '.join(FIELD_NAMES_NL)}"
            )
        questions.append(question)
    if problems:
        shown = problems[:20]
        more = f"\n  … en nog {len(problems) - 20} problemen" if len(problems) > 20 else ""
        raise QuestionFileError(
            f"Het vragenbestand {path} bevat fouten:\n  " + "\n  ".join(shown) + more
            + "\nElke regel is één JSON-object, bijv. "
            '{"id": "q1", "question": "Wat doet het kabinet aan cybersecurity?", "expected": ["2.4"]}'
        )
    if not questions:
        raise QuestionFileError(f"Het vragenbestand {path} bevat geen vragen (één JSON-object per regel).")
    return QuestionSet(path=path, questions=questions, warnings=warnings)


def load_questions(path: Path | str) -> QuestionSet:
    """Read and validate a JSONL question file."""
    path = Path(path)
    if not path.is_file():
        raise QuestionFileError(f"Vragenbestand {path} niet gevonden.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise QuestionFileError(f"Vragenbestand {path} is geen UTF-8-tekst (byte {exc.start}); sla het op als UTF-8.") from exc
    return parse_questions(text.splitlines(), str(path))
