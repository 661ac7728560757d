"""Folio: a manuscript in Markdown with citations in; a print PDF, an EPUB 3 and a review draft out."""

__version__ = "0.1.0"
