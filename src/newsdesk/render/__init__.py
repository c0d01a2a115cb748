"""An Article rendered: as text and Markdown (``text``, what the CLI prints) and as safe HTML
(``html``: the body the feeds carry and the article page's story the reader shows). Pure
functions of an Article; the pipeline's page step makes a record's HTML forms here, before
the store sees them (the store imports nothing from this package)."""

from newsdesk.render.html import (
    STORY_MARK,
    article_body_html,
    format_when,
    provenance_words,
    removed_html,
    story_html,
    text_direction,
)
from newsdesk.render.text import render_markdown, render_text

__all__ = [
    "STORY_MARK",
    "article_body_html",
    "format_when",
    "provenance_words",
    "removed_html",
    "render_markdown",
    "render_text",
    "story_html",
    "text_direction",
]
