"""Line coverage (assistant.coverage): the best single line's share of a question's terms, on the real
actions' result lines, and the bound on what it keeps."""

from __future__ import annotations

import pytest

from assistant.coverage import LineCoverage
from assistant.retrieval import FusionParams, HybridRetriever
from tests.test_unit_fusion import StandInCollection, StandInEmbedding
from tests.unit_corpus import analyzer, by_id, children, parents

LIBRARY_ACTION = "wwd-2022:1.1:actie:1"  # its result lines include "Het Informatiepunt als adviespunt voor veilig internet gebruik"


def lines_of(chunk_id: str) -> list[str]:
    texts = [c.text for c in children() if c.parent == chunk_id]
    return texts or [by_id()[chunk_id].text]


def test_the_best_line_is_the_one_that_holds_the_question():
    a = analyzer()
    coverage = LineCoverage(a, lines_of)
    asked = a.subject_terms("Is er een adviespunt voor veilig internet gebruik?")
    lines = lines_of(LIBRARY_ACTION)
    shares = [a.coverage(asked, terms) for terms in coverage.line_terms(LIBRARY_ACTION)]
    assert lines[shares.index(max(shares))] == "Het Informatiepunt als adviespunt voor veilig internet gebruik"
    assert coverage.best_line(asked, LIBRARY_ACTION) == pytest.approx(max(shares))
    assert max(shares) > 0.5
    # the whole action holds more of the question's terms than its best line does: only one line is quoted
    assert a.coverage(asked, set(a.document_terms(" ".join(lines)))) >= max(shares)
    assert coverage.best_line(a.subject_terms("gezichtsherkenning"), LIBRARY_ACTION) == 0.0


def test_a_parent_without_children_is_its_own_line():
    kept = [c for c in children() if c.parent != LIBRARY_ACTION]
    retriever = HybridRetriever(list(parents()), StandInCollection([(LIBRARY_ACTION, 0.9)]), StandInEmbedding(),
                                FusionParams(method="dense"), children=kept, analyzer=analyzer())
    assert retriever.lines_of(LIBRARY_ACTION) == [by_id()[LIBRARY_ACTION].text]
    other = kept[0].parent
    assert retriever.lines_of(other) == [c.text for c in kept if c.parent == other]


def test_the_kept_term_sets_are_bounded_and_read_once():
    reads: list[str] = []

    def counting(chunk_id: str) -> list[str]:
        reads.append(chunk_id)
        return lines_of(chunk_id)

    coverage = LineCoverage(analyzer(), counting, size=2)
    ids = list(by_id())[:3]
    for chunk_id in (ids[0], ids[0], ids[1], ids[2], ids[0]):
        coverage.line_terms(chunk_id)
    assert reads == [ids[0], ids[1], ids[2], ids[0]]  # the repeat is kept; the first was pushed out by the third
    assert len(coverage._terms) == 2


@pytest.mark.parametrize("question", ["", "de het een"])
def test_a_question_without_subject_covers_nothing(question):
    a = analyzer()
    assert LineCoverage(a, lines_of).best_line(a.subject_terms(question), LIBRARY_ACTION) == 0.0
