"""Extractive answer composition (no LLM): a lead sentence, the relevant facts per item, numbered sources.

Pure functions over chunks. Every sentence that states a fact ends with the [n] of the chunk it
comes from; the field texts are selected and clipped, never pasted whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.analysis import DutchAnalyzer
from assistant.intent import Intent
from assistant.models import Citation, Referral
from assistant.text import as_list, clip, content_stems, sentences
from ingest.chunking import short_title
from ingest.models import Chunk

RELATED_LEAD = "De werkagenda noemt dit niet letterlijk; dit komt het dichtst in de buurt:"
ITEM_LIMIT = 200  # characters per result item / description in a search answer
LIST_LINE_LIMIT = 260  # characters of an item's text per line in a list answer (its sources hold the rest)
# A short list may quote more of each item: "doelen van 1.3" has two, and the second names PubHubs only
# after 260 characters. The whole list stays within about this many characters of quoted text.
LIST_TEXT_BUDGET = 900
MAX_ITEMS_PER_FIELD = 2


@dataclass
class Composer:
    """Numbers citations in order of first use while the answer is written."""

    question_stems: list[str]
    citations: list[Chunk] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    quoted: dict[str, str] = field(default_factory=dict)  # chunk id → the sentence the lead quotes (unclipped)
    analyzer: DutchAnalyzer | None = None  # when set, relevance compares index terms (lemmas, compounds, typos)
    question_terms: set[str] = field(default_factory=set)

    def cite(self, chunk: Chunk) -> str:
        if chunk not in self.citations:
            self.citations.append(chunk)
        return f"[{self.citations.index(chunk) + 1}]"

    def citation_models(self) -> list[Citation]:
        return [
            Citation(
                n=i + 1, id=c.id, label=c.label, prioriteit=c.prioriteit, soort=c.soort, nummer=c.nummer,
                document=c.document, text=c.text, score=round(self.scores.get(c.id, 0.0), 4),
            )
            for i, c in enumerate(self.citations)
        ]

    def sources_block(self) -> str:
        return "\n".join(["**Bronnen**", *(f"[{i + 1}] {c.label}" for i, c in enumerate(self.citations))])

    # -- selecting what to say -----------------------------------------------------------------
    def relevance(self, text: str) -> float:
        """Share of the question's terms the text contains (the analyzer's terms when there is one)."""
        if self.analyzer is not None and self.question_terms:
            return self.analyzer.coverage(self.question_terms, set(self.analyzer.document_terms(text)))
        if not self.question_stems:
            return 0.0
        stems = set(content_stems(text))
        return sum(1 for s in set(self.question_stems) if s in stems) / len(set(self.question_stems))

    def pick_items(self, items: Sequence[str], limit: int = MAX_ITEMS_PER_FIELD) -> list[str]:
        """The items that share most with the question, in their original order."""
        ranked = sorted(range(len(items)), key=lambda i: (-self.relevance(items[i]), i))[:limit]
        return [clip(items[i], ITEM_LIMIT) for i in sorted(ranked)]

    def _best(self, text: str) -> str:
        candidates = sentences(text) or [text]
        return max(candidates, key=lambda s: (self.relevance(s), -candidates.index(s)))

    def best_sentence(self, text: str, limit: int | None = 260) -> str:
        """The sentence of `text` that shares most with the question; clipped to `limit` (None: whole)."""
        best = self._best(text)
        return " ".join(best.split()) if limit is None else clip(best, limit)

    def quote(self, chunk: Chunk, text: str) -> str:
        """The lead's quote from a chunk, whole (a lead never cuts a sentence), remembered so the item's
        bullet does not repeat it."""
        sentence = self._best(text)
        self.quoted[chunk.id] = sentence
        return " ".join(sentence.split())

    def unquoted(self, chunk: Chunk, text: str, limit: int) -> str:
        """The chunk's text minus the sentence the lead already quoted ("" when nothing is left)."""
        said = self.quoted.get(chunk.id)
        rest = [s for s in (sentences(text) or [text]) if s != said]
        return clip(" ".join(rest), limit)


NAME_TITLE_LIMIT = 45  # characters of a priority title inside an answer's sentence; the sources list has it whole


