"""The lab's buses behind HTTP (FastAPI), as the seed's "FastAPI Integration" does.

Needs the optional extra: ``pip install 'cqrs_lab[api]'``. Nothing else in cqrs_lab
imports this package, so the lab runs without FastAPI.

    from cqrs_lab.api import create_app
    app = create_app(build_lab())              # then TestClient(app), or serve it

    uvicorn cqrs_lab.api:app_factory --factory # a demo lab on http://127.0.0.1:8000/docs
"""

try:
    import fastapi  # noqa: F401
except ModuleNotFoundError as missing:  # pragma: no cover - exercised in a subprocess test
    raise ModuleNotFoundError(
        "cqrs_lab.api needs FastAPI: install the extra with pip install 'cqrs_lab[api]'",
        name=missing.name,
    ) from missing

from cqrs_lab.api.app import (
    CONSISTENCY_ENV,
    POSTGRES_DSN_ENV,
    app_factory,
    create_app,
    postgres_app_factory,
)
from cqrs_lab.api.consistency import EVENT_STORE_HEAD, EVENTS_BEHIND, PROJECTION_POSITION

__all__ = [
    "CONSISTENCY_ENV",
    "EVENTS_BEHIND",
    "EVENT_STORE_HEAD",
    "POSTGRES_DSN_ENV",
    "PROJECTION_POSITION",
    "app_factory",
    "create_app",
    "postgres_app_factory",
]
