"""Serving (DESIGN §2): the web reader, the JSON API and the feeds out, over the store.

Read-only views: the only writes are the API's source endpoints, behind a token. The one
module that imports the web framework (FastAPI on Starlette, Jinja2, uvicorn).
"""

from __future__ import annotations

from newsdesk.serve.app import create_app

__all__ = ["create_app"]
