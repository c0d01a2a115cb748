"""Every outbound HTTP request goes through here (DESIGN §2): politeness, robots.txt, size
caps, conditional GET, retries and the refusal of private addresses.

``Fetcher`` is the polite fetcher used by the relay; ``get_page`` is the one plain GET that
``newsdesk extract URL`` makes.
"""

from __future__ import annotations

from newsdesk.fetch.http import Fetcher, Page, get_page, refuse_unfetchable

__all__ = ["Fetcher", "Page", "get_page", "refuse_unfetchable"]
