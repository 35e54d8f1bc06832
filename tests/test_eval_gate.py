"""Regression gate (README, "Kwaliteitsgrens"): the dev set with the default configuration must keep
hit@5 and the scope accuracy at or above the stated floors. Runs on the shared real index."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.questions import load_questions
from evals.runner import run_eval

DEV_SET = Path(__file__).resolve().parent.parent / "evals" / "dev.jsonl"
MIN_HIT5 = 0.95  # measured 0.959 (141 questions); a drop below this is a regression
MIN_SCOPE = 0.93  # measured 0.965: refused when out of scope, answered when in scope


@pytest.mark.slow
def test_dev_set_stays_above_the_floors(index_settings):
    run = run_eval(index_settings, load_questions(DEV_SET), configs=["full"], progress=False)
    metrics = run.primary.metrics
    assert run.check_floors(MIN_HIT5, MIN_SCOPE) == [], metrics
    assert metrics["citation_validity"] == 1.0
    assert metrics["latency_ms_p95"] < 150
