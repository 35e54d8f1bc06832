"""Run one or more configurations of the assistant over a question set and score them.

Library use::

    from evals.questions import load_questions
    from evals.runner import run_eval
    run = run_eval(settings, load_questions("evals/dev.jsonl"), configs=["full", "bm25"])
    run.to_json()["metrics"]["hit@5"]

Configurations (one opened index and one loaded embedding model serve all of them):

- ``full``  the tuned system (``Calibration.load()``)
- ``dense`` the same, with fusion method "dense" (embedding search only)
- ``bm25``  the same, with fusion method "bm25" (keyword search only)
- ``naive`` the naive llama-index baseline (evals.baselines)

What is measured (per question, then averaged):

- retrieval, on ``answer.retrieved`` (citations first, then the rest of the search ranking), only
  over in-scope questions that list expected keys: hit@1/3/5, MRR, nDCG@10, recall@10;
- answers: citation validity (every cited id exists in the index and every [n] in the text names a
  listed source; over questions whose answer cites anything), keyword recall (over questions with
  keywords), out-of-scope accuracy over all questions, false-refusal rate (in-scope questions the
  system refused) and refusal rate on out-of-scope questions;
- latency p50/p95 of ``answer.timings_ms["total"]`` (the final question only, not its history);
- optionally, when an LLM is configured (``WERKAGENDA_LLM``), faithfulness and answer relevance
  judged by llama-index's evaluators, labelled "(LLM-beoordeeld)".

Follow-up questions (``history``) are asked after their earlier questions, each turn passing
``Turn(question, citation_ids)`` of the answer before, as the chat UI does.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from assistant.models import Answer, Turn
from assistant.settings import Settings
from evals import metrics as m
from evals.questions import Question, QuestionSet

log = logging.getLogger(__name__)

CONFIG_NAMES = (
    "full", "dense", "bm25", "naive", "zonder-kinderen", "zonder-normalisatie", "zonder-thesaurus", "zonder-herordening",
)
ABLATIONS = {"zonder-kinderen": "children", "zonder-normalisatie": "normalisation", "zonder-thesaurus": "thesaurus"}
CONFIG_DESCRIPTIONS = {
    "full": "het afgestelde systeem: hybride zoeken (dense + BM25) met herordening, scope-besluit, gestructureerd opzoeken",
    "dense": "hetzelfde systeem, maar alleen dense zoeken (embeddings)",
    "bm25": "hetzelfde systeem, maar alleen BM25 (trefwoorden)",
    "naive": "naïeve llama-index-baseline: VectorStoreIndex over de ruwe teksten, SentenceSplitter, top-10",
    "zonder-kinderen": "het afgestelde systeem zonder kinderen (resultaatregels, indicatoren, zinnen) in de zoekindex",
    "zonder-normalisatie": "het afgestelde systeem met alleen Snowball-stammen (geen lemma's, samenstellingen of typfouten)",
    "zonder-thesaurus": "het afgestelde systeem zonder de thesaurus van alledaags Nederlands",
    "zonder-herordening": "het afgestelde systeem zonder de tweede zoekstap (de gefitte herordening van de beste tien)",
}
LLM_KEYS = ("faithfulness_llm", "relevancy_llm")
RANKING_DEPTH = 10


class System(Protocol):
    by_id: dict

    def ask(self, question: str, history: Sequence[Turn] = ..., filters=...) -> Answer: ...


class QuestionResult(BaseModel):
    """One question scored for one configuration (the JSON keys use the metric names, e.g. "hit@5")."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    question: str
    style: str = ""
    programmalijn: int | None = None
    priority: str = ""
    out_of_scope: bool = False
    follow_up: bool = False
    expected: list[str] = Field(default_factory=list)
    answered: bool = False  # the system gave an answer (did not refuse)
    scope_correct: bool = False
    route: str = ""
    retrieved: list[str] = Field(default_factory=list)  # top 10 of answer.retrieved
    cited: list[str] = Field(default_factory=list)
    cited_labels: list[str] = Field(default_factory=list)
    first_hit_rank: int | None = None
    hit1: float | None = Field(default=None, alias="hit@1")
    hit3: float | None = Field(default=None, alias="hit@3")
    hit5: float | None = Field(default=None, alias="hit@5")
    rr: float | None = Field(default=None, alias="reciprocal_rank")
    ndcg10: float | None = Field(default=None, alias="ndcg@10")
    recall10: float | None = Field(default=None, alias="recall@10")
    citation_valid: bool | None = None
    keyword_recall: float | None = None
    missing_keywords: list[str] = Field(default_factory=list)
    latency_ms: float = 0.0
    faithfulness_llm: float | None = None
    relevancy_llm: float | None = None
    answer: str = ""
    outcome: str = ""  # covered | related | not_covered
    yesno: str | None = None  # the question's gold yes/no answer, when it is a yes/no question
    direct: bool | None = None  # a yes/no question answered with "Ja"/"Nee"/"Dat staat er niet precies in"
    yesno_correct: bool | None = None  # ... and with the gold polarity ("onduidelijk" accepts any direct answer)
    answer_chars: int = 0  # the answer's length without its sources list
    is_list: bool = False
    error: str = ""

    @property
    def counts_for_retrieval(self) -> bool:
        return not self.out_of_scope and bool(self.expected)

    @property
    def wrong(self) -> bool:
        """Missed (no expected source in the top 5) or the wrong scope decision."""
        return not self.scope_correct or (self.counts_for_retrieval and not self.hit5)

    def public(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)


