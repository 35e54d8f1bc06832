"""Composition on real chunks from the parse (no index): typed leads, bullets, lists, citations.

Every answer is checked for the rules that hold whatever the question: the lead is never clipped and
ends with its [n], every bullet cites, every [n] resolves to a listed source and every source is cited.
"""

from __future__ import annotations

import re

import pytest

from assistant import compose, leads
from assistant.intent import analyse
from tests.unit_corpus import by_id, composer_for, parents

CITE = re.compile(r"\[(\d+)\]")
ITEM_TITLE = re.compile(r"\(\*[^*]*\*\)|\*[^*]+\*")  # "(*Versterken …*)": a priority title, shortened on purpose


def check_rules(text: str, composer: compose.Composer) -> str:
    """The answer's lead, after asserting the rules every extractive answer keeps."""
    body, _, sources = text.partition("\n\n**Bronnen**\n")
    lead = body.split("\n\n")[0]
    assert "…" not in ITEM_TITLE.sub("", lead), f"the lead cuts a quote: {lead}"
    assert re.search(r"\[\d+\]\.?$", lead), f"the lead's last sentence carries no [n]: {lead}"
    assert re.split(r"\[\d+\]\.?", lead)[-1] == ""
    bullets = [line for line in body.splitlines() if line.startswith("- ")]
    assert len(bullets) <= leads.MAX_BULLETS and all(CITE.search(b) for b in bullets), bullets
    numbers = {int(n) for n in CITE.findall(body)}
    assert numbers == set(range(1, len(composer.citations) + 1)), "every [n] is a source and every source is cited"
    assert sources.splitlines() == [f"[{i + 1}] {c.label}" for i, c in enumerate(composer.citations)]
    return lead


def answer(question: str, ids: list[str], outcome: str = "covered", complete: bool = False) -> tuple[str, str, compose.Composer]:
    composer = composer_for(question)
    text = leads.answer(composer, analyse(question), [(by_id()[i], None) for i in ids], outcome, complete_lists=complete)
    return text, check_rules(text, composer), composer


# question, hits (best first), outcome → how the lead opens, and a fact it holds
LEADS = [
    ("Komt er een digitale identiteitswallet?", ["wwd-2022:3.2:doel:3", "wwd-2022:3.2:actie:7"], "covered",
     "Ja. ", "Daarvoor (actie 7)"),
    ("Krijgen scholen hulp bij digitale geletterdheid?", ["wwd-2022:1.1:doel:1", "wwd-2022:1.1:actie:5"], "covered",
     "Ja. ", "Scholen in het funderend onderwijs"),
    ("Mag de overheid zomaar gezichtsherkenning gebruiken?", ["wwd-2022:2.2:doel:1"], "covered",
     "Nee. ", "geen gezichtsherkenning"),
    ("Komt er een wallet voor mijn rijbewijs?", ["wwd-2022:3.2:doel:3"], "related",
     "Dat staat er niet precies in, maar volgens doel 3 van prioriteit 3.2", "ID-wallet"),
    ("Is desinformatie een probleem?", ["wwd-jaar-onderweg:desinformatie"], "covered",
     "Dat staat er niet precies in, maar volgens *Desinformatie*", "desinformatie"),  # no goal or action: no "Ja"
    ("Wie voert actie 5 van 1.2 uit?", ["wwd-2022:1.2:actie:5"], "covered",
     "Actie 5 van prioriteit 1.2 (*", "wordt uitgevoerd door: BZK (MIDO), andere departementen"),
    ("Wie werkt aan de ID-wallet?", ["wwd-2022:3.2:doel:3", "wwd-2022:3.2:actie:7"], "covered",
     "Actie 7 van prioriteit 3.2", "wordt uitgevoerd door: BZK, AT, wallet aanbieder partijen + dienstverleners [1]"),
    ("Wanneer is de wallet klaar?", ["wwd-2022:3.2:actie:7"], "covered",
     "Actie 7 van prioriteit 3.2", "resultaat t/m 2023: Eerste stelselarchitectuur opgesteld"),
    ("Hoeveel Nederlanders hebben onvoldoende digitale vaardigheden?", ["wwd-2022:1.1:opgave"], "covered",
     "Volgens de maatschappelijke opgave van prioriteit 1.1", "3 miljoen Nederlanders"),  # of two equal counts, the larger
    ("Welke wet regelt de openbaarheid van overheidsinformatie?", ["wwd-2022:4.1:doel:1", "wwd-2022:4.1:actie:3"], "covered",
     "Volgens actie 3 van prioriteit 4.1", "Wet open overheid (Woo)"),  # the line that names the law, not the goal
    ("Wat doet het kabinet aan cybersecurity?", ["wwd-2022:2.4:opgave", "wwd-2022:2.4:doel:1", "wwd-2022:2.4:actie:4"],
     "covered", "Volgens de maatschappelijke opgave van prioriteit 2.4", "digitale weerbaarheid"),
    ("Wat is er in 2023 bereikt met desinformatie?", ["wwd-jaar-onderweg:desinformatie"], "covered",
     "Volgens *Desinformatie* (De werkagenda: een jaar onderweg)", "Tweede Kamerverkiezingen"),
]


