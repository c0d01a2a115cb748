"""Generate docs/cli.md and docs/settings.md from the commands' --help and the settings'
registry (``make docs``, ``python -m newsdesk.cli.docs cli|settings``; a test checks both)."""

from __future__ import annotations

import sys

import click

from newsdesk.cli import main
from newsdesk.config import SETTINGS

__all__ = ["render_cli_docs", "render_settings_docs"]


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


def render_settings_docs() -> str:
    """Markdown table of every setting, from the one registry in ``newsdesk.config``."""
    lines = [
        "# Settings",
        "",
        "Generated from `newsdesk.config.SETTINGS` by `make docs`; a test fails when this page",
        "is out of date. Precedence: defaults, then the TOML file given with `--config`, then",
        "environment variables, then command-line flags.",
        "",
        "| setting | environment variable | type | default | meaning |",
        "|---|---|---|---|---|",
    ]
    for setting in SETTINGS:
        lines.append(
            f"| `{setting.name}` | `{setting.env}` | {setting.kind.__name__} "
            f"| `{setting.default!r}` | {setting.help} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "cli"
    print(render_settings_docs() if which == "settings" else render_cli_docs(), end="")
