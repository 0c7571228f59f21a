"""Raisable HTTP responses (aiohttp.web's HTTPException family).

Each is both an Exception and a Response: `raise web.HTTPNotFound()` in a handler answers 404;
returning one works too. Redirects take the location first; 405 takes the method and the
allowed methods, and sets Allow.
"""

from __future__ import annotations

from typing import Any, Iterable, Optional

from yarl import URL

from .. import hdrs
from .response import Response

__all__ = [
    "HTTPException",
    "HTTPError",
    "HTTPRedirection",
    "HTTPSuccessful",
    "HTTPMove",
    "HTTPClientError",
    "HTTPServerError",
]


class HTTPException(Response, Exception):
    status_code = -1
    empty_body = False

    def __init__(
        self,
        *,
        headers: Any = None,
        reason: Optional[str] = None,
        body: Any = None,
        text: Optional[str] = None,
        content_type: Optional[str] = None,
    ) -> None:
        if body is not None and text is not None:
            raise ValueError("body and text are not allowed together")
        Response.__init__(
            self,
            status=self.status_code,
            headers=headers,
            reason=reason,
            body=body,
            text=text,
            content_type=content_type,
        )
        Exception.__init__(self, self.reason)
        if self.body is None and not self.empty_body:
            self.text = f"{self.status}: {self.reason}"

    def __bool__(self) -> bool:
        return True

    def __str__(self) -> str:
        return self.reason

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.reason}>"


class HTTPError(HTTPException):
    """4xx and 5xx."""


class HTTPRedirection(HTTPException):
    """3xx."""


class HTTPSuccessful(HTTPException):
    """2xx."""


class HTTPClientError(HTTPError):
    """4xx."""


class HTTPServerError(HTTPError):
    """5xx."""


class HTTPMove(HTTPRedirection):
    """A redirect to `location`."""

    def __init__(self, location: Any, *, headers: Any = None, reason: Optional[str] = None,
                 body: Any = None, text: Optional[str] = None,
                 content_type: Optional[str] = None) -> None:
        if not location:
            raise ValueError("HTTP redirects need a location to redirect to.")
        super().__init__(headers=headers, reason=reason, body=body, text=text,
                         content_type=content_type)
        self.headers[hdrs.LOCATION] = str(URL(str(location)))
        self.location = location


class HTTPOk(HTTPSuccessful):
    status_code = 200
__all__.append("HTTPOk")


class HTTPCreated(HTTPSuccessful):
    status_code = 201
__all__.append("HTTPCreated")


class HTTPAccepted(HTTPSuccessful):
    status_code = 202
__all__.append("HTTPAccepted")


class HTTPNonAuthoritativeInformation(HTTPSuccessful):
    status_code = 203
__all__.append("HTTPNonAuthoritativeInformation")


class HTTPNoContent(HTTPSuccessful):
    status_code = 204
    empty_body = True
__all__.append("HTTPNoContent")


class HTTPResetContent(HTTPSuccessful):
    status_code = 205
__all__.append("HTTPResetContent")


class HTTPPartialContent(HTTPSuccessful):
    status_code = 206
__all__.append("HTTPPartialContent")


class HTTPMultipleChoices(HTTPMove):
    status_code = 300
__all__.append("HTTPMultipleChoices")


class HTTPMovedPermanently(HTTPMove):
    status_code = 301
__all__.append("HTTPMovedPermanently")


class HTTPFound(HTTPMove):
    status_code = 302
__all__.append("HTTPFound")


class HTTPSeeOther(HTTPMove):
    status_code = 303
__all__.append("HTTPSeeOther")


class HTTPNotModified(HTTPRedirection):
    status_code = 304
    empty_body = True
__all__.append("HTTPNotModified")


class HTTPUseProxy(HTTPMove):
    status_code = 305
__all__.append("HTTPUseProxy")


class HTTPTemporaryRedirect(HTTPMove):
    status_code = 307
__all__.append("HTTPTemporaryRedirect")


class HTTPPermanentRedirect(HTTPMove):
    status_code = 308
__all__.append("HTTPPermanentRedirect")


class HTTPBadRequest(HTTPClientError):
    status_code = 400
__all__.append("HTTPBadRequest")


class HTTPUnauthorized(HTTPClientError):
    status_code = 401
__all__.append("HTTPUnauthorized")


class HTTPPaymentRequired(HTTPClientError):
    status_code = 402
__all__.append("HTTPPaymentRequired")


class HTTPForbidden(HTTPClientError):
    status_code = 403
__all__.append("HTTPForbidden")


class HTTPNotFound(HTTPClientError):
    status_code = 404
__all__.append("HTTPNotFound")


