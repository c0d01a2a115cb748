"""Generate docs/cli.md from the commands' --help (``make docs``; checked by a test)."""

from __future__ import annotations

import click

from newsdesk.cli import main

__all__ = ["render_cli_docs"]


def render_cli_docs() -> str:
    """Markdown with the --help of ``newsdesk`` and of each command, in order."""
    parts = [
        "# Command line\n",
        "Generated from `--help` by `make docs`; a test fails when this page is out of date.\n",
    ]
    root_ctx = click.Context(
        main,
        info_name="newsdesk",
        terminal_width=100,
        max_content_width=100,
        help_option_names=["-h", "--help"],
    )
    parts.append("## newsdesk\n\n```text\n" + main.get_help(root_ctx) + "\n```\n")
    for name in sorted(main.commands):
        command = main.commands[name]
        ctx = click.Context(
            command, info_name=name, parent=root_ctx, terminal_width=100, max_content_width=100
        )
        parts.append(f"## newsdesk {name}\n\n```text\n" + command.get_help(ctx) + "\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(render_cli_docs(), end="")
