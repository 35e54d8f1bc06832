"""The issue-style table of an eval run: per question group, refusals counted as misses.

    werkagenda eval QUESTIONS.jsonl --json > run.json && python -m evals.table run.json [--markdown]

Reads the JSON of `werkagenda eval --json` (also of older versions: it recomputes from the
per-question results), so a baseline and a new run are compared in the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

GROUP_NAMES = {
    "burger": "burgers, alledaags Nederlands", "ambtelijk": "ambtenaren (wie, resultaten t/m 2023/2025)",
    "feit": "feiten in resultaatcellen", "artikel": "het artikel uit 2023", "lijst": "lijsten over prioriteiten",
    "organisatie": "organisaties", "code": "codes",
}


def rows(per_question: list[dict]) -> list[tuple[str, dict]]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for q in per_question:
        if not q.get("out_of_scope"):
            groups["alle vragen binnen scope"].append(q)
            groups[GROUP_NAMES.get(q.get("style") or "", q.get("style") or "overig")].append(q)
    out = []
    for name in ["alle vragen binnen scope", *GROUP_NAMES.values(), *sorted(set(groups) - set(GROUP_NAMES.values()) - {"alle vragen binnen scope"})]:
        qs = groups.get(name)
        if not qs:
            continue
        with_keys = [q for q in qs if q.get("expected")]
        with_words = [q for q in qs if q.get("keyword_recall") is not None]
        out.append((name, {
            "n": len(qs),
            "hit@1": _mean([(q.get("hit@1") or 0.0) if q["answered"] else 0.0 for q in with_keys]),
            "hit@5": _mean([(q.get("hit@5") or 0.0) if q["answered"] else 0.0 for q in with_keys]),
            "kernfeit": _mean([q["keyword_recall"] for q in with_words]),
            "onterecht geweigerd": _mean([0.0 if q["answered"] else 1.0 for q in qs]),
        }))
    oos = [q for q in per_question if q.get("out_of_scope")]
    if oos:
        out.append(("buiten scope, geweigerd", {"n": len(oos), "geweigerd": _mean([0.0 if q["answered"] else 1.0 for q in oos])}))
    return out


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def markdown(table: list[tuple[str, dict]]) -> str:
    lines = ["| vragen | n | hit@1 | hit@5 | kernfeit in antwoord | onterecht geweigerd |", "|---|---|---|---|---|---|"]
    for name, m in table:
        if "geweigerd" in m:
            lines.append(f"| {name} | {m['n']} | | | | {m['geweigerd']:.2f} geweigerd |")
        else:
            cells = [_cell(m[k]) for k in ("hit@1", "hit@5", "kernfeit", "onterecht geweigerd")]
            lines.append(f"| {name} | {m['n']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Tabel per vraaggroep uit `werkagenda eval --json` (weigering = mis).")
    parser.add_argument("run", type=Path)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    data = json.loads(args.run.read_text(encoding="utf-8"))
    table = rows(data["per_question"])
    print(markdown(table) if args.markdown else json.dumps(table, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