@pytest.mark.parametrize(("question", "ids", "outcome", "opening", "fact"), LEADS)
def test_typed_leads(question, ids, outcome, opening, fact):
    _, lead, _ = answer(question, ids, outcome)
    assert lead.startswith(opening) and fact in lead, lead


def test_the_bullets_do_not_repeat_the_lead():
    text, lead, _ = answer("Wat doet het kabinet aan cybersecurity?",
                           ["wwd-2022:2.4:opgave", "wwd-2022:2.4:doel:1", "wwd-2022:2.4:actie:4"])
    quote = lead.split(": ", 1)[1].rsplit(" [", 1)[0]
    assert text.count(quote) == 1
    assert "(uitvoerder: " not in text  # the question does not ask who: the cell would answer nothing asked


@pytest.mark.parametrize("question", ["Wat doen BZK en AZ aan cybersecurity?", "Wat doen de departementen aan cybersecurity?"])
def test_a_bullet_says_who_carries_an_action_out_when_the_question_asks_after_actors(question):
    text, _, _ = answer(question, ["wwd-2022:2.4:opgave", "wwd-2022:2.4:doel:1", "wwd-2022:2.4:actie:4"])
    assert "(uitvoerder: BZK, AZ)" in text


ACTIONS = [c for c in parents() if c.soort == "actie"]


def test_every_who_lead_names_the_uitvoerder_cell_as_written():
    """All 102 actions of the agenda: the lead opens with the action and its cell, roles kept."""
    for action in ACTIONS:
        cell = action.fields["uitvoerder_tekst"]
        _, lead, _ = answer("Wie voert deze actie uit?", [action.id])
        name = compose.item_name(action)
        assert lead.startswith(f"{name[0].upper()}{name[1:]} wordt uitgevoerd door: {cell} [1]"), lead


def test_long_result_columns_end_with_how_many_are_left():
    """Every action with more result items than a lead shows: "en nog N resultaten", or all when asked."""
    long = [a for a in ACTIONS if len(a.fields["resultaat_2023"]) > leads.MAX_LEAD_ITEMS]
    long += [a for a in ACTIONS if len(a.fields["resultaat_2025"]) > leads.MAX_LEAD_ITEMS]
    assert long
    for action in long:
        key = "resultaat_2023" if len(action.fields["resultaat_2023"]) > leads.MAX_LEAD_ITEMS else "resultaat_2025"
        question = f"Wat moet er t/m {key[-4:]} klaar zijn?"
        rest = len(action.fields[key]) - leads.MAX_LEAD_ITEMS
        _, lead, _ = answer(question, [action.id])
        assert lead.endswith(f"en nog {rest} resultaten (zie bron [1]) [1]"), lead
        _, complete, _ = answer(question, [action.id], complete=True)
        assert "en nog" not in complete and all(i.rstrip(".") in complete for i in action.fields[key])


@pytest.mark.parametrize("key", ["resultaat_2023", "resultaat_2025"])
def test_an_item_block_shows_two_results_and_counts_the_rest(key):
    intent = analyse(f"Wat moet er t/m {key[-4:]} klaar zijn?")
    for action in (a for a in ACTIONS if len(a.fields[key]) > compose.MAX_ITEMS_PER_FIELD):
        block = compose.item_block(composer_for(intent.question), action, intent)
        rest = len(action.fields[key]) - compose.MAX_ITEMS_PER_FIELD
        word = "resultaat" if rest == 1 else "resultaten"
        assert f"en nog {rest} {word} (zie bron [1])" in block and f"Uitvoerder: {action.fields['uitvoerder_tekst']}" in block


def test_indicators_are_all_shown_when_asked_and_counted_otherwise():
    goals = [c for c in parents() if c.soort == "doel" and len(c.fields["indicatoren"]) > compose.MAX_ITEMS_PER_FIELD]
    assert goals
    for goal in goals:
        asked = analyse("Wat zijn de indicatoren van dit doel?")
        every = compose.item_block(composer_for(asked.question), goal, asked)
        assert "en nog" not in every and every.count("; ") >= len(goal.fields["indicatoren"]) - 1
        other = analyse("Wat is het doel?")
        rest = len(goal.fields["indicatoren"]) - compose.MAX_ITEMS_PER_FIELD
        assert f"en nog {rest} indicator" in compose.item_block(composer_for(other.question), goal, other)


@pytest.mark.parametrize("prioriteit", sorted({a.prioriteit for a in ACTIONS}))
def test_a_list_names_every_action_of_a_priority_with_its_source(prioriteit):
    actions = [a for a in ACTIONS if a.prioriteit == prioriteit]
    composer = composer_for(f"Welke acties vallen onder {prioriteit}?")
    text = compose.answer_list(composer, "Lead.", actions, with_priority=False)
    lines = [line for line in text.splitlines() if line.startswith("- Actie ")]
    assert [re.match(r"- Actie (\d+):", line).group(1) for line in lines] == [str(a.nummer) for a in actions]
    assert all(line.endswith(f"[{n}]") for n, line in enumerate(lines, start=1))
    assert "en nog" not in text and len(composer.citations) == len(actions)
    assert all(a.fields["uitvoerder_tekst"] in line for a, line in zip(actions, lines))  # the cell as written