class ConfigResult(BaseModel):
    name: str
    description: str = ""
    metrics: dict[str, float | int | None]
    by_programmalijn: dict[str, dict[str, float | int | None]] = Field(default_factory=dict)
    by_style: dict[str, dict[str, float | int | None]] = Field(default_factory=dict)
    by_priority: dict[str, dict[str, float | int | None]] = Field(default_factory=dict)
    per_question: list[QuestionResult] = Field(default_factory=list)
    setup_seconds: float = 0.0
    seconds: float = 0.0

    def public(self) -> dict[str, Any]:
        return {
            "n": len(self.per_question),
            "description": self.description,
            "metrics": self.metrics,
            "by_programmalijn": self.by_programmalijn,
            "by_style": self.by_style,
            "by_priority": self.by_priority,
            "per_question": [q.public() for q in self.per_question],
            "setup_seconds": self.setup_seconds,
            "seconds": self.seconds,
        }


class EvalRun(BaseModel):
    questions_file: str
    n: int
    n_in_scope: int
    n_out_of_scope: int
    configs: dict[str, ConfigResult]
    warnings: list[str] = Field(default_factory=list)
    embedder: str = ""
    llm_judge: str = ""  # the judging LLM, empty when not used
    started_at: str = ""
    labels: dict[str, str] = Field(default_factory=dict)  # chunk id → label, for ids the report shows

    @property
    def primary(self) -> ConfigResult:
        return next(iter(self.configs.values()))

    def to_json(self) -> dict[str, Any]:
        """`werkagenda eval --json`: the first configuration at top level, every one under "configs"."""
        first = self.primary.public()
        out: dict[str, Any] = {
            "questions_file": self.questions_file,
            "n": self.n,
            "n_in_scope": self.n_in_scope,
            "n_out_of_scope": self.n_out_of_scope,
            "config": self.primary.name,
            "metrics": first["metrics"],
            "by_programmalijn": first["by_programmalijn"],
            "by_style": first["by_style"],
            "by_priority": first["by_priority"],
            "per_question": first["per_question"],
            "warnings": self.warnings,
            "embedder": self.embedder,
            "llm_judge": self.llm_judge or None,
        }
        if len(self.configs) > 1:
            out["configs"] = {name: c.public() for name, c in self.configs.items()}
        return out

    def check_floors(self, min_hit5: float | None = None, min_scope: float | None = None) -> list[str]:
        """Dutch messages for every floor the first configuration does not reach (empty: all fine)."""
        failures = []
        metrics = self.primary.metrics
        for key, floor, name in (("hit@5", min_hit5, "hit@5"), ("out_of_scope_accuracy", min_scope, "scope-nauwkeurigheid")):
            if floor is None:
                continue
            value = metrics.get(key)
            if value is None or value < floor:
                shown = "niet te berekenen" if value is None else f"{value:.3f}"
                failures.append(
                    f"Regressie: {name} van configuratie '{self.primary.name}' is {shown}, onder de ondergrens {floor:.3f}."
                )
        return failures


