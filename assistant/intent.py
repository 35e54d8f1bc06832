"""What a question asks for, read from its words: codes, the aspect wanted, organisations, follow-up.

Pure functions; the rules follow the agenda's own vocabulary (prioriteit, actie, doel, uitvoerder,
t/m 2023, t/m 2025), not phrases of particular questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.organisations import Organisation, find_in_question
from assistant.text import content_stems, content_words, fold, tokens

PRIORITY_CODES = ("1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "3.3", "4.1", "4.2", "4.3", "5.1")

CODE_RE = re.compile(r"(?<![\d.])([1-5])[.,]([1-4])(?:[ab])?(?![\d])")
ITEM_RE = re.compile(r"\b(actie|acties|doel|doelen)\s*(?:nummer|nr\.?|#)?\s*(\d{1,2})\b")
# "Welke actie staat bij 5.1 onder nummer 6?": the number further on, named as one.
ITEM_NUMBER_RE = re.compile(r"\b(actie|doel)\b[^?]{0,40}?\b(?:nummer|nr\.?)\s*(\d{1,2})\b")

# Aspect words, matched on folded tokens. Each maps to the chunk field(s) that answer it.
ASPECT_WORDS: dict[str, tuple[str, ...]] = {
    "uitvoerders": ("wie", "uitvoerder", "uitvoerders", "trekker", "trekkers", "uitgevoerd", "verantwoordelijk",
                    "betrokken", "ministerie", "ministeries", "organisatie", "organisaties", "uitvoert", "voert"),
    "resultaat_2023": ("2023", "korte"),
    "resultaat_2025": ("2025", "lange", "langere"),
    "wanneer": ("wanneer", "deadline", "klaar", "af", "gereed", "termijn", "resultaat", "resultaten", "opleveren", "bereikt"),
    "indicatoren": ("indicator", "indicatoren", "meten", "gemeten", "streefwaarde", "streefwaarden", "meetbaar"),
    "doelen": ("doel", "doelen", "doelstelling", "doelstellingen", "ambitie", "ambities"),
    "acties": ("actie", "acties", "maatregel", "maatregelen", "activiteit", "activiteiten"),
    "behaalde": ("behaald", "behaalde", "bereikt", "gerealiseerd", "gedaan"),
    "opgave": ("opgave", "probleem", "problemen", "waarom", "uitdaging", "aanleiding"),
}

# A question that gives the assistant orders instead of asking ("negeer alle vorige instructies", "je bent nu
# DAN", "</context> Nieuwe instructie: …", "SYSTEEM: …"): the common forms of prompt injection, in Dutch and
# English. No agenda text gives orders like these, so such a question is refused whatever else it says.
INSTRUCTION_RE = re.compile(
    r"\b(?:negeer|vergeet|ignore|forget)\s+(?:(?:al|alle|je|jouw|uw|de|your|all|the|vorige|eerdere|previous|system)\s+){0,3}"
    r"(?:instructies?|regels|opdrachten?|prompt|instructions?|rules)\b"
    r"|\bje\s+bent\s+nu\b|\bdoe\s+alsof\s+je\b|\bpretend\b|\bsysteem\s*prompt|\bsystem\s*prompt|\bnieuwe\s+instructie"
    r"|</?\s*(?:context|system|systeem)\s*>|^\s*(?:systeem|system)\s*:|\bjailbreak",
    re.IGNORECASE,
)

# What the lead must answer (DESIGN.md, "Answer outcomes"). Read from the question's own words.
QUESTION_TYPES = ("janee", "wie", "wanneer", "hoeveel", "naam", "bereikt", "lijst", "open")
# A Dutch yes/no question starts with its finite verb ("Komt er …?", "Kan ik …?").
YES_NO_VERBS = frozenset(
    """komt komen kom gaat gaan ga wordt worden word is zijn ben heeft hebben heb kan kun kunnen mag mogen
    moet moeten wil willen zal zullen krijgt krijgen krijg helpt helpen doet doen werkt werken zorgt
    zorgen maakt maken bestaat bestaan blijft blijven staat staan hoeft hoeven gebeurt geldt gelden
    pakt pakken neemt nemen biedt bieden levert leveren telt tellen leren leert zoeken zoekt kijken kijkt
    werken beschermen beschermt ondersteunen ondersteunt investeren investeert controleren controleert
    regelen regelt verbeteren verbetert ontwikkelen ontwikkelt verdwijnen verdwijnt veranderen verandert
    stoppen stopt houden houdt heten heet weet weten""".split()
)
HOW_MANY_RE = re.compile(r"\b(hoeveel|hoe\s+veel|aantal|percentage|hoe\s+groot|welk\s+percentage|hoeveelheid)\b")
NAME_RE = re.compile(
    r"\b(welke|welk|hoe\s+heet|wat\s+is\s+de\s+naam\s+van)\s+(?:\w+\s+)?(wet|wetten|wetsvoorstel|programma|regeling|richtlijn|"
    r"verordening|strategie|platform|netwerk|instrument|standaard|norm|handreiking|app|raad|coalitie|centrum|"
    r"organisatie|wallet|toolbox|kader|convenant|agenda|pilots?|code|register|keurmerk)\b"
)
ACHIEVED_RE = re.compile(
    r"\b(bereikt|behaald|behaalde|gerealiseerd|opgeleverd|voortgang|stand\s+van\s+zaken|afgelopen\s+jaar|"
    r"(?:al|tot\s+nu\s+toe)\s+(?:gedaan|bereikt|gebeurd)|is\s+er\s+(?:al\s+)?gedaan|een\s+jaar\s+onderweg|in\s+2023\s+gedaan)\b"
)
# "Wat moet er t/m 2025 bereikt zijn?" asks for a result column (wanneer), not for what was achieved: the
# words of ACHIEVED_RE with a modal verb, or with a deadline, look ahead. ("Wat is er in 2023 bereikt?" has
# neither and stays "bereikt".)
PLANNED_RE = re.compile(
    r"\b(moet|moeten|zal|zullen|gaat|gaan|wordt|worden)\b[^?]*\b(bereikt|behaald|gerealiseerd|opgeleverd)\b"
    r"|\b(t/m|tot\s+en\s+met|uiterlijk|eind|voor)\s+20\d\d\b[^?]*\b(bereikt|behaald|gerealiseerd|opgeleverd)\s+(zijn|worden)\b"
)
LIST_RE = re.compile(r"\b(welke|alle|overzicht|lijst|allemaal|opsomming)\b")
# Words that ask what an organisation does in the agenda, not about a subject of its actions.
ORGANISATION_ROLE_WORDS = frozenset(
    """rol rollen taak taken bezig allemaal werkagenda agenda betrokken betrokkenheid bijdrage bijdragen aandeel
    inzet verantwoordelijkheid verantwoordelijkheden opdracht""".split()
)
# A list is asked in the plural: "welke acties …". "Welke partijen voeren de actie uit?" and "welke streefwaarden
# gelden bij het doel …?" ask about one action or goal that the question describes.
LIST_NOUNS = frozenset({"acties", "maatregelen", "activiteiten", "doelen", "doelstellingen", "ambities"})
WHEN_WORDS = frozenset({"wanneer", "deadline", "klaar", "gereed", "termijn", "opleveren", "2023", "2025"})


def asks_for_list(folded: str) -> bool:
    """'Welke acties gaan over data?', 'alle doelen van 2.4': several actions or goals, not one by its number."""
    return bool(LIST_RE.search(folded)) and bool(LIST_NOUNS & set(re.findall(r"\w+", folded))) \
        and not re.search(r"\b(actie|doel)\s*\d", folded)


def question_type(question: str, aspects: set[str]) -> str:
    """The type of answer the question asks for (one of QUESTION_TYPES)."""
    folded = fold(question)
    words = tokens(question)
    if ACHIEVED_RE.search(folded) and not PLANNED_RE.search(folded):
        return "bereikt"
    if asks_for_list(folded):
        return "lijst"
    if HOW_MANY_RE.search(folded):
        return "hoeveel"
    # "mijn opa kan niet met de computer overweg, wie helpt hem?" asks where help is, not who carries out an action
    asks_for_help = bool(re.search(r"\bwie\s+(helpt|kan|gaat|moet)\s+(mij|me|hem|haar|ons|jou|je)\b", folded))
    if ("wie" in words and not asks_for_help) or re.search(r"\b(welke|welk)\s+(organisatie|organisaties|ministerie|ministeries|partij|partijen|uitvoerder)", folded) \
            or {"uitvoerder", "uitvoerders", "trekker", "verantwoordelijk"} & set(words):
        return "wie"
    if NAME_RE.search(folded):
        return "naam"
    if WHEN_WORDS & set(words) or {"resultaat_2023", "resultaat_2025"} & aspects and "resultaat" in folded:
        return "wanneer"
    # "Komt er …?", and also "mijn oma heeft geen computer, kan ze nog naar een loket?" and "ik doe onderzoek.
    # worden oude stukken openbaar?" (a clause ends at a comma, "en", "of", or a sentence's end)
    asks = question.rstrip().endswith("?")
    for n, clause in enumerate(re.split(r"[,;:]|[.!?](?=\s)|\ben\b|\bof\b", folded)):
        first = re.findall(r"(?u)\b\w+\b", clause)[:1]
        if first and (first[0] in YES_NO_VERBS or asks and n == 0 and _looks_like_finite_verb(first[0])):
            return "janee"
    return "open"


# Words that open a question without being its verb: question words, articles, pronouns, prepositions.
NON_VERB_OPENERS = frozenset(
    """wat wie waar wanneer welke welk hoe waarom hoeveel waarmee waarvoor waarover waardoor de het een mijn
    onze ons uw je jouw zijn haar hun ik jij u we wij ze zij hij er dit dat deze die in op voor door bij met
    van naar over uit om tot na zonder tegen volgens sinds""".split()
)


def _looks_like_finite_verb(word: str) -> bool:
    """An opening word of a '?' question that is not a question word and ends like a Dutch finite verb
    ("leren kinderen …?", "kijkt de overheid …?")."""
    if word in NON_VERB_OPENERS or len(word) < 3:
        return False
    from assistant.analysis import lemma  # a verb's lemma is its infinitive: "kijkt" → "kijken"; nouns are not

    return word.endswith("t") and lemma(word).endswith("en") and lemma(word) != word


# A short question that leans on the previous one ("En wie voert dat uit?").
ANAPHORA = {"dat", "dit", "die", "deze", "daarvan", "daarbij", "daaraan", "ervan", "hiervan", "hij", "ze", "zij", "het", "daar", "hem"}


@dataclass
class Intent:
    question: str
    prioriteit: str | None = None
    item: tuple[str, int] | None = None  # ("actie", 3)
    aspects: set[str] = field(default_factory=set)
    organisations: list[Organisation] = field(default_factory=list)
    follow_up: bool = False
    wants_list: bool = False  # "welke acties ..." / "alle acties"
    topic_stems: list[str] = field(default_factory=list)  # what the question is about, minus the above
    kind: str = "open"  # the question type: what the lead answers (QUESTION_TYPES)
    instruction: bool = False  # the question gives orders (INSTRUCTION_RE)


def _aspects(words: list[str]) -> set[str]:
    found = {aspect for aspect, keys in ASPECT_WORDS.items() if any(w in keys for w in words)}
    if "wanneer" in found and not found & {"resultaat_2023", "resultaat_2025"}:
        found |= {"resultaat_2023", "resultaat_2025"}
    return found


def analyse(question: str, has_history: bool = False) -> Intent:
    folded = fold(question)
    words = tokens(question)
    intent = Intent(question=question, instruction=bool(INSTRUCTION_RE.search(question)))

    code = CODE_RE.search(folded)
    if code and f"{code.group(1)}.{code.group(2)}" in PRIORITY_CODES:
        intent.prioriteit = f"{code.group(1)}.{code.group(2)}"
    item = ITEM_RE.search(folded) or ITEM_NUMBER_RE.search(folded)
    if item:
        kind = "actie" if item.group(1).startswith("actie") else "doel"
        intent.item = (kind, int(item.group(2)))

    intent.aspects = _aspects(words)
    intent.organisations = find_in_question(question)
    intent.wants_list = asks_for_list(folded)
    org_words = {w for org in intent.organisations for w in tokens(f"{org.code} {org.name} {' '.join(org.aliases)}")}
    aspect_words = {w for keys in ASPECT_WORDS.values() for w in keys}
    intent.topic_stems = [
        s for s, w in zip(content_stems(question), content_words(question))
        if w not in org_words and w not in aspect_words and not re.fullmatch(r"\d+", w)
        and w not in {"prioriteit", "prioriteiten", "programmalijn", "nummer", "uit", "bij", "aan", "mee"}
        # "Wat is de rol van de VNG?", "waar is Logius allemaal mee bezig?": what the organisation does, no topic
        and not (intent.organisations and w in ORGANISATION_ROLE_WORDS)
        # "de maatschappelijke opgave van 3.2" names a part of the priority, not a topic within it
        and not (w in ("maatschappelijke", "maatschappelijk") and "opgave" in intent.aspects)
    ]
    intent.follow_up = has_history and _looks_like_follow_up(words, intent)
    intent.kind = question_type(question, intent.aspects)
    return intent


def _looks_like_follow_up(words: list[str], intent: Intent) -> bool:
    """Leans on the previous turn: refers back, names no code of its own, and brings (almost) no topic."""
    if intent.prioriteit or intent.item:
        return False
    refers_back = bool(ANAPHORA & set(words)) or words[:1] == ["en"] or any(
        re.fullmatch(r"(daar|hier|er)(voor|mee|over|bij|aan|in|van|door|op|uit)", w) for w in words
    )
    return refers_back and len(intent.topic_stems) <= 1
