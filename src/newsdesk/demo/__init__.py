"""The bundled demo newsroom: synthetic pages written for newsdesk (no copied text)."""
