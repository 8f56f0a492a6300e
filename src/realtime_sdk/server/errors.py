"""HTTP errors shaped like the service's: `{"error": {message, type, param, code}}`.

Routes raise `ApiError`; the app's exception handler renders it, so every refusal
(auth, validation, a missing call) has the one body the OpenAI SDKs know how to read.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .._generated._runtime import EventValidationError
from ..realtime.protocol.config import ConfigError
from ..realtime.protocol.turn_detection import VadConfigError


class ApiError(Exception):
    """An HTTP refusal; `status` is the HTTP code, the rest goes into the body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        type: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.type = type

    @classmethod
    def from_validation(cls, exc: EventValidationError) -> ApiError:
        """A 400 from the generated models' refusal (same codes and param paths as events)."""
        return cls(400, exc.message, code=exc.code, param=exc.param)

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def response(self) -> Response:
        return JSONResponse(self.body(), status_code=self.status)


def config_refusal(exc: ConfigError | VadConfigError, prefix: str = "session.") -> ApiError:
    """A session config the protocol refuses, as a 400 naming the parameter under `prefix`
    (`session.` where the session is a part of the request, empty where it is the body)."""
    if isinstance(exc, VadConfigError):
        param = prefix + exc.session_param
        return ApiError(400, str(exc), code="invalid_value", param=param)
    param = prefix + exc.param.removeprefix("session.")
    return ApiError(400, exc.message, code=exc.code, param=param)


async def handle_api_error(request: Request, exc: Exception) -> Response:
    """Starlette exception handler for `ApiError`."""
    assert isinstance(exc, ApiError)
    return exc.response()
