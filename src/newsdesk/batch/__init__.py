"""Offline work over corpora (DESIGN §2, ``batch/``): ``newsdesk clean --corpus`` (clean.py,
a site's boilerplate learnt over its pages) and ``newsdesk dedupe`` (dedupe.py, duplicates,
syndicated copies and story clusters over a JSON Lines file). The WARC job lands here."""
