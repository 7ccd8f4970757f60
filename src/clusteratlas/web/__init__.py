"""The web face: FastAPI JSON API + dashboard pages (:func:`create_app`)."""

from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    if name == "create_app":
        from clusteratlas.web.app import create_app

        return create_app
    raise AttributeError(name)
