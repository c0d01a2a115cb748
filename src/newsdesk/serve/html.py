"""The reader's search snippets, highlighted. The article page's story (header, body,
quotes, what cleaning removed) is ``render.story_html``: the store keeps it rendered
with the record (docs/serving.md).
"""

from __future__ import annotations

from html import escape

__all__ = ["SNIPPET_MARKS", "highlight_snippet"]

# Marks FTS5 puts around matched words in a snippet: control characters no text contains
# after cleaning, so escaping the snippet cannot touch them.
SNIPPET_MARKS = ("\x02", "\x03")


def highlight_snippet(snippet: str) -> str:
    """An FTS snippet made with ``SNIPPET_MARKS``: escaped, the matches in <mark>."""
    text = escape(snippet)
    return text.replace(SNIPPET_MARKS[0], "<mark>").replace(SNIPPET_MARKS[1], "</mark>")
