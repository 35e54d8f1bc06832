"""Answers whose shape follows the question (issue "lead with the answer"), extractive and cited.

Pure functions over search hits. The lead answers the question's type in at most two sentences,
each quoted whole from a cited chunk and ending with its [n]:
- janee: "Ja." / "Nee." / "Dat staat er niet precies in, maar …", then what is planned;
- wie: the uitvoerder cell as written (roles and parts such as "BZK (MIDO)" kept);
- wanneer: the result column asked for (t/m 2023, t/m 2025 or both);
- hoeveel / naam: the line that holds the number or the name;
- bereikt: the behaalde resultaten and what the 2023 article reports;
- open: the line that matched the question best; when that is a result or an indicator, what the action
  or goal itself says comes first.
Then at most MAX_BULLETS bullets, each from another cited chunk and each saying something new; long
lists end with a visible "en nog N …" that points to the source.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.compose import Composer, finish, item_name, join_names
from assistant.intent import Intent
from assistant.text import NAME_RE, YEAR_RE, as_list, clip
from ingest.chunking import split_sentences
from ingest.models import ChildLine, Chunk

# Two bullets, and the first may quote a second line of its chunk when that line names something (a proper
# name or a number that is not a year): result cells hold the names and numbers a question is after. On the
# four dev sets against three bullets of one line: key fact 0.796/0.736/0.835/0.682 → 0.806/0.745/0.835/0.706,
# median answer 682/642/661/624 → 684/650/673/616 characters. A second line of any kind gave the same key
# facts at +2 to +56 characters; the best named line instead of the best line, the same at +9 to +15; three
# bullets with the named second line, more key facts at +30 to +75.
MAX_BULLETS = 2
FIRST_BULLET_LINES = 2
# A yes/no answer never leads with a goal's indicator ("% mensen met een digitale hulpvraag …", "Aantal
# alternatieven voor DigiD …") when the goal states the plan itself: an indicator measures a plan, it does
# not state it (see lead_yes_no). On the three dev sets: key fact unchanged, 8 leads changed; demoting
# every line that is not a statement (result cells too) instead made 14 leads worse.
BULLET_LIMIT = 200  # characters of one bullet's quoted line (bullets may be clipped, leads never)
MAX_LEAD_ITEMS = 5  # result items shown in a lead before "en nog N"; most cells hold 1 to 5
# "geen" and "nooit" deny the claim itself ("We passen geen gezichtsherkenning toe …"); "niet" mostly sits in
# a side clause ("burgers die niet digitaal kunnen …") and would turn a plain yes into a no.
NEGATION_RE = re.compile(r"\b(geen|nooit)\b", re.IGNORECASE)
# A plan to look into something is no plain plan to do it: "Komt er een helpdesk?" — "Verkenning nut en
# noodzaak van een helpdesk privacy" is not a yes. Only when the line opens with it: "Aanbieden eigen domein
# (…, met AZ loopt een verkenning over de exacte extensie)" plainly plans the domain.
EXPLORATION_RE = re.compile(r"^\W*(verkenn\w*|onderzoek\w*|nut\s+en\s+noodzaak|haalbaarheid\w*|bezien)\b", re.IGNORECASE)
EXPLORATION_ASKED_RE = re.compile(r"\b(verkenn\w*|onderzo\w*|nut\s+en\s+noodzaak|haalbaarheid\w*|bekeken|bezien)\b", re.IGNORECASE)
# "Mogen platforms nog reclame op kinderen richten?" — "Kindermarketing online is … verboden": a permission asked,
# a prohibition stated, so the answer is no. "Mag een bedrijf zomaar …?" — "… moeten een CE-markering hebben":
# "zomaar" supposes no conditions, and a stated condition answers no.
PERMISSION_RE = re.compile(r"\b(mag|mogen|kan|kunnen|blijft|blijven)\b", re.IGNORECASE)
PROHIBITION_RE = re.compile(r"\b(verboden|verbod|niet\s+toegestaan|niet\s+langer|niet\s+meer)\b", re.IGNORECASE)
CONDITION_RE = re.compile(r"\b(moet|moeten|verplicht|voorwaarden?|toestemming|grondslag|CE-markering|toets\w*)\b", re.IGNORECASE)
NUMBER_RE = re.compile(r"\d")
# Words that ask after the actors beside the "uitvoerders" aspect ("Welke diensten zijn betrokken …?").
ACTOR_RE = re.compile(r"\b(diensten|departement\w*|uitvoeringsorganisatie\w*|instanties|partijen|samen\s+met)\b", re.IGNORECASE)
LIST_ITEM_RE = re.compile(r"(?:^|\n)\s*[-•]\s+")  # a list item's marker at the start of a line
COUNT_FILLERS = frozenset("er zijn is worden de het een van wat nu al in op".split())
NAME_WORDS_RE = re.compile(
    r"\b(wet|wetten|wetsvoorstel|programma|regeling|richtlijn|verordening|strategie|platform|netwerk|"
    r"instrument|standaard|norm|handreiking|raad|coalitie|centrum|toolbox|kader|convenant|agenda|pilot|register)",
    re.IGNORECASE,
)
# Lines that name something: a capitalised word inside the line, an abbreviation or a name word.
PROPER_NAME_RE = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][\w-]{2,}|\b[A-Z]{2,}\b")


@dataclass
class Line:
    chunk: Chunk
    field: str  # "beschrijving", "resultaat_2023", "resultaat_2025", "indicatoren", "items", "tekst", ...
    text: str


FIELD_ORDER = {
    "actie": ("beschrijving", "resultaat_2023", "resultaat_2025", "notes"),
    "doel": ("tekst", "items", "indicatoren", "notes"),
    "resultaten": ("items",),
    "opgave": ("tekst",),
    "programmalijn": ("intro",),
    "sectie": ("tekst",),
}
STATEMENT_FIELDS = ("tekst", "items", "beschrijving")  # what a goal or action itself says (not its indicators)
FIELD_LABELS = {"resultaat_2023": "resultaat t/m 2023", "resultaat_2025": "resultaat t/m 2025", "indicatoren": "beoogde indicator"}


def lines_of(chunk: Chunk) -> list[Line]:
    """The quotable lines of a chunk: list items whole, free text at its sentences."""
    out: list[Line] = []
    for key in FIELD_ORDER.get(chunk.soort, ("tekst",)):
        value = chunk.fields.get(key) or (chunk.text if key == "tekst" and chunk.soort == "sectie" else "")
        # Free text at its sentences, and at its "- " list items first: joined, an item's unpunctuated end
        # ran into the next item ("… misliepen - Uit onderzoek …") and the marker leaked into the answer.
        items = value if isinstance(value, list) else [s for part in LIST_ITEM_RE.split(value) for s in split_sentences(part)] if value else []
        for item in items:
            text = " ".join(str(item).split())
            if key in ("tekst", "intro") and text.lower().startswith("behaalde resultaten"):
                continue
            if len(text) >= 12:
                out.append(Line(chunk, key, text))
    return out or [Line(chunk, "tekst", " ".join(chunk.text.split()))]


def no_tie(_line: Line) -> float:
    return 0.0


def best_line(composer: Composer, chunk: Chunk, child: ChildLine | None = None, want=None, skip: set[str] = frozenset(),
              tie=no_tie) -> Line | None:
    """The line of the chunk that answers best: the child search matched, else the most relevant one
    (among those `want` accepts); on ties the higher `tie`, then the earlier line."""
    candidates = [ln for ln in lines_of(chunk) if ln.text not in skip and (want is None or want(ln))]
    if not candidates:
        return None
    if child is not None:
        matched = next((ln for ln in candidates if ln.text == " ".join(child.text.split())), None)
        if matched is not None and composer.relevance(matched.text) >= 0.5 * max(composer.relevance(c.text) for c in candidates):
            return matched
    return max(candidates, key=lambda ln: (composer.relevance(ln.text), tie(ln), -candidates.index(ln)))


def names_something(text: str) -> bool:
    """Does the line hold a proper name ("Gamewijzer", "MDTO") or a number that is not a year?"""
    # "in 2023" counts nothing: a count is a number once the years are out
    return bool(PROPER_NAME_RE.search(text) or NUMBER_RE.search(YEAR_RE.sub("", text)))


def sentence(text: str) -> str:
    """A quoted line as a sentence of the answer: whole, with a closing full stop before its [n]."""
    text = text.strip().rstrip(";,:")
    return text if text.endswith((".", "!", "?", "…")) else text


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def more_marker(rest: int, what: str, ref: str) -> str:
    return f" en nog {rest} {what} (zie bron {ref})" if rest > 0 else ""


def items_phrase(composer: Composer, items: Sequence[str], ref: str, complete: bool, what: str = "resultaten") -> str:
    """Items joined with "; ", all of them when asked (complete), else the most relevant few plus "en nog N"."""
    if complete or len(items) <= MAX_LEAD_ITEMS:
        return "; ".join(sentence(i).rstrip(".") for i in items)
    ranked = sorted(range(len(items)), key=lambda i: (-composer.relevance(items[i]), i))[:MAX_LEAD_ITEMS]
    shown = [sentence(items[i]).rstrip(".") for i in sorted(ranked)]
    return "; ".join(shown) + more_marker(len(items) - len(shown), what, ref)


# -- leads per question type -------------------------------------------------------------------
# What was done, listed item by item (a priority's behaalde resultaten), can answer "yes" as a plan can. An
# article section is narrative, and the yes of a sentence from it is not plain: it still gets the cautious lead.
REPORTED = ("resultaten",)
SINCE_RE = re.compile(r"\b(sinds|vanaf)\s+wanneer\b|\bhoe\s+lang\s+al\b")


def first_of(hits: Sequence[tuple[Chunk, ChildLine | None]], soorten: tuple[str, ...], within: int = 3):
    return next(((c, child) for c, child in hits[:within] if c.soort in soorten), (None, None))


def lead_yes_no(composer: Composer, intent: Intent, hits, outcome: str) -> tuple[str, set[str]]:
    """ "Ja. …" only when a cited goal or action plainly states the plan; "Nee. …" when the line
    that answers says the opposite of what the question supposes; else "Dat staat er niet precies in"."""
    top, child = hits[0]
    plan, plan_child = first_of(hits, ("doel", "actie"), within=3)
    if outcome != "related" and top.soort in REPORTED:
        # What was already achieved answers "yes" as plainly as a plan does ("Mogen platforms nog reclame op
        # kinderen richten?": the DSA's ban is a behaald resultaat), when it meets the question better (a tie: the plan).
        done = best_line(composer, top, child)
        planned = best_line(composer, plan, plan_child) if plan is not None else None
        if done is not None and composer.relevance(done.text) > 0 and (
            planned is None or composer.relevance(done.text) > composer.relevance(planned.text)
        ):
            return f"{yes_or_no(intent.question, done.text)}, volgens {item_name(top)}: {sentence(done.text)} {composer.cite(top)}", {done.text}
    if plan is None or outcome == "related":
        line = best_line(composer, top, child)
        ref = composer.cite(top)
        return f"Dat staat er niet precies in, maar volgens {item_name(top)}: {sentence(line.text)} {ref}", {line.text}
    line = best_line(composer, plan, plan_child)
    statement = stated_first(composer, plan, plan_child, line)  # None when the line is a statement already
    step_first = None
    if statement is not None and (line.field == "indicatoren" or composer.relevance(statement.text) >= composer.relevance(line.text)):
        line = statement  # an indicator never leads; on a tie, what the goal or action itself says
    elif statement is not None:
        step_first, line = line, statement
    ref = composer.cite(plan)
    fits = step_first or line  # the line that meets the question best
    if EXPLORATION_RE.search(fits.text) and not EXPLORATION_ASKED_RE.search(intent.question):
        # "Verkenning nut en noodzaak van een helpdesk privacy": whether it comes is still being looked into
        return (f"Dat staat er niet precies in: het wordt eerst onderzocht. Volgens {item_name(plan)}: "
                f"{sentence(fits.text)} {ref}", {fits.text})
    lead = f"{yes_or_no(intent.question, line.text)}. {cap(sentence(line.text))} {ref}"
    said = {line.text}
    if plan.soort == "doel":  # what is planned for it: the best action that follows
        step = goal_step(composer, plan, hits, said)
        lead += step
        if not step:
            # no action among the hits: the goal's indicator, when it names how the goal is followed
            # ("Jaarlijkse rapportage Meldpunt Fouten in Overheidsregistraties naar Tweede Kamer")
            measure = next((i for i in as_list(plan.fields.get("indicatoren")) if PROPER_NAME_RE.search(i) and i not in said), None)
            if measure is not None:
                lead += f" Dat wordt gevolgd met: {sentence(measure)} {ref}"
                said.add(measure)
    elif step_first is not None:
        lead += f" {follow_up_label(step_first)}: {sentence(step_first.text)} {ref}"
        said.add(step_first.text)
    else:
        lead += named_result(composer, plan, line, said, ref)
    return lead, said


def goal_step(composer: Composer, goal: Chunk, hits, said: set[str]) -> str:
    """ " Daarvoor (actie N, …): …", the best line of the first action among the hits, or "" (added to `said`).
    Only an action of the goal's own priority: "Daarvoor (actie 4)" of another priority would tie the goal to
    a plan that is not its own."""
    action, action_child = first_of([(c, ch) for c, ch in hits if c.prioriteit == goal.prioriteit], ("actie",))
    if action is None:
        return ""
    step = best_line(composer, action, action_child, want=lambda ln: ln.field != "notes")
    if step is None:
        return ""
    where = f"actie {action.nummer}" + (f", {FIELD_LABELS[step.field]}" if step.field in FIELD_LABELS else "")
    said.add(step.text)
    return f" Daarvoor ({where}): {sentence(step.text)} {composer.cite(action)}"


def yes_or_no(question: str, line: str) -> str:
    """ "Ja" or "Nee" for a yes/no question answered by `line` (which plainly states a plan or a result)."""
    if NEGATION_RE.search(line) and not NEGATION_RE.search(question):
        return "Nee"
    if PERMISSION_RE.search(question) and PROHIBITION_RE.search(line) and not PROHIBITION_RE.search(question):
        return "Nee"
    if re.search(r"\bzomaar\b", question, re.IGNORECASE) and CONDITION_RE.search(line):
        return "Nee, niet zomaar"
    return "Ja"


def named_result(composer: Composer, chunk: Chunk, line: Line, said: set[str], ref: str) -> str:
    """After an action's description: " Daarvoor (resultaat t/m …): …", the relevant result that names what
    comes (a name, a count), or "" (added to `said`)."""
    if chunk.soort != "actie" or line.field not in STATEMENT_FIELDS:
        return ""
    step = best_line(composer, chunk, None, skip=said, want=lambda ln: ln.field in ("resultaat_2023", "resultaat_2025"))
    if step is None or composer.relevance(step.text) <= 0 or not names_something(step.text):
        return ""
    said.add(step.text)
    return f" Daarvoor ({FIELD_LABELS[step.field]}): {sentence(step.text)} {ref}"


def lead_who(composer: Composer, intent: Intent, hits) -> tuple[str, set[str]] | None:
    action, _ = first_of(hits, ("actie",))
    if action is None:
        return None
    cell = str(action.fields.get("uitvoerder_tekst") or join_names(as_list(action.fields.get("uitvoerders"))))
    if not cell:
        return None
    ref = composer.cite(action)
    lead = f"{cap(item_name(action))} wordt uitgevoerd door: {cell} {ref}"
    said: set[str] = set()
    # "Wie voert het uit en wat is er t/m 2023 voorzien?" asks for the column too; it then takes the place
    # of the action's description (which the source card shows in full).
    columns = [k for k in ("resultaat_2023", "resultaat_2025") if k in intent.aspects and as_list(action.fields.get(k))]
    if columns:
        parts = [f"{FIELD_LABELS[k]}: {items_phrase(composer, as_list(action.fields.get(k)), ref, False)}" for k in columns]
        for k in columns:
            said.update(as_list(action.fields.get(k)))
        return f"{lead}. {cap(' — '.join(parts))} {ref}", said
    what = best_line(composer, action, None, want=lambda ln: ln.field == "beschrijving")
    if what is not None:
        lead += f". Die actie: {sentence(what.text)} {ref}"
        said.add(what.text)
    return lead, said


def lead_when(composer: Composer, intent: Intent, hits, complete: bool) -> tuple[str, set[str]] | None:
    top, _ = hits[0]
    if top.soort == "resultaten" and SINCE_RE.search(intent.question.lower()):
        # "Sinds wanneer geldt de Woo?" asks for a date in the past: a behaald resultaat, not a result column
        return lead_line(composer, hits[:1], lambda ln: True)
    action, _ = first_of(hits, ("actie",))
    if action is None:
        return None
    ref = composer.cite(action)
    wanted = [k for k in ("resultaat_2023", "resultaat_2025") if k in intent.aspects] or ["resultaat_2023", "resultaat_2025"]
    parts, said = [], set()
    for key in wanted:
        items = as_list(action.fields.get(key))
        if items:
            parts.append(f"{FIELD_LABELS[key]}: {items_phrase(composer, items, ref, complete)}")
            said.update(items)
    if not parts:
        return None
    return f"{cap(item_name(action))}, {' — '.join(parts)} {ref}", said


def lead_line(composer: Composer, hits, want, prefix: str = "Volgens", tie=no_tie) -> tuple[str, set[str]] | None:
    """The best line (among those `want` accepts) of the first three hits, quoted whole."""
    best: tuple[float, int, Line] | None = None
    for rank, (chunk, child) in enumerate(hits[:3]):
        line = best_line(composer, chunk, child, want=want, tie=tie)
        if line is not None:
            key = (composer.relevance(line.text) - 0.15 * rank, -rank, line)
            if best is None or key[:2] > best[:2]:
                best = key
    if best is None:
        return None
    line = best[2]
    ref = composer.cite(line.chunk)
    where = f"{item_name(line.chunk)}" + (f" ({FIELD_LABELS[line.field]})" if line.field in FIELD_LABELS else "")
    return f"{prefix} {where}: {sentence(line.text)} {ref}", {line.text}


def dutch_number(text: str) -> float:
    """ "17" → 17, "50.000" → 50000, "2,5" → 2.5; 0 for what is no number ("2,5,6")."""
    try:
        return float(text.rstrip(".,").replace(".", "").replace(",", "."))
    except ValueError:
        return 0.0


def counted_word(question: str) -> str:
    """What a "hoeveel" question counts: the first word after "hoeveel" that is not a filler
    ("Hoeveel prioriteiten telt …" → "prioriteiten"; "Hoeveel mensen hebben er …" → "mensen")."""
    words = re.findall(r"(?u)\b\w+\b", question.lower())
    for i, word in enumerate(words[:-1]):
        if word in ("hoeveel", "aantal"):
            rest = [w for w in words[i + 1:] if w not in COUNT_FILLERS]
            return rest[0] if rest else ""
    return ""


def lead_count(composer: Composer, intent: Intent, hits) -> tuple[str, set[str]] | None:
    """ "Hoeveel …": the line where a number counts what the question counts ("17 prioriteiten"), else a
    line with a number that is not a year, else any line with a digit."""
    word = counted_word(intent.question)
    stem = word[:max(4, len(word) - 3)] if word else ""
    counts = re.compile(rf"\b(\d[\d.,]*)\s+(?:\w+\s+)?{re.escape(stem)}", re.IGNORECASE) if stem else None

    def largest_count(line: Line) -> float:
        # Two lines count the same thing ("nu 2 prioriteiten" of one spoor, "17 prioriteiten" in all): a
        # "hoeveel" question asks for the whole, the larger number
        return max((dutch_number(n) for n in counts.findall(line.text)), default=0.0)

    for want, tie in (
        ((lambda ln: bool(counts.search(ln.text))), largest_count) if counts else (None, None),
        (lambda ln: bool(NUMBER_RE.search(YEAR_RE.sub("", ln.text))), no_tie),
        (lambda ln: bool(NUMBER_RE.search(ln.text)), no_tie),
    ):
        if want is not None and (lead := lead_line(composer, hits, want, tie=tie)) is not None:
            return lead
    return None


def lead_section(composer: Composer, section: Chunk, child: ChildLine | None) -> tuple[str, set[str]]:
    """A free-text section (the 2023 article) answers with its two most relevant sentences, in the
    section's own order: its first sentence is often an introduction, the fact stands further on."""
    candidates = lines_of(section)
    ranked = sorted(range(len(candidates)), key=lambda i: (-composer.relevance(candidates[i].text), i))[:2]
    matched = next((i for i, ln in enumerate(candidates) if child is not None and ln.text == " ".join(child.text.split())), None)
    if matched is not None and matched not in ranked:
        ranked = [matched, ranked[0]] if ranked else [matched]
    chosen = [candidates[i].text for i in sorted(set(ranked))]
    ref = composer.cite(section)
    return f"Volgens {item_name(section)}: {' '.join(sentence(t) for t in chosen)} {ref}", set(chosen)


