"""The eval harness's pure parts: key matching, ranking metrics, question files, scoring, the report."""

from __future__ import annotations

import json
import math

import pytest

from assistant.models import Answer, Citation
from evals import metrics as m
from assistant.settings import Settings
from evals.questions import QuestionFileError, load_questions, parse_questions

A4 = "wwd-2022:2.4:actie:4"
A14 = "wwd-2022:2.4:actie:14"
D1 = "wwd-2022:2.4:doel:1"
OPG = "wwd-2022:2.4:opgave"
RES = "wwd-2022:2.4:resultaten"
OTHER = "wwd-2022:3.2:actie:1"
OTHER_DOEL = "wwd-2022:1.1:doel:4"
ART = "wwd-jaar-onderweg:desinformatie"
LIJN = "wwd-2022:programmalijn:2"


# -- key matching ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("chunk_id", "key", "expected"),
    [
        (A4, "2.4", True),
        (D1, "2.4", True),
        (OPG, "2.4", True),
        (OTHER, "2.4", False),
        ("wwd-2022:2.40:actie:1", "2.4", False),
        (LIJN, "2", False),
        (ART, "2.4", False),
        (A4, "2.4/actie/4", True),
        (A14, "2.4/actie/4", False),  # suffix match must not cut a number in half
        ("wwd-2022:12.4:actie:4", "2.4/actie/4", False),
        (D1, "2.4/actie/1", False),
        (D1, "2.4/doel/1", True),
        (OPG, "2.4/opgave", True),
        (RES, "2.4/opgave", False),
        (RES, "2.4/resultaten", True),
        (ART, ART, True),
        (ART, "wwd-jaar-onderweg:desinfo", False),
        (A4, A4, True),
        (A4, " 2.4/actie/4 ", True),
    ],
)
def test_matches(chunk_id, key, expected):
    assert m.matches(chunk_id, key) is expected


def test_key_validity_and_priority():
    for key in ("2.4", "2.4/actie/4", "2.4/doel/12", "2.4/opgave", "2.4/resultaten", ART, A4):
        assert m.is_valid_key(key), key
    for key in ("2.4/actie", "2.4/foo/1", "actie 4", "", "2.4/actie/x"):
        assert not m.is_valid_key(key), key
    assert m.key_priority("2.4/actie/4") == "2.4"
    assert m.key_priority("1.3") == "1.3"
    assert m.key_priority(A4) == "2.4"
    assert m.key_priority(ART) == "wwd-jaar-onderweg"
    assert m.chunk_priority(OPG) == "2.4" and m.chunk_priority(ART) == "" and m.chunk_priority(LIJN) == ""


# -- ranking metrics ----------------------------------------------------------------------------
RANKING = [OTHER, OTHER_DOEL, A4, D1, ART]


def test_hit_at_k_and_first_rank():
    expected = ["2.4/actie/4"]
    assert m.first_hit_rank(RANKING, expected) == 3
    assert m.hit_at_k(RANKING, expected, 1) == 0.0
    assert m.hit_at_k(RANKING, expected, 2) == 0.0
    assert m.hit_at_k(RANKING, expected, 3) == 1.0
    assert m.hit_at_k(RANKING, expected, 5) == 1.0
    assert m.hit_at_k(RANKING, ["9.9"], 5) == 0.0
    assert m.hit_at_k([], expected, 5) == 0.0
    assert m.first_hit_rank(RANKING, ["2.4"]) == 3  # the priority key: actie 4 is the first 2.4 chunk
    assert m.first_hit_rank(RANKING, [ART]) == 5


def test_reciprocal_rank():
    assert m.reciprocal_rank(RANKING, ["2.4/actie/4"]) == pytest.approx(1 / 3)
    assert m.reciprocal_rank(RANKING, ["3.2/actie/1"]) == 1.0
    assert m.reciprocal_rank(RANKING, ["5.1"]) == 0.0
    assert m.mean([m.reciprocal_rank(RANKING, ["3.2"]), m.reciprocal_rank(RANKING, [ART])]) == pytest.approx((1 + 0.2) / 2)


