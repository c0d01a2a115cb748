"""The ``newsdesk`` command line: thin click commands over the library; the only place that
prints (DESIGN §2). One module per group of commands; each registers on ``main``."""

from newsdesk.cli import batch, dedupe, migrate, read, relay, rules, serve, sources, text
from newsdesk.cli.common import main

__all__ = ["main"]

# imported for their commands
_COMMANDS = (batch, dedupe, migrate, read, relay, rules, serve, sources, text)
