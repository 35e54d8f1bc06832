"""Answer-side subcommands (ask, chat, eval, bench); registered by assistant.cli."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.models import Filters
from assistant.settings import Settings


def add_answer_commands(sub: argparse._SubParsersAction) -> None:
    ask = sub.add_parser("ask", help="beantwoord een vraag (of een bestand met vragen)")
    ask.add_argument("question", nargs="?", help="de vraag, tussen aanhalingstekens")
    ask.add_argument("--file", type=Path, help="bestand met één vraag per regel; uitvoer is één JSON-object per regel")
    ask.add_argument("--json", action="store_true", help="antwoord als JSON met bronnen")
    ask.add_argument("--filter", action="append", default=[], metavar="SLEUTEL=WAARDE",
                     help="document, programmalijn, prioriteit, soort of uitvoerder; herhaalbaar")
    ask.add_argument("--llm", help="taalmodel, bijv. ollama:llama3.1 of openai:gpt-4o-mini@http://host/v1")


def parse_filters(pairs: list[str]) -> Filters | None:
    from assistant.errors import UserInputError

    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key.strip() not in Filters.model_fields:
            raise UserInputError(
                f"Ongeldig filter '{pair}'. Gebruik SLEUTEL=WAARDE met sleutel: {', '.join(Filters.model_fields)}."
            )
        values[key.strip()] = value.strip()
    if not values:
        return None
    try:
        return Filters(**values)
    except Exception as exc:
        raise UserInputError(f"Ongeldige filterwaarde: {', '.join(f'{k}={v}' for k, v in values.items())}.") from exc


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.engine import Assistant
    from assistant.errors import UserInputError, user_message

    if not args.question and not args.file:
        raise UserInputError('Geef een vraag, bijvoorbeeld: werkagenda ask "Komt er een digitale identiteitswallet?"')
    if args.llm:
        settings = settings.model_copy(update={"llm": args.llm})
    filters = parse_filters(args.filter)
    assistant = Assistant.open(settings, progress=True, notify=lambda m: print(m, file=sys.stderr))
    if args.file:
        lines = args.file.read_text(encoding="utf-8", errors="replace").splitlines()
        for line in (q for q in lines if q.strip()):
            try:
                answer = assistant.ask(line, filters=filters)
                print(json.dumps(answer.public_json(), ensure_ascii=False), flush=True)
            except UserInputError as exc:  # one bad line does not stop the batch
                print(json.dumps({"question": line, "error": user_message(exc)}, ensure_ascii=False), flush=True)
        return 0
    answer = assistant.ask(args.question, filters=filters)
    if args.json:
        print(json.dumps(answer.public_json(), ensure_ascii=False, indent=2))
    else:
        print(answer.answer)
        if answer.notice:
            print(f"\n({answer.notice})")
    return 0


ANSWER_COMMANDS = {"ask": cmd_ask}