def test_ndcg():
    # one expected key, found at rank 3: DCG = 1/log2(4) = 0.5, ideal = 1
    assert m.ndcg_at_k(RANKING, ["2.4/actie/4"], 10) == pytest.approx(0.5)
    # two keys, relevant at ranks 3 and 4: (1/log2(4) + 1/log2(5)) / (1 + 1/log2(3))
    expected = (1 / math.log2(4) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert m.ndcg_at_k(RANKING, ["2.4/actie/4", "2.4/doel/1"], 10) == pytest.approx(expected)
    # perfect ranking
    assert m.ndcg_at_k([A4, D1, OTHER], ["2.4/actie/4", "2.4/doel/1"], 10) == pytest.approx(1.0)
    # a priority key matched by many chunks cannot push the score above 1
    assert m.ndcg_at_k([A4, D1, OPG], ["2.4"], 10) == 1.0
    # relevant chunk beyond k does not count
    assert m.ndcg_at_k(RANKING, [ART], 4) == 0.0
    assert m.ndcg_at_k(RANKING, [], 10) == 0.0


def test_recall_at_k():
    assert m.recall_at_k(RANKING, ["2.4/actie/4", "2.4/doel/1", "5.1"], 10) == pytest.approx(2 / 3)
    assert m.recall_at_k(RANKING, ["2.4/actie/4", "2.4/doel/1"], 3) == pytest.approx(1 / 2)
    assert m.recall_at_k(RANKING, ["2.4", "2.4/actie/4"], 10) == 1.0
    assert m.recall_at_k(RANKING, [], 10) == 0.0


def test_keyword_recall():
    answer = "Het kabinet werkt aan een **Digitale** identiteit en de EU-wallet [1].\n\nMeer over  cyber-security."
    assert m.keyword_recall(answer, ["digitale identiteit", "EU-wallet", "quantum"]) == pytest.approx(2 / 3)
    assert m.keyword_recall(answer, ["CYBER-SECURITY"]) == 1.0
    assert m.keyword_recall(answer, []) is None
    assert m.keyword_recall("", ["x"]) == 0.0


def test_percentile_matches_numpy():
    import numpy as np

    values = [12.0, 3.0, 7.5, 100.0, 42.0, 8.0, 9.0]
    for p in (0, 25, 50, 90, 95, 100):
        assert m.percentile(values, p) == pytest.approx(float(np.percentile(values, p)))
    assert m.percentile([5.0], 95) == 5.0
    assert m.percentile([], 50) is None
    assert m.percentile([1, 2, 3, 4], 50) == 2.5


def test_citations_valid():
    known = {A4, D1}
    assert m.citations_valid([A4, D1], known, "Zie [1] en [2].", 2)
    assert not m.citations_valid([A4, "wwd-2022:2.4:actie:99"], known)
    assert not m.citations_valid([A4], known, "Zie [1] en [3].", 1)  # [3] names no source
    assert m.citations_valid([], known)


# -- question files ----------------------------------------------------------------------------
GOOD = [
    '{"id": "q1", "question": "Wat doet het kabinet aan cybersecurity?", "expected": ["2.4"], "keywords": ["cyber"], "style": "burger", "programmalijn": 2}',
    "",
    "# commentaar",
    '{"id": "q2", "question": "Wie wint het EK?", "out_of_scope": true}',
    '{"id": "q3", "question": "En wie voert dat uit?", "expected": "2.4/actie/4", "history": ["Wat is actie 4 van 2.4?"], "notitie": "x"}',
]


def test_parse_questions_ok():
    qs = parse_questions(GOOD, "dev.jsonl")
    assert [q.id for q in qs.questions] == ["q1", "q2", "q3"]
    q1, q2, q3 = qs.questions
    assert q1.line == 1 and q3.line == 5
    assert q2.out_of_scope and q2.expected == []
    assert q3.expected == ["2.4/actie/4"] and q3.history == ["Wat is actie 4 van 2.4?"]
    assert q3.priority == "2.4" and q2.priority == ""
    assert len(qs.warnings) == 1 and "regel 5" in qs.warnings[0] and "notitie" in qs.warnings[0]
    assert qs.check_against_index([A4, D1]) == []
    assert any("2.4" in w for w in parse_questions(GOOD[:1]).check_against_index([OTHER]))


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ('{"id": "q1", "question": "x"', "geen geldige JSON"),
        ('["q1"]', "JSON-object"),
        ('{"question": "Waarom?"}', "'id' ontbreekt"),
        ('{"id": "q1", "question": "  "}', "is leeg"),
        ('{"id": "q1", "question": "x", "expected": ["2.4/taak/1"]}', "onbekende bronsleutel"),
        ('{"id": "q1", "question": "x", "out_of_scope": "misschien"}', "true of false"),
        ('{"id": "q1", "question": "x", "programmalijn": "twee"}', "geheel getal"),
        ('{"id": "q1", "question": "x", "out_of_scope": true, "expected": ["2.4"]}', "buiten de scope"),
    ],
)
def test_parse_questions_errors_name_the_line(line, fragment):
    with pytest.raises(QuestionFileError) as info:
        parse_questions(['{"id": "ok", "question": "Goede vraag?"}', line], "mijn.jsonl")
    message = str(info.value)
    assert "regel 2" in message and fragment in message and "mijn.jsonl" in message


