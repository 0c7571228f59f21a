"""Every argument of aiohttp's client API (and of aiohttp.web's AppRunner: the server's
arguments) does what aiohttp documents, or refuses (issue 10).

The parameters are read from the installed aiohttp's signatures, so a parameter a new aiohttp
adds shows up here as a failure until it is listed: in IMPLEMENTED with the test that proves it
("tests/file.py::test_name", checked to exist), or in REFUSED with a value other than aiohttp's
default, which test_refused_argument_names_itself passes and expects a NotImplementedError
naming the argument from. `import fasthttp as aiohttp` code then never dies of a TypeError on a
keyword aiohttp accepts (test_fasthttp_accepts_every_aiohttp_parameter_name).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import re
from typing import Any, Callable

import aiohttp as real_aiohttp
import aiohttp.web_protocol
import pytest

import fasthttp
import fasthttp.web
from client_servers import async_test

HERE = os.path.dirname(os.path.abspath(__file__))

# aiohttp's signatures, by the names used in the tables below.
SIGNATURES: dict[str, Callable[..., Any]] = {
    "ClientSession": real_aiohttp.ClientSession.__init__,
    "request": real_aiohttp.ClientSession._request,
    "ws_connect": real_aiohttp.ClientSession.ws_connect,
    "TCPConnector": real_aiohttp.TCPConnector.__init__,
    "aiohttp.request": real_aiohttp.request,
    # aiohttp.web's AppRunner (and run_app, web.Server) pass their **kwargs on to this.
    "web.AppRunner": real_aiohttp.web_protocol.RequestHandler.__init__,
}

_ARGS = "test_client_args.py"
_TLS = "test_client_tls.py::test_deprecated_verify_ssl_and_ssl_context_spellings"
_WSS = "test_client_tls.py::test_wss_with_the_ssl_arguments_of_ws_connect"
_LIMITS = f"{_ARGS}::test_parser_limits_at_session_and_request_level_as_aiohttp"
_PIN = "test_client_fingerprint.py"
_EYEBALLS = "test_client_happy_eyeballs.py"
_CONNECTORS = "test_client_connectors.py"
_PROXY = "test_client_proxy.py"
_CONNECT = "test_client_proxy_connect.py"

IMPLEMENTED: dict[tuple[str, str], str] = {
    # ClientSession(...)
    ("ClientSession", "base_url"): "test_client_basics.py::test_base_url_joins_relative_paths",
    ("ClientSession", "connector"): "test_client_pool.py::test_shared_connector_not_owned_survives_session_close",
    ("ClientSession", "loop"): f"{_ARGS}::test_loop_read_timeout_and_conn_timeout_as_aiohttp",
    ("ClientSession", "cookies"): "test_client_cookies.py::test_per_request_and_session_cookies",
    ("ClientSession", "headers"): "test_client_basics.py::test_skip_auto_headers_session_and_request",
    ("ClientSession", "skip_auto_headers"): "test_client_basics.py::test_skip_auto_headers_session_and_request",
    ("ClientSession", "auth"): "test_client_request.py::test_auth_alone_and_header_alone_still_work",
    ("ClientSession", "json_serialize"): f"{_ARGS}::test_json_serialize_bytes_and_json_serialize",
    ("ClientSession", "json_serialize_bytes"): f"{_ARGS}::test_json_serialize_bytes_and_json_serialize",
    ("ClientSession", "request_class"): f"{_ARGS}::test_request_class_is_what_middlewares_receive",
    ("ClientSession", "response_class"): "test_client_request.py::test_response_class_is_the_one_the_session_was_given",
    ("ClientSession", "version"): "test_client_request.py::test_session_version_http10_goes_on_the_request_line_as_aiohttp_sends_it",
    ("ClientSession", "cookie_jar"): "test_client_cookies.py::test_dummy_cookie_jar_keeps_nothing",
    ("ClientSession", "connector_owner"): "test_client_pool.py::test_shared_connector_not_owned_survives_session_close",
    ("ClientSession", "raise_for_status"): "test_client_responses.py::test_raise_for_status_session_and_per_request",
    ("ClientSession", "read_timeout"): f"{_ARGS}::test_loop_read_timeout_and_conn_timeout_as_aiohttp",
    ("ClientSession", "conn_timeout"): f"{_ARGS}::test_loop_read_timeout_and_conn_timeout_as_aiohttp",
    ("ClientSession", "timeout"): "test_client_timeouts.py::test_total_timeout_waiting_for_head",
    ("ClientSession", "auto_decompress"): "test_client_compression.py::test_auto_decompress_false_passes_raw",
    ("ClientSession", "trust_env"): "test_client_trust_env.py::test_http_proxy_serves_http_targets",
    ("ClientSession", "requote_redirect_url"): f"{_ARGS}::test_requote_redirect_url_as_aiohttp",
    ("ClientSession", "trace_configs"): "test_client_tracing.py::test_a_failed_request_sends_request_exception",
    ("ClientSession", "read_bufsize"): "test_client_streaming.py::test_slow_consumer_pauses_the_socket",
    ("ClientSession", "max_line_size"): _LIMITS,
    ("ClientSession", "max_field_size"): _LIMITS,
    ("ClientSession", "max_headers"): _LIMITS,
    ("ClientSession", "fallback_charset_resolver"): "test_client_responses.py::test_fallback_charset_resolver",
    ("ClientSession", "middlewares"): "test_client_middlewares.py::test_session_middlewares_run_first_outermost_and_change_the_request",
    ("ClientSession", "ssl_shutdown_timeout"): f"{_CONNECTORS}::test_session_ssl_shutdown_timeout_goes_to_its_connector",
    ("ClientSession", "proxy"): f"{_PROXY}::test_session_proxy_and_request_info",
    ("ClientSession", "proxy_auth"): f"{_PROXY}::test_session_proxy_and_request_info",
    # session.request(...) / get / post / ...
    ("request", "proxy"): f"{_PROXY}::test_through_pproxy",
    ("request", "proxy_auth"): f"{_PROXY}::test_through_pproxy_with_auth",
    ("request", "proxy_headers"): f"{_PROXY}::test_forwarded_request_line_and_proxy_authorization",
    ("request", "upload_tracker"): "test_client_upload_tracker.py::test_a_bytes_body",
    ("request", "params"): "test_client_tracing.py::test_the_start_and_end_params_carry_method_url_headers_and_response",
    ("request", "data"): "test_client_timeouts.py::test_total_timeout_while_sending_a_slow_body",
    ("request", "json"): "test_client_responses.py::test_json_roundtrip_with_aiohttp_web",
    ("request", "cookies"): "test_client_cookies.py::test_per_request_and_session_cookies",
    ("request", "headers"): "test_client_basics.py::test_skip_auto_headers_session_and_request",
    ("request", "skip_auto_headers"): "test_client_basics.py::test_skip_auto_headers_session_and_request",
    ("request", "auth"): "test_client_request.py::test_auth_with_an_authorization_header_is_refused_as_aiohttp",
    ("request", "allow_redirects"): "test_client_responses.py::test_ok",
    ("request", "max_redirects"): "test_client_httpbin.py::test_redirects",
    ("request", "compress"): f"{_ARGS}::test_compress_sends_the_body_compressed_as_aiohttp",
    ("request", "read_until_eof"): f"{_ARGS}::test_read_until_eof_false_as_aiohttp",
    ("request", "chunked"): "test_client_bodies.py::test_chunked_true_with_bytes",
    ("request", "expect100"): "test_client_reuse_hardening.py::test_expect_100_continued_keeps_the_connection",
    ("request", "raise_for_status"): "test_client_responses.py::test_raise_for_status_session_and_per_request",
    ("request", "timeout"): "test_client_timeouts.py::test_total_timeout_waiting_for_head",
    ("request", "verify_ssl"): _TLS,
    ("request", "ssl_context"): _TLS,
    ("request", "ssl"): "test_client_tls.py::test_ssl_false_accepts_a_self_signed_certificate",
    ("request", "server_hostname"): "test_client_tls.py::test_server_hostname",
    ("request", "trace_request_ctx"): "test_client_tracing.py::test_trace_request_ctx_and_the_context_factory",
    ("request", "read_bufsize"): "test_client_streaming.py::test_slow_consumer_pauses_the_socket",
    ("request", "auto_decompress"): "test_client_compression.py::test_auto_decompress_false_passes_raw",
    ("request", "max_line_size"): _LIMITS,
    ("request", "max_field_size"): _LIMITS,
    ("request", "max_headers"): _LIMITS,
    ("request", "fingerprint"): f"{_PIN}::test_deprecated_fingerprint_argument",
    ("request", "middlewares"): "test_client_middlewares.py::test_per_request_middlewares_override_and_empty_tuple_disables",
    # session.ws_connect(...)
    ("ws_connect", "method"): f"{_ARGS}::test_ws_connect_method_as_aiohttp",
    ("ws_connect", "protocols"): "test_ws_client.py::test_subprotocol_chosen_by_server",
    ("ws_connect", "timeout"): "test_ws_client.py::test_receive_timeout",
    ("ws_connect", "receive_timeout"): "test_ws_client.py::test_receive_timeout",
    ("ws_connect", "autoclose"): "test_ws_client.py::test_autoclose_false_lets_the_application_answer",
    ("ws_connect", "autoping"): "test_ws_client.py::test_autoping_false_returns_ping_and_pong",
    ("ws_connect", "heartbeat"): "test_ws_client.py::test_heartbeat_without_pong_gives_error_and_closes",
    ("ws_connect", "auth"): "test_ws_client.py::test_ws_and_http_urls_with_path_and_params",
    ("ws_connect", "origin"): "test_ws_client.py::test_ws_and_http_urls_with_path_and_params",
    ("ws_connect", "params"): "test_ws_client.py::test_ws_and_http_urls_with_path_and_params",
    ("ws_connect", "headers"): "test_ws_client.py::test_ws_and_http_urls_with_path_and_params",
    ("ws_connect", "ssl"): _WSS,
    ("ws_connect", "verify_ssl"): _WSS,
    ("ws_connect", "ssl_context"): _WSS,
    ("ws_connect", "server_hostname"): _WSS,
    ("ws_connect", "compress"): "test_ws_client.py::test_echo_sizes",
    ("ws_connect", "max_msg_size"): "test_ws_client.py::test_message_over_max_msg_size_from_real_server",
    ("ws_connect", "fingerprint"): f"{_PIN}::test_ws_connect_fingerprint",
    ("ws_connect", "decode_text"): "test_ws_aiohttp_parity.py::test_decode_text",
    ("ws_connect", "proxy"): f"{_CONNECT}::test_ws_through_a_proxy_is_forwarded_as_aiohttp",
    ("ws_connect", "proxy_auth"): f"{_CONNECT}::test_wss_through_pproxy_is_a_tunnel",
    ("ws_connect", "proxy_headers"): f"{_CONNECT}::test_ws_through_a_proxy_is_forwarded_as_aiohttp",
    # TCPConnector(...)
    ("TCPConnector", "verify_ssl"): _TLS,
    ("TCPConnector", "ssl_context"): _TLS,
    ("TCPConnector", "ssl"): "test_client_tls.py::test_verified_tls_with_a_context_per_request_and_per_connector",
    ("TCPConnector", "use_dns_cache"): f"{_ARGS}::test_use_dns_cache_and_ttl_dns_cache_as_aiohttp",
    ("TCPConnector", "ttl_dns_cache"): f"{_ARGS}::test_use_dns_cache_and_ttl_dns_cache_as_aiohttp",
    ("TCPConnector", "dns_cache_max_size"): f"{_ARGS}::test_dns_cache_max_size_bounds_the_cache",
    ("TCPConnector", "family"): "test_client_pool.py::test_dns_cache_and_localhost",
    ("TCPConnector", "local_addr"): f"{_ARGS}::test_local_addr_is_the_source_address",
    ("TCPConnector", "keepalive_timeout"): "test_client_pool.py::test_keepalive_timeout_expiry_closes_idle_connections",
    ("TCPConnector", "force_close"): "test_client_pool.py::test_force_close_opens_a_connection_per_request",
    ("TCPConnector", "limit"): "test_client_timeouts.py::test_connect_timeout_covers_waiting_for_a_pooled_connection",
    ("TCPConnector", "limit_per_host"): "test_client_pool.py::test_limit_per_host_is_respected",
    ("TCPConnector", "loop"): f"{_ARGS}::test_loop_read_timeout_and_conn_timeout_as_aiohttp",
    ("TCPConnector", "fingerprint"): f"{_PIN}::test_deprecated_fingerprint_argument",
    ("TCPConnector", "resolver"): "test_client_resolvers.py::test_a_custom_resolver_decides_where_a_name_goes",
    ("TCPConnector", "happy_eyeballs_delay"): f"{_EYEBALLS}::test_the_live_address_wins_within_the_delay",
    ("TCPConnector", "interleave"): f"{_EYEBALLS}::test_interleave_orders_the_attempts_by_family",
    ("TCPConnector", "socket_factory"): f"{_EYEBALLS}::test_socket_factory_makes_the_connection_socket",
    ("TCPConnector", "ssl_shutdown_timeout"): f"{_CONNECTORS}::test_ssl_shutdown_timeout_closes_tls_with_the_handshake",
    # aiohttp.request(...)
    ("aiohttp.request", "version"): f"{_ARGS}::test_aiohttp_request_version_and_loop",
    ("aiohttp.request", "loop"): f"{_ARGS}::test_aiohttp_request_version_and_loop",
    ("aiohttp.request", "connector"): f"{_ARGS}::test_request_leaves_a_connector_of_the_caller_open_as_aiohttp",
    # web.AppRunner(app, ...): the server's arguments
    ("web.AppRunner", "keepalive_timeout"): "test_web_protection.py::test_keepalive_timeout_closes_idle_connection",
    ("web.AppRunner", "max_line_size"): "test_web_protection.py::test_limits_request_line_and_headers",
    ("web.AppRunner", "max_field_size"): "test_web_protection.py::test_limits_request_line_and_headers",
    ("web.AppRunner", "max_headers"): "test_web_protection.py::test_limits_request_line_and_headers",
    ("web.AppRunner", "access_log_class"): "test_web_access_log.py::test_aiohttp_access_logger_classes_work",
    ("web.AppRunner", "access_log"): "test_web_access_log.py::test_lines_and_extra_fields_as_aiohttp",
    ("web.AppRunner", "access_log_format"): "test_web_access_log.py::test_lines_and_extra_fields_as_aiohttp",
    ("web.AppRunner", "read_bufsize"): "test_web_request_decoding.py::test_streamed_bomb_in_small_chunks_stays_within_the_read_buffer",
    ("web.AppRunner", "auto_decompress"): "test_web_request_decoding.py::test_auto_decompress_false_hands_over_raw",
}

# Not built: a value other than aiohttp's default raises NotImplementedError naming it.
REFUSED: dict[tuple[str, str], Any] = {
    ("ClientSession", "request_class"): type("AiohttpRequest", (real_aiohttp.ClientRequest,), {}),
    ("ClientSession", "ws_response_class"): type("MyWS", (), {}),
    ("TCPConnector", "enable_cleanup_closed"): True,
    ("TCPConnector", "timeout_ceil_threshold"): 1,
    # fasthttp.web refuses these whatever the value, aiohttp's default included.
    ("web.AppRunner", "tcp_keepalive"): False,
    ("web.AppRunner", "logger"): logging.getLogger("signatures"),
    ("web.AppRunner", "debug"): True,
    ("web.AppRunner", "lingering_time"): 1.0,
    ("web.AppRunner", "timeout_ceil_threshold"): 1,
}


def _aiohttp_parameters() -> list[tuple[str, str]]:
    return [
        (where, name)
        for where, function in SIGNATURES.items()
        for name, parameter in inspect.signature(function).parameters.items()
        # What a caller names: not self, the required positionals (method, url) nor **kwargs.
        if parameter.default is not inspect.Parameter.empty
    ]


def _test_exists(reference: str) -> bool:
    path, _, name = reference.partition("::")
    try:
        with open(os.path.join(HERE, path), encoding="utf-8") as source:
            text = source.read()
    except OSError:
        return False
    return re.search(rf"^(async )?def {re.escape(name)}\(", text, re.MULTILINE) is not None


@pytest.mark.parametrize("where,name", _aiohttp_parameters())
def test_every_aiohttp_parameter_is_implemented_or_refused(where: str, name: str) -> None:
    key = (where, name)
    assert key in IMPLEMENTED or key in REFUSED, (
        f"aiohttp's {where} has a parameter {name!r} that fasthttp neither lists as "
        "implemented (with its test) nor as refused"
    )
    if key in IMPLEMENTED:
        assert _test_exists(IMPLEMENTED[key]), f"{IMPLEMENTED[key]} does not exist"


def test_the_tables_name_only_aiohttp_parameters() -> None:
    known = set(_aiohttp_parameters())
    assert not (set(IMPLEMENTED) | set(REFUSED)) - known


def _fasthttp_names(where: str) -> set[str]:
    """The keywords fasthttp's counterpart accepts, following its **kwargs forwarding."""
    from fasthttp.client_ws import ws_upgrade

    functions: dict[str, list[Callable[..., Any]]] = {
        "ClientSession": [fasthttp.ClientSession.__init__],
        "request": [fasthttp.ClientSession._request],
        "ws_connect": [fasthttp.ClientSession._ws_connect, ws_upgrade],
        "TCPConnector": [fasthttp.TCPConnector.__init__],
        # request() forwards what is not the session's to ClientSession._request.
        "aiohttp.request": [fasthttp.request, fasthttp.ClientSession._request],
        "web.AppRunner": [fasthttp.web.AppRunner.__init__],
    }
    names: set[str] = set()
    if where == "web.AppRunner":  # taken by name through **kwargs, and refused loudly
        from fasthttp.web.runner import _UNSUPPORTED_SERVER_ARGUMENTS

        names |= _UNSUPPORTED_SERVER_ARGUMENTS
    for function in functions[where]:
        names |= set(inspect.signature(function).parameters)
    return names


