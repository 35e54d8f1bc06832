"""Question types and typed leads, on the real corpus chunks (no index needed): table-driven."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest

from assistant import leads
from assistant.analysis import DutchAnalyzer
from assistant.compose import Composer
from assistant.intent import analyse
from assistant.text import content_stems
from evals.metrics import yes_no_polarity
from ingest.corpus import chunks_for_source, load_manifest

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@lru_cache(maxsize=1)
def corpus():
    chunks = [c for s in load_manifest(CORPUS) for c in chunks_for_source(s)]
    return {c.id: c for c in chunks}, DutchAnalyzer(c.embed_text for c in chunks)


def composer_for(question: str) -> Composer:
    _, analyzer = corpus()
    return Composer(question_stems=content_stems(question), analyzer=analyzer,
                    question_terms=set(analyzer.question_terms(" ".join(analyzer.subject_words(question)))))


QUESTION_TYPES = [
    ("Komt er een digitale identiteitswallet?", "janee"),
    ("komt er een app voor mijn id?", "janee"),
    ("Kan ik mijn gegevens inzien?", "janee"),
    ("Gaat de overheid iets doen tegen nepnieuws?", "janee"),
    ("Wordt het makkelijker om mijn verhuizing door te geven?", "janee"),
    ("mijn oma heeft geen computer, kan ze nog naar een loket?", "janee"),
    ("ik ben verhuisd, wordt het doorgeven makkelijker?", "janee"),
    ("Krijgen scholen hulp bij digitale geletterdheid?", "janee"),
    ("Mag de overheid zomaar gezichtsherkenning gebruiken?", "janee"),
    ("Is er een plan tegen deepfakes?", "janee"),
    ("Wie voert actie 4 van 2.4 uit?", "wie"),
    ("Door wie wordt de wallet ontwikkeld?", "wie"),
    ("Welk ministerie is verantwoordelijk voor de Woo?", "wie"),
    ("Welke organisaties werken aan digitale inclusie?", "wie"),
    ("Wie is de trekker van de datastrategie?", "wie"),
    ("Wanneer moet de wallet klaar zijn?", "wanneer"),
    # a modal verb or a deadline looks ahead: the result column, not what was achieved
    ("Wat moet er t/m 2025 bereikt zijn voor de informatiehuishouding?", "wanneer"),
    ("Wat moet er t/m 2025 gerealiseerd zijn bij de Single Digital Gateway?", "wanneer"),
    ("Wat wordt er t/m 2023 opgeleverd bij actie 3 van 2.4?", "wanneer"),
    ("Wat zal er in 2025 bereikt zijn met de wallet?", "wanneer"),
    ("Wat heeft de overheid bereikt met de wallet?", "bereikt"),
    ("Wat is het resultaat t/m 2023 van actie 2 van 1.1?", "wanneer"),
    ("Welke resultaten worden in 2025 verwacht voor cloudgebruik?", "wanneer"),
    ("Wat is de deadline voor het algoritmeregister?", "wanneer"),
    ("Hoeveel Nederlanders hebben moeite met digitale vaardigheden?", "hoeveel"),
    ("Hoeveel apparaten stelt het Rijk beschikbaar?", "hoeveel"),
    ("Welk percentage moet basis digivaardigheden hebben?", "hoeveel"),
    ("Hoe veel contactgemeenten zijn er?", "hoeveel"),
    ("Wat is het aantal Informatiepunten?", "hoeveel"),
    ("Welke wet regelt de openbaarheid van overheidsinformatie?", "naam"),
    ("Welk programma verbetert de informatiehuishouding?", "naam"),
    ("Welke Europese verordening gaat over AI?", "naam"),
    ("Hoe heet het platform voor open overheidsinformatie?", "naam"),
    ("Welke richtlijn geldt voor digitale toegankelijkheid?", "naam"),
    ("Wat is er in 2023 bereikt met desinformatie?", "bereikt"),
    ("Wat is er het afgelopen jaar gedaan aan privacy?", "bereikt"),
    ("Wat is de stand van zaken rond de wallet?", "bereikt"),
    ("Welke resultaten zijn al behaald bij digitale inclusie?", "bereikt"),
    ("Wat is er al gedaan voor Caribisch Nederland?", "bereikt"),
    ("Welke acties gaan over data?", "lijst"),
    ("Geef alle acties over het onderwijs", "lijst"),
    ("Welke doelen zijn er voor cybersecurity?", "lijst"),
    ("Overzicht van de maatregelen rond algoritmes", "lijst"),
    ("Wat doet het kabinet aan cybersecurity?", "open"),
    ("digitale kloof bij ouderen", "open"),
    ("Waarom is regie op eigen gegevens belangrijk?", "open"),
    ("Wat houdt 2.2 in?", "open"),
]


@pytest.mark.parametrize(("question", "kind"), QUESTION_TYPES)
def test_question_type(question, kind):
    assert analyse(question).kind == kind


def hits(*ids):
    by_id, _ = corpus()
    return [(by_id[i], None) for i in ids]


def test_yes_no_opens_with_ja_and_cites_the_goal_and_its_action():
    q = "Komt er een digitale identiteitswallet?"
    text = leads.answer(composer_for(q), analyse(q), hits("wwd-2022:3.2:doel:3", "wwd-2022:3.2:actie:7"), "covered")
    assert yes_no_polarity(text) == "ja"
    lead = text.split("\n\n")[0]
    assert "ID-wallet" in lead and "[1]" in lead and "Daarvoor (actie 7" in lead and "[2]" in lead


def test_yes_no_leads_with_what_the_goal_states_not_its_indicator():
    q = "mijn buurman is 85 en snapt niks van internet, kan hij ergens hulp krijgen?"
    text = leads.answer(composer_for(q), analyse(q), hits("wwd-2022:1.1:doel:5"), "covered")
    lead = text.split("\n\n")[0]
    assert lead.startswith("Ja. Mensen kunnen in hun eigen buurt terecht") and "[1]" in lead
    assert "% mensen" not in lead  # the goal's indicator measures the plan; it is not the plan


def test_yes_no_says_nee_when_the_goal_rules_it_out():
    q = "Mag de overheid zomaar gezichtsherkenning gebruiken?"
    text = leads.answer(composer_for(q), analyse(q), hits("wwd-2022:2.2:doel:1"), "covered")
    assert yes_no_polarity(text) == "nee" and "gezichtsherkenning" in text.split("\n\n")[0]


def test_yes_no_is_cautious_when_only_related():
    q = "Komt er een wallet voor mijn rijbewijs?"
    text = leads.answer(composer_for(q), analyse(q), hits("wwd-2022:3.2:doel:3"), "related")
    assert yes_no_polarity(text) == "onduidelijk"


def test_yes_no_without_goal_or_action_does_not_say_ja():
    q = "Is desinformatie een probleem?"
    text = leads.answer(composer_for(q), analyse(q), hits("wwd-jaar-onderweg:desinformatie"), "covered")
    assert yes_no_polarity(text) == "onduidelijk"


@pytest.mark.parametrize(("chunk_id", "kept"), [
    ("wwd-2022:1.2:actie:5", "BZK (MIDO)"),
    ("wwd-2022:4.1:actie:3", "BZK (voor PLOOI: KOOP)"),
    ("wwd-2022:2.1:actie:8", "BZK stimuleert"),
])
def test_who_keeps_the_uitvoerder_cell_as_written(chunk_id, kept):
    q = "Wie voert deze actie uit?"
    lead = leads.answer(composer_for(q), analyse(q), hits(chunk_id), "covered").split("\n\n")[0]
    assert lead.startswith("Actie ") and kept in lead and "[1]" in lead


def test_when_opens_with_the_column_asked_for():
    q = "Wat moet actie 7 van 3.2 t/m 2025 opleveren?"
    lead = leads.answer(composer_for(q), analyse(q), hits("wwd-2022:3.2:actie:7"), "covered").split("\n\n")[0]
    assert "resultaat t/m 2025: Uniform toetsingskader" in lead and "t/m 2023" not in lead


def test_long_result_lists_say_how_many_are_left():
    by_id, _ = corpus()
    long = next(c for c in by_id.values() if c.soort == "actie" and len(c.fields["resultaat_2025"]) > leads.MAX_LEAD_ITEMS)
    q = "Wat moet er t/m 2025 klaar zijn?"
    lead = leads.answer(composer_for(q), analyse(q), [(long, None)], "covered").split("\n\n")[0]
    rest = len(long.fields["resultaat_2025"]) - leads.MAX_LEAD_ITEMS
    assert f"en nog {rest} resultaten (zie bron [1])" in lead
    complete = leads.answer(composer_for(q), analyse(q), [(long, None)], "covered", complete_lists=True).split("\n\n")[0]
    assert "en nog" not in complete and all(i.rstrip(".") in complete for i in long.fields["resultaat_2025"])


def test_how_many_quotes_the_line_with_the_number():
    q = "Hoeveel Nederlanders hebben onvoldoende digitale vaardigheden?"
    lead = leads.answer(composer_for(q), analyse(q), hits("wwd-2022:1.1:opgave"), "covered").split("\n\n")[0]
    # the opgave gives two such counts, equally close to the question: "2,5 miljoen Nederlanders met
    # onvoldoende (digitale) basisvaardigheden" and "3 miljoen Nederlanders heeft onvoldoende digitale en
    # administratieve vaardigheden"; either answers it, the larger is taken (lead_count)
    assert "Ongeveer 3 miljoen Nederlanders heeft onvoldoende digitale" in lead


def test_lead_is_at_most_two_sentences_and_never_clipped():
    q = "Wat doet het kabinet tegen desinformatie?"
    text = leads.answer(composer_for(q), analyse(q), hits("wwd-2022:1.3:doel:1", "wwd-2022:1.3:actie:1"), "covered")
    lead = text.split("\n\n")[0]
    assert "…" not in lead and lead.count("[") <= 2


def test_every_bullet_cites_and_the_sources_resolve():
    q = "Wat doet het kabinet aan cybersecurity?"
    c = composer_for(q)
    text = leads.answer(c, analyse(q), hits("wwd-2022:2.4:opgave", "wwd-2022:2.4:doel:1", "wwd-2022:2.4:actie:4"), "covered")
    bullets = [ln for ln in text.splitlines() if ln.startswith("- ")]
    assert 1 <= len(bullets) <= leads.MAX_BULLETS and all("[" in b for b in bullets)
    assert len(c.citations) <= 3 and f"[{len(c.citations)}]" in text


@pytest.mark.parametrize(("question", "word"), [
    ("Hoeveel prioriteiten telt de geactualiseerde werkagenda voor 2024?", "prioriteiten"),
    ("Hoeveel mensen hebben er moeite met digitale vaardigheden?", "mensen"),
    ("Wat is het aantal Informatiepunten?", "informatiepunten"),
    ("Hoeveel?", ""),
])
def test_counted_word(question, word):
    assert leads.counted_word(question) == word


def test_how_many_leads_with_the_number_that_counts_what_is_asked():
    """Not the first line with a digit ("Bij elke prioriteit wordt aangegeven welke resultaten in 2023 zijn
    gerealiseerd"), but a line where a number counts priorities. (The section has two: "nu 2 prioriteiten"
    for one split priority and "17 prioriteiten" in all; telling those apart takes more than the words.)"""
    question = "Hoeveel prioriteiten telt de geactualiseerde werkagenda voor 2024?"
    text, said = leads.lead_count(composer_for(question), analyse(question), hits("wwd-jaar-onderweg:en-nu-doorpakken-in-2024"))
    assert re.search(r"\b\d+ prioriteiten\b", text) and "in 2023 zijn gerealiseerd" not in text
    assert text.endswith("[1]")


def test_how_many_skips_years_when_a_real_count_is_there():
    question = "Hoeveel Nederlanders hebben onvoldoende digitale basisvaardigheden?"
    text, _ = leads.lead_count(composer_for(question), analyse(question), hits("wwd-2022:1.1:opgave"))
    assert "2,5 miljoen" in text


def test_who_with_a_result_column_gives_both():
    question = "Welk departement is uitvoerder van de modernisering van de Archiefwet en wat is er t/m 2023 voorzien?"
    text, said = leads.lead_who(composer_for(question), analyse(question), hits("wwd-2022:4.1:actie:4"))
    assert "uitgevoerd door: OCW" in text and "Resultaat t/m 2023: " in text and "MDTO" in text
    assert "Die actie:" not in text  # the column takes the description's place


def test_a_short_list_quotes_its_items_whole():
    from assistant.compose import LIST_LINE_LIMIT, list_line_limit

    assert list_line_limit(2) > LIST_LINE_LIMIT and list_line_limit(20) == LIST_LINE_LIMIT


@pytest.mark.parametrize("q", [
    "Met welke indicator wordt gemeten of bedrijven hulp krijgen bij Europese digitaliseringswetten?",
    "Hoe wordt gemeten of ondernemers geholpen worden met EU wetgeving over digitalisering?",
])
def test_an_indicator_question_leads_with_the_goals_indicator(q):
    lead = leads.answer(composer_for(q), analyse(q), hits("wwd-2022:1.4:doel:2"), "covered").split("\n\n")[0]
    assert "(beoogde indicator): Voor elke EU wetgeving rond digitalisering is een implementatiekader" in lead


def test_an_indicator_question_gives_every_indicator_of_the_goal():
    q = "Met welke indicatoren wordt veilige inkoop van ICT door overheden gemeten?"
    lead = leads.answer(composer_for(q), analyse(q), hits("wwd-2022:2.4:doel:3", "wwd-2022:2.4:actie:3"), "covered").split("\n\n")[0]
    assert lead.startswith("Doel 3 van prioriteit 2.4") and "heeft 2 beoogde indicatoren [1]:" in lead
    assert "zoals de BIO (streefwaarde: 100%)" in lead and "inkoopseisen cybersecurity overheid (streefwaarde: 100%)" in lead


def test_a_yes_no_question_answered_by_an_achieved_result_says_so():
    q = "Is kindermarketing op grote platforms al verboden?"
    lead = leads.answer(composer_for(q), analyse(q), hits("wwd-2022:2.1:resultaten", "wwd-2022:2.1:actie:5"), "covered").split("\n\n")[0]
    assert lead == ("Ja, volgens de behaalde resultaten van prioriteit 2.1 (*Publieke waarden borgen*): "
                    "Kindermarketing online is bij grote platforms verboden [1]")


def test_a_yes_no_question_about_a_plan_leads_with_the_plan_even_below_the_results():
    q = "Komt er een ID-wallet?"  # the results of 3.2 mention wallets too, but no more than the goal does
    lead = leads.answer(composer_for(q), analyse(q), hits("wwd-2022:3.2:resultaten", "wwd-2022:3.2:doel:3"), "covered").split("\n\n")[0]
    assert lead.startswith("Ja. Nederlandse bevolking heeft de mogelijkheid") and "[1]" in lead


@pytest.mark.parametrize(("q", "first"), [
    ("Sinds wanneer geldt de Woo?", "wwd-2022:4.1:resultaten"),  # asked backwards, and the results come first
    ("Wanneer geldt de Woo voor alle stukken?", "wwd-2022:4.1:actie:3"),  # ahead: the result columns
])
def test_since_when_is_answered_from_the_achieved_results(q, first):
    composer = composer_for(q)
    order = ("wwd-2022:4.1:resultaten", "wwd-2022:4.1:actie:3")
    lead = leads.answer(composer, analyse(q), hits(*order), "covered").split("\n\n")[0]
    assert composer.citations[0].id == first
    assert ("sinds mei 2022 van kracht" in lead) == (first.endswith("resultaten"))


def test_a_yes_no_goal_is_followed_by_its_own_priority_s_action_or_its_named_indicator():
    q = "Kan ik een fout in mijn gegevens bij de overheid straks makkelijker laten verbeteren?"
    # the action of another priority (4.2) is no plan for goal 3 of 3.1; its indicator names the Meldpunt
    lead = leads.answer(composer_for(q), analyse(q), hits("wwd-2022:3.1:doel:3", "wwd-2022:4.2:actie:4"), "covered").split("\n\n")[0]
    assert lead.startswith("Ja. Voor burgers en bedrijven is het vanaf 2025 eenvoudig")
    assert "Daarvoor" not in lead and "Dat wordt gevolgd met: Jaarlijkse rapportage Meldpunt Fouten" in lead


def test_a_goal_question_without_indicator_words_still_leads_with_the_goal():
    q = "Wat wil het kabinet bereiken voor ondernemers die EU wetgeving over digitalisering moeten toepassen?"
    lead = leads.answer(composer_for(q), analyse(q), hits("wwd-2022:1.4:doel:2"), "covered").split("\n\n")[0]
    assert "geholpen bij het doorgronden" in lead and "implementatiekader" not in lead


def test_the_first_bullet_adds_a_second_line_only_when_it_names_something():
    q = "Komen er pilots met ID-wallets?"
    with_count = leads.bullet(composer_for(q), analyse(q), corpus()[0]["wwd-2022:3.2:actie:5"], None, set(), lines=2)
    assert "; resultaat t/m 2023: NL neemt deel aan 3 Europese large scale pilots" in with_count  # a number
    q = "we willen een huis kopen, wordt het papierwerk minder?"
    plain = leads.bullet(composer_for(q), analyse(q), corpus()[0]["wwd-2022:3.1:actie:6"], None, set(), lines=2)
    assert plain.count("; ") == 0 and "Alle overheidsbronnen" not in plain  # the next line names nothing


@pytest.mark.parametrize(("line", "named"), [
    ("Samenwerken met Zorgeloos Vastgoed en Digicampus", True),
    ("NL neemt deel aan 3 Europese large scale pilots", True),
    ("Wetsvoorstel vastgesteld in 2023", False),  # a year is not a count
    ("De eerste overheidsbronnen beschikbaar", False),
])
def test_names_something(line, named):
    assert leads.names_something(line) is named


def test_the_opgave_is_answered_whole_with_its_list_items_as_bullets():
    q = "Wat is de maatschappelijke opgave van prioriteit 3.2?"
    opgave = corpus()[0]["wwd-2022:3.2:opgave"]
    text = leads.answer_opgave(composer_for(q), opgave, "Hoogwaardig identiteitsstelsel")
    body = text.split("\n\n**Bronnen**")[0]
    assert body.startswith("De maatschappelijke opgave van prioriteit 3.2 (*Hoogwaardig identiteitsstelsel*) [1]:")
    assert "hypotheek" in body and "betrouwbaarheidsniveau" in body  # every item, not one quoted sentence
    assert body.count("\n- ") == 2 and " - " not in body  # the list markers became bullets, none leaks into a line


def test_how_many_takes_the_whole_count_when_two_lines_count_the_same_thing():
    q = "Hoeveel prioriteiten heeft de geactualiseerde werkagenda?"
    text = leads.answer(composer_for(q), analyse(q), hits("wwd-jaar-onderweg:en-nu-doorpakken-in-2024"), "covered")
    assert "17 prioriteiten" in text.split("\n\n")[0]  # not "nu 2 prioriteiten", which counts one spoor's


@pytest.mark.parametrize(("text", "value"), [("17", 17.0), ("50.000", 50000.0), ("2,5", 2.5), ("3.", 3.0), ("2,5,6", 0.0)])
def test_dutch_number(text, value):
    assert leads.dutch_number(text) == value


def test_yes_no_on_an_action_adds_the_result_that_names_what_comes():
    q = "kunnen mensen die zelf geen computer kunnen betalen via de overheid een apparaat krijgen?"
    lead = leads.answer(composer_for(q), analyse(q), hits("wwd-2022:1.1:actie:2"), "covered").split("\n\n")[0]
    assert lead.startswith("Ja. ") and "Daarvoor (resultaat t/m 2023): 50.000 apparaten" in lead and lead.count("[1]") == 2


def test_a_bullets_two_lines_are_joined_without_a_stray_full_stop():
    q = "kunnen mensen die zelf geen computer kunnen betalen via de overheid een apparaat krijgen?"
    b = leads.bullet(composer_for(q), analyse(q), corpus()[0]["wwd-2022:1.1:opgave"], None, set(), lines=2)
    assert "basisomgang met een computer; Te veel mensen" in b  # the first line's own full stop gives way


def test_free_text_lines_split_at_list_items_so_no_marker_leaks_into_an_answer():
    lines = [ln.text for ln in leads.lines_of(corpus()[0]["wwd-2022:1.2:opgave"])]
    assert any(t.startswith("Zo wees een onderzoek in 2018 uit") and t.endswith("misliepen") for t in lines)
    assert any(t.startswith("Uit onderzoek van de Nationale Ombudsman") for t in lines)
    everywhere = [ln.text for c in corpus()[0].values() for ln in leads.lines_of(c)]
    assert not [t for t in everywhere if t.startswith(("- ", "• "))]


@pytest.mark.parametrize(("question", "line", "word"), [
    ("Komt er een ID-wallet?", "Iedere Nederlander kan gebruik maken van een hoogwaardige wallet", "Ja"),
    ("Gaat de overheid gezichtsherkenning gebruiken?", "We passen geen gezichtsherkenning toe zonder wettelijke afbakening", "Nee"),
    ("Mogen grote platforms nog reclame op kinderen richten?", "Kindermarketing online is bij grote platforms verboden", "Nee"),
    ("Is kindermarketing op grote platforms al verboden?", "Kindermarketing online is bij grote platforms verboden", "Ja"),
    ("Mag een bedrijf zomaar AI met een hoog risico verkopen?",
     "Bedrijven die hoog-risico AI-systemen aanbieden hebben op hun producten een CE-markering", "Nee, niet zomaar"),
    ("Mag een bedrijf AI met een hoog risico verkopen?",
     "Bedrijven die hoog-risico AI-systemen aanbieden hebben op hun producten een CE-markering", "Ja"),
])
def test_yes_or_no_reads_negation_prohibition_and_conditions(question, line, word):
    assert leads.yes_or_no(question, line) == word


@pytest.mark.parametrize(("question", "chunk_id", "opening"), [
    ("Komt er een helpdesk voor privacyvragen?", "wwd-2022:2.2:actie:2", "Dat staat er niet precies in: het wordt eerst onderzocht."),
    ("Wordt er onderzocht of er een helpdesk voor privacy komt?", "wwd-2022:2.2:actie:2", "Ja."),  # asked as such
    # the plan is plain; only a detail of it ("met AZ loopt een verkenning over de exacte extensie") is explored
    ("Krijgen overheidssites een eigen herkenbaar domein?", "wwd-2022:2.4:actie:4", "Ja."),
])
def test_a_plan_to_look_into_something_is_no_yes(question, chunk_id, opening):
    lead = leads.answer(composer_for(question), analyse(question), hits(chunk_id), "covered")
    assert lead.startswith(opening)


@pytest.mark.parametrize(("question", "chunk_id", "statement", "step"), [
    # the result line fits the words best ("IT"), but what the action itself says is the answer
    ("Wil het Rijk meer jonge IT'ers aannemen?", "wwd-2022:4.3:actie:8", "Aantrekken van i-professionals", "Daarvoor (resultaat t/m 20"),
    ("Hoe maakt het Rijk zijn servers zuiniger?", "wwd-2022:4.3:actie:7", "Verduurzamen van ICT-keten", "Daarvoor (resultaat t/m 2025): Servers"),
])
def test_an_action_leads_with_what_it_says_and_then_the_result_that_fits(question, chunk_id, statement, step):
    lead = leads.answer(composer_for(question), analyse(question), hits(chunk_id), "covered").split("\n\n")[0]
    assert statement in lead and step in lead
    assert lead.index(statement) < lead.index(step)
    assert lead.count("[1]") == 2  # both sentences cited, the lead still two sentences


def test_a_goal_leads_with_its_statement_and_then_the_indicator_that_fits():
    q = "Welk percentage mensen moet in 2025 in de buurt hulp weten te vinden?"
    lead = leads.lead_open(composer_for(q), hits("wwd-2022:1.1:doel:5"))[0]
    assert lead.index("Mensen kunnen in hun eigen buurt terecht") < lead.index("Dat wordt gevolgd met: % mensen")