def test_duplicate_ids_and_empty_files(tmp_path):
    with pytest.raises(QuestionFileError, match="regel 2: id 'a' komt al voor op regel 1"):
        parse_questions(['{"id": "a", "question": "x"}', '{"id": "a", "question": "y"}'])
    empty = tmp_path / "leeg.jsonl"
    empty.write_text("\n# niets\n", encoding="utf-8")
    with pytest.raises(QuestionFileError, match="geen vragen"):
        load_questions(empty)
    with pytest.raises(QuestionFileError, match="niet gevonden"):
        load_questions(tmp_path / "bestaat-niet.jsonl")
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes('{"id": "a", "question": "café"}'.encode("latin-1"))
    with pytest.raises(QuestionFileError, match="UTF-8"):
        load_questions(latin)


# -- scoring and aggregation (no index needed) -----------------------------------------------------
def _answer(question: str, in_scope: bool, cited: list[str], retrieved: list[str], text: str = "", ms: float = 10.0) -> Answer:
    citations = [
        Citation(n=i + 1, id=cid, label=f"label {cid}", soort="actie", document=cid.split(":")[0], text="...")
        for i, cid in enumerate(cited)
    ]
    return Answer(
        question=question, answer=text, in_scope=in_scope, route="zoeken" if in_scope else "buiten_scope",
        citations=citations, retrieved=retrieved, timings_ms={"total": ms},
    )


