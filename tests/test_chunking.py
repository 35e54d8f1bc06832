"""Chunks of the real corpus: one per citable unit, stable ids, labels, context in the embedded text."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from ingest.corpus import BUNDLED_CORPUS_DIR
from ingest.corpus import chunks_for_source, load_manifest


@pytest.fixture(scope="module")
def chunks():
    return [c for source in load_manifest(BUNDLED_CORPUS_DIR) for c in chunks_for_source(source)]


@pytest.fixture(scope="module")
def by_id(chunks):
    return {c.id: c for c in chunks}


def test_one_chunk_per_citable_unit(chunks):
    soorten = Counter(c.soort for c in chunks)
    assert soorten["actie"] == 102 and soorten["doel"] == 51
    assert soorten["opgave"] == 15 and soorten["resultaten"] == 15 and soorten["programmalijn"] == 5
    assert soorten["sectie"] == 3 + 9  # agenda front matter + the article's intro and 8 sections
    assert len(chunks) == 200


def test_ids_are_unique_and_follow_the_scheme(chunks):
    ids = [c.id for c in chunks]
    assert len(ids) == len(set(ids))
    pattern = re.compile(r"^wwd-2022:(\d\.\d:(actie:\d+|doel:\d+|opgave|resultaten)|programmalijn:\d|[a-z0-9-]+)$|^wwd-jaar-onderweg:[a-z0-9-]+$")
    assert all(pattern.match(i) for i in ids), [i for i in ids if not pattern.match(i)]


def test_action_chunk_fields_label_and_metadata(by_id):
    chunk = by_id["wwd-2022:2.4:actie:4"]
    assert chunk.label == "Werkagenda 2022 · 2.4 Versterken cybersecurity · actie 4"
    assert chunk.uitvoerders == ["BZK", "AZ"]
    assert chunk.programmalijn == 2 and chunk.prioriteit == "2.4" and chunk.nummer == 4
    meta = chunk.metadata()
    assert meta["prioriteit"] == "2.4" and meta["soort"] == "actie" and meta["uitvoerders"] == "|BZK|AZ|"
    assert "Resultaat t/m 2023" in chunk.text and "Uitvoerder: BZK" in chunk.text
    # the embedded text carries its context, so the chunk stands on its own
    assert chunk.embed_text.startswith("Werkagenda Waardengedreven Digitaliseren · Programmalijn 2: Iedereen kan de digitale wereld vertrouwen")
    assert "Prioriteit 2.4: Versterken cybersecurity · Actie 4" in chunk.embed_text


def test_long_titles_are_shortened_in_labels_only(by_id):
    chunk = by_id["wwd-2022:2.2:doel:1"]
    assert chunk.label.endswith("… · doel 1") and len(chunk.label) < 110
    assert chunk.prioriteit_titel.startswith("Borgen van privacy, verantwoord datagebruik")


def test_results_columns_and_goal_indicators(by_id):
    actie = by_id["wwd-2022:4.1:actie:2"]
    assert any("departementale actieplannen" in r for r in actie.fields["resultaat_2025"])
    doel = by_id["wwd-2022:1.1:doel:1"]
    assert any("80%" in i for i in doel.fields["indicatoren"])


def test_priority_notes_travel_with_the_opgave(by_id):
    assert "Staatssecretaris" in by_id["wwd-2022:4.1:opgave"].text


def test_article_sections_and_front_matter(by_id):
    assert by_id["wwd-jaar-onderweg:desinformatie"].label == "Werkagenda een jaar onderweg · Desinformatie"
    assert "Pol.is" in by_id["wwd-jaar-onderweg:desinformatie"].text
    assert "t/m 2025" in by_id["wwd-2022:prioriteiten-langs-vijf-dimensies"].text