# -- scoring (pure) ----------------------------------------------------------------------------
def score_question(q: Question, answer: Answer | None, known_ids: dict | set, latency_ms: float, error: str = "") -> QuestionResult:
    """Score one answer against its question; an answer of None (the system failed) scores as a miss."""
    result = QuestionResult(
        id=q.id, question=q.question, style=q.style, programmalijn=q.programmalijn, priority=q.priority,
        out_of_scope=q.out_of_scope, follow_up=bool(q.history), expected=q.expected, latency_ms=latency_ms, error=error,
    )
    answered = bool(answer and answer.in_scope)
    result.answered = answered
    result.scope_correct = answered != q.out_of_scope
    if answer is None:
        if result.counts_for_retrieval:
            result.hit1 = result.hit3 = result.hit5 = result.rr = result.ndcg10 = result.recall10 = 0.0
        result.keyword_recall = 0.0 if q.keywords else None
        result.missing_keywords = list(q.keywords)
        return result
    ranked = list(answer.retrieved[:RANKING_DEPTH])
    result.route = answer.route
    result.retrieved = ranked
    result.cited = [c.id for c in answer.citations]
    result.cited_labels = [c.label for c in answer.citations]
    result.answer = answer.answer
    result.outcome = answer.outcome
    result.answer_chars = len(answer.answer.split("\n\n**Bronnen**")[0])
    result.is_list = q.is_list
    gold = q.yesno
    if gold and not q.out_of_scope:
        result.yesno = gold
        polarity = m.yes_no_polarity(answer.answer)
        result.direct = polarity is not None
        result.yesno_correct = polarity is not None and (gold == "onduidelijk" or polarity == gold)
    if result.counts_for_retrieval:
        expected = q.expected
        result.first_hit_rank = m.first_hit_rank(ranked, expected)
        result.hit1 = m.hit_at_k(ranked, expected, 1)
        result.hit3 = m.hit_at_k(ranked, expected, 3)
        result.hit5 = m.hit_at_k(ranked, expected, 5)
        result.rr = m.reciprocal_rank(ranked, expected)
        result.ndcg10 = m.ndcg_at_k(ranked, expected, RANKING_DEPTH)
        result.recall10 = m.recall_at_k(ranked, expected, RANKING_DEPTH)
    if answer.citations:
        result.citation_valid = m.citations_valid(result.cited, known_ids, answer.answer, len(answer.citations))
    if q.keywords and not q.out_of_scope:
        result.keyword_recall = m.keyword_recall(answer.answer, q.keywords)
        text = m.normalise_text(answer.answer)
        result.missing_keywords = [k for k in q.keywords if m.normalise_text(k) not in text]
    return result


def _rate(flags: Iterable[bool]) -> float | None:
    values = [1.0 if f else 0.0 for f in flags]
    return sum(values) / len(values) if values else None


def summarise(results: Sequence[QuestionResult]) -> dict[str, float | int | None]:
    """The aggregate metrics of one configuration (or one group of questions)."""
    retrieval = [r for r in results if r.counts_for_retrieval]
    in_scope = [r for r in results if not r.out_of_scope]
    out_scope = [r for r in results if r.out_of_scope]
    latencies = [r.latency_ms for r in results]
    out: dict[str, float | int | None] = {
        # as a user meets it: a refused in-scope question is a miss, whatever search had found
        "hit@1_antwoord": m.mean((r.hit1 or 0.0) if r.answered else 0.0 for r in retrieval),
        "hit@5_antwoord": m.mean((r.hit5 or 0.0) if r.answered else 0.0 for r in retrieval),
        "hit@1": m.mean(r.hit1 for r in retrieval),
        "hit@3": m.mean(r.hit3 for r in retrieval),
        "hit@5": m.mean(r.hit5 for r in retrieval),
        "mrr": m.mean(r.rr for r in retrieval),
        "ndcg@10": m.mean(r.ndcg10 for r in retrieval),
        "recall@10": m.mean(r.recall10 for r in retrieval),
        "citation_validity": _rate(r.citation_valid for r in results if r.citation_valid is not None),
        "keyword_recall": m.mean(r.keyword_recall for r in in_scope),
        "out_of_scope_accuracy": _rate(r.scope_correct for r in results),
        "false_refusal_rate": _rate(not r.answered for r in in_scope),
        "oos_refusal_rate": _rate(not r.answered for r in out_scope),
        "related_rate": _rate(r.outcome == "related" for r in results if r.answered),
        "yesno_direct": _rate(r.direct for r in results if r.direct is not None),
        "yesno_correct": _rate(r.yesno_correct for r in results if r.yesno_correct is not None),
        "answer_chars_median": _round(m.percentile([r.answer_chars for r in in_scope if r.answered and not r.is_list], 50)),
        "latency_ms_p50": _round(m.percentile(latencies, 50)),
        "latency_ms_p95": _round(m.percentile(latencies, 95)),
        "n": len(results),
        "n_retrieval": len(retrieval),
        "n_in_scope": len(in_scope),
        "n_out_of_scope": len(out_scope),
    }
    for key in LLM_KEYS:
        judged = [getattr(r, key) for r in results if getattr(r, key) is not None]
        if judged:
            out[key] = sum(judged) / len(judged)
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in out.items()}