def test_score_and_summarise():
    from evals.runner import EvalRun, config_result, score_question

    qs = parse_questions([
        '{"id": "a", "question": "Actie 4 van 2.4?", "expected": ["2.4/actie/4"], "keywords": ["cyber", "weerbaar"], "style": "burger", "programmalijn": 2}',
        '{"id": "b", "question": "Doel 1?", "expected": ["2.4/doel/1", "2.4"], "style": "ambtenaar", "programmalijn": 2}',
        '{"id": "c", "question": "Wie wint het EK?", "out_of_scope": true, "style": "burger"}',
        '{"id": "d", "question": "Wat is de opgave?", "expected": ["3.2"], "style": "burger", "programmalijn": 3}',
    ]).questions
    known = {A4, D1, OTHER, OPG}
    results = [
        score_question(qs[0], _answer("a", True, [A4], [A4, D1], "Cyber [1]", 10), known, 10),
        score_question(qs[1], _answer("b", True, [OTHER], [OTHER, OPG, D1], "Zie [1] en [2]", 20), known, 20),
        score_question(qs[2], _answer("c", True, [OTHER], [OTHER], "Iets [1]", 30), known, 30),
        score_question(qs[3], _answer("d", False, [], [OTHER, OPG], "Dat staat niet in de werkagenda.", 40), known, 40),
    ]
    a, b, c, d = results
    assert (a.hit1, a.hit5, a.rr, a.recall10) == (1.0, 1.0, 1.0, 1.0)
    assert a.keyword_recall == 0.5 and a.missing_keywords == ["weerbaar"]
    assert (b.hit1, b.hit3, b.rr) == (0.0, 1.0, 0.5) and b.first_hit_rank == 2
    assert b.citation_valid is False  # "[2]" names no listed source
    assert c.hit5 is None and not c.scope_correct and c.wrong
    assert d.hit5 == 1.0 and not d.answered and d.wrong and d.retrieved == [OTHER, OPG]
    assert not a.wrong and not b.wrong

    summary = config_result("full", results)
    metrics = summary.metrics
    assert metrics["hit@1"] == pytest.approx(2 / 3, abs=1e-4)  # a and d (d's top chunk 3.2 actie 1 is of priority 3.2)
    assert metrics["hit@5"] == 1.0
    assert metrics["mrr"] == pytest.approx((1 + 0.5 + 1) / 3, abs=1e-4)
    assert metrics["out_of_scope_accuracy"] == 0.5  # a, b right; c answered, d refused
    assert metrics["false_refusal_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert metrics["oos_refusal_rate"] == 0.0
    assert metrics["citation_validity"] == pytest.approx(2 / 3, abs=1e-4)
    assert metrics["keyword_recall"] == 0.5
    assert metrics["latency_ms_p50"] == 25.0 and metrics["latency_ms_p95"] == pytest.approx(38.5)
    assert set(summary.by_style) == {"ambtenaar", "burger"} and summary.by_style["burger"]["n"] == 3
    assert set(summary.by_programmalijn) == {"2", "3", "geen"}
    assert summary.by_priority["2.4"] == {"n": 2, "hit@5": 1.0, "mrr": 0.75}

    run = EvalRun(questions_file="x.jsonl", n=4, n_in_scope=3, n_out_of_scope=1, configs={"full": summary})
    data = json.loads(json.dumps(run.to_json()))
    assert {"n", "metrics", "per_question"} <= set(data) and "configs" not in data
    assert data["per_question"][0]["hit@5"] == 1.0 and "ndcg@10" in data["per_question"][0]
    assert run.check_floors(min_hit5=0.9) == []
    failures = run.check_floors(min_hit5=0.9, min_scope=0.9)
    assert len(failures) == 1 and "scope-nauwkeurigheid" in failures[0] and "0.900" in failures[0]


def test_report_without_index(tmp_path):
    from evals.report import write_report
    from evals.runner import EvalRun, config_result, score_question

    qs = parse_questions([
        '{"id": "a", "question": "Actie 4 | 2.4?", "expected": ["2.4/actie/4"], "style": "burger"}',
        '{"id": "c", "question": "Wie wint het <EK>?", "out_of_scope": true}',
    ]).questions
    known = {A4, OTHER}
    full = config_result("full", [
        score_question(qs[0], _answer("a", True, [A4], [A4], "x [1]"), known, 5),
        score_question(qs[1], _answer("c", False, [], [OTHER]), known, 6),
    ])
    bm25 = config_result("bm25", [
        score_question(qs[0], _answer("a", True, [OTHER], [OTHER], "x [1]"), known, 5),
        score_question(qs[1], _answer("c", True, [OTHER], [OTHER]), known, 6),
    ])
    run = EvalRun(questions_file="x.jsonl", n=2, n_in_scope=1, n_out_of_scope=1, configs={"full": full, "bm25": bm25})
    paths = write_report(run, tmp_path / "rapport")
    md = paths["markdown"].read_text(encoding="utf-8")
    page = paths["html"].read_text(encoding="utf-8")
    assert "| maat | full | bm25 |" in md and "hit@5" in md
    assert "Fout beantwoorde vragen" in md and "label wwd-2022:3.2:actie:1" in md and "Actie 4 \\| 2.4?" in md
    assert "&lt;EK&gt;" in page and "data:image/png;base64," in page and "<table>" in page
    for key in ("retrieval", "answers", "latency", "heatmap"):
        assert paths[key].stat().st_size > 1000


# -- running with a fake system (no index) --------------------------------------------------------
class FakeSystem:
    """Answers from a table; records what history each question came with."""

    def __init__(self):
        self.by_id = {A4: None, D1: None}
        self.calls: list[tuple[str, list]] = []

    def ask(self, question, history=(), filters=None):
        self.calls.append((question, list(history)))
        if question == "boom":
            raise RuntimeError("kapot")
        if "EK" in question:
            return _answer(question, False, [], [OTHER], "Dat staat niet in de werkagenda.")
        return _answer(question, True, [A4], [A4, D1], "Actie 4 gaat over cyber [1].")


def test_run_system_follow_up_errors_and_llm_judge():
    from llama_index.core.llms import MockLLM

    from evals.runner import LLMJudge, run_system

    qs = parse_questions([
        '{"id": "a", "question": "Wie voert het uit?", "history": ["Wat is actie 4?", "En doel 1?"], "expected": ["2.4/actie/4"]}',
        '{"id": "b", "question": "Wie wint het EK?", "out_of_scope": true}',
        '{"id": "c", "question": "boom", "expected": ["2.4"], "keywords": ["x"]}',
    ]).questions
    system = FakeSystem()
    result = run_system("fake", system, qs, judge=LLMJudge(MockLLM(), "mock"))
    asked = [(q, [t.question for t in h], [t.citation_ids for t in h]) for q, h in system.calls[1:]]  # [0] is the warm-up
    assert asked[:3] == [
        ("Wat is actie 4?", [], []),
        ("En doel 1?", ["Wat is actie 4?"], [[A4]]),
        ("Wie voert het uit?", ["Wat is actie 4?", "En doel 1?"], [[A4], [A4]]),
    ]
    a, b, c = result.per_question
    assert a.follow_up and a.hit1 == 1.0 and a.faithfulness_llm == 1.0 and a.relevancy_llm == 1.0
    assert b.scope_correct and b.faithfulness_llm is None  # refused questions are not judged
    assert c.error == "Er ging iets onverwachts mis (RuntimeError). Probeer het opnieuw; zet WERKAGENDA_DEBUG=1 voor details."
    assert c.hit5 == 0.0 and c.keyword_recall == 0.0 and c.wrong
    assert result.metrics["faithfulness_llm"] == 1.0 and result.metrics["hit@5"] == 0.5


def test_llm_judge_only_with_llm_setting(monkeypatch):
    from evals.runner import LLMJudge

    monkeypatch.delenv("WERKAGENDA_LLM", raising=False)
    assert LLMJudge.from_settings(Settings()) is None
    judge = LLMJudge.from_settings(Settings(llm="ollama:llama3.1@http://127.0.0.1:9"))
    assert judge is not None and judge.label.startswith("ollama:")
    # an unreachable server: the scores are None, counted as failures, nothing raises
    assert judge.judge("vraag", "antwoord", ["bron"]) == (None, None) and judge.failures == 2
