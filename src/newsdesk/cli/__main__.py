"""``python -m newsdesk.cli``."""

from newsdesk.cli import main

main()