def lead_open(composer: Composer, hits) -> tuple[str, set[str]]:
    top, child = hits[0]
    if top.soort == "sectie":
        return lead_section(composer, top, child)
    line = best_line(composer, top, child)
    ref = composer.cite(top)
    statement = stated_first(composer, top, child, line)
    if statement is not None:
        return (f"Volgens {item_name(top)}: {sentence(statement.text)} {ref} "
                f"{follow_up_label(line)}: {sentence(line.text)} {ref}", {statement.text, line.text})
    where = item_name(top) + (f" ({FIELD_LABELS[line.field]})" if line.field in FIELD_LABELS else "")
    return f"Volgens {where}: {sentence(line.text)} {ref}", {line.text}


def stated_first(composer: Composer, chunk: Chunk, child: ChildLine | None, line: Line) -> Line | None:
    """What an action or goal itself says, when the line that fits best is one of its results or indicators.
    "Probeert de overheid ICT'ers binnen te halen?": "Uniforme IT-kwaliteitsprofielen …" (a result t/m 2023) is
    a step towards "Aantrekken van i-professionals en jong talent …", which is the answer; the step follows it.
    On the six dev sets: key fact 0.802 → 0.817 (8 answers gained the fact, none lost one), median answer
    675 → 693 characters."""
    if chunk.soort not in ("actie", "doel") or line.field in STATEMENT_FIELDS:
        return None
    return best_line(composer, chunk, child, want=lambda ln: ln.field in STATEMENT_FIELDS)


