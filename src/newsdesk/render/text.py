"""Articles as human-readable text and Markdown. Pure; the CLI prints what these return."""

from __future__ import annotations

from newsdesk.model import Article

__all__ = ["render_markdown", "render_text"]


def _byline(article: Article) -> list[str]:
    parts = []
    if article.authors:
        parts.append("By " + ", ".join(article.authors))
    if article.published:
        parts.append(article.published.isoformat())
    if article.site_name:
        parts.append(article.site_name)
    return parts


def render_text(article: Article) -> str:
    """Title, a byline line, then the body: paragraphs separated by blank lines."""
    lines: list[str] = []
    if article.title:
        lines += [article.title, "=" * min(len(article.title), 78)]
    byline = _byline(article)
    if byline:
        lines.append(" · ".join(byline))
    if article.url:
        lines.append(article.url)
    if lines:
        lines.append("")
    lines.append(article.text)
    return "\n".join(lines).rstrip() + "\n"


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_").replace("`", "\\`")


def render_markdown(article: Article) -> str:
    """The Article as Markdown: headline, byline, body blocks, embeds and links to them."""
    out: list[str] = []
    if article.title:
        out.append(f"# {_md_escape(article.title)}")
    byline = _byline(article)
    if byline:
        out.append("*" + _md_escape(" · ".join(byline)) + "*")
    if article.url:
        out.append(f"<{article.url}>")
    for block in article.blocks:
        text = _md_escape(block.text)
        if block.kind == "heading":
            out.append("#" * min(max(block.level or 2, 2), 6) + " " + text)
        elif block.kind == "list_item":
            out.append(f"- {text}")
        elif block.kind == "quote":
            out.append("> " + text)
        elif block.kind == "code":
            out.append("```\n" + block.text + "\n```")
        else:
            out.append(text)
    if article.embeds:
        out.append("## Embedded posts")
        for embed in article.embeds:
            who = f" by @{embed.author}" if embed.author else ""
            out.append(f"- {embed.platform}{who}: <{embed.url}>")
    return "\n\n".join(out).rstrip() + "\n"
