"""A mission's issued statement as a printable HTML page and as PDF (WeasyPrint, which lays out
the same HTML and CSS with Pango; no browser needed on the server).

The HTML carries the statement's text as issued, the log entry that holds it and the mission's
signature line, so a printed copy points back to what anyone can verify.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from achyk.web.i18n import LANGUAGES
from achyk.web.render import environment


def render_html(document: dict[str, Any], lang: str, index: int | None) -> str:
    """The statement in `lang` (one of its languages), a standalone page."""
    chrome = lang if lang in LANGUAGES else "en"  # the page's own words (headings of figures)
    template = environment(chrome).get_template("statement.html")
    return template.render(doc=document, lang=lang, index=index)


@lru_cache(maxsize=16)
def render_pdf(html: str) -> bytes:
    """The PDF of `html`; kept for the same page, since an issued statement never changes and
    laying it out takes a second or more."""
    from weasyprint import HTML  # imported when used: it loads Pango

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