def follow_up_label(line: Line) -> str:
    return f"Daarvoor ({FIELD_LABELS[line.field]})" if line.field.startswith("resultaat") else "Dat wordt gevolgd met"


# -- bullets -----------------------------------------------------------------------------------
def bullet(composer: Composer, intent: Intent, chunk: Chunk, child: ChildLine | None, said: set[str], lines: int = 1,
           who: bool = True) -> str:
    """One bullet for a cited chunk: its best line not yet said, and for an action (`who`) who carries it out."""
    ref = composer.cite(chunk)
    line = best_line(composer, chunk, child, skip=said)
    name = item_name(chunk, short=True)
    parts = [f"- **{name}**"]
    if line is not None:
        label = f"{FIELD_LABELS[line.field]}: " if line.field in FIELD_LABELS else ""
        text = clip(line.text, BULLET_LIMIT)
        said.add(line.text)
        if lines > 1:  # the first bullet may add a line that names something (see MAX_BULLETS)
            second = best_line(composer, chunk, None, skip=said)
            if second is not None and composer.relevance(second.text) > 0 and names_something(second.text):
                second_label = f"{FIELD_LABELS[second.field]}: " if second.field in FIELD_LABELS and second.field != line.field else ""
                text = f"{text.rstrip('.')}; {second_label}{clip(second.text, BULLET_LIMIT)}"  # no ".;"
                said.add(second.text)
        parts.append(f": {label}{text} {ref}")
    else:
        parts.append(f" {ref}")
    cell = chunk.fields.get("uitvoerder_tekst") if chunk.soort == "actie" else ""
    if cell and who and intent.kind != "wie":
        parts.append(f" (uitvoerder: {cell})")
    return "".join(parts)


