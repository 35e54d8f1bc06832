"""`werkagenda eval` end to end: a small question file against a real index in a temporary data dir."""

from __future__ import annotations

import json

import pytest

from assistant.cli import main
from assistant.settings import Settings

QUESTIONS = [
    {"id": "e1", "question": "Wat doet het kabinet aan cybersecurity?", "expected": ["2.4"],
     "keywords": ["cyber"], "style": "burger", "programmalijn": 2},
    {"id": "e2", "question": "Wat is actie 4 van prioriteit 2.4?", "expected": ["2.4/actie/4", "2.4"],
     "style": "ambtenaar", "programmalijn": 2},
    {"id": "e3", "question": "Komt er een publieke wallet voor je digitale identiteit?", "expected": ["3.2"],
     "keywords": ["wallet"], "style": "burger", "programmalijn": 3},
    {"id": "e4", "question": "Wat is een goed recept voor appeltaart?", "out_of_scope": True, "style": "burger"},
    {"id": "e5", "question": "Wie voert die actie uit?", "history": ["Wat is actie 4 van prioriteit 2.4?"],
     "expected": ["2.4/actie/4"], "style": "ambtenaar", "programmalijn": 2},
    {"id": "e6", "question": "Wat is er in het eerste jaar tegen desinformatie gedaan?",
     "expected": ["wwd-jaar-onderweg:desinformatie"], "style": "journalist"},
]
METRICS = {
    "hit@1", "hit@3", "hit@5", "mrr", "ndcg@10", "recall@10", "citation_validity", "keyword_recall",
    "out_of_scope_accuracy", "latency_ms_p50", "latency_ms_p95",
}


@pytest.fixture(scope="session")
def eval_settings(index_settings) -> Settings:
    return index_settings


@pytest.fixture(scope="session")
def question_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("eval-vragen") / "vragen.jsonl"
    path.write_text("\n".join(json.dumps(q, ensure_ascii=False) for q in QUESTIONS) + "\n", encoding="utf-8")
    return path


def _run_cli(capsys, settings: Settings, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(settings.data_dir), "eval", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _check_metrics(metrics: dict, n_retrieval: int) -> None:
    assert METRICS <= set(metrics)
    for key in METRICS - {"latency_ms_p50", "latency_ms_p95"}:
        assert metrics[key] is None or 0.0 <= metrics[key] <= 1.0, key
    assert metrics["n_retrieval"] == n_retrieval
    assert 0 < metrics["latency_ms_p50"] <= metrics["latency_ms_p95"]


@pytest.mark.slow
def test_eval_json_and_report(eval_settings, question_file, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("WERKAGENDA_LLM", raising=False)
    report_dir = tmp_path / "rapport"
    code, out, err = _run_cli(
        capsys, eval_settings, str(question_file), "--json", "--config", "full", "bm25", "--report", str(report_dir)
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["n"] == 6 and data["n_in_scope"] == 5 and data["n_out_of_scope"] == 1
    assert data["config"] == "full" and set(data["configs"]) == {"full", "bm25"}
    assert data["metrics"] == data["configs"]["full"]["metrics"]
    for config in data["configs"].values():
        _check_metrics(config["metrics"], n_retrieval=5)
        assert [q["id"] for q in config["per_question"]] == [q["id"] for q in QUESTIONS]
    assert "Evalueren" in err  # the tqdm bar on stderr

    full = data["metrics"]
    assert full["hit@5"] >= 0.6 and full["mrr"] > 0.3
    assert full["citation_validity"] == 1.0
    assert full["out_of_scope_accuracy"] >= 4 / 6
    assert "faithfulness_llm" not in full  # no LLM configured: the LLM-judged metrics are skipped

    per_q = {q["id"]: q for q in data["per_question"]}
    assert per_q["e4"]["out_of_scope"] and per_q["e4"]["hit@5"] is None
    assert per_q["e2"]["hit@1"] == 1.0 and per_q["e2"]["retrieved"][0] == "wwd-2022:2.4:actie:4"
    # the follow-up was asked after its history: it stays on actie 4 of 2.4
    assert per_q["e5"]["follow_up"] and per_q["e5"]["hit@5"] == 1.0
    assert per_q["e5"]["cited"][:1] == ["wwd-2022:2.4:actie:4"]
    assert set(data["by_style"]) == {"burger", "ambtenaar", "journalist"}
    assert set(data["by_programmalijn"]) == {"2", "3", "geen"}

    md = (report_dir / "report.md").read_text(encoding="utf-8")
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    assert "| maat | full | bm25 |" in md and "## Resultaten per configuratie" in md
    assert "## Per stijl" in md and "## Fout beantwoorde vragen" in md
    assert "<table>" in html and "data:image/png;base64," in html
    for png in ("retrieval.png", "antwoorden.png", "latentie.png", "prioriteiten.png"):
        assert (report_dir / png).stat().st_size > 1000


@pytest.mark.slow
def test_eval_text_output_and_regression_gate(eval_settings, question_file, capsys):
    code, out, err = _run_cli(capsys, eval_settings, str(question_file), "--min-hit5", "1.01", "--min-scope", "0")
    assert code == 1
    assert "hit@5" in out and "scope-nauwkeurigheid" in out and "6 vragen" in out
    assert "Regressie: hit@5" in err and "ondergrens 1.010" in err
    assert "scope-nauwkeurigheid van" not in err  # that floor (0) is met


@pytest.mark.slow
def test_naive_baseline(eval_settings, question_file):
    from evals.questions import load_questions
    from evals.runner import open_systems, run_system

    _, system, _ = next(iter(open_systems(eval_settings, ["naive"])))
    naive = run_system("naive", system, load_questions(question_file).questions)
    _check_metrics(naive.metrics, n_retrieval=5)
    assert naive.metrics["false_refusal_rate"] == 0.0 and naive.metrics["oos_refusal_rate"] == 0.0
    assert naive.metrics["citation_validity"] is None  # it cites nothing
    assert naive.metrics["hit@5"] >= 0.4  # even the baseline finds something on these easy questions
    assert system.node_count >= 10
    mapped = {cid for cid in system.node_chunk.values() if cid}
    assert mapped <= set(system.by_id) and len(mapped) >= system.node_count // 2
    for q in naive.per_question:
        assert q.retrieved and set(q.retrieved) <= set(system.by_id) and len(q.retrieved) <= 10
        assert q.answer  # the concatenated top-3 node texts


def test_bad_question_file_is_reported_with_line_numbers(tmp_path, capsys):
    path = tmp_path / "fout.jsonl"
    path.write_text('{"id": "a", "question": "Goed?"}\n{"id": "b", "vraag": "Fout?"}\n', encoding="utf-8")
    code = main(["--data-dir", str(tmp_path / "data"), "eval", str(path)])
    _, err = capsys.readouterr()
    assert code == 1
    assert "regel 2" in err and "'question (de vraag)' ontbreekt" in err
    assert not (tmp_path / "data").exists()  # the file is checked before any index is opened


def test_unknown_config_is_refused(tmp_path, capsys, monkeypatch):
    # the known configurations are named, before any index is opened
    monkeypatch.setenv("WERKAGENDA_DATA_DIR", str(tmp_path / "leeg"))
    questions = tmp_path / "x.jsonl"
    questions.write_text(json.dumps(QUESTIONS[0], ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(SystemExit) as stopped:  # refused while the arguments are read, like any bad option
        main(["eval", str(questions), "--config", "magic"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "fout: argument --config: onbekende configuratie 'magic' (kies uit full," in err and "Traceback" not in err
    assert not (tmp_path / "leeg").exists()
