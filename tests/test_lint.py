"""`make lint` as a test, so `make test` catches an unused import, dead code or an import the wrong way."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / ".ci"))
import check_layers  # noqa: E402  (.ci is not a package)

CODE = ["assistant", "ingest", "index", "evals"]


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_ruff_finds_no_unused_imports_or_variables():
    result = run("ruff", "check", *CODE, "tests")
    assert result.returncode == 0, result.stdout + result.stderr


def test_vulture_finds_no_unused_code():
    result = run("vulture", "--min-confidence", "80", *CODE, ".ci/vulture_whitelist.py")
    assert result.returncode == 0, result.stdout + result.stderr


def test_imports_run_one_way_only():
    assert check_layers.problems() == []


@pytest.mark.parametrize(
    ("path", "source", "problem"),
    [
        ("assistant/engine.py", "from evals.runner import run_eval\n", "assistant/ importeert evals.runner"),
        ("assistant/compose.py", "def f():\n    import evals.bench\n", "assistant/ importeert evals.bench"),
        ("assistant/cli.py", "from evals.runner import run_eval\n", "assistant/ importeert evals.runner"),
        ("assistant/engine.py", "from assistant.web.render import render_chat\n", "de kern importeert zijn voordeur"),
        ("ingest/models.py", "from index.store import IndexStore\n", "ingest/ importeert index.store"),
        ("assistant/cli.py", "def cmd_eval():\n    from evals.runner import run_eval\n", None),
        ("assistant/web/blocks.py", "from assistant.engine import Assistant\n", None),
        ("evals/runner.py", "from assistant.engine import Assistant\n", None),
    ],
)
def test_the_layer_check_tells_a_wrong_import_from_a_right_one(tmp_path, path, source, problem):
    for package in check_layers.LAYERS:
        (tmp_path / package).mkdir()
    (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / path).write_text(textwrap.dedent(source), encoding="utf-8")
    found = check_layers.problems(tmp_path)
    if problem is None:
        assert found == []
    else:
        assert len(found) == 1 and problem in found[0] and found[0].startswith(f"{path}:")
