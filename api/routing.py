"""A router that serves each path with and without its trailing slash, as API.md asks.

A redirect would not do: clients do not resend a POST body after a 307 reliably.
"""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter


class SlashRouter(APIRouter):
    def add_api_route(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().add_api_route(path, endpoint, **kwargs)
        bare = path.rstrip("/")
        if bare and bare != path:
            super().add_api_route(bare, endpoint, **{**kwargs, "include_in_schema": False})