class HTTPMethodNotAllowed(HTTPClientError):
    status_code = 405

    def __init__(self, method: str, allowed_methods: Iterable[str], *, headers: Any = None,
                 reason: Optional[str] = None, body: Any = None, text: Optional[str] = None,
                 content_type: Optional[str] = None) -> None:
        allow = ",".join(sorted(allowed_methods))
        super().__init__(headers=headers, reason=reason, body=body, text=text,
                         content_type=content_type)
        self.headers[hdrs.ALLOW] = allow
        self.allowed_methods = set(allowed_methods)
        self.method = method.upper()
__all__.append("HTTPMethodNotAllowed")


class HTTPNotAcceptable(HTTPClientError):
    status_code = 406
__all__.append("HTTPNotAcceptable")


class HTTPProxyAuthenticationRequired(HTTPClientError):
    status_code = 407
__all__.append("HTTPProxyAuthenticationRequired")


class HTTPRequestTimeout(HTTPClientError):
    status_code = 408
__all__.append("HTTPRequestTimeout")


class HTTPConflict(HTTPClientError):
    status_code = 409
__all__.append("HTTPConflict")


class HTTPGone(HTTPClientError):
    status_code = 410
__all__.append("HTTPGone")


class HTTPLengthRequired(HTTPClientError):
    status_code = 411
__all__.append("HTTPLengthRequired")


class HTTPPreconditionFailed(HTTPClientError):
    status_code = 412
__all__.append("HTTPPreconditionFailed")


class HTTPRequestEntityTooLarge(HTTPClientError):
    status_code = 413

    def __init__(self, max_size: float = 0, actual_size: float = 0, **kwargs: Any) -> None:
        # aiohttp.web's signature: the limit (and the size seen) come first; the default text says which.
        kwargs.setdefault("text", f"Maximum request body size {max_size} exceeded.")
        super().__init__(**kwargs)
__all__.append("HTTPRequestEntityTooLarge")


class HTTPRequestURITooLong(HTTPClientError):
    status_code = 414
__all__.append("HTTPRequestURITooLong")


class HTTPUnsupportedMediaType(HTTPClientError):
    status_code = 415
__all__.append("HTTPUnsupportedMediaType")


class HTTPRequestRangeNotSatisfiable(HTTPClientError):
    status_code = 416
__all__.append("HTTPRequestRangeNotSatisfiable")


class HTTPExpectationFailed(HTTPClientError):
    status_code = 417
__all__.append("HTTPExpectationFailed")


class HTTPMisdirectedRequest(HTTPClientError):
    status_code = 421
__all__.append("HTTPMisdirectedRequest")


class HTTPUnprocessableEntity(HTTPClientError):
    status_code = 422
__all__.append("HTTPUnprocessableEntity")


class HTTPFailedDependency(HTTPClientError):
    status_code = 424
__all__.append("HTTPFailedDependency")


class HTTPUpgradeRequired(HTTPClientError):
    status_code = 426
__all__.append("HTTPUpgradeRequired")


class HTTPPreconditionRequired(HTTPClientError):
    status_code = 428
__all__.append("HTTPPreconditionRequired")


class HTTPTooManyRequests(HTTPClientError):
    status_code = 429
__all__.append("HTTPTooManyRequests")


class HTTPRequestHeaderFieldsTooLarge(HTTPClientError):
    status_code = 431
__all__.append("HTTPRequestHeaderFieldsTooLarge")


class HTTPUnavailableForLegalReasons(HTTPClientError):
    status_code = 451
__all__.append("HTTPUnavailableForLegalReasons")


class HTTPInternalServerError(HTTPServerError):
    status_code = 500
__all__.append("HTTPInternalServerError")


class HTTPNotImplemented(HTTPServerError):
    status_code = 501
__all__.append("HTTPNotImplemented")


class HTTPBadGateway(HTTPServerError):
    status_code = 502
__all__.append("HTTPBadGateway")


class HTTPServiceUnavailable(HTTPServerError):
    status_code = 503
__all__.append("HTTPServiceUnavailable")


class HTTPGatewayTimeout(HTTPServerError):
    status_code = 504
__all__.append("HTTPGatewayTimeout")


class HTTPVersionNotSupported(HTTPServerError):
    status_code = 505
__all__.append("HTTPVersionNotSupported")


class HTTPVariantAlsoNegotiates(HTTPServerError):
    status_code = 506
__all__.append("HTTPVariantAlsoNegotiates")


class HTTPInsufficientStorage(HTTPServerError):
    status_code = 507
__all__.append("HTTPInsufficientStorage")


class HTTPNotExtended(HTTPServerError):
    status_code = 510
__all__.append("HTTPNotExtended")


class HTTPNetworkAuthenticationRequired(HTTPServerError):
    status_code = 511
__all__.append("HTTPNetworkAuthenticationRequired")
