"""HTML → PDF with WeasyPrint, from the same templates as the pages (appeal letters, reports).

One renderer for every PDF Bureau makes, so each gets the same guard: it fetches nothing.
"""

from __future__ import annotations

from typing import Any


def _no_fetch() -> Any:
    """WeasyPrint's fetcher here fetches nothing. A Bureau PDF needs no outside resource (styles
    are inline in its template), and some templates are untrusted (a workspace's letter
    template): with the default fetcher `<link rel="attachment" href="file:///…">` or an
    `<img>` would read the server's files (keys, the database) or reach its network, and embed
    them in the PDF. A refused fetch is skipped, as a missing image is."""
    from weasyprint.urls import URLFetcher

    class NoFetch(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError(f"a Bureau PDF fetches no resource ({url[:60]!r})")

    return NoFetch()


def render_pdf(html: str) -> bytes:
    import weasyprint  # heavy import: only when a PDF is made

    pdf: bytes = weasyprint.HTML(string=html, url_fetcher=_no_fetch()).write_pdf()
    return pdf