def item_name(chunk: Chunk, short: bool = False) -> str:
    """How the answer refers to a chunk: in a sentence 'actie 4 van prioriteit 2.4 (*Versterken
    cybersecurity*)'; short, for a bullet, 'Actie 4 van 2.4' (the sources list carries the full label)."""
    titel = "" if short else f" (*{short_title(chunk.prioriteit_titel, NAME_TITLE_LIMIT)}*)"
    prio = chunk.prioriteit if short else f"prioriteit {chunk.prioriteit}"
    names = {
        "actie": f"{'Actie' if short else 'actie'} {chunk.nummer} van {prio}{titel}",
        "doel": f"{'Doel' if short else 'doel'} {chunk.nummer} van {prio}{titel}",
        "opgave": f"Opgave van {prio}" if short else f"de maatschappelijke opgave van {prio}{titel}",
        "resultaten": f"Behaald in {prio}" if short else f"de behaalde resultaten van {prio}{titel}",
        "programmalijn": f"Programmalijn {chunk.programmalijn}" if short
        else f"programmalijn {chunk.programmalijn} (*{chunk.programmalijn_titel}*)",
    }
    if chunk.soort in names:
        return names[chunk.soort]
    return f"{chunk.titel}, {chunk.document_title}" if short else f"*{chunk.titel}* ({chunk.document_title})"


