"""The words Folio itself prints ("Notes", "Contents", "Chapter 3", ...) and the quotation marks
it sets, in the language of the text they stand in.

Plural forms (for "Figures 3.1 and 3.2") are keyed with a trailing "s". One table per language,
keyed by the primary subtag of a BCP 47 tag ("de-DE" reads "de"); a
language not in the table falls back to English, so a book never lacks a word. The templates
call `word(key, language)`; fragment.py uses it for the notes heading and for quotation marks.
"""

from __future__ import annotations

ENGLISH = {
    "notes": "Notes",
    "contents": "Contents",
    "chapter": "Chapter",
    "section": "Section",
    "figure": "Figure",
    "table": "Table",
    "equation": "Equation",
    "appendix": "Appendix",
    "bibliography": "Bibliography",
    "references": "References",
    "title_page": "Title page",
    "copyright": "Copyright",
    "cover": "Cover",
    "page_numbers": "Print page numbers",
    "landmarks": "Landmarks",
    "published_by": "Published by",
    "figures": "Figures",
    "tables": "Tables",
    "equations": "Equations",
    "sections": "Sections",
    "and": "and",
}

WORDS: dict[str, dict[str, str]] = {
    "en": ENGLISH,
    "de": {
        "notes": "Anmerkungen",
        "contents": "Inhalt",
        "chapter": "Kapitel",
        "section": "Abschnitt",
        "figure": "Abbildung",
        "table": "Tabelle",
        "equation": "Gleichung",
        "appendix": "Anhang",
        "bibliography": "Literaturverzeichnis",
        "references": "Literatur",
        "title_page": "Titelseite",
        "copyright": "Impressum",
        "cover": "Umschlag",
        "page_numbers": "Seitenzahlen der Druckausgabe",
        "landmarks": "Orientierungspunkte",
        "published_by": "Erschienen bei",
        "figures": "Abbildungen",
        "tables": "Tabellen",
        "equations": "Gleichungen",
        "sections": "Abschnitte",
        "and": "und",
    },
    "fr": {
        "notes": "Notes",
        "contents": "Table des matières",
        "chapter": "Chapitre",
        "section": "Section",
        "figure": "Figure",
        "table": "Tableau",
        "equation": "Équation",
        "appendix": "Annexe",
        "bibliography": "Bibliographie",
        "references": "Références",
        "title_page": "Page de titre",
        "copyright": "Droits d’auteur",
        "cover": "Couverture",
        "page_numbers": "Numéros de page de l’édition imprimée",
        "landmarks": "Repères",
        "published_by": "Publié par",
        "figures": "Figures",
        "tables": "Tableaux",
        "equations": "Équations",
        "sections": "Sections",
        "and": "et",
    },
    "es": {
        "notes": "Notas",
        "contents": "Índice",
        "chapter": "Capítulo",
        "section": "Sección",
        "figure": "Figura",
        "table": "Tabla",
        "equation": "Ecuación",
        "appendix": "Apéndice",
        "bibliography": "Bibliografía",
        "references": "Referencias",
        "title_page": "Portada",
        "copyright": "Créditos",
        "cover": "Cubierta",
        "page_numbers": "Números de página de la edición impresa",
        "landmarks": "Puntos de referencia",
        "published_by": "Publicado por",
        "figures": "Figuras",
        "tables": "Tablas",
        "equations": "Ecuaciones",
        "sections": "Secciones",
        "and": "y",
    },
    "it": {
        "notes": "Note",
        "contents": "Indice",
        "chapter": "Capitolo",
        "section": "Sezione",
        "figure": "Figura",
        "table": "Tabella",
        "equation": "Equazione",
        "appendix": "Appendice",
        "bibliography": "Bibliografia",
        "references": "Riferimenti",
        "title_page": "Frontespizio",
        "copyright": "Colophon",
        "cover": "Copertina",
        "page_numbers": "Numeri di pagina dell’edizione a stampa",
        "landmarks": "Punti di riferimento",
        "published_by": "Pubblicato da",
        "figures": "Figure",
        "tables": "Tabelle",
        "equations": "Equazioni",
        "sections": "Sezioni",
        "and": "e",
    },
    "nl": {
        "notes": "Noten",
        "contents": "Inhoud",
        "chapter": "Hoofdstuk",
        "section": "Paragraaf",
        "figure": "Figuur",
        "table": "Tabel",
        "equation": "Vergelijking",
        "appendix": "Bijlage",
        "bibliography": "Bibliografie",
        "references": "Literatuur",
        "title_page": "Titelpagina",
        "copyright": "Colofon",
        "cover": "Omslag",
        "page_numbers": "Paginanummers van de gedrukte uitgave",
        "landmarks": "Oriëntatiepunten",
        "published_by": "Uitgegeven door",
        "figures": "Figuren",
        "tables": "Tabellen",
        "equations": "Vergelijkingen",
        "sections": "Paragrafen",
        "and": "en",
    },
    "pt": {
        "notes": "Notas",
        "contents": "Sumário",
        "chapter": "Capítulo",
        "section": "Secção",
        "figure": "Figura",
        "table": "Tabela",
        "equation": "Equação",
        "appendix": "Apêndice",
        "bibliography": "Bibliografia",
        "references": "Referências",
        "title_page": "Folha de rosto",
        "copyright": "Ficha técnica",
        "cover": "Capa",
        "page_numbers": "Números de página da edição impressa",
        "landmarks": "Pontos de referência",
        "published_by": "Publicado por",
        "figures": "Figuras",
        "tables": "Tabelas",
        "equations": "Equações",
        "sections": "Secções",
        "and": "e",
    },
}

# Outer and inner quotation marks, as each language sets them (French with thin no-break spaces
# inside the guillemets, as the Imprimerie nationale's rules ask).
QUOTES: dict[str, tuple[str, str, str, str]] = {
    "en": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "de": ("\u201e", "\u201c", "\u201a", "\u2018"),
    "fr": ("\u00ab\u202f", "\u202f\u00bb", "\u201c", "\u201d"),
    "es": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "it": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
    "nl": ("\u201c", "\u201d", "\u2018", "\u2019"),
    "pt": ("\u00ab", "\u00bb", "\u201c", "\u201d"),
}


def primary(language: str) -> str:
    """The primary subtag of a language tag, lower case: 'de-DE' -> 'de'."""
    return language.split("-")[0].lower()


def word(key: str, language: str) -> str:
    """The word for `key` in this language, or the English one where the table has none."""
    return WORDS.get(primary(language), ENGLISH).get(key, ENGLISH[key])


def quotes(language: str) -> tuple[str, str, str, str]:
    """(open, close, inner open, inner close) quotation marks for this language."""
    return QUOTES.get(primary(language), QUOTES["en"])
