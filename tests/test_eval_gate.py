"""Regression gate (README, "Kwaliteitsgrens"): the dev questions with the default configuration must keep
hit@5 and the scope accuracy at or above floors set from the cross-validated figures of `python -m
evals.tune` (5-fold CV on the pooled dev questions: hit@5 0.948; scope accuracy 0.931). Runs on the
shared real index. The held-out set (evals/holdout.jsonl) is never a gate: nothing is chosen on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.questions import QuestionSet, load_questions
from evals.runner import run_eval

EVALS = Path(__file__).resolve().parent.parent / "evals"
DEV_SETS = ("dev.jsonl", "blind-dev.jsonl")
MIN_HIT5 = 0.93  # cross-validated 0.948; measured in-sample 0.99 (dev) and 0.94 (blind-dev)
MIN_SCOPE = 0.90  # cross-validated 0.931: refused when out of scope, answered when in scope
MAX_FALSE_REFUSAL = 0.06  # cross-validated 0.028 on the pool; 0.067 on the harder blind-dev set alone


@pytest.mark.slow
def test_dev_questions_stay_above_the_floors(index_settings):
    sets = [load_questions(EVALS / name) for name in DEV_SETS]
    pooled = QuestionSet(path="evals/dev.jsonl + evals/blind-dev.jsonl", questions=[q for s in sets for q in s.questions], warnings=[])
    run = run_eval(index_settings, pooled, configs=["full"], progress=False)
    metrics = run.primary.metrics
    assert run.check_floors(MIN_HIT5, MIN_SCOPE) == [], metrics
    assert metrics["false_refusal_rate"] <= MAX_FALSE_REFUSAL, metrics
    assert metrics["citation_validity"] == 1.0
    assert metrics["latency_ms_p95"] < 150