def join_names(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " en " + names[-1]


# -- per-item blocks ---------------------------------------------------------------------------
def item_block(composer: Composer, chunk: Chunk, intent: Intent, heading: bool = True) -> str:
    """A condensed bullet for one chunk, with the fields the question asks about."""
    ref = composer.cite(chunk)
    name = item_name(chunk)
    head = f"- **{name[0].upper()}{name[1:]}**" if heading else "-"

    def opening(text: str) -> str:
        return f"{head}: {text} {ref}" if text else f"{head} {ref}"

    f = chunk.fields
    if chunk.soort == "actie":
        lines = [opening(composer.unquoted(chunk, str(f.get("beschrijving", chunk.text)), ITEM_LIMIT))]
        wants_2023 = "resultaat_2023" in intent.aspects or not intent.aspects & {"resultaat_2025", "uitvoerders"}
        wants_2025 = "resultaat_2025" in intent.aspects or not intent.aspects & {"resultaat_2023", "uitvoerders"}
        for key, label, wanted in (("resultaat_2023", "t/m 2023", wants_2023), ("resultaat_2025", "t/m 2025", wants_2025)):
            items = as_list(f.get(key))
            if wanted and items:
                shown = composer.pick_items(items)
                rest = len(items) - len(shown)
                more = f" en nog {rest} {'resultaat' if rest == 1 else 'resultaten'} (zie bron {ref})" if rest > 0 else ""
                lines.append(f"  - Resultaat {label}: " + "; ".join(shown) + more)
        cell = f.get("uitvoerder_tekst") or join_names(as_list(f.get("uitvoerders")))
        if cell:
            lines.append(f"  - Uitvoerder: {cell}")
        return "\n".join(lines)
    if chunk.soort == "doel":
        lines = [opening(composer.unquoted(chunk, str(f.get("tekst", chunk.text)), ITEM_LIMIT + 60))]
        indicatoren = as_list(f.get("indicatoren"))
        if indicatoren:
            limit = len(indicatoren) if "indicatoren" in intent.aspects else MAX_ITEMS_PER_FIELD
            shown = composer.pick_items(indicatoren, limit)
            rest = len(indicatoren) - len(shown)
            more = f" en nog {rest} {'indicator' if rest == 1 else 'indicatoren'} (zie bron {ref})" if rest > 0 else ""
            lines.append("  - Beoogde indicatoren: " + "; ".join(shown) + more)
        return "\n".join(lines)
    if chunk.soort == "resultaten":
        items = as_list(f.get("items"))
        return opening("; ".join(composer.pick_items(items, 3)))
    if chunk.id in composer.quoted:
        return ""  # the lead already quotes this section's best sentence
    return opening(composer.best_sentence(chunk.text, 320))


def list_line(composer: Composer, chunk: Chunk, with_priority: bool, limit: int = LIST_LINE_LIMIT) -> str:
    """One line per item in list answers ("Welke acties vallen onder 2.4?")."""
    ref = composer.cite(chunk)
    text = str(chunk.fields.get("beschrijving") or chunk.fields.get("tekst") or chunk.text)
    where = f" ({chunk.prioriteit})" if with_priority else ""
    cell = chunk.fields.get("uitvoerder_tekst") or join_names(as_list(chunk.fields.get("uitvoerders"))) if chunk.soort == "actie" else ""
    who = f" — {cell}" if cell else ""  # the cell as written: "BZK (CIO Rijk)" keeps CIO Rijk
    why = ""
    if chunk.soort == "actie" and composer.relevance(text) == 0:
        # the description does not name what the list is about; the result that does says why it is listed
        results = [(key, r) for key in ("resultaat_2023", "resultaat_2025") for r in as_list(chunk.fields.get(key))]
        best = max(((composer.relevance(r), -n, key, r) for n, (key, r) in enumerate(results)), default=None)
        if best is not None and best[0] > 0:
            _, _, key, result = best
            why = f" ({'t/m 2023' if key == 'resultaat_2023' else 't/m 2025'}: {clip(result, limit)})"
    return f"- {chunk.soort.capitalize()} {chunk.nummer}{where}: {clip(text, limit)}{why}{who} {ref}"


def list_line_limit(count: int) -> int:
    return max(LIST_LINE_LIMIT, LIST_TEXT_BUDGET // max(count, 1))


# -- whole answers -----------------------------------------------------------------------------
def finish(composer: Composer, body: list[str]) -> str:
    return "\n\n".join([*(b for b in body if b), composer.sources_block()])


def answer_items(composer: Composer, intent: Intent, chunks: Sequence[Chunk]) -> str:
    """A search or look-up answer about one or a few items."""
    top = chunks[0]
    lead = lead_sentence(composer, intent, top)
    blocks = [item_block(composer, c, intent) for c in chunks]
    return finish(composer, [lead, "\n".join(b for b in blocks if b)])


def lead_sentence(composer: Composer, intent: Intent, top: Chunk) -> str:
    ref = composer.cite(top)
    name = item_name(top)
    f = top.fields
    uitvoerders = as_list(f.get("uitvoerders"))
    if "uitvoerders" in intent.aspects and top.soort == "actie" and uitvoerders:
        cell = str(f.get("uitvoerder_tekst") or join_names(uitvoerders))  # as written: "BZK (MIDO)" keeps MIDO
        return f"{name[0].upper()}{name[1:]} wordt uitgevoerd door: {cell} {ref}."
    for key, label in (("resultaat_2025", "t/m 2025"), ("resultaat_2023", "t/m 2023")):
        items = as_list(f.get(key))
        if key in intent.aspects and not ({"resultaat_2023", "resultaat_2025"} <= intent.aspects) and items:
            return f"Het beoogde resultaat {label} van {name}: {'; '.join(composer.pick_items(items, 3))} {ref}."
    if top.soort == "actie":
        return f"De werkagenda noemt hiervoor {name}: {composer.quote(top, str(f.get('beschrijving')))} {ref}"
    if top.soort == "doel":
        return f"De werkagenda stelt hierover {name}: {composer.quote(top, str(f.get('tekst')))} {ref}"
    if top.soort == "resultaten":  # its bullet lists the results themselves, no quote to repeat
        return f"Volgens {name}: {composer.best_sentence(top.text, None)} {ref}"
    return f"Volgens {name}: {composer.quote(top, top.text)} {ref}"


def answer_list(composer: Composer, lead: str, chunks: Sequence[Chunk], with_priority: bool) -> str:
    lines = [list_line(composer, c, with_priority, list_line_limit(len(chunks))) for c in chunks]
    return finish(composer, [lead, "\n".join(lines)])


def answer_grouped(composer: Composer, lead: str, chunks: Sequence[Chunk]) -> str:
    """A list across priorities: one heading per priority, one line per item, all of them."""
    body = [lead]
    for prio in dict.fromkeys(c.prioriteit for c in chunks):
        group = [c for c in chunks if c.prioriteit == prio]
        titel = short_title(group[0].prioriteit_titel, 70)
        body.append(f"**{prio} {titel}**\n" + "\n".join(list_line(composer, c, False) for c in group))
    return finish(composer, body)


INSTRUCTION_REFUSAL = (
    "Ik volg geen opdrachten die in een vraag staan: ik beantwoord alleen vragen over de werkagenda, altijd met "
    "de bronnen erbij."
)


def refusal_text(referrals: Sequence[Referral] = (), suggestions: Sequence[str] = ()) -> str:
    """The honest refusal: what the assistant covers, where to go instead, questions it does answer."""
    lines = [
        "Dat staat niet in de werkagenda. Ik beantwoord alleen vragen over de Werkagenda Waardengedreven "
        "Digitaliseren: de vijf programmalijnen en vijftien prioriteiten, hun doelen en acties, wie ze "
        "uitvoert en welke resultaten er t/m 2023 en t/m 2025 worden verwacht."
    ]
    if referrals:
        lines.append("Waar je wel terechtkunt:\n" + "\n".join(
            f"- [{r.name}]({r.url}){f' ({r.reason})' if r.reason else ''}" for r in referrals
        ))
    if suggestions:
        lines.append("Vragen die ik wel kan beantwoorden:\n" + "\n".join(f"- *{q}*" for q in suggestions))
    return "\n\n".join(lines)
