"""Run pip-audit on requirements.lock and say plainly what it found, and what it could not check.

    python .ci/audit.py [--pip-audit PATH] [requirements.lock]

pip-audit prints "No known vulnerabilities found" even when it could check nothing (the service
unreachable, or a version it does not know): this script counts the packages it really checked.
Exit codes: 0 every package checked, nothing found; 1 known vulnerabilities; 3 not everything
could be checked (nothing found in what was). Used by `make audit` and, non-fatally, by .ci/run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

EXIT_CLEAN, EXIT_FOUND, EXIT_UNCHECKED = 0, 1, 3


def summarise(report: dict) -> tuple[int, str]:
    """(exit code, Dutch report) from pip-audit's JSON output."""
    deps = report.get("dependencies", [])
    skipped = [d for d in deps if d.get("skip_reason")]
    checked = [d for d in deps if not d.get("skip_reason")]
    vulnerable = [d for d in checked if d.get("vulns")]
    lines = [f"pip-audit: {len(deps)} pakketten; {len(checked)} gecontroleerd, {len(skipped)} niet te controleren."]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            aliases = f" ({', '.join(vuln['aliases'])})" if vuln.get("aliases") else ""
            fixed = f"; opgelost in {', '.join(vuln['fix_versions'])}" if vuln.get("fix_versions") else "; nog geen oplossing"
            lines.append(f"  KWETSBAAR {dep['name']} {dep.get('version', '?')}: {vuln['id']}{aliases}{fixed}")
    if skipped:
        reasons = sorted({d["skip_reason"].split(":")[0] for d in skipped})
        names = ", ".join(f"{d['name']} {d.get('version', '')}".strip() for d in skipped[:8])
        lines.append(f"  Niet gecontroleerd ({'; '.join(reasons)}): {names}{' …' if len(skipped) > 8 else ''}")
    if vulnerable:
        lines.append(f"Resultaat: {sum(len(d['vulns']) for d in vulnerable)} bekende kwetsbaarheden in {len(vulnerable)} pakketten.")
        return EXIT_FOUND, "\n".join(lines)
    if skipped:
        lines.append(
            "Resultaat: geen kwetsbaarheden gevonden in wat gecontroleerd kon worden, maar "
            f"{len(skipped)} van de {len(deps)} pakketten zijn NIET gecontroleerd."
        )
        return EXIT_UNCHECKED, "\n".join(lines)
    lines.append("Resultaat: geen bekende kwetsbaarheden.")
    return EXIT_CLEAN, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="pip-audit op requirements.lock, met een eerlijke samenvatting.")
    parser.add_argument("lock", nargs="?", default="requirements.lock", type=Path)
    parser.add_argument("--pip-audit", default="pip-audit", help="pad naar pip-audit")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "audit.json"
        # --no-deps --disable-pip: the lock pins every package, so nothing is resolved or installed.
        command = [args.pip_audit, "-r", str(args.lock), "--no-deps", "--disable-pip", "--progress-spinner", "off",
                   "--format", "json", "--output", str(out), "--timeout", "30"]
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=900)
        except (OSError, subprocess.TimeoutExpired) as exc:
            print(f"pip-audit kon niet draaien: {exc}", file=sys.stderr)
            return EXIT_UNCHECKED
        if not out.is_file() or not out.read_text().strip():
            print(f"pip-audit gaf geen rapport (exitcode {proc.returncode}); waarschijnlijk is de "
                  f"kwetsbaarhedendienst onbereikbaar.\n{proc.stderr[-2000:]}", file=sys.stderr)
            return EXIT_UNCHECKED
        code, text = summarise(json.loads(out.read_text()))
    print(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
