"""Feedback on answers (thumbs up/down + optional comment), kept in SQLite under the data dir.

Every statement is parameterised; the table is created on first use. `export_eval` turns the
feedback into a question set in the DESIGN.md format, so that what users liked (or did not)
becomes a regression test: thumbs-up answers give their cited chunks as `expected` keys,
thumbs-down ones are marked `"review": true` for a person to fill in the right sources.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from assistant.errors import UserInputError

FILE_NAME = "feedback.sqlite"
MAX_TEXT = 20_000  # characters kept of a question or answer
MAX_COMMENT = 2_000

Rating = Literal["up", "down"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    question   TEXT    NOT NULL,
    answer     TEXT    NOT NULL,
    citations  TEXT    NOT NULL DEFAULT '[]',
    rating     TEXT    NOT NULL CHECK (rating IN ('up', 'down')),
    comment    TEXT    NOT NULL DEFAULT '',
    timestamp  TEXT    NOT NULL,
    in_scope   INTEGER NOT NULL DEFAULT 1,
    history    TEXT    NOT NULL DEFAULT '[]',
    filters    TEXT    NOT NULL DEFAULT '{}'
)
"""
_COLUMNS = ("id", "question", "answer", "citations", "rating", "comment", "timestamp", "in_scope", "history", "filters")


class FeedbackRecord(BaseModel):
    id: int | None = None
    question: str
    answer: str
    citations: list[str] = Field(default_factory=list)  # cited chunk ids, in citation order
    rating: Rating
    comment: str = ""
    timestamp: str = ""
    in_scope: bool = True
    history: list[str] = Field(default_factory=list)  # earlier questions of the conversation
    filters: dict[str, str | int] = Field(default_factory=dict)

    @field_validator("rating", mode="before")
    @classmethod
    def _rating_words(cls, value):
        return normalise_rating(value)


_RATING_WORDS = {
    "up": "up", "👍": "up", "goed": "up", "ja": "up", "like": "up", "+1": "up",
    "down": "down", "👎": "down", "slecht": "down", "nee": "down", "dislike": "down", "-1": "down",
}


def normalise_rating(value) -> str:
    """'up' or 'down'; also accepts the words a UI or client may send (👍/👎, goed/slecht, like/dislike)."""
    key = str(value or "").strip().lower()
    if key not in _RATING_WORDS:
        raise UserInputError("Ongeldige beoordeling: kies duim omhoog ('up') of duim omlaag ('down').")
    return _RATING_WORDS[key]


def chunk_key(chunk_id: str) -> str:
    """The eval key for a cited chunk: 'wwd-2022:2.4:actie:4' → '2.4/actie/4'; other chunks keep their id."""
    parts = chunk_id.split(":")
    if len(parts) == 4 and parts[2] in ("actie", "doel") and parts[3].isdigit():
        return f"{parts[1]}/{parts[2]}/{parts[3]}"
    if len(parts) == 3 and parts[2] in ("opgave", "resultaten"):
        return f"{parts[1]}/{parts[2]}"
    return chunk_id


class FeedbackStore:
    """A small SQLite table; one connection per call, so it is safe from Gradio's worker threads."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> FeedbackStore:
        return cls(Path(data_dir) / FILE_NAME)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10)
        try:
            conn.execute(_SCHEMA)
            with conn:  # commits, or rolls back on error
                yield conn
        finally:
            conn.close()

    def add(
        self, question: str, answer: str, citations: Sequence[str], rating: str, comment: str = "",
        in_scope: bool = True, history: Sequence[str] = (), filters: dict | None = None,
    ) -> int:
        """Store one judgement; returns its id. Raises UserInputError (Dutch) on bad input."""
        record = self._record(question, answer, citations, rating, comment, in_scope, history, filters)
        with self._connect() as conn:
            cur = conn.execute(
                "INSERT INTO feedback (question, answer, citations, rating, comment, timestamp, in_scope, history, filters)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.question, record.answer, json.dumps(record.citations, ensure_ascii=False), record.rating,
                    record.comment, record.timestamp, int(record.in_scope),
                    json.dumps(record.history, ensure_ascii=False), json.dumps(record.filters, ensure_ascii=False),
                ),
            )
            return int(cur.lastrowid)

    def update(self, feedback_id: int, rating: str, comment: str = "") -> bool:
        """Change an earlier judgement (a user who clicks the other thumb); True if it existed."""
        rating = normalise_rating(rating)
        with self._connect() as conn:
            cur = conn.execute(
                "UPDATE feedback SET rating = ?, comment = ?, timestamp = ? WHERE id = ?",
                (rating, str(comment or "").strip()[:MAX_COMMENT], _now(), int(feedback_id)),
            )
            return cur.rowcount > 0

    def all(self) -> list[FeedbackRecord]:
        if not self.path.is_file():
            return []
        with self._connect() as conn:
            rows = conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM feedback ORDER BY id").fetchall()
        out = []
        for row in rows:
            data = dict(zip(_COLUMNS, row))
            for key in ("citations", "history", "filters"):
                data[key] = json.loads(data[key] or ("{}" if key == "filters" else "[]"))
            data["in_scope"] = bool(data["in_scope"])
            out.append(FeedbackRecord.model_validate(data))
        return out

    def export_eval(self, out: Path) -> int:
        """Write the feedback as an eval question set (JSONL); returns the number of questions."""
        lines = eval_questions(self.all())
        out = Path(out)
        if out.parent and not out.parent.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in lines), encoding="utf-8")
        return len(lines)

    @staticmethod
    def _record(question, answer, citations, rating, comment, in_scope, history, filters) -> FeedbackRecord:
        question = str(question or "").strip()
        if not question:
            raise UserInputError("Feedback hoort bij een vraag; de vraag is leeg.")
        rating = normalise_rating(rating)
        return FeedbackRecord(
            question=question[:MAX_TEXT], answer=str(answer or "")[:MAX_TEXT],
            citations=[str(c) for c in citations][:50], rating=rating,
            comment=str(comment or "").strip()[:MAX_COMMENT], timestamp=_now(), in_scope=bool(in_scope),
            history=[str(h)[:MAX_TEXT] for h in history][-20:],
            filters={k: v for k, v in (filters or {}).items() if v not in (None, "")},
        )


def eval_questions(records: Sequence[FeedbackRecord]) -> list[dict]:
    """Feedback → question-set lines (DESIGN.md format); exact repeats are written once."""
    out: list[dict] = []
    seen: set[str] = set()
    for rec in records:
        cited = [chunk_key(c) for c in rec.citations]
        line: dict = {"id": f"fb{rec.id or len(out) + 1:04d}", "question": rec.question}
        if rec.rating == "up":
            line["expected"] = list(dict.fromkeys(cited))
            line["out_of_scope"] = not rec.in_scope
        else:
            # the cited sources were judged wrong: a person decides what the right ones are
            line["expected"] = []
            line["review"] = True
            line["cited"] = list(dict.fromkeys(cited))
        if rec.history:
            line["history"] = rec.history
        if rec.comment:
            line["comment"] = rec.comment
        identity = json.dumps({k: v for k, v in line.items() if k not in ("id", "comment")}, sort_keys=True)
        if identity in seen:
            continue
        seen.add(identity)
        out.append(line)
    return out


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