def asks_about_actors(intent: Intent) -> bool:
    """Does the question ask who does something, or name an organisation? Only then does a bullet say who
    carries its action out: elsewhere the cell was ~40 characters that answered nothing asked."""
    return ("uitvoerders" in intent.aspects or bool(intent.organisations) or bool(ACTOR_RE.search(intent.question))
            or bool(NAME_RE.search(intent.question)))  # "KOOP", "RvIG": an organisation the question names


def supports(composer: Composer, chunk: Chunk, child: ChildLine | None, said: set[str]) -> bool:
    """Does the chunk say something new, and does it (or its priority's title) share a word with the question?"""
    line = best_line(composer, chunk, child, skip=said)
    return line is not None and (composer.relevance(line.text) > 0 or composer.relevance(chunk.embed_text) >= 0.5)


def answer_results(composer: Composer, results: Chunk, titel: str) -> str:
    """A priority's behaalde resultaten when the question asks for exactly them: all items, one bullet each."""
    items = as_list(results.fields.get("items"))
    lead = (f"Bij prioriteit {results.prioriteit} (*{titel}*) noemt de werkagenda {len(items)} behaalde "
            f"{'resultaat' if len(items) == 1 else 'resultaten'} {composer.cite(results)}:")
    return finish(composer, [lead, "\n".join(f"- {sentence(item)}" for item in items)])