@pytest.mark.parametrize("where,name", _aiohttp_parameters())
def test_fasthttp_accepts_every_aiohttp_parameter_name(where: str, name: str) -> None:
    assert name in _fasthttp_names(where), f"fasthttp's {where} does not accept {name}="


@pytest.mark.parametrize("where,name", sorted(REFUSED))
@async_test()
async def test_refused_argument_names_itself(where: str, name: str) -> None:
    value = REFUSED[(where, name)]
    default = inspect.signature(SIGNATURES[where]).parameters[name].default
    assert value != default
    # Nothing listens there: a refusal must come before any connection is tried.
    url = "http://127.0.0.1:9/"
    with pytest.raises(NotImplementedError, match=rf"\b{name}="):
        if where == "ClientSession":
            session = fasthttp.ClientSession(**{name: value})
            await session.close()
        elif where == "TCPConnector":
            connector = fasthttp.TCPConnector(**{name: value})
            await connector.close()
        elif where == "web.AppRunner":
            fasthttp.web.AppRunner(fasthttp.web.Application(), **{name: value})
        else:
            async with fasthttp.ClientSession() as session:
                if where == "request":
                    await session.get(url, **{name: value})
                else:
                    await session.ws_connect(url.replace("http", "ws"), **{name: value})


@async_test()
async def test_defaults_of_refused_arguments_are_accepted() -> None:
    """aiohttp's default value asks for nothing: it is accepted silently."""
    fasthttp.TCPConnector(enable_cleanup_closed=False, timeout_ceil_threshold=5)
    async with fasthttp.ClientSession(trust_env=False, proxy=None,
                                      request_class=fasthttp.ClientRequest) as session:
        assert not session.closed
    await asyncio.sleep(0)


@pytest.mark.parametrize(
    "name",
    sorted(
        name for name, value in vars(real_aiohttp.ClientSession).items()
        if isinstance(value, property) and not name.startswith("_")
    ),
)
def test_the_session_has_every_attribute_aiohttp_exposes(name: str) -> None:
    ours = getattr(fasthttp.ClientSession, name, None)
    assert isinstance(ours, property), f"ClientSession.{name} is missing"
    theirs = getattr(real_aiohttp.ClientSession, name)
    assert (ours.fset is None) == (theirs.fset is None), f"ClientSession.{name} setter"