def _round(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def group_label_programmalijn(r: QuestionResult) -> str:
    return str(r.programmalijn) if r.programmalijn else "geen"


def breakdown(results: Sequence[QuestionResult], key: Callable[[QuestionResult], str]) -> dict[str, dict]:
    groups: dict[str, list[QuestionResult]] = defaultdict(list)
    for r in results:
        groups[key(r)].append(r)
    return {name: summarise(groups[name]) for name in sorted(groups, key=_natural)}


def priority_breakdown(results: Sequence[QuestionResult]) -> dict[str, dict]:
    groups: dict[str, list[QuestionResult]] = defaultdict(list)
    for r in results:
        if r.counts_for_retrieval:
            groups[r.priority].append(r)
    return {
        p: {"n": len(rs), "hit@5": round(m.mean(r.hit5 for r in rs) or 0.0, 4), "mrr": round(m.mean(r.rr for r in rs) or 0.0, 4)}
        for p, rs in sorted(groups.items(), key=lambda kv: _natural(kv[0]))
    }


def _natural(label: str) -> tuple:
    """Sort "1.10" after "1.9", numbers before words."""
    parts = label.replace("/", ".").split(".")
    if all(p.isdigit() for p in parts):
        return (0, tuple(int(p) for p in parts), "")
    return (1, (), label)


def config_result(name: str, results: list[QuestionResult], setup_seconds: float = 0.0, seconds: float = 0.0) -> ConfigResult:
    return ConfigResult(
        name=name, description=CONFIG_DESCRIPTIONS.get(name, ""), metrics=summarise(results),
        by_programmalijn=breakdown(results, group_label_programmalijn),
        by_style=breakdown(results, lambda r: r.style or "geen"),
        by_priority=priority_breakdown(results), per_question=results,
        setup_seconds=round(setup_seconds, 2), seconds=round(seconds, 2),
    )


# -- running (I/O) -----------------------------------------------------------------------------
def ask_with_history(system: System, q: Question) -> Answer:
    """Ask the earlier questions first, then the question itself with those turns as history."""
    turns: list[Turn] = []
    for earlier in q.history:
        previous = system.ask(earlier, list(turns))
        turns.append(Turn(question=earlier, citation_ids=[c.id for c in previous.citations]))
    return system.ask(q.question, turns)


def run_system(
    name: str, system: System, questions: Sequence[Question], bar=None, judge: LLMJudge | None = None,
    setup_seconds: float = 0.0,
) -> ConfigResult:
    from assistant.errors import WerkagendaError, user_message

    try:  # the first question pays for lazy loading (tokenizers, caches); keep that out of the latency
        system.ask("opwarmen", [])
    except Exception:
        pass
    started = time.perf_counter()
    known = system.by_id
    results = []
    for q in questions:
        t0 = time.perf_counter()
        try:
            answer = ask_with_history(system, q)
            latency = float(answer.timings_ms.get("total") or (time.perf_counter() - t0) * 1000)
            result = score_question(q, answer, known, round(latency, 2))
            if judge is not None and answer.in_scope and not q.out_of_scope:
                contexts = [c.text for c in answer.citations] or [answer.answer]
                result.faithfulness_llm, result.relevancy_llm = judge.judge(q.question, answer.answer, contexts)
        except WerkagendaError as exc:  # one failing question must not sink the whole run
            result = score_question(q, None, known, round((time.perf_counter() - t0) * 1000, 2), error=exc.user_message)
        except Exception as exc:  # nor does a bug: it is logged with its traceback and scored as an error
            log.exception("vraag %s mislukt", q.id)
            result = score_question(q, None, known, round((time.perf_counter() - t0) * 1000, 2), error=user_message(exc))
        results.append(result)
        if bar is not None:
            bar.update(1)
    return config_result(name, results, setup_seconds, time.perf_counter() - started)


class LLMJudge:
    """Faithfulness and answer relevance judged by an LLM through llama-index's evaluators."""

    def __init__(self, llm, label: str):
        from llama_index.core.evaluation import FaithfulnessEvaluator, RelevancyEvaluator

        self.label = label
        self.faithfulness = FaithfulnessEvaluator(llm=llm)
        self.relevancy = RelevancyEvaluator(llm=llm)
        self.failures = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMJudge | None:
        """A judge when an LLM is configured (WERKAGENDA_LLM), else None."""
        if not settings.llm:
            return None
        from assistant.llm import LLMBackend

        return cls(LLMBackend.from_settings(settings).llm, settings.llm)

    def judge(self, question: str, answer: str, contexts: list[str]) -> tuple[float | None, float | None]:
        return (
            self._score(self.faithfulness, question, answer, contexts),
            self._score(self.relevancy, question, answer, contexts),
        )

    def _score(self, evaluator, question: str, answer: str, contexts: list[str]) -> float | None:
        try:
            result = evaluator.evaluate(query=question, response=answer, contexts=contexts)
        except Exception:
            self.failures += 1
            return None
        if result.score is not None:
            return float(result.score)
        return None if result.passing is None else float(result.passing)


def open_systems(settings: Settings, names: Sequence[str]) -> Iterable[tuple[str, System, float]]:
    """Yield (name, system, setup seconds) per configuration, sharing one index and one embedding model."""
    from assistant.engine import Assistant, Calibration
    from assistant.index_access import open_index
    from index.embeddings import load_embedding, parse_embedder

    collection = open_index(settings)  # never builds: with no index yet it says to run `werkagenda ingest`
    embedding = load_embedding(parse_embedder(settings.embedder))
    embedding.get_query_embedding("opwarmen")
    tuned = Calibration.load()
    chunks = None
    for name in names:
        t0 = time.perf_counter()
        if name == "full":
            system: System = Assistant(settings, collection, embedding, tuned)
        elif name == "zonder-herordening":
            system = Assistant(settings, collection, embedding, Calibration(fusion=tuned.fusion, scope=tuned.scope))
        elif name in ("dense", "bm25"):
            calibration = Calibration(fusion=tuned.fusion.model_copy(update={"method": name}), scope=tuned.scope)
            system = Assistant(settings, collection, embedding, calibration)
        elif name in ABLATIONS:
            from assistant.search_structures import SearchParts

            parts = SearchParts(**{ABLATIONS[name]: False})
            system = Assistant(settings, collection, embedding, tuned, parts)
        elif name == "naive":
            from evals.baselines import build_naive

            chunks = chunks if chunks is not None else collection.chunks()
            system = build_naive(settings, chunks, embedding)
        else:
            from assistant.errors import UserInputError

            raise UserInputError(f"Onbekende configuratie '{name}'. Kies uit: {', '.join(CONFIG_NAMES)}.")
        if chunks is None and hasattr(system, "chunks"):
            chunks = system.chunks
        yield name, system, time.perf_counter() - t0


def run_eval(
    settings: Settings, question_set: QuestionSet, configs: Sequence[str] = ("full",), progress: bool = True,
    judge: LLMJudge | None | bool = True,
) -> EvalRun:
    """Run every configuration over the question set. judge=True: use an LLM judge when one is configured."""
    from tqdm import tqdm

    from index.embeddings import parse_embedder

    names = list(dict.fromkeys(configs)) or ["full"]
    unknown = [n for n in names if n not in CONFIG_NAMES]
    if unknown:
        from assistant.errors import UserInputError

        raise UserInputError(f"Onbekende configuratie(s): {', '.join(unknown)}. Kies uit: {', '.join(CONFIG_NAMES)}.")
    if judge is True:
        judge = LLMJudge.from_settings(settings)
    elif judge is False:
        judge = None
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    questions = question_set.questions
    warnings = list(question_set.warnings)
    results: dict[str, ConfigResult] = {}
    bar = tqdm(total=len(questions) * len(names), desc="Evalueren", unit="vraag", file=sys.stderr, disable=not progress)
    try:
        by_id: dict = {}
        for name, system, setup in open_systems(settings, names):
            if not by_id:
                by_id = system.by_id
                warnings.extend(question_set.check_against_index(by_id))
            bar.set_description(f"Evalueren ({name})")
            results[name] = run_system(name, system, questions, bar, judge, setup)
    finally:
        bar.close()
    labels: dict[str, str] = {}
    if by_id:
        shown = {cid for c in results.values() for r in c.per_question for cid in r.retrieved[:3]}
        labels = {cid: by_id[cid].label for cid in shown if cid in by_id}
    if judge is not None and judge.failures:
        warnings.append(f"De LLM-beoordeling mislukte {judge.failures} keer; die vragen tellen niet mee voor de LLM-scores.")
    return EvalRun(
        questions_file=question_set.path, n=len(questions),
        n_in_scope=sum(1 for q in questions if not q.out_of_scope),
        n_out_of_scope=sum(1 for q in questions if q.out_of_scope),
        configs=results, warnings=warnings, embedder=parse_embedder(settings.embedder).key,
        llm_judge=judge.label if judge is not None else "", started_at=started_at, labels=labels,
    )


# -- plain-text summary for the terminal -----------------------------------------------------------
METRIC_LABELS_NL = {
    "hit@1": "hit@1",
    "hit@3": "hit@3",
    "hit@5": "hit@5",
    "mrr": "MRR",
    "ndcg@10": "nDCG@10",
    "recall@10": "recall@10",
    "citation_validity": "geldige bronvermelding",
    "keyword_recall": "trefwoorden gevonden",
    "out_of_scope_accuracy": "scope-nauwkeurigheid",
    "false_refusal_rate": "onterecht geweigerd (binnen scope)",
    "oos_refusal_rate": "terecht geweigerd (buiten scope)",
    "latency_ms_p50": "latentie p50 (ms)",
    "latency_ms_p95": "latentie p95 (ms)",
    "faithfulness_llm": "getrouwheid (LLM-beoordeeld)",
    "relevancy_llm": "relevantie (LLM-beoordeeld)",
}
TABLE_KEYS = (
    "hit@1", "hit@3", "hit@5", "mrr", "ndcg@10", "recall@10", "citation_validity", "keyword_recall",
    "out_of_scope_accuracy", "false_refusal_rate", "oos_refusal_rate", "latency_ms_p50", "latency_ms_p95", *LLM_KEYS,
)


def format_value(key: str, value: float | int | None) -> str:
    if value is None:
        return "n.v.t."
    if key.startswith("latency"):
        return f"{value:.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"{value:.3f}"


def table_rows(run: EvalRun) -> list[tuple[str, list[str]]]:
    """(label, values per configuration) for the metrics any configuration reports."""
    rows = []
    for key in TABLE_KEYS:
        if key in LLM_KEYS and not any(key in c.metrics for c in run.configs.values()):
            continue
        rows.append((METRIC_LABELS_NL[key], [format_value(key, c.metrics.get(key)) for c in run.configs.values()]))
    return rows


def text_summary(run: EvalRun) -> str:
    names = list(run.configs)
    rows = table_rows(run)
    width = max(len(label) for label, _ in rows) + 2
    col = max(9, *(len(n) + 2 for n in names))
    lines = [
        f"Evaluatie van {run.questions_file}: {run.n} vragen ({run.n_in_scope} binnen scope, "
        f"{run.n_out_of_scope} buiten scope; retrieval over {run.primary.metrics.get('n_retrieval')} vragen met verwachte bronnen)",
        "",
        "".ljust(width) + "".join(n.rjust(col) for n in names),
    ]
    lines += [label.ljust(width) + "".join(v.rjust(col) for v in values) for label, values in rows]
    for name, c in run.configs.items():
        wrong = sum(1 for r in c.per_question if r.wrong)
        errors = sum(1 for r in c.per_question if r.error)
        extra = f", {errors} met een fout" if errors else ""
        lines.append(f"{name}: {wrong} van {len(c.per_question)} vragen fout (geen verwachte bron in top 5 of verkeerd scope-besluit){extra}.")
    return "\n".join(lines)