def test_a_grouped_list_heads_each_priority_once():
    actions = [by_id()[i] for i in ("wwd-2022:4.1:actie:3", "wwd-2022:4.1:actie:1", "wwd-2022:1.2:actie:5")]
    text = compose.answer_grouped(composer_for("Welke acties gaan over de Woo?"), "Lead.", actions)
    assert text.count("**4.1 ") == 1 and text.count("**1.2 ") == 1
    assert text.index("**4.1 ") < text.index("**1.2 ") and "[3]" in text and "[4]" not in text


# chunk id, short → how an answer names it
NAMES = [
    ("wwd-2022:2.4:actie:4", False, "actie 4 van prioriteit 2.4 (*Versterken cybersecurity*)"),
    ("wwd-2022:2.4:actie:4", True, "Actie 4 van 2.4"),
    ("wwd-2022:3.2:doel:3", True, "Doel 3 van 3.2"),
    ("wwd-2022:1.1:opgave", True, "Opgave van 1.1"),
    ("wwd-2022:1.1:opgave", False, "de maatschappelijke opgave van prioriteit 1.1 (*Vergroten van digivaardigheden en kennis*)"),
    ("wwd-2022:programmalijn:1", False, "programmalijn 1 (*Iedereen kan meedoen in het digitale tijdperk*)"),
    ("wwd-jaar-onderweg:desinformatie", False, "*Desinformatie* (De werkagenda: een jaar onderweg)"),
    ("wwd-jaar-onderweg:desinformatie", True, "Desinformatie, De werkagenda: een jaar onderweg"),
]


@pytest.mark.parametrize(("chunk_id", "short", "name"), NAMES)
def test_item_names(chunk_id, short, name):
    assert compose.item_name(by_id()[chunk_id], short=short) == name


@pytest.mark.parametrize(("names", "joined"), [(["BZK"], "BZK"), (["BZK", "AZ"], "BZK en AZ"), (["BZ", "EZK", "JenV"], "BZ, EZK en JenV")])
def test_join_names(names, joined):
    assert compose.join_names(names) == joined


def test_citations_are_numbered_in_order_of_first_use():
    composer = composer_for("x")
    a, b = by_id()["wwd-2022:2.4:actie:4"], by_id()["wwd-2022:2.4:doel:1"]
    assert [composer.cite(a), composer.cite(b), composer.cite(a)] == ["[1]", "[2]", "[1]"]
    assert [c.id for c in composer.citation_models()] == [a.id, b.id]


def test_refusal_says_what_is_covered_and_where_to_go():
    from assistant.models import Referral

    text = compose.refusal_text([Referral(name="Rijksoverheid", url="https://www.rijksoverheid.nl", reason="algemene vragen")],
                                ["Komt er een digitale identiteitswallet?"])
    assert text.startswith("Dat staat niet in de werkagenda.") and "[" not in text.split("Waar")[0]
    assert "- [Rijksoverheid](https://www.rijksoverheid.nl) (algemene vragen)" in text
    assert "- *Komt er een digitale identiteitswallet?*" in text


def test_a_look_up_lead_quotes_the_whole_sentence_of_every_action_and_goal():
    """'Wat houdt actie 5 onder 1.2 in?': the description runs on past 220 characters ('… op basis van open
    source'); the look-up's lead quotes it whole, for every action and goal of the agenda."""
    long_ones = 0
    for item in (c for c in parents() if c.soort in ("actie", "doel")):
        question = f"Wat houdt {item.soort} {item.nummer} onder {item.prioriteit} in?"
        composer = composer_for(question)
        text = compose.answer_items(composer, analyse(question), [item])
        check_rules(text, composer)
        long_ones += len(composer.quoted[item.id]) > 220
    assert long_ones >= 5  # the rule is exercised: these used to be cut
    lead = compose.answer_items(composer_for("Wat houdt actie 5 onder 1.2 in?"), analyse("Wat houdt actie 5 onder 1.2 in?"),
                                [by_id()["wwd-2022:1.2:actie:5"]]).split("\n\n")[0]
    assert "open source" in lead


def test_a_list_line_says_why_an_action_is_listed_when_its_description_does_not():
    q = "Welke acties gaan over de Informatiepunten Digitale Overheid?"
    line = compose.list_line(composer_for(q), by_id()["wwd-2022:1.2:actie:1"], False)
    assert "(t/m 2023: Uitbreiding naar 600 Informatiepunten Digitale Overheid" in line and line.endswith("[1]")
    q = "Welke acties gaan over click, call, face?"  # the description itself names it: nothing added
    assert "t/m 20" not in compose.list_line(composer_for(q), by_id()["wwd-2022:1.2:actie:1"], False)
