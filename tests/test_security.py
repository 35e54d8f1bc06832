"""Security basics: loopback by default, secrets never printed, the pip-audit summary tells the truth.

SQL injection into the feedback store is covered in tests/test_app_api.py
(test_feedback_store_uses_parameters_and_exports_an_eval_set); HTML/JavaScript in questions and
documents in tests/test_bad_input.py.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "sk-test-GEHEIM-3f9c2a7b"
PASSWORD = "wachtwoord-GEHEIM-81d4"
NORMAL = "Komt er een digitale identiteitswallet?"


def test_settings_never_show_the_api_key(monkeypatch):
    from assistant.settings import Settings

    monkeypatch.setenv("WERKAGENDA_LLM_API_KEY", API_KEY)
    settings = Settings()
    for shown in (repr(settings), str(settings), settings.model_dump_json(), json.dumps(settings.model_dump(mode="json"))):
        assert API_KEY not in shown
    assert settings.llm_api_key.get_secret_value() == API_KEY  # still there for the LLM backend


@pytest.mark.slow  # imports Gradio (~5 s): not for the fast suite
def test_the_app_listens_on_loopback_unless_told_otherwise():
    from assistant.web.server import launch, serve
    from assistant.cli import build_parser

    assert build_parser().parse_args(["chat"]).host == "127.0.0.1"
    assert inspect.signature(launch).parameters["host"].default == "127.0.0.1"
    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"


def _listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp*) with a socket in LISTEN state on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.rpartition(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


@pytest.mark.slow
def test_running_app_is_loopback_only_and_prints_no_secrets(index_settings, tmp_path):
    """`werkagenda chat` with a login and an LLM key: it binds 127.0.0.1, uses the key, and never prints it."""
    from gradio_client import Client

    from tests.fake_llm_servers import FakeLLMServer
    from tests.test_load import start_app

    shutil.copytree(index_settings.data_dir, tmp_path / "data")
    with FakeLLMServer("openai", reply="Ja, er komt een publieke ID-wallet [1].") as fake:
        app = start_app(tmp_path / "data", tmp_path / "app.log", extra_env={
            "WERKAGENDA_LLM": f"openai:test-model@{fake.url}", "WERKAGENDA_LLM_API_KEY": API_KEY,
            "WERKAGENDA_USERNAME": "ambtenaar", "WERKAGENDA_PASSWORD": PASSWORD,
        })
        try:
            port = int(app.url.rstrip("/").rsplit(":", 1)[1])
            assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1 only, not 0.0.0.0 or ::
            client = Client(app.url, auth=("ambtenaar", PASSWORD), verbose=False)
            answer = client.predict(question=NORMAL, api_name="/ask")
            assert answer["mode"] == "llm" and "[1]" in answer["answer"]
            assert fake.requests[0]["headers"].get("Authorization") == f"Bearer {API_KEY}"  # the key is used ...
            with pytest.raises(Exception):
                client.predict(question="", api_name="/ask")  # an error path, too
            assert API_KEY not in json.dumps(answer) and PASSWORD not in json.dumps(answer)
        finally:
            app.stop()
    log = app.log.read_text()
    assert "draait op http://127.0.0.1:" in log
    assert API_KEY not in log and PASSWORD not in log and "Traceback" not in log  # ... and never printed


@pytest.mark.slow
def test_cli_errors_do_not_print_the_api_key(index_settings):
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"), "WERKAGENDA_LLM_API_KEY": API_KEY,
           "WERKAGENDA_DATA_DIR": str(index_settings.data_dir), "ANONYMIZED_TELEMETRY": "False"}
    for args in (["ask", NORMAL, "--llm", "openai:gpt-x@http://127.0.0.1:9/v1", "--json"],  # unreachable LLM
                 ["ask", NORMAL, "--llm", "kapot"]):  # invalid LLM setting
        proc = subprocess.run([sys.executable, "-m", "assistant.cli", *args], env=env, capture_output=True,
                              text=True, timeout=180, cwd=ROOT)
        assert API_KEY not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
    assert "Ongeldige LLM-instelling" in proc.stderr and proc.returncode == 1


# --------------------------------------------------------------------------------------------
# The pip-audit summary (.ci/audit.py), on pip-audit's JSON format
# --------------------------------------------------------------------------------------------
def _audit_module():
    spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_audit_summary_counts_what_was_really_checked():
    audit = _audit_module()
    clean = {"dependencies": [{"name": "jinja2", "version": "3.1.6", "vulns": []}]}
    assert audit.summarise(clean)[0] == audit.EXIT_CLEAN
    unchecked = {"dependencies": [
        {"name": "jinja2", "version": "3.1.6", "vulns": []},
        {"name": "torch", "skip_reason": "Dependency not found on PyPI and could not be audited: torch (2.13.0+cpu)"},
    ]}
    code, text = audit.summarise(unchecked)
    assert code == audit.EXIT_UNCHECKED and "1 van de 2 pakketten zijn NIET gecontroleerd" in text and "torch" in text
    found = {"dependencies": [{"name": "jinja2", "version": "3.1.2", "vulns": [
        {"id": "GHSA-h75v-3vvj-5mfj", "aliases": ["CVE-2024-34064"], "fix_versions": ["3.1.4"], "description": "…"}]}]}
    code, text = audit.summarise(found)
    assert code == audit.EXIT_FOUND
    assert "KWETSBAAR jinja2 3.1.2: GHSA-h75v-3vvj-5mfj (CVE-2024-34064); opgelost in 3.1.4" in text


def test_lock_file_pins_every_installed_dependency_but_not_the_project():
    lines = [line for line in (ROOT / "requirements.lock").read_text().splitlines() if line and not line.startswith("#")]
    assert lines and all("==" in line for line in lines)
    names = {line.split("==")[0].lower() for line in lines}
    assert {"gradio", "chromadb", "pydantic", "torch", "pypdf"} <= names
    assert "werkagenda-assistent" not in names and not any(line.startswith("-e") for line in lines)
