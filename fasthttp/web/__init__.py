"""fasthttp.web: a small aiohttp.web-compatible server on fasthttp's strict request parser.

`from fasthttp import web` runs code written for `from aiohttp import web`.
"""

from __future__ import annotations

from .access_log import AbstractAccessLogger, AccessLogger
from .abstract_routing import AbstractResource, AbstractRoute, AbstractRouteDef, UrlMappingMatchInfo
from .app import Application, CleanupError, Signal, middleware
from .exceptions import *  # noqa: F401,F403 - the HTTP exception family, as aiohttp exports it
from .exceptions import __all__ as _exception_names
from .file_response import FileResponse
from .json_bytes import json_bytes_response
from .multipart_form import FileField
from .normalize_path import normalize_path_middleware
from .payload_errors import PayloadAccessError, RequestPayloadError
from .pipe_site import NamedPipeSite
from .protocol import RequestHandler, ServerSettings
from .request import BaseRequest, Request
from .response import ContentCoding, Response, StreamResponse, json_response
from .domains import Domain, MaskDomain, MatchedSubAppResource
from .routing import (
    DynamicResource,
    PlainResource,
    PrefixedSubAppResource,
    Resource,
    ResourceRoute,
    StaticResource,
    RouteDef,
    RouteTableDef,
    StaticDef,
    UrlDispatcher,
    delete,
    get,
    head,
    options,
    patch,
    post,
    put,
    route,
    static,
    view,
)
from .views import AbstractView, View
from ..ws_types import WSMsgType
from .ws import WebSocketReady, WebSocketResponse
from .runner import AppRunner, BaseRunner, BaseSite, GracefulExit, SockSite, TCPSite, UnixSite, run_app
from .server import Server, ServerRunner
from .state_keys import AppKey, NotAppKeyWarning, RequestKey, ResponseKey

__all__ = [
    "AbstractAccessLogger",
    "AccessLogger",
    "AppKey",
    "RequestKey",
    "ResponseKey",
    "AbstractResource",
    "AbstractRoute",
    "AbstractRouteDef",
    "UrlMappingMatchInfo",
    "json_bytes_response",
    "NamedPipeSite",
    "PayloadAccessError",
    "RequestPayloadError",
    "CleanupError",
    "NotAppKeyWarning",
    "Application",
    "Signal",
    "middleware",
    "normalize_path_middleware",
    "FileResponse",
    "FileField",
    "RequestHandler",
    "ServerSettings",
    "BaseRequest",
    "Request",
    "ContentCoding",
    "Response",
    "StreamResponse",
    "json_response",
    "RouteDef",
    "Resource",
    "ResourceRoute",
    "PlainResource",
    "PrefixedSubAppResource",
    "MatchedSubAppResource",
    "Domain",
    "MaskDomain",
    "DynamicResource",
    "StaticResource",
    "AbstractView",
    "View",
    "RouteTableDef",
    "StaticDef",
    "UrlDispatcher",
    "delete",
    "get",
    "head",
    "options",
    "patch",
    "post",
    "put",
    "route",
    "static",
    "view",
    "AppRunner",
    "BaseSite",
    "GracefulExit",
    "SockSite",
    "TCPSite",
    "UnixSite",
    "run_app",
    "WebSocketReady",
    "WebSocketResponse",
    "WSMsgType",
    *_exception_names,
    "BaseRunner",
    "Server",
    "ServerRunner",
]
