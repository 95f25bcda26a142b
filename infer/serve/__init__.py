"""`threat-tagger serve`: tag texts over HTTP (FastAPI + uvicorn, the `[serve]` extra).

Only this package imports fastapi, uvicorn and prometheus_client; the rest of `infer` never
does. `create_app` (infer.serve.app) builds the ASGI app; `run` (infer.serve.server) serves it.
"""
