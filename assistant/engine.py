"""The library API: `Assistant.open(settings).ask(question, history, filters) -> Answer`.

Routes a question to a structured look-up (codes, organisations, follow-ups) or to hybrid search
with a scope decision, then composes the extractive answer; an LLM, when configured, rewrites it
from the same numbered sources (assistant.llm).
"""

from __future__ import annotations

import json
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from pydantic import BaseModel

from assistant import compose
from assistant.compose import Composer
from assistant.errors import UserInputError
from assistant.exemplars import exemplar_votes
from assistant.index_access import open_index
from assistant.intent import Intent, analyse
from assistant.models import Answer, Filters, Turn
from assistant.referrals import referrals_for
from assistant.retrieval import FusionParams, HybridRetriever, SearchResult, names_organisation
from assistant.scope import ScopeParams, ScopeSignals, in_scope, vocabulary_for
from assistant.settings import Settings
from assistant.text import content_stems, content_words, looks_english, stemmer
from index.artifacts import build_chunks
from index.embeddings import load_embedding, parse_embedder
from index.store import BuildReplacedError, ChunkCollection
from ingest.chunking import short_title
from ingest.models import Chunk

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
MAX_QUESTION_CHARS = 2000
# Terminal escape sequences (colours, cursor moves): removed whole, not only their ESC character.
_ANSI_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
EXAMPLE_QUESTION = "Komt er een digitale identiteitswallet?"
ENGLISH_REFUSAL = (
    "Je vraag lijkt in het Engels te zijn gesteld. Deze assistent begrijpt alleen vragen in het Nederlands, "
    "over de Werkagenda Waardengedreven Digitaliseren. Stel je vraag in het Nederlands, bijvoorbeeld: "
    f"*{EXAMPLE_QUESTION}* of *Welke acties vallen onder 2.4?*"
)
ENGLISH_NOTICE = (
    "Je vraag lijkt in het Engels te zijn gesteld; de assistent antwoordt in het Nederlands en begrijpt "
    "Nederlandse vragen het best."
)
SEARCH_DEPTH = 10
RELATED_RATIO = 0.8  # include further search hits whose fused score is at least this share of the best
MAX_SEARCH_ITEMS = 3


def organisation_subject_needs_scope(intent: Intent) -> bool:
    """An organisation look-up with a subject passes the scope decision: "Hoeveel geld krijgt
    Defensie?" names an uitvoerder but asks about something else. The scope model knows Dutch
    questions only: an English one keeps its look-up."""
    return bool(intent.topic_stems) and not looks_english(intent.question)


def takes_scope_decision(intent: Intent, route: str) -> bool:
    """Whether an answer on this route went through the scope decision (what evals.tune fits on)."""
    return route in ("zoeken", "buiten_scope") or (route == "organisatie" and organisation_subject_needs_scope(intent))


class Calibration(BaseModel):
    fusion: FusionParams = FusionParams()
    scope: ScopeParams = ScopeParams()

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> Calibration:
        return cls.model_validate(json.loads(path.read_text())) if path.is_file() else cls()


def clean_question(raw: str) -> tuple[str, str]:
    """Strip control characters and bound the length; returns (question, notice)."""
    # Cut a huge input before the per-character work below, so a multi-megabyte paste costs nothing.
    text = _ANSI_RE.sub(" ", "" if raw is None else str(raw)[: MAX_QUESTION_CHARS * 10])
    text = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in text)
    text = " ".join(text.split())
    notice = ""
    if len(text) > MAX_QUESTION_CHARS:
        text = text[:MAX_QUESTION_CHARS].rsplit(" ", 1)[0]
        notice = f"Je vraag was erg lang; alleen de eerste {MAX_QUESTION_CHARS} tekens zijn gebruikt."
    return text, notice


