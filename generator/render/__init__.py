"""Renderers: HTML (Jinja), PDF (WeasyPrint), DOCX (docxtpl). They return strings or bytes; only pack.py writes."""