def answer_opgave(composer: Composer, opgave: Chunk, titel: str) -> str:
    """A priority's maatschappelijke opgave when the question asks for exactly that: the whole text, its
    list items as bullets (the sources panel has the same text; a quote of one sentence left out what was asked)."""
    lead = f"De maatschappelijke opgave van prioriteit {opgave.prioriteit} (*{titel}*) {composer.cite(opgave)}:"
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", opgave.text) if p.strip()]
    body = []
    for paragraph in paragraphs:
        items = [i.strip() for i in re.split(r"(?:^|\s)- ", paragraph) if i.strip()]
        body.append("\n".join(f"- {sentence(i)}" for i in items) if paragraph.startswith("- ") else paragraph)
    return finish(composer, [lead, *body])


def lead_indicators(composer: Composer, hits) -> tuple[str, set[str]] | None:
    """The goal whose indicator fits the question best, with all its indicators: a goal has one to three,
    and the one that fits best is often not the only one asked for ("welke streefwaarden gelden …")."""
    lead = lead_line(composer, hits, lambda ln: ln.field == "indicatoren")
    if lead is None:
        return None
    quoted = next(iter(lead[1]))
    goal = next((c for c, _ in hits[:3] if quoted in as_list(c.fields.get("indicatoren"))), None)
    indicators = as_list(goal.fields.get("indicatoren")) if goal is not None else []
    if len(indicators) < 2:
        return lead
    name = item_name(goal)
    text = (f"{name[0].upper()}{name[1:]} heeft {len(indicators)} beoogde indicatoren {composer.cite(goal)}:\n"
            + "\n".join(f"- {sentence(i)}" for i in indicators))
    return text, set(indicators)


