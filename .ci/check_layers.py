"""The direction of imports (ARCHITECTURE.md): ingest/ → index/ → assistant/ → evals/.

A package imports only itself and the ones to its left; the core of assistant/ imports neither its
front doors (assistant/cli.py, assistant/web/) nor evals/. The named exceptions (LAZY_UPWARD) import
to their right only lazily, inside the function that needs it.

    python .ci/check_layers.py      # exit 1 and one line per wrong import
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("ingest", "index", "assistant", "evals")
FRONT_DOORS = ("assistant.cli", "assistant.web")
LAZY_UPWARD = {
    "assistant/cli.py": "evals",  # `werkagenda eval` and `bench` load evals/ only when they run
}


def imported_modules(tree: ast.Module) -> list[tuple[str, int, bool]]:
    """(module, line, at module level) for every import in the file; relative imports are not used."""
    top_level = {id(node) for node in tree.body}
    for node in tree.body:  # `if TYPE_CHECKING:` and `try:` blocks at module level count as module level
        if isinstance(node, (ast.If, ast.Try)):
            top_level |= {id(n) for n in ast.walk(node)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno, id(node) in top_level) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.module, node.lineno, id(node) in top_level))
    return found


def problems(root: Path = ROOT) -> list[str]:
    out = []
    for rank, package in enumerate(LAYERS):
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            module = relative.removesuffix(".py").replace("/", ".")
            is_core = package == "assistant" and not module.startswith(FRONT_DOORS)
            for name, line, top in imported_modules(ast.parse(path.read_text(encoding="utf-8"))):
                head = name.split(".")[0]
                if head in LAYERS and LAYERS.index(head) > rank:
                    if LAZY_UPWARD.get(relative) == head and not top:
                        continue
                    out.append(f"{relative}:{line}: {package}/ importeert {name} (alleen naar links: {' → '.join(LAYERS)})")
                elif is_core and name.startswith(FRONT_DOORS):
                    out.append(f"{relative}:{line}: de kern importeert zijn voordeur {name}")
    return out


if __name__ == "__main__":
    found = problems()
    print("\n".join(found) or "Importrichting in orde.")
    sys.exit(1 if found else 0)
