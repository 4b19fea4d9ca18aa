"""The one error envelope of API.md, for every error the API can give."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.pagination import BadCursor

log = logging.getLogger("order_engine.api")
# Bad UTF-8 and bad JSON are one problem to the client: one code, one sentence.
MALFORMED_BODY = "The request body is not valid JSON (UTF-8)"


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def forbidden(message: str) -> ApiError:
    return ApiError(403, "forbidden", message)


def envelope(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status, headers=headers)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def on_api_error(_request: Request, error: ApiError) -> JSONResponse:
        return envelope(error.status, error.code, error.message, error.details, error.headers)

    @app.exception_handler(RequestValidationError)
    async def on_validation(_request: Request, error: RequestValidationError) -> JSONResponse:
        problems = [
            {"loc": list(item.get("loc", ())), "msg": item.get("msg", ""), "type": item.get("type")}
            for item in error.errors()
        ]
        if any(problem["type"] == "json_invalid" for problem in problems):
            return envelope(400, "malformed_body", MALFORMED_BODY, problems)
        return envelope(422, "validation_error", "The request is not valid", problems)

    @app.exception_handler(BadCursor)
    async def on_bad_cursor(_request: Request, error: BadCursor) -> JSONResponse:
        return envelope(422, "validation_error", str(error), [{"loc": ["query", "cursor"]}])

    @app.exception_handler(StarletteHTTPException)
    async def on_http(_request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400:  # FastAPI's "error parsing the body": undecodable bytes
            return envelope(400, "malformed_body", MALFORMED_BODY, None)
        code = _HTTP_CODES.get(error.status_code, "http_error")
        return envelope(
            error.status_code,
            code,
            str(error.detail),
            None,
            dict(error.headers) if error.headers else None,
        )

    @app.exception_handler(Exception)
    async def on_bug(_request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=error)
        return envelope(500, "internal_error", "Something went wrong on our side")