class Assistant:
    def __init__(self, settings: Settings, collection: ChunkCollection, embedding, calibration: Calibration):
        self.settings = settings
        self.calibration = calibration
        self._reload_lock = threading.Lock()
        self.use_collection(collection, embedding)
        self.exemplars = exemplar_votes(calibration.scope, embedding, parse_embedder(settings.embedder).key, settings.data_dir)
        self.llm = None
        if settings.llm:
            from assistant.llm import LLMBackend

            self.llm = LLMBackend.from_settings(settings)

    def use_collection(self, collection: ChunkCollection, embedding) -> None:
        """Read a build's chunks and build the search over them; the new state replaces the old at once."""
        chunks = build_chunks(collection, self.settings.data_dir)  # stored beside the index after the first read
        retriever = HybridRetriever(chunks, collection, embedding, self.calibration.fusion, self.settings.data_dir)
        vocabulary = vocabulary_for(chunks, self.settings.data_dir, lambda c: content_stems(c.embed_text))
        self.collection, self.chunks, self.by_id = collection, chunks, {c.id: c for c in chunks}
        self.retriever, self.vocabulary = retriever, vocabulary
        self.agenda_doc = next((c.document for c in chunks if c.soort == "actie"), "")

    def reload(self, stale: ChunkCollection) -> None:
        """Switch to the active build after another process ingested (a shared data dir or server)."""
        with self._reload_lock:
            if self.collection is stale:  # a concurrent request may have reloaded already
                collection = open_index(self.settings, build_if_missing=False, progress=False, notify=lambda _m: None)
                self.use_collection(collection, self.retriever.embedding)

    @classmethod
    def open(
        cls, settings: Settings | None = None, progress: bool = True, notify: Callable[[str], None] = print,
        calibration: Calibration | None = None,
    ) -> Assistant:
        settings = settings or Settings()
        collection = open_index(settings, progress=progress, notify=notify)
        embedding = load_embedding(parse_embedder(settings.embedder))
        embedding.get_query_embedding("opwarmen")  # load weights now, not on the first question
        return cls(settings, collection, embedding, calibration or Calibration.load())

    # -- public API --------------------------------------------------------------------------
    def ask(self, question: str, history: Sequence[Turn] = (), filters: Filters | None = None) -> Answer:
        """Answer one question; raises UserInputError (Dutch message) on empty input or bad filters."""
        final: Answer | None = None
        for _, final in self.ask_stream(question, history, filters):
            pass
        assert final is not None
        return final

    def ask_stream(
        self, question: str, history: Sequence[Turn] = (), filters: Filters | None = None
    ) -> Iterator[tuple[str, Answer | None]]:
        """Yield (text so far, None) while the answer grows, then (final text, Answer).

        With an LLM the tokens stream from the server; without one the extractive answer is
        revealed line by line, so the UI behaves the same either way.
        """
        started = time.perf_counter()
        text, notice = clean_question(question)
        if not text:
            raise UserInputError("Stel een vraag over de werkagenda; de vraag is leeg.")
        if not any(ch.isalnum() for ch in text):
            raise UserInputError(f"Je vraag bevat geen woorden. Stel een vraag over de werkagenda, bijvoorbeeld: {EXAMPLE_QUESTION}")
        self.validate_filters(filters)
        try:
            answer = self.answer_extractively(text, list(history), filters)
        except BuildReplacedError:
            # Another ingest switched the index while we were serving: load it and answer from it.
            self.reload(self.collection)
            answer = self.answer_extractively(text, list(history), filters)
        answer.question, answer.notice = text, notice
        if looks_english(text):
            # Scope and look-ups read Dutch: an English question is refused for its language, not with
            # "dat staat niet in de werkagenda", which may be untrue (the agenda does cover wallets).
            if not answer.in_scope:
                answer.answer = ENGLISH_REFUSAL
            else:
                answer.notice = " ".join(n for n in (notice, ENGLISH_NOTICE) if n)
        final = answer
        if self.llm is not None and answer.in_scope and answer.citations:
            for partial, done in self.llm.stream(answer):
                if done is None:
                    yield partial, None
                else:
                    final = done
        else:
            lines = answer.answer.split("\n")
            for i in range(1, len(lines)):
                yield "\n".join(lines[:i]), None
        final.timings_ms["total"] = round((time.perf_counter() - started) * 1000, 2)
        yield final.answer, final

    def validate_filters(self, filters: Filters | None) -> None:
        if filters is None:
            return
        values = {
            "document": {c.document for c in self.chunks},
            "programmalijn": {c.programmalijn for c in self.chunks if c.programmalijn},
            "prioriteit": {c.prioriteit for c in self.chunks if c.prioriteit},
            "soort": {c.soort for c in self.chunks},
        }
        for key, allowed in values.items():
            value = getattr(filters, key)
            if value and value not in allowed:
                options = ", ".join(sorted(str(v) for v in allowed))
                raise UserInputError(f"Onbekende waarde voor filter {key}: '{value}'. Kies uit: {options}.")
        if filters.uitvoerder and not self.retriever.allowed(Filters(uitvoerder=filters.uitvoerder)).any():
            raise UserInputError(f"Geen enkele actie heeft '{filters.uitvoerder}' als uitvoerder.")

    def uitvoerders(self) -> list[str]:
        """All organisations named as uitvoerder, most frequent first (for the UI's filter)."""
        from collections import Counter

        counts = Counter(u for c in self.chunks for u in c.uitvoerders)
        return [u for u, _ in counts.most_common()]

    # -- routing -----------------------------------------------------------------------------
    def answer_extractively(self, question: str, history: list[Turn], filters: Filters | None) -> Answer:
        intent = analyse(question, has_history=bool(history))
        composer = Composer(question_stems=content_stems(question))
        search_query = question
        if intent.follow_up and history:
            search_query = f"{history[-1].question} {question}"
        search = self.retriever.search(search_query, filters, SEARCH_DEPTH)
        composer.scores = {h.chunk.id: h.score for h in search.hits}

        routed = (
            self.route_follow_up(intent, history, composer)
            or self.route_code(intent, composer, filters)
            or self.route_organisation(intent, composer, filters, search)
        )
        if routed is None:
            routed = self.route_search(intent, composer, search, filters)
        route, text, in_scope_ = routed
        citations = composer.citation_models()
        retrieved = [c.id for c in citations] + [h.chunk.id for h in search.hits if h.chunk.id not in {c.id for c in citations}]
        answer = Answer(
            question=question, answer=text, in_scope=in_scope_, route=route, citations=citations,
            retrieved=retrieved if in_scope_ else [h.chunk.id for h in search.hits], timings_ms=search.timings_ms,
        )
        if not in_scope_:
            answer.outcome = "not_covered"
            answer.referrals = referrals_for(question)
            answer.suggestions = self.suggestions(search)
            answer.answer = compose.refusal_text(answer.referrals, answer.suggestions)
        return answer

    def suggestions(self, search: SearchResult, limit: int = 3) -> list[str]:
        """Questions the agenda does answer, near the refused one: its closest priorities, else a fixed pair."""
        codes: list[str] = []
        for hit in search.hits:
            if hit.chunk.prioriteit and hit.chunk.document == self.agenda_doc and hit.chunk.prioriteit not in codes:
                codes.append(hit.chunk.prioriteit)
        titles = {c.prioriteit: c.prioriteit_titel for c in self.chunks if c.prioriteit}
        found = [f"Wat houdt prioriteit {code} ({short_title(titles[code], 50)}) in?" for code in codes[:limit - 1]]
        for fixed in (EXAMPLE_QUESTION, "Welke acties vallen onder 2.4?"):
            if len(found) < limit and fixed not in found:
                found.append(fixed)
        return found

    def route_follow_up(self, intent: Intent, history: list[Turn], composer: Composer):
        if not (intent.follow_up and history):
            return None
        cited = [self.by_id[i] for i in history[-1].citation_ids if i in self.by_id]
        # Who carries it out and what it delivers are fields of actions: prefer the first cited action.
        wants_action_field = intent.aspects & {"uitvoerders", "resultaat_2023", "resultaat_2025"}
        actions = [c for c in cited if c.soort == "actie"]
        focus = (actions if wants_action_field and actions else cited)[:1]
        if not focus:
            return None
        return "vervolg", compose.answer_items(composer, intent, focus), True

    def route_code(self, intent: Intent, composer: Composer, filters: Filters | None):
        """Questions that name a priority code: go straight to those items."""
        if not intent.prioriteit:
            return None
        prio = intent.prioriteit
        in_prio = [c for c in self.chunks if c.prioriteit == prio and c.document == self.agenda_doc]
        if not in_prio:
            return None
        titel = short_title(in_prio[0].prioriteit_titel, 90)
        if intent.item:
            kind, nummer = intent.item
            target = self.by_id.get(f"{self.agenda_doc}:{prio}:{kind}:{nummer}")
            if target is None:
                siblings = [c for c in in_prio if c.soort == kind]
                lead = (
                    f"Prioriteit {prio} (*{titel}*) heeft geen {kind} {nummer}; "
                    f"er {'is' if len(siblings) == 1 else 'zijn'} {len(siblings)} {'acties' if kind == 'actie' else 'doelen'}:"
                )
                return "opzoeken", compose.answer_list(composer, lead, siblings, False), True
            return "opzoeken", compose.answer_items(composer, intent, [target]), True
        for kind, plural in (("actie", "acties"), ("doel", "doelen")):
            if plural in intent.aspects and not intent.topic_stems:
                items = [c for c in in_prio if c.soort == kind]
                lead = f"Onder prioriteit {prio} (*{titel}*) {'valt' if len(items) == 1 else 'vallen'} {len(items)} {plural}:"
                return "opzoeken", compose.answer_list(composer, lead, items, False), True
        if intent.topic_stems:  # a topic within the priority: search inside it
            return None
        wanted = "resultaten" if "behaalde" in intent.aspects else "opgave"
        first = next((c for c in in_prio if c.soort == wanted), in_prio[0])
        doelen = [c for c in in_prio if c.soort == "doel"]
        lead = compose.lead_sentence(composer, intent, first)
        lines = [compose.list_line(composer, c, False) for c in doelen]
        return "opzoeken", compose.finish(composer, [lead, f"De doelen van prioriteit {prio}:", "\n".join(lines)]), True

    def route_organisation(self, intent: Intent, composer: Composer, filters: Filters | None, search: SearchResult):
        """'Welke acties voert BZ uit?': every action whose uitvoerder names the organisation."""
        if not intent.organisations or intent.prioriteit:
            return None
        org = intent.organisations[0]
        actions = [c for c in self.chunks if c.soort == "actie" and names_organisation(c, org)]
        if not actions:
            return None
        if intent.topic_stems:  # "Wat doet BZK aan cybersecurity?": search within that organisation's actions
            if organisation_subject_needs_scope(intent) and not self.covers(intent, search, filters):
                return "buiten_scope", compose.refusal_text(), False
            allowed = {c.id for c in actions}
            hits = [h.chunk for h in search.hits if h.chunk.id in allowed]
            if not hits:
                hits = [h.chunk for h in self.retriever.search(intent.question, Filters(uitvoerder=org.code), 5).hits]
            if hits:
                return "organisatie", compose.answer_items(composer, intent, hits[:MAX_SEARCH_ITEMS]), True
            return None
        lead = f"{org.code} ({org.name}) is uitvoerder bij {len(actions)} {'actie' if len(actions) == 1 else 'acties'} in de werkagenda:"
        return "organisatie", compose.answer_list(composer, lead, actions, True), True

    def covers(self, intent: Intent, search: SearchResult, filters: Filters | None) -> bool:
        """The scope decision. Whether the agenda covers a question does not depend on the filter the
        user chose: it is decided on the whole corpus."""
        scope_search = search if filters is None or filters.is_empty() else self.retriever.search(intent.question)
        return in_scope(self.scope_signals(intent, scope_search), self.calibration.scope)

    def route_search(self, intent: Intent, composer: Composer, search: SearchResult, filters: Filters | None):
        if not search.hits or not self.covers(intent, search, filters):
            return "buiten_scope", compose.refusal_text(), False
        top = search.hits[0]
        chosen = [top.chunk] + [
            h.chunk for h in search.hits[1:] if h.score >= RELATED_RATIO * top.score
        ][: MAX_SEARCH_ITEMS - 1]
        if not any(c.soort in ("actie", "doel") for c in chosen):
            # The agenda's commitments are what users ask about: when the best hit is background text
            # (an article section, an opgave), also cite the best concrete goal or action nearby.
            concrete = next((h.chunk for h in search.hits[:5] if h.chunk.soort in ("actie", "doel")), None)
            if concrete is not None:
                chosen = [*chosen[: MAX_SEARCH_ITEMS - 1], concrete]
        return "zoeken", compose.answer_items(composer, intent, chosen), True

    def scope_signals(self, intent: Intent, search: SearchResult) -> ScopeSignals:
        words = content_words(intent.question)
        stems = stemmer().stemWords(words)
        subject = " ".join(words)
        topic_lexical = self.retriever.lexical.scores(subject) if subject else None
        return ScopeSignals(
            dense_top=search.dense_top, dense_gap=search.dense_gap, lexical_top=search.lexical_top,
            coverage=self.vocabulary.coverage(stems), idf_coverage=self.vocabulary.idf_coverage(stems),
            topic_lexical_top=float(topic_lexical.max(initial=0.0)) if topic_lexical is not None else 0.0,
            # The question's embedding is cached by the search that preceded this call.
            exemplar_vote=self.exemplars.vote(self.retriever.embed_query(intent.question)),
        )

