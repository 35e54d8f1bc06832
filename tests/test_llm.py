"""The LLM path against local fake servers speaking the real Ollama and OpenAI protocols."""

from __future__ import annotations

import pytest

from assistant.llm import FALLBACK_NOTICE, LLMBackend, LLMConfigError, parse_llm, validate_citations
from assistant.models import Answer, Citation
from tests.fake_llm_servers import FakeLLMServer


def extractive_answer() -> Answer:
    citations = [
        Citation(n=1, id="wwd-2022:3.2:actie:1", label="Werkagenda 2022 · 3.2 … · actie 1", prioriteit="3.2",
                 soort="actie", nummer=1, document="wwd-2022", text="Ontwikkelen van een wallet."),
        Citation(n=2, id="wwd-2022:3.2:doel:1", label="Werkagenda 2022 · 3.2 … · doel 1", prioriteit="3.2",
                 soort="doel", nummer=1, document="wwd-2022", text="Iedereen kan digitaal inloggen."),
    ]
    return Answer(question="Komt er een wallet?", answer="Extractief antwoord [1].\n\n**Bronnen**\n[1] x",
                  in_scope=True, route="zoeken", citations=citations, question_type="janee")


def run_stream(backend: LLMBackend, answer: Answer) -> tuple[list[str], Answer]:
    partials, final = [], None
    for text, done in backend.stream(answer):
        partials.append(text)
        final = done or final
    assert final is not None
    return partials, final


def rewrite_with_fake_llm(protocol: str, reply: str, delay: float = 0.0, timeout: float = 10) -> tuple[list[dict], list[str], Answer]:
    """The extractive answer rewritten through a fake server: (the requests it got, the partials, the final answer)."""
    with FakeLLMServer(protocol, reply, delay=delay) as server:
        backend = LLMBackend(parse_llm(f"{protocol}:fake-model@{server.url}"), timeout=timeout)
        partials, final = run_stream(backend, extractive_answer())
    return server.requests, partials, final


def test_parse_llm_forms():
    assert parse_llm("ollama:llama3.1").base_url == "http://127.0.0.1:11434"
    spec = parse_llm("openai:gpt-4o-mini@http://127.0.0.1:9/v1")
    assert (spec.provider, spec.model, spec.base_url) == ("openai", "gpt-4o-mini", "http://127.0.0.1:9/v1")
    with pytest.raises(LLMConfigError, match="Ongeldige LLM-instelling"):
        parse_llm("gpt4")
    with pytest.raises(LLMConfigError, match="adres nodig"):
        parse_llm("openai:gpt-4o-mini")


def test_validate_citations_removes_invented_numbers():
    text, removed = validate_citations("Er komt een wallet [1] in 2025 [7].", 2)
    assert text == "Er komt een wallet [1] in 2025."
    assert removed == [7]


@pytest.mark.parametrize("protocol", ["ollama", "openai"])
def test_streaming_reply_keeps_valid_and_removes_invented_citations(protocol):
    reply = "Ja, er komt een publieke wallet [1]. Iedereen kan inloggen [2]. Dat kost niets [9]."
    requests, partials, final = rewrite_with_fake_llm(protocol, reply)
    assert len(partials) > 3, "the reply arrives in pieces"
    assert final.mode == "llm"
    assert "[1]" in final.answer and "[2]" in final.answer and "[9]" not in final.answer
    assert "bestaan (9)" in final.notice
    assert final.answer.rstrip().endswith("[2] Werkagenda 2022 · 3.2 … · doel 1")
    sent = requests[0]["body"]
    assert sent["model"] == "fake-model" and sent["stream"] is True
    assert "uitsluitend op basis van de genummerde bronnen" in sent["messages"][0]["content"]
    assert "[1] Werkagenda 2022" in sent["messages"][1]["content"]


@pytest.mark.parametrize("protocol", ["ollama", "openai"])
def test_slow_server_falls_back_to_extractive_answer(protocol):
    _, _, final = rewrite_with_fake_llm(protocol, "te laat [1]", delay=3, timeout=0.5)
    assert final.mode == "extractief"
    assert final.answer.startswith("Extractief antwoord [1]")
    assert final.notice == FALLBACK_NOTICE


def test_unreachable_server_falls_back():
    backend = LLMBackend(parse_llm("openai:fake@http://127.0.0.1:9/v1"), timeout=1)
    _, final = run_stream(backend, extractive_answer())
    assert final.mode == "extractief" and final.notice == FALLBACK_NOTICE


@pytest.mark.parametrize("protocol", ["ollama", "openai"])
def test_the_prompt_carries_the_question_type_and_ja_comes_through(protocol):
    reply = "Ja. Er komt een publieke wallet [1]; iedereen kan er digitaal mee inloggen [2]."
    requests, _, final = rewrite_with_fake_llm(protocol, reply)
    prompt = " ".join(m["content"] for m in requests[0]["body"]["messages"])
    assert "ja/nee-vraag" in prompt and "Begin met 'Ja.'" in prompt and "[1] Werkagenda 2022" in prompt
    assert final.answer.startswith("Ja.") and "[1]" in final.answer and "[2]" in final.answer and final.mode == "llm"


def test_a_related_answer_tells_the_model_to_say_so():
    from assistant.llm import RELATED_RULE, sources_prompt

    answer = extractive_answer().model_copy(update={"outcome": "related", "question_type": "open"})
    assert RELATED_RULE in sources_prompt(answer)
