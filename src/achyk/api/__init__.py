"""The HTTP API (FastAPI): the public read API needs no login; writes are authenticated."""
