"""Organisations that carry out actions: abbreviations as the agenda writes them, and their full names.

Used both ways: to recognise an organisation in a question ("Buitenlandse Zaken", "bzk") and to
find the actions whose uitvoerder cell names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from assistant.text import fold


@dataclass(frozen=True)
class Organisation:
    code: str  # as the agenda writes it: "BZK"
    name: str  # "ministerie van Binnenlandse Zaken en Koninkrijksrelaties"
    aliases: tuple[str, ...] = ()  # other ways people write it (matched case-insensitively)


ORGANISATIONS: tuple[Organisation, ...] = (
    Organisation("BZK", "ministerie van Binnenlandse Zaken en Koninkrijksrelaties", ("Binnenlandse Zaken", "BiZa")),
    Organisation("BZ", "ministerie van Buitenlandse Zaken", ("Buitenlandse Zaken",)),
    Organisation("EZK", "ministerie van Economische Zaken en Klimaat", ("Economische Zaken", "EZ")),
    Organisation("JenV", "ministerie van Justitie en Veiligheid", ("Justitie en Veiligheid", "Justitie", "J&V", "JenV", "JVenV")),
    Organisation("OCW", "ministerie van Onderwijs, Cultuur en Wetenschap", ("Onderwijs, Cultuur en Wetenschap", "ministerie van Onderwijs", "Onderwijsministerie")),
    Organisation("VWS", "ministerie van Volksgezondheid, Welzijn en Sport", ("Volksgezondheid", "ministerie van Volksgezondheid")),
    Organisation("SZW", "ministerie van Sociale Zaken en Werkgelegenheid", ("Sociale Zaken",)),
    Organisation("FIN", "ministerie van Financiën", ("Financiën", "Financien", "ministerie van Financiën")),
    Organisation("IenW", "ministerie van Infrastructuur en Waterstaat", ("Infrastructuur en Waterstaat", "I&W")),
    Organisation("LNV", "ministerie van Landbouw, Natuur en Voedselkwaliteit", ("Landbouw, Natuur en Voedselkwaliteit",)),
    Organisation("AZ", "ministerie van Algemene Zaken", ("Algemene Zaken",)),
    Organisation("DEF", "ministerie van Defensie", ("Defensie",)),
    Organisation("VNG", "Vereniging van Nederlandse Gemeenten", ("Vereniging van Nederlandse Gemeenten",)),
    Organisation("IPO", "Interprovinciaal Overleg", ("Interprovinciaal Overleg", "provincies")),
    Organisation("UvW", "Unie van Waterschappen", ("Unie van Waterschappen", "waterschappen")),
    Organisation("RvIG", "Rijksdienst voor Identiteitsgegevens", ("Rijksdienst voor Identiteitsgegevens",)),
    Organisation("Logius", "Logius", ()),
    Organisation("ICTU", "ICTU", ()),
    Organisation("DUO", "Dienst Uitvoering Onderwijs", ("Dienst Uitvoering Onderwijs",)),
    Organisation("UWV", "UWV", ()),
    Organisation("SVB", "Sociale Verzekeringsbank", ("Sociale Verzekeringsbank",)),
    Organisation("RVO", "Rijksdienst voor Ondernemend Nederland", ("Rijksdienst voor Ondernemend Nederland",)),
    Organisation("RDW", "RDW", ()),
    Organisation("NCSC", "Nationaal Cyber Security Centrum", ("Nationaal Cyber Security Centrum",)),
    Organisation("NCTV", "Nationaal Coördinator Terrorismebestrijding en Veiligheid", ()),
    Organisation("CIO Rijk", "CIO Rijk", ()),
    Organisation("AT", "Agentschap Telecom", ("Agentschap Telecom",)),
    Organisation("Belastingdienst", "Belastingdienst", ()),
    Organisation("Kadaster", "Kadaster", ()),
    Organisation("CJIB", "Centraal Justitieel Incassobureau", ()),
    Organisation("SER", "Sociaal-Economische Raad", ("Sociaal-Economische Raad",)),
    Organisation("SLO", "SLO (nationaal expertisecentrum leerplanontwikkeling)", ()),
    Organisation("Alliantie Digitaal Samenleven", "Alliantie Digitaal Samenleven", ("ADS",)),
    Organisation("KNB", "Koninklijke Notariële Beroepsorganisatie", ()),
    Organisation("RWS", "Rijkswaterstaat", ("Rijkswaterstaat",)),
    Organisation("Rijksdienst Caribisch Nederland", "Rijksdienst Caribisch Nederland", ("RCN",)),
    Organisation("MIVD", "Militaire Inlichtingen- en Veiligheidsdienst", ()),
    Organisation("AIVD", "Algemene Inlichtingen- en Veiligheidsdienst", ()),
    # Named in the uitvoerder cells as well (2.2, 2.4, 4.1, 3.1, 1.1, 2.1), and asked about by name.
    Organisation("AP", "Autoriteit Persoonsgegevens", ("Autoriteit Persoonsgegevens", "privacytoezichthouder")),
    Organisation("OM", "Openbaar Ministerie", ("Openbaar Ministerie",)),
    Organisation("Nationale Politie", "Nationale Politie", ("politie",)),
    Organisation("CIP", "Centrum voor Informatiebeveiliging en Privacybescherming", ()),
    Organisation("KOOP", "Kennis- en Exploitatiecentrum Officiële Overheidspublicaties", ()),
    Organisation("Aedes", "Aedes (vereniging van woningcorporaties)", ("woningcorporaties", "woningbouwcorporaties")),
    Organisation("NL Digital", "NL Digital", ()),
    Organisation("Public Spaces", "Public Spaces", ("PublicSpaces",)),
    Organisation("Europa Decentraal", "Europa Decentraal", ()),
)


def _pattern(term: str, case_sensitive: bool) -> re.Pattern[str]:
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.compile(rf"(?<![\w&]){re.escape(term)}(?![\w&])", flags)


@lru_cache(maxsize=None)
def _code_pattern(org: Organisation) -> re.Pattern[str]:
    # Short codes only in capitals in the agenda's cells ("AZ", "AT" would otherwise hit ordinary words).
    return _pattern(org.code, case_sensitive=len(org.code) <= 3 or org.code.isupper())


def mentions(text: str, org: Organisation) -> bool:
    """Does an uitvoerder cell name this organisation?"""
    return bool(_code_pattern(org).search(text)) or any(_pattern(a, False).search(text) for a in org.aliases if len(a) > 4)


# Two-letter codes that are also ordinary Dutch words in lower case; only accepted in capitals in questions.
_AMBIGUOUS_LOWER = {"at", "az", "bz", "ez", "ser", "ads", "fin", "def", "rcn", "om", "ap", "cip"}


def find_in_question(question: str) -> list[Organisation]:
    """Organisations a question names, by code (any case, unless ambiguous) or full name."""
    found: list[Organisation] = []
    folded = fold(question)
    for org in ORGANISATIONS:
        code_hit = _pattern(org.code, case_sensitive=True).search(question) or (
            fold(org.code) not in _AMBIGUOUS_LOWER and _pattern(fold(org.code), False).search(folded)
        )
        alias_hit = any(_pattern(fold(a), False).search(folded) for a in (org.name, *org.aliases) if len(a) > 3)
        if code_hit or alias_hit:
            found.append(org)
    return found


def by_code(code: str) -> Organisation | None:
    folded = fold(code)
    for org in ORGANISATIONS:
        if fold(org.code) == folded or folded in (fold(a) for a in org.aliases):
            return org
    return None
