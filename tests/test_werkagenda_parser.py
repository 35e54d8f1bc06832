"""Tests of the structured Werkagenda 2022 parser, on the real corpus text.

Every expectation below was checked against `corpus/werkagenda-2022.txt` by hand.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from ingest.chunking import chunk_document
from ingest.clean import cell_blocks, clean_text, note_text, proper_names, split_run_on_items, split_uitvoerders
from ingest.models import Actie, Agenda, Doel, DocumentInfo, Prioriteit
from ingest.werkagenda_parser import parse_werkagenda

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "werkagenda-2022.txt"

# (doelen, acties) per priority, counted from the document's own numbering.
EXPECTED_COUNTS: dict[str, tuple[int, int]] = {
    "1.1": (5, 6),
    "1.2": (2, 7),
    "1.3": (2, 5),
    "1.4": (3, 4),
    "2.1": (3, 9),
    "2.2": (3, 5),
    "2.3": (3, 3),
    "2.4": (5, 7),
    "3.1": (3, 7),
    "3.2": (3, 7),
    "3.3": (4, 7),
    "4.1": (3, 6),
    "4.2": (4, 7),
    "4.3": (4, 15),
    "5.1": (4, 7),
}

EXPECTED_TITLES: dict[str, str] = {
    "1.1": "Vergroten van digivaardigheden en kennis",
    "1.2": "Toegankelijke, hoogwaardige en proactieve dienstverlening",
    "1.3": "Impact online desinformatie verminderen",
    "1.4": "(EU) regelgeving en implementatie in samenhang ondersteunen",
    "2.1": "Publieke waarden borgen",
    "2.2": (
        "Borgen van privacy, verantwoord datagebruik en vergroten transparantie over "
        "gegevensverwerking en -uitwisseling"
    ),
    "2.3": "Anticiperen op nieuwe digitale technologie",
    "2.4": "Versterken cybersecurity",
    "3.1": "Regie op eigen gegevens",
    "3.2": "Hoogwaardig identiteitsstelsel, waaronder inlogmiddelen en een wallet",
    "3.3": "Algoritmes reguleren",
    "4.1": "Verbeteren informatiehuishouding voor openbaarheid van bestuur",
    "4.2": "Verbeteren gegevenshuishouding voor burgers en organisaties",
    "4.3": "Versterken ICT-organisatie en -systemen van het Rijk",
    "5.1": "Versterken van de digitale samenleving in het Caribisch deel van het Koninkrijk",
}

EXPECTED_LIJNEN: dict[int, str] = {
    1: "Iedereen kan meedoen in het digitale tijdperk",
    2: "Iedereen kan de digitale wereld vertrouwen",
    3: "Iedereen heeft regie op het digitale leven",
    4: "Een digitale overheid die waardengedreven en open werkt voor iedereen",
    5: "Versterken van de digitale samenleving in het Caribisch deel van het Koninkrijk",
}


@pytest.fixture(scope="module")
def text() -> str:
    return CORPUS.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def document() -> DocumentInfo:
    return DocumentInfo(
        id="wwd-2022",
        file="werkagenda-2022.txt",
        title="Werkagenda Waardengedreven Digitaliseren",
        short_title="Werkagenda 2022",
        parser="werkagenda",
    )


@pytest.fixture(scope="module")
def agenda(text: str, document: DocumentInfo) -> Agenda:
    return parse_werkagenda(text, document)


def prio(agenda: Agenda, code: str) -> Prioriteit:
    return agenda.prioriteit(code)


def doel(agenda: Agenda, code: str, nummer: int) -> Doel:
    return next(d for d in agenda.prioriteit(code).doelen if d.nummer == nummer)


def actie(agenda: Agenda, code: str, nummer: int) -> Actie:
    return next(a for a in agenda.prioriteit(code).acties if a.nummer == nummer)


def texts(items: list[Any]) -> list[str]:
    return [i.text for i in items]


def strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a model_dump, with its path."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield from strings(sub, f"{path}.{key}")
    elif isinstance(value, list):
        for n, sub in enumerate(value):
            yield from strings(sub, f"{path}[{n}]")
    elif isinstance(value, str):
        yield path, value


def corpus_cell(text: str, row_start: str, column: int) -> str:
    """The raw cell of the first table row that starts with `row_start`."""
    line = next(line for line in text.splitlines() if line.startswith(row_start))
    return line.split("\t")[column]


# --- structure and counts ---------------------------------------------------------------------


def test_expected_counts_table_sums_to_the_document_totals() -> None:
    assert sum(d for d, _ in EXPECTED_COUNTS.values()) == 51
    assert sum(a for _, a in EXPECTED_COUNTS.values()) == 102


def test_five_programmalijnen_with_titles(agenda: Agenda) -> None:
    assert {lijn.nummer: lijn.titel for lijn in agenda.programmalijnen} == EXPECTED_LIJNEN
    assert [lijn.nummer for lijn in agenda.programmalijnen] == [1, 2, 3, 4, 5]


def test_fifteen_priorities_in_order_and_toc_creates_none(agenda: Agenda) -> None:
    codes = [p.code for p in agenda.prioriteiten()]
    assert codes == list(EXPECTED_COUNTS)
    assert len(set(codes)) == 15


def test_priorities_sit_under_their_programmalijn(agenda: Agenda) -> None:
    for lijn in agenda.programmalijnen:
        assert lijn.prioriteiten, lijn.nummer
        assert all(p.programmalijn == lijn.nummer for p in lijn.prioriteiten)


def test_total_doelen_and_acties(agenda: Agenda) -> None:
    assert sum(len(p.doelen) for p in agenda.prioriteiten()) == 51
    assert sum(len(p.acties) for p in agenda.prioriteiten()) == 102


@pytest.mark.parametrize("code", list(EXPECTED_COUNTS))
def test_counts_per_priority(agenda: Agenda, code: str) -> None:
    p = prio(agenda, code)
    assert (len(p.doelen), len(p.acties)) == EXPECTED_COUNTS[code]


@pytest.mark.parametrize("code", list(EXPECTED_COUNTS))
def test_numbering_is_consecutive_from_one(agenda: Agenda, code: str) -> None:
    p = prio(agenda, code)
    assert [d.nummer for d in p.doelen] == list(range(1, len(p.doelen) + 1))
    assert [a.nummer for a in p.acties] == list(range(1, len(p.acties) + 1))


@pytest.mark.parametrize("code", list(EXPECTED_TITLES))
def test_full_priority_titles(agenda: Agenda, code: str) -> None:
    assert prio(agenda, code).titel == EXPECTED_TITLES[code]


def test_titles_have_no_page_suffix_or_letter(agenda: Agenda) -> None:
    for p in agenda.prioriteiten():
        assert "|" not in p.titel and not p.titel.endswith(("Overzicht", "Acties"))
        assert not re.match(r"^[ab]\s", p.titel)
        assert re.fullmatch(r"\d\.\d", p.code)


def test_every_priority_has_all_parts(agenda: Agenda) -> None:
    for p in agenda.prioriteiten():
        assert p.maatschappelijke_opgave, p.code
        assert p.behaalde_resultaten, p.code
        for d in p.doelen:
            assert d.tekst and d.indicatoren, (p.code, d.nummer)
        for a in p.acties:
            assert a.beschrijving and a.uitvoerders and a.uitvoerder_tekst, (p.code, a.nummer)


def test_programmalijn_intros(agenda: Agenda) -> None:
    intros = {lijn.nummer: lijn.intro for lijn in agenda.programmalijnen}
    assert all(intros.values())
    assert intros[1].startswith("Tijdens de digitale transformatie laten we niemand in de steek.")
    assert "phishing, botnets, cybercrime en desinformatie" in intros[2]
    assert intros[3].startswith("Elke burger moet zijn eigen gegevens")
    assert "informatiehuishouding" in intros[4]
    assert intros[5].endswith("waar we de Landen bij faciliteren en ondersteunen.")
    assert all("Noot" not in intro and "Programmal" not in intro for intro in intros.values())


# --- field-level checks, programme line 1 -----------------------------------------------------


def test_1_1_doel_1_indicator_target_80_percent(agenda: Agenda) -> None:
    (indicator,) = doel(agenda, "1.1", 1).indicatoren
    assert "80%" in indicator.text
    assert indicator.text.startswith("% van de mensen van 16 tot 75 jaar met basis digivaardigheden in 2025")


def test_1_1_nog_te_bepalen_is_an_indicator(agenda: Agenda) -> None:
    assert texts(doel(agenda, "1.1", 2).indicatoren) == ["Nog te bepalen"]
    assert texts(doel(agenda, "1.1", 4).indicatoren) == ["Nog te bepalen"]


def test_1_1_doel_5_from_a_repeated_table_header(agenda: Agenda) -> None:
    d = doel(agenda, "1.1", 5)
    assert d.tekst.startswith("Mensen kunnen in hun eigen buurt terecht")
    assert "90%" in d.indicatoren[0].text


def test_1_1_actie_1_run_on_list_is_split(agenda: Agenda) -> None:
    a = actie(agenda, "1.1", 1)
    assert texts(a.resultaat_2023) == [
        "Breed aanbod om digitale vaardigheden te verbeteren voor iedereen",
        "Het Informatiepunt als adviespunt voor veilig internet gebruik",
        "Het Informatiepunt als adviespunt voor het leren van digitale vaardigheden die benodigd zijn in de zorg "
        "(bijv. om digitaal een afspraak maken bij het ziekenhuis)",
        "Tussen de 25% – 50% van de gemeenten is actief bezig met het bereiken en helpen van mensen met digitale "
        "vaardigheden en inclusie",
        "Uitbreiding naar 600 IDOs, inclusief (mobiele) voorzieningen op locaties buiten de bibliotheken",
    ]
    assert len(a.resultaat_2025) == 2
    assert a.resultaat_2025[1].text.startswith("Screeningsinstrument voor mensen")
    assert "Tel mee met Taal, Alliantie Digitaal Samenleven, Netwerk Mediawijsheid" in a.beschrijving
    assert a.uitvoerders == ["BZK", "OCW", "VWS", "SZW", "VNG", "gemeenten", "bibliotheken"]


def test_1_1_actie_2_names_are_not_split(agenda: Agenda) -> None:
    a = actie(agenda, "1.1", 2)
    assert texts(a.resultaat_2023) == [
        "50.000 apparaten van de Rijksoverheid beschikbaar voor kwetsbare groepen (150.000 per drie jaar)"
    ]
    assert texts(a.resultaat_2025) == ["Meerjarenplan Alliantie Digitaal Samenleven (ADS)", "Publiek-privaat ondersteuningsnetwerk"]


def test_1_1_actie_4_has_only_a_2025_result(agenda: Agenda) -> None:
    a = actie(agenda, "1.1", 4)
    assert a.resultaat_2023 == []
    assert len(a.resultaat_2025) == 3
    assert a.uitvoerders == ["BZ"]


def test_1_2_doel_1_sub_bullets_and_notes(agenda: Agenda) -> None:
    d = doel(agenda, "1.2", 1)
    assert d.tekst.endswith("Alle overheidsdienstverlening is:")
    assert len(d.items) == 6
    assert d.items[0].text.startswith("Proactief en georganiseerd")
    gdi = d.items[4]
    assert gdi.text == "In samenhang als één overheid, ondersteund door breed toepasbare GDI"
    assert gdi.notes and gdi.notes[0].startswith("Generieke Digitale Infrastructuur is een verzamelterm")
    assert d.items[5].text.startswith("Sommige elementen zijn hierbij wettelijk verplicht")
    sdg, rest = d.indicatoren
    assert "Single Digital Gateway" in sdg.text and sdg.notes[0].startswith("Het betreft informatiegebieden")
    assert rest.text == "Overige nog te bepalen" and not rest.notes


def test_1_2_opgave_paragraphs_and_bullets(agenda: Agenda) -> None:
    p = prio(agenda, "1.2")
    assert p.maatschappelijke_opgave.startswith("De overheid is er voor iedereen.")
    assert p.maatschappelijke_opgave.endswith("ouders van volwassen kinderen met een handicap.")
    assert len(p.opgave_items) == 3
    assert "230.000 senioren-huishoudens" in p.opgave_items[0].text
    assert "230.000" not in p.maatschappelijke_opgave


def test_1_2_actie_2_paragraph_cell_uitvoerders(agenda: Agenda) -> None:
    a = actie(agenda, "1.2", 2)
    assert a.beschrijving == "Ontwikkelen proactieve en transparante dienstverlening met een focus op één domein tegelijkertijd"
    assert a.uitvoerders == ["BZK", "CJIB", "overheidsbreed", "VNG", "private partijen"]


def test_1_3_opgave_note_with_its_last_line(agenda: Agenda) -> None:
    p = prio(agenda, "1.3")
    (note,) = p.opgave_notes
    assert note.startswith("Desinformatie is onware, inaccurate of misleidende informatie")
    assert note.endswith("Deepfakes zijn hier een voorbeeld van")
    assert "Deepfakes" not in p.maatschappelijke_opgave
    assert p.maatschappelijke_opgave.startswith("Desinformatie kan burgers bewust op het verkeerde been zetten")


def test_1_3_doel_1_goal_bullets(agenda: Agenda) -> None:
    d = doel(agenda, "1.3", 1)
    assert d.tekst == "De overheid stimuleert een gezond online debat"
    assert len(d.items) == 3
    assert d.items[2].text.endswith("EU Code of Practice on Disinformation")
    assert texts(d.indicatoren) == ["Met de Kamer gedeeld Kabinetsbreed desinformatiebeleid met concrete doelen"]


def test_1_3_actie_4_continued_after_the_page_break(agenda: Agenda) -> None:
    a = actie(agenda, "1.3", 4)
    r2023 = a.resultaat_2023
    assert len(r2023) == 5
    provenance = r2023[1]
    assert provenance.text.endswith("(proof of provenance), bijvoorbeeld via digitale handtekeningen van tweets")
    assert len(provenance.notes) == 1 and provenance.notes[0].startswith("Het project Twid werkt aan een proof-of-concept")
    assert texts(r2023[2:4]) == [
        "Onderzoekers hebben toegang tot online data van platforms",
        "Monitoring van de uitvoering door EU commissie",
    ]
    assert "(bijvoorbeeld via BENEDMO)" in r2023[4].text
    assert r2023[4].notes == [
        "BENEDMO: Benelux European Digital Media Observatory, Vlaams-Nederlandse samenwerking tegen desinformatie"
    ]
    assert texts(a.resultaat_2025)[0] == "Pilot verantwoorde datadeling is afgerond"
    assert len(a.resultaat_2025) == 2
    assert a.beschrijving.startswith("Ondersteunen doelen EU Code of Practice on Disinformation")
    assert a.uitvoerders == ["BZK", "Rijksbreed", "wetenschap"]


def test_1_3_actie_5_is_the_row_after_the_continuation(agenda: Agenda) -> None:
    a = actie(agenda, "1.3", 5)
    assert a.beschrijving.startswith("Stimuleren en zelf inzetten van (publieke) veilige alternatieven")
    assert texts(a.resultaat_2025) == ['Zie 2.1 "Publieke waarden borgen"']


def test_1_4_actie_4_empty_2023_column(agenda: Agenda) -> None:
    a = actie(agenda, "1.4", 4)
    assert a.resultaat_2023 == []
    assert texts(a.resultaat_2025) == ["Toezicht voor EU regelgeving is helder belegd"]
    assert a.uitvoerders == ["BZK", "EZK", "JenV", "andere departementen", "medeoverheden"]


def test_1_4_actie_1_resultaat_2025(agenda: Agenda) -> None:
    a = actie(agenda, "1.4", 1)
    assert texts(a.resultaat_2025) == [
        "Nederland laat effectief EU regelgeving aansluiten bij de Nederlandse praktijk",
        "Nederland zoekt de aansluiting bij de EU Cybersecurity Strategy, de Raadsconclusies over een EU cyber "
        "posture, het Strategisch Kompas, en de Raadsconclusies over EU-digitale diplomatie.",
    ]


# --- programme line 2 -------------------------------------------------------------------------


def test_2_1_actie_4_uitvoerders_split_on_en(agenda: Agenda) -> None:
    a = actie(agenda, "2.1", 4)
    assert a.uitvoerder_tekst == "BZK, OCW, VWS, EZK en JenV"
    assert a.uitvoerders == ["BZK", "OCW", "VWS", "EZK", "JenV"]


def test_2_1_actie_5_description_note(agenda: Agenda) -> None:
    a = actie(agenda, "2.1", 5)
    assert a.beschrijving == "Beschermen van Kinderrechten online en kinderen beschermen en weerbaar maken tegen schadelijke content"
    assert len(a.notes) == 1 and "motie van de leden Ceder en Bontenbal" in a.notes[0]
    assert len(a.resultaat_2023) == 8 and a.resultaat_2025 == []


def test_2_1_actie_8_qualified_uitvoerders(agenda: Agenda) -> None:
    a = actie(agenda, "2.1", 8)
    assert a.uitvoerder_tekst == "BZK stimuleert, Public Spaces/publieke partijen"
    assert a.uitvoerders == ["BZK", "Public Spaces", "publieke partijen"]
    assert texts(a.resultaat_2023)[1].startswith("Pol.is netwerkdemocratie is toegepast")


def test_2_1_doel_3_footnote_and_note_between_paragraphs(agenda: Agenda) -> None:
    d = doel(agenda, "2.1", 3)
    assert "ontwikkeld als 'digital commons'." in d.tekst and "¹" not in d.tekst
    assert d.tekst.endswith("levensvatbaarheid van publieke alternatieven")
    assert d.notes == [
        "Informatie- en kennisbronnen die gezamenlijk worden gecreëerd en eigendom zijn van of worden gedeeld "
        "tussen of tussen een gemeenschap en die meestal vrijelijk beschikbaar zijn voor derden"
    ]


def test_2_2_doel_1_notes_on_goal_and_item(agenda: Agenda) -> None:
    d = doel(agenda, "2.2", 1)
    assert d.tekst == "Burgers kunnen erop rekenen dat alle overheden conform de AVG handelen"  # "alle1": footnote
    assert d.notes == ["Mits van toepassing, waarbij er wettelijke uitzonderingen zijn"]
    assert len(d.items) == 4
    by_design = d.items[2]
    assert by_design.text == "Overheden passen privacy-by-design toe"
    assert by_design.notes == ["Zoals een ontwerp dat volgt uit doelbinding, dataminimalisatie, en afscherming van gegevens"]
    assert texts(d.indicatoren) == ["Nog te bepalen"]


def test_2_2_actie_4_qualifiers_dropped_from_uitvoerders(agenda: Agenda) -> None:
    a = actie(agenda, "2.2", 4)
    assert a.uitvoerder_tekst == "BZK (voor algoritmes), JenV (voor AVG), EZK"
    assert a.uitvoerders == ["BZK", "JenV", "EZK"]


def test_2_2_actie_1_does_not_split_a_name(agenda: Agenda) -> None:
    items = texts(actie(agenda, "2.2", 1).resultaat_2023)
    assert "Verkenning introductie Chief Privacy Officers bij departementen" in items
    assert len(items) == 5


def test_2_3_opgave_notes(agenda: Agenda) -> None:
    p = prio(agenda, "2.3")
    assert p.opgave_notes == ["VMWare 2022", "Toekomstverkenning Digitalisering in 2030"]
    assert p.maatschappelijke_opgave.count("\n\n") == 2


def test_2_4_actie_4_uitvoerders(agenda: Agenda) -> None:
    a = actie(agenda, "2.4", 4)
    assert a.uitvoerders == ["BZK", "AZ"]
    assert texts(a.resultaat_2025) == ["Overheidsbrede inzet extensie"]


def test_2_4_priority_note_and_two_paragraph_description(agenda: Agenda) -> None:
    p = prio(agenda, "2.4")
    assert len(p.notes) == 1 and "Nederlandse Cybersecuritystrategie (NLCS)" in p.notes[0]
    paragraphs = actie(agenda, "2.4", 1).beschrijving.split("\n\n")
    assert len(paragraphs) == 2 and paragraphs[1].startswith("Doel is ook het verlagen van de auditlast")


def test_2_4_parenthesised_list_of_services_is_expanded(agenda: Agenda) -> None:
    a = actie(agenda, "2.4", 2)
    assert a.uitvoerders == [
        "BZ", "EZK", "JenV", "BZK", "DEF", "medeoverheden", "overheidsdiensten",
        "AIVD", "MIVD", "NCSC", "NCTV", "OM", "Nationale Politie",
    ]  # fmt: skip
    assert texts(actie(agenda, "2.4", 5).resultaat_2023)[0].startswith("Contactpunt ingericht")
    assert actie(agenda, "2.4", 5).uitvoerders == ["BZK", "AZ", "DPC", "KOOP"]


def test_2_4_actie_1_run_on_results_keep_sentences_together(agenda: Agenda) -> None:
    a = actie(agenda, "2.4", 1)
    assert len(a.resultaat_2023) == 5
    assert "Er is een herziene BIO" in texts(a.resultaat_2023)
    nib2 = "Implementatie in Nld'se wetgeving van herziening Europese Richtlijn Netwerk- en Informatiebeveiliging (NIB2)"
    assert nib2 in texts(a.resultaat_2025)


# --- programme line 3 -------------------------------------------------------------------------


def test_3_1_notes(agenda: Agenda) -> None:
    p = prio(agenda, "3.1")
    assert p.notes == [
        "Alle activiteiten om regie op je gegevens te hebben door een ID-wallet te hebben vallen onder actiespoor 3.2"
    ]
    assert doel(agenda, "3.1", 2).notes[0].startswith("Begrensd door wettelijke of gerechtvaardigde uitzonderingen")
    assert "Noot" not in doel(agenda, "3.1", 2).tekst


def test_3_1_actie_6_ntb_is_not_an_organisation(agenda: Agenda) -> None:
    a = actie(agenda, "3.1", 6)
    assert a.uitvoerder_tekst.startswith("Ntb,")
    assert a.uitvoerders == ["medeoverheden", "BZK Wonen", "KNB", "Kadaster", "Belastingdienst"]


def test_3_2_split_result_sentence_is_merged(agenda: Agenda) -> None:
    results = texts(prio(agenda, "3.2").behaalde_resultaten)
    assert len(results) == 4
    assert "(Wdo) regelt dat Nederlandse burgers en bedrijven veilig en betrouwbaar kunnen inloggen" in results[0]
    assert results[3].startswith("Nederland is voorbeeld land")


def test_3_2_actie_2_resultaat_2025_wallet(agenda: Agenda) -> None:
    a = actie(agenda, "3.2", 2)
    (wallet,) = a.resultaat_2025
    assert wallet.text.startswith("Iedere Nederlander kan gebruik maken van een hoogwaardige wallet")
    assert texts(a.resultaat_2023) == ["Eerste voorbeeld beschikbaar", "Deelname van alle overheden georganiseerd"]
    assert "RvIG" in a.uitvoerders and "IenW" in a.uitvoerders


def test_3_3_actie_1_note_on_2025_item(agenda: Agenda) -> None:
    (item,) = actie(agenda, "3.3", 1).resultaat_2025
    assert item.text == "Alle voor burgers relevante algoritmen verplicht opgenomen en inzichtelijk in algoritmeregister"
    assert item.notes[0].startswith("Begrensd door wettelijke of gerechtvaardigde uitzonderingen")


def test_3_3_actie_5_parallel_items(agenda: Agenda) -> None:
    a = actie(agenda, "3.3", 5)
    assert texts(a.resultaat_2023) == ["Eerste CE-markering", "Eerste registratie in EU database vanuit NL gedaan"]
    assert texts(a.resultaat_2025) == ["50+ CE-markeringen", "50+ registraties in EU databases"]


def test_3_3_priority_note_after_doelen(agenda: Agenda) -> None:
    assert prio(agenda, "3.3").notes == [
        "de maatschappelijke opgave en doelen zijn in lijn met de verzamelbrief publieke controle op algoritmen van 7 oktober 2022"
    ]


# --- programme line 4 -------------------------------------------------------------------------


def test_4_1_extra_opmerkingen_are_priority_notes(agenda: Agenda) -> None:
    notes = prio(agenda, "4.1").notes
    assert len(notes) == 3
    assert notes[0] == "De Minister van Binnenlandse Zaken is verantwoordelijk voor het openbaarheidsbeleid."
    assert notes[2] == "De Regeringscommissaris Informatiehuishouding jaagt deze prioriteit aan."


def test_4_1_actie_5_uitvoerder_spilled_into_result_column(agenda: Agenda) -> None:
    a = actie(agenda, "4.1", 5)
    assert texts(a.resultaat_2023) == ["Vervolgstappen zijn vastgesteld"]
    assert a.resultaat_2025 == []
    assert a.uitvoerders == ["Regeringscommissaris", "Adviescollege OI"]


def test_4_1_actie_6_lead_in_merged_into_item(agenda: Agenda) -> None:
    a = actie(agenda, "4.1", 6)
    assert texts(a.resultaat_2023) == [
        "Afhankelijk van uitkomst verkenning streven naar: Interbestuurlijk akkoord op wetsvoorstel Algemene Informatiewet"
    ]
    assert texts(a.resultaat_2025)[0].startswith("Afhankelijk van uitkomst verkenning: Doorlopen wetgevingsprocedure")


def test_4_1_run_together_uitvoerder_cells(agenda: Agenda) -> None:
    assert actie(agenda, "4.1", 2).uitvoerders == ["alle departementen", "BZK", "VNG", "IPO", "UvW"]
    assert actie(agenda, "4.1", 3).uitvoerders == ["BZK", "Rijksbreed", "medeoverheden", "uitvoeringsorganisaties"]
    assert actie(agenda, "4.1", 1).uitvoerders == ["BZK", "OCW", "alle departementen"]


def test_4_1_doel_notes(agenda: Agenda) -> None:
    assert doel(agenda, "4.1", 3).notes == ["Dit betreft in eerste instantie de 17 informatiecategorieën uit de Woo"]


def test_4_2_opgave_note_without_markdown_links(agenda: Agenda) -> None:
    (note,) = prio(agenda, "4.2").opgave_notes
    assert note.startswith('Zie m.b.t. de waarden: 2.1 "Publieke waarden borgen";')
    assert "](#)" not in note and "[" not in note
    assert prio(agenda, "4.2").maatschappelijke_opgave.startswith("Het gebruik van data door de overheid")


def test_4_2_actie_2_has_no_results(agenda: Agenda) -> None:
    a = actie(agenda, "4.2", 2)
    assert a.resultaat_2023 == [] and a.resultaat_2025 == []
    assert a.uitvoerders == ["BZ", "EZK", "BZK"]


def test_4_2_actie_3_footnote_marker_removed(agenda: Agenda) -> None:
    a = actie(agenda, "4.2", 3)
    assert texts(a.resultaat_2023) == ["Discriminerende risicoprofielen geïnventariseerd (uitvoering motie)"]
    assert texts(a.resultaat_2025) == ["Nieuwe Europese data-wetgeving (Data Governance Act, Data Act) geïmplementeerd"]


def test_4_3_fifteen_actions(agenda: Agenda) -> None:
    p = prio(agenda, "4.3")
    assert len(p.acties) == 15
    last = actie(agenda, "4.3", 15)
    assert last.beschrijving.startswith("Bevorderen samenwerking met markt")
    assert texts(last.resultaat_2025) == ["Innovatieplatform voor Rijksbrede samenwerking en kennisdeling opgericht"]
    assert actie(agenda, "4.3", 12).beschrijving.startswith("Versterken (normen voor) inzicht in de kosten")


def test_4_3_actie_1_note_in_uitvoerder_cell(agenda: Agenda) -> None:
    a = actie(agenda, "4.3", 1)
    assert a.notes == ["Zoals DUO, BD, UWV, RWS, DJI, NP"]
    assert a.uitvoerder_tekst == "BZK (CIO Rijk), Rijksbreed incl. grote uitvoerders"
    assert a.uitvoerders == ["BZK", "Rijksbreed incl. grote uitvoerders"]
    assert texts(a.resultaat_2023) == ["Rijksarchitect aangesteld", "Architectuurboard Rijk opgericht"]


def test_4_3_doel_2_indicators(agenda: Agenda) -> None:
    d = doel(agenda, "4.3", 2)
    assert len(d.indicatoren) == 3
    assert d.tekst.endswith("[i-strategie – thema 1, 7 & 9]")


# --- programme line 5 -------------------------------------------------------------------------


def test_5_1_overview(agenda: Agenda) -> None:
    p = prio(agenda, "5.1")
    assert p.titel == EXPECTED_LIJNEN[5]
    assert p.maatschappelijke_opgave.startswith("Burgers en bedrijven in Caribisch Nederland moeten")
    assert texts(p.behaalde_resultaten)[1].startswith("Een fiscaal nummer (CRIB)")
    assert len(p.behaalde_resultaten) == 2
    assert p.notes == []  # the colofon after the last table is not part of 5.1


def test_5_1_doel_2_goal_bullets(agenda: Agenda) -> None:
    d = doel(agenda, "5.1", 2)
    assert d.tekst.endswith("vaardig en veilig mee laten doen in het digitale leven:")
    assert [i.text.split(":")[0] for i in d.items] == ["Infrastructuur", "Digitale vaardigheden en inclusie", "Veiligheid"]
    assert texts(d.indicatoren) == ["Nog te bepalen"]


def test_5_1_actions(agenda: Agenda) -> None:
    assert actie(agenda, "5.1", 1).uitvoerders == [
        "BZK", "RvIG", "OCW", "DUO", "Caribische openbare lichamen", "Rijksdienst Caribisch Nederland",
    ]  # fmt: skip
    a7 = actie(agenda, "5.1", 7)
    assert a7.uitvoerders[-3:] == ["Aruba", "Curaçao", "Sint Maarten"]
    assert texts(a7.resultaat_2025) == ["Nader te bepalen maatregelen"]
    a2 = actie(agenda, "5.1", 2)
    assert texts(a2.resultaat_2025)[-1] == "Nader te bepalen nieuwe digitale voorzieningen digitale overheid ingevoerd"
    assert texts(actie(agenda, "5.1", 6).resultaat_2023) == ["Plan van aanpak gereed", "Propositie opgesteld"]


# --- clean output everywhere ------------------------------------------------------------------


def test_no_markup_tabs_or_debris_in_any_string(agenda: Agenda) -> None:
    bad = re.compile(r"<[A-Za-z/]|data-bbox|style=|\t|•|\]\(#\)|&[a-z]+;|¹")
    offenders = [(path, value[:80]) for path, value in strings(agenda.model_dump()) if bad.search(value)]
    assert offenders == []


def test_strings_are_trimmed_and_single_spaced(agenda: Agenda) -> None:
    for path, value in strings(agenda.model_dump()):
        if path.startswith(".document"):
            continue
        assert value == value.strip(), path
        assert "  " not in value, path


def test_no_empty_items_notes_or_uitvoerders(agenda: Agenda) -> None:
    for p in agenda.prioriteiten():
        lists = [p.opgave_items, p.behaalde_resultaten]
        lists += [d.items for d in p.doelen] + [d.indicatoren for d in p.doelen]
        lists += [a.resultaat_2023 for a in p.acties] + [a.resultaat_2025 for a in p.acties]
        for item in (i for lst in lists for i in lst):
            assert item.text.strip(), p.code
            assert all(n.strip() for n in item.notes), p.code
        all_notes = p.opgave_notes + p.notes + [n for d in p.doelen for n in d.notes] + [n for a in p.acties for n in a.notes]
        assert all(n.strip() for n in all_notes), p.code
        assert all(u.strip() for a in p.acties for u in a.uitvoerders), p.code


def test_notes_have_no_noot_prefix(agenda: Agenda) -> None:
    for path, value in strings(agenda.model_dump()):
        if "notes" in path:
            assert not value.lower().startswith("noot"), path


def test_table_headers_are_not_content(agenda: Agenda) -> None:
    for path, value in strings(agenda.model_dump()):
        assert not value.startswith(("Nr.", "-----", "Resultaat t/m", "Actiebeschrijving")), path


def test_uitvoerders_are_deduplicated(agenda: Agenda) -> None:
    for a in (a for p in agenda.prioriteiten() for a in p.acties):
        assert len(a.uitvoerders) == len(set(a.uitvoerders))


# --- front matter -----------------------------------------------------------------------------


def test_front_matter_sections(agenda: Agenda) -> None:
    assert [(s.slug, s.titel) for s in agenda.sections] == [
        ("aanleiding-werkagenda", "Aanleiding werkagenda"),
        ("werkagenda-vijf-programmalijnen", "Werkagenda vijf programmalijnen"),
        ("prioriteiten-langs-vijf-dimensies", "Prioriteiten langs vijf dimensies"),
    ]
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", s.slug) and s.level == 2 for s in agenda.sections)


def test_aanleiding_section_text(agenda: Agenda) -> None:
    tekst = agenda.sections[0].tekst
    assert tekst.startswith("Coalitieakkoord\n\n“De huidige digitale revolutie")
    assert "Bron: Kamerbrief hoofdlijnen beleid voor digitalisering" in tekst
    assert "- Digitale Economie: open, eerlijke en veilige digitale economie" in tekst
    assert "Inhoudsopgave" not in tekst and "](#)" not in tekst


def test_programmalijnen_section_keeps_list_and_general_note(agenda: Agenda) -> None:
    tekst = agenda.sections[1].tekst
    assert "1. Iedereen kan meedoen in het digitale tijdperk\n2. Iedereen kan de digitale wereld vertrouwen" in tekst
    assert tekst.endswith("Noot: 'Iedereen' is de ambitie. Het gaat er om zoveel mogelijk mensen te bereiken, "
                          "begrensd door wettelijke of gerechtvaardigde uitzonderingen")  # fmt: skip
    assert "Programmal" not in tekst  # the intros live on the Programmalijn objects


def test_dimensions_section_explains_both_result_columns(agenda: Agenda) -> None:
    tekst = agenda.sections[2].tekst
    assert "Korte termijn resultaten (t/m 2023) en langere termijn resultaten (t/m 2025)" in tekst
    for heading in ("Maatschappelijke opgave", "Behaalde resultaten", "Doelen", "Beoogde indicatoren", "Acties"):
        assert f"\n\n{heading}\n\n" in f"\n\n{tekst}"
    assert 'Noot: Voorbeeld indicator: "80% van de mensen van 16 tot 75 jaar' in tekst


# --- purity, integration, errors --------------------------------------------------------------


def test_parse_is_pure_and_deterministic(text: str, document: DocumentInfo, agenda: Agenda) -> None:
    again = parse_werkagenda(text, document)
    assert again.model_dump() == agenda.model_dump()
    assert again.document == document


def test_chunks_have_unique_ids_for_every_unit(agenda: Agenda) -> None:
    chunks = chunk_document(agenda)
    assert len({c.id for c in chunks}) == len(chunks)
    assert sum(c.soort == "doel" for c in chunks) == 51
    assert sum(c.soort == "actie" for c in chunks) == 102
    ids = {c.id for c in chunks}
    assert {"wwd-2022:2.4:actie:4", "wwd-2022:3.2:doel:3", "wwd-2022:1.1:opgave", "wwd-2022:1.1:resultaten"} <= ids
    assert "wwd-2022:aanleiding-werkagenda" in ids


def test_text_without_table_of_contents_is_refused(document: DocumentInfo) -> None:
    with pytest.raises(ValueError, match="inhoudsopgave"):
        parse_werkagenda("Zomaar een tekst\n\nZonder structuur.", document)


def test_windows_line_endings_parse_the_same(text: str, document: DocumentInfo, agenda: Agenda) -> None:
    assert parse_werkagenda(text.replace("\n", "\r\n"), document).model_dump() == agenda.model_dump()


# --- the cleaning helpers on real cells -------------------------------------------------------


def test_clean_text_basics() -> None:
    assert clean_text('<p>Burgers kunnen  erop\trekenen dat alle1 overheden</p>') == "Burgers kunnen erop rekenen dat alle overheden"
    assert clean_text("'digital commons' ¹ .") == "'digital commons'."
    assert clean_text("[3.1 \"Regie op eigen gegevens\"](#)") == '3.1 "Regie op eigen gegevens"'
    assert clean_text("NIB2 en CO2-uitstoot &amp; meer") == "NIB2 en CO2-uitstoot & meer"
    assert clean_text("congres, ...)") == "congres, ...)"
    assert note_text("Noot: 1. Zie m.b.t. de waarden") == "Zie m.b.t. de waarden"


def test_run_on_split_on_the_real_1_1_cell(text: str) -> None:
    cell = corpus_cell(text, "1\tDoorontwikkelen van platforms", 2)
    items = split_run_on_items(clean_text(cell), proper_names(text))
    assert len(items) == 5 and items[0].endswith("voor iedereen")


@pytest.mark.parametrize(
    "phrase",
    [
        "Jaarlijkse monitor icm bestaande rapportages van Eurostat CBS Tel mee met taal monitor",
        "Meerjarenplan Alliantie Digitaal Samenleven (ADS)",
        "Coördinatie van activiteiten in lijn met internationale Cyberstrategie op internationale veiligheid",
        "Voorstel voor aanpassing Wet digitale overheid",
        "Wet implementatie open data richtlijn (herziening Wet Hergebruik overheidsinformatie)",
        "Jaarlijkse rapportage Meldpunt Fouten in Overheidsregistraties naar Tweede Kamer",
        "NL neemt deel aan 3 Europese large scale pilots met ID-wallets",
    ],
)
def test_run_on_split_keeps_names_together(text: str, phrase: str) -> None:
    assert split_run_on_items(phrase, proper_names(text)) == [phrase]


def test_run_on_split_after_acronym_only_on_item_starters(text: str) -> None:
    names = proper_names(text)
    assert split_run_on_items("Er is een herziene BIO Er zijn pilots uitgevoerd", names) == [
        "Er is een herziene BIO",
        "Er zijn pilots uitgevoerd",
    ]
    assert split_run_on_items("Lijst noodzakelijke wetswijzigingen CZW Zie 4.1 \"X\"", names) == [
        "Lijst noodzakelijke wetswijzigingen CZW",
        'Zie 4.1 "X"',
    ]


def test_cell_blocks_on_the_continuation_cell(text: str) -> None:
    line = next(line for line in text.splitlines() if line.startswith("\t\t<p>bijvoorbeeld via digitale handtekeningen"))
    blocks = cell_blocks(line.split("\t")[2])
    assert [b.kind for b in blocks] == ["para", "item", "item", "item"]
    assert blocks[0].text == "bijvoorbeeld via digitale handtekeningen van tweets"
    assert blocks[0].notes[0].startswith("Het project Twid")
    assert blocks[3].notes[0].startswith("BENEDMO")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("BZK, OCW, VWS, EZK en JenV", ["BZK", "OCW", "VWS", "EZK", "JenV"]),
        ("BZK, AZ", ["BZK", "AZ"]),
        ("BZ/EZK/BZK", ["BZ", "EZK", "BZK"]),
        ("BZK, (DWJZ) JenV", ["BZK", "JenV"]),
        ("BZK, EZK, andere departementen, (mede)overheden", ["BZK", "EZK", "andere departementen", "medeoverheden"]),
        (
            "BZK, Logius, RvIG, diverse uitvoerders + medeoverheden",
            ["BZK", "Logius", "RvIG", "diverse uitvoerders", "medeoverheden"],
        ),
        (
            "andere departementen en interbestuurlijk (VNG, IPO, UvW)",
            ["andere departementen", "interbestuurlijk", "VNG", "IPO", "UvW"],
        ),
        (
            "BZK (voor PLOOI: KOOP), Rijksbreed Medeoverheden Uitvoeringsorganisaties",
            ["BZK", "Rijksbreed", "medeoverheden", "uitvoeringsorganisaties"],
        ),
        ("Ntb, Kadaster", ["Kadaster"]),
    ],
)
def test_split_uitvoerders(cell: str, expected: list[str]) -> None:
    assert split_uitvoerders(cell) == expected