def typed_lead(composer: Composer, intent: Intent, hits, outcome: str, complete_lists: bool) -> tuple[str, set[str]] | None:
    """The lead the question's type asks for, or None when no hit has such a line (then: lead_open)."""
    kind = intent.kind
    if "indicatoren" in intent.aspects and kind in ("open", "naam", "hoeveel"):
        # "Met welke indicator wordt gemeten of …?": a goal's beoogde indicator, not the goal's statement
        if (lead := lead_indicators(composer, hits)) is not None:
            return lead
    if kind == "janee":
        return lead_yes_no(composer, intent, hits, outcome)
    if kind == "wie":
        return lead_who(composer, intent, hits)
    if kind == "wanneer":
        return lead_when(composer, intent, hits, complete_lists)
    if kind == "hoeveel":
        return lead_count(composer, intent, hits)
    if kind == "naam":
        return lead_line(composer, hits, lambda ln: bool(NAME_WORDS_RE.search(ln.text) or PROPER_NAME_RE.search(ln.text)))
    return None


def answer(composer: Composer, intent: Intent, hits: Sequence[tuple[Chunk, ChildLine | None]], outcome: str,
           complete_lists: bool = False) -> str:
    """The whole extractive answer for search hits (best first): a typed lead, then bullets."""
    text, said = typed_lead(composer, intent, hits, outcome, complete_lists) or lead_open(composer, hits)
    bullets = []
    who_asked = asks_about_actors(intent)
    for rank, (chunk, child) in enumerate(hits):
        if len(bullets) >= MAX_BULLETS:
            break
        if rank > 0 and chunk not in composer.citations and not supports(composer, chunk, child, said):
            continue  # padding: nothing in it meets the question
        if chunk in composer.citations and all(ln.text in said for ln in lines_of(chunk)):
            continue
        if chunk in composer.citations and chunk.soort not in ("actie", "sectie"):
            continue  # the lead already quotes this chunk; a bullet would repeat it (an action or a long
            # section still has more to say: another result, the next relevant sentence)
        # Who carries it out, for the first action only: on the dev sets the later ones added ~50 characters
        # each (median answer 687 → 675 on dev) and the key fact in no answer.
        b = bullet(composer, intent, chunk, child, said, lines=FIRST_BULLET_LINES if not bullets else 1,
                   who=who_asked and not any("(uitvoerder: " in x for x in bullets))
        if b:
            bullets.append(b)
    return finish(composer, [text, "\n".join(bullets)])
