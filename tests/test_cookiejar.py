"""Cookie jar: RFC 6265 rules, aiohttp's API, persistence, and agreement with aiohttp.

No network: cookies are fed as Set-Cookie field values or mappings with a yarl.URL, and
expiry runs on an injected clock (the jar's `_now` hook), so every test is instant.
"""

from __future__ import annotations

import asyncio
import calendar
import json
import os
import pickle
import stat
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from email.utils import formatdate
from http.cookies import BaseCookie, CookieError, Morsel, SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from yarl import URL

from fasthttp.cookiejar import (
    MAX_COOKIES_PER_DOMAIN,
    MAX_COOKIES_PER_RESPONSE,
    COOKIE_QUOTA_PER_DOMAIN,
    AbstractCookieJar,
    CookieJar,
    DummyCookieJar,
    parse_cookie_date,
    parse_set_cookie,
    parse_set_cookie_headers,
)
from fasthttp import cookie_parsing, cookiejar

T0 = 1_700_000_000.0  # the injected "now" of the clock fixture


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_jar(clock: Clock | None = None, **kwargs: Any) -> CookieJar:
    jar = CookieJar(**kwargs)
    if clock is not None:
        jar._now = clock
    return jar


def sent(jar: AbstractCookieJar, url: str) -> dict[str, str]:
    return {name: m.value for name, m in jar.filter_cookies(URL(url)).items()}


def header(jar: AbstractCookieJar, url: str) -> str:
    """The Cookie header value a session would build from filter_cookies."""
    return "; ".join(f"{m.key}={m.coded_value}" for m in jar.filter_cookies(URL(url)).values())


def set_cookies(jar: CookieJar, url: str, *fields: str) -> None:
    jar.update_cookies_from_headers(list(fields), URL(url))


def http_date(ts: float) -> str:
    return formatdate(ts, usegmt=True)


# ---------------------------------------------------------------------------------------------
# Cookie dates (RFC 6265 5.1.1)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Wed, 09 Jun 2021 10:18:14 GMT", (2021, 6, 9, 10, 18, 14)),  # RFC 1123
        ("Wednesday, 09-Jun-21 10:18:14 GMT", (2021, 6, 9, 10, 18, 14)),  # RFC 850
        ("Wed Jun  9 10:18:14 2021", (2021, 6, 9, 10, 18, 14)),  # asctime
        ("Wed, 09-Jun-2021 10:18:14 GMT", (2021, 6, 9, 10, 18, 14)),  # Netscape
        ("09 Jun 2021 10:18:14", (2021, 6, 9, 10, 18, 14)),
        ("Thu, 01 Jan 1970 00:00:00 GMT", (1970, 1, 1, 0, 0, 0)),
        ("Sun, 31 Dec 69 23:59:59 GMT", (2069, 12, 31, 23, 59, 59)),  # 2-digit year < 70
        ("Fri, 31 Dec 99 23:59:59 GMT", (1999, 12, 31, 23, 59, 59)),
        ("Sat, 01 JANUARY 2022 1:2:3 GMT", (2022, 1, 1, 1, 2, 3)),  # month by 3-letter prefix
        ("Tue, 29 Feb 2000 12:00:00 +0100", (2000, 2, 29, 12, 0, 0)),  # zone ignored
        ('"Wed, 09 Jun 2021 10:18:14 GMT"', (2021, 6, 9, 10, 18, 14)),  # quotes are delimiters
        ("2021 jun 9 10:18:14", (2021, 6, 9, 10, 18, 14)),  # day before year
        ("Wed, 09 Jun 2021 10:18:14GMT", (2021, 6, 9, 10, 18, 14)),
        ("Wed, 31 Dec 9999 23:59:59 GMT", (9999, 12, 31, 23, 59, 59)),
    ],
)
def test_parse_cookie_date(text: str, expected: tuple[int, ...]) -> None:
    assert parse_cookie_date(text) == calendar.timegm((*expected, 0, 0, 0))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not a date",
        "Wed, 09 Jun 2021 GMT",  # no time
        "Wed, Jun 2021 10:18:14 GMT",  # no day
        "Wed, 09 2021 10:18:14 GMT",  # no month
        "Wed, 09 Jun 10:18:14 GMT",  # no year
        "Wed, 32 Jun 2021 10:18:14 GMT",
        "Wed, 00 Jun 2021 10:18:14 GMT",
        "Mon, 30 Feb 2021 10:18:14 GMT",  # a date that does not exist
        "Wed, 09 Jun 1600 10:18:14 GMT",
        "Wed, 09 Jun 2021 24:00:00 GMT",
        "Wed, 09 Jun 2021 10:60:00 GMT",
        "Wed, 09 Jun 2021 10:18:60 GMT",
        "Wed, 09 Jun 12345 10:18:14 GMT",  # 5-digit year is no year
        "Wed, 123 Jun 2021 10:18:14 GMT",  # 3-digit day is no day (nor a 2-4 digit year here)
    ],
)
def test_parse_cookie_date_rejects(text: str) -> None:
    assert parse_cookie_date(text) is None


@pytest.mark.parametrize(
    "text, year",
    [
        ("01 Jan 70 00:00:00", 1970),  # the lowest two-digit year read as 19xx
        ("01 Jan 00 00:00:00", 2000),
        ("01 Jan 0070 00:00:00", 1970),  # the rule is on the value, not the digit count
        ("01 Jan 1601 00:00:00", 1601),  # the earliest year accepted
    ],
)
def test_parse_cookie_date_year_rules(text: str, year: int) -> None:
    assert parse_cookie_date(text) == calendar.timegm((year, 1, 1, 0, 0, 0, 0, 0, 0))


def test_parse_cookie_date_first_matching_token_wins() -> None:
    # 5.1.1 step 2: each of time, day, month and year is taken from the first token that
    # fits it; later tokens that would fit again are skipped.
    assert parse_cookie_date("Jun Jul 09 2021 2022 10:18:14 11:00:00") == calendar.timegm(
        (2021, 6, 9, 10, 18, 14, 0, 0, 0)
    )


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_parse_cookie_date_never_raises(text: str) -> None:
    result = parse_cookie_date(text)
    assert result is None or isinstance(result, int)


# ---------------------------------------------------------------------------------------------
# Set-Cookie field values (RFC 6265 5.2)


def parsed(field: str) -> Morsel[str]:
    result = parse_set_cookie(field)
    assert result is not None, field
    return result[1]


def test_parse_real_world_google_style() -> None:
    m = parsed(
        "NID=511=abc-DEF_ghi; expires=Sat, 01-Jan-2033 00:00:00 GMT; path=/; "
        "domain=.google.com; HttpOnly"
    )
    assert (m.key, m.value, m.coded_value) == ("NID", "511=abc-DEF_ghi", "511=abc-DEF_ghi")
    assert m["expires"] == "Sat, 01-Jan-2033 00:00:00 GMT"
    assert m["path"] == "/"
    assert m["domain"] == ".google.com"
    assert m["httponly"] is True
    assert m["secure"] == ""


def test_parse_unquoted_value_with_spaces_and_commas() -> None:
    # SimpleCookie stops at the space; RFC 6265 takes everything up to ';'.
    m = parsed("session=a b,c d; Expires=Wed, 09 Jun 2121 10:18:14 GMT; Path=/x")
    assert m.value == "a b,c d"
    assert m["expires"] == "Wed, 09 Jun 2121 10:18:14 GMT"
    assert m["path"] == "/x"


def test_parse_expires_in_every_usual_format() -> None:
    for expires in (
        "Wed, 09 Jun 2121 10:18:14 GMT",
        "Wednesday, 09-Jun-21 10:18:14 GMT",
        "Wed Jun  9 10:18:14 2121",
        "Wed, 09 Jun 2121 10:18:14 -0000",
    ):
        assert parsed(f"a=1; Expires={expires}; Secure")["expires"] == expires
        assert parsed(f"a=1; Expires={expires}; Secure")["secure"] is True


def test_parse_quoted_values() -> None:
    m = parsed('a="x;y z"; Path=/p')
    assert (m.value, m.coded_value, m["path"]) == ("x;y z", '"x;y z"', "/p")
    m = parsed(r'a="q\"uote\073"')
    assert m.value == 'q"uote;'
    m = parsed('a="unterminated; Path=/p')  # falls back to splitting at ';'
    assert (m.value, m["path"]) == ('"unterminated', "/p")
    assert parsed('a=""').value == ""


def test_parse_quoted_attribute_values_keep_their_semicolons() -> None:
    # As aiohttp: a double-quoted attribute value is one value, ';' included.
    assert parsed('a=1; Path="/a;b"; Secure')["path"] == "/a;b"
    assert parsed('a=1; Path = "/a;b" ; Domain=x')["path"] == "/a;b"
    assert parsed(r'a=1; Path="/\073x"')["path"] == "/;x"  # escapes undone
    assert parsed('a=1; Path="/a "')["path"] == "/a "
    # Not a quoted value: no closing quote, or text after it; the attribute ends at ';'.
    assert parsed('a=1; Path="/a;b"x; Domain=y')["path"] == '"/a'
    assert parsed('a=1; Path="/a; Domain=y')["domain"] == "y"


def test_parse_many_quotes_stays_linear() -> None:
    # Every attribute opening a quote that closes far away, or never: still one pass.
    for field in ("a=1" + '; p="x' * 2000, "a=1" + '; p="; q' * 2000, "a=1" + '; p=";"x' * 2000):
        started = time.perf_counter()
        for _ in range(5):
            assert parse_set_cookie(field) is not None
        assert time.perf_counter() - started < 1.0, field[:20]


def test_parse_attributes() -> None:
    m = parsed(
        "id=7 ;  PATH=/a ; DoMaIn=Example.COM; SECURE=false; httponly; SameSite=Lax; "
        "Max-Age=60; Priority=High; Comment=hi"
    )
    assert m["path"] == "/a"
    assert m["domain"] == "Example.COM"  # normalised by the jar, not the parser
    assert m["secure"] is True  # a flag's value is ignored
    assert m["httponly"] is True
    assert m["samesite"] == "Lax"
    assert m["max-age"] == "60"
    assert m["comment"] == "hi"
    assert "priority" not in m


def test_parse_last_attribute_wins_and_invalid_ones_are_ignored() -> None:
    m = parsed("a=1; Path=/one; Path=/two; Max-Age=5; Max-Age=ten; Expires=soon; Domain=")
    assert m["path"] == "/two"
    assert m["max-age"] == "5"  # "ten" ignored
    assert m["expires"] == ""  # unparsable
    assert m["domain"] == ""  # empty Domain ignored
    m = parsed("a=1; Expires=Wed, 09 Jun 2121 10:18:14 GMT; Expires=garbage")
    assert m["expires"] == "Wed, 09 Jun 2121 10:18:14 GMT"


def test_parse_names_real_servers_use() -> None:
    for name in ("path", "expires", "Domain", "[id]", "{x}", "a:b", "a/b", "$Version", "x.y"):
        result = parse_set_cookie(f"{name}=v; Path=/")
        assert result is not None and result[0] == name and result[1].key == name
        assert result[1]["path"] == "/"


@pytest.mark.parametrize(
    "field",
    [
        "",
        "novalue",
        "=value",  # empty name
        " =value",
        "a b=1",  # space in name
        'a"b=1',
        "a,b=1",
        "a\\b=1",
        "a=1\r\nInjected: yes",
        "a=1\x00",
        "a=b\tc",  # tab inside the value
        "na\u00efve=1",  # non-ASCII name
        "a=" + "x" * 5000,  # over the 4096-octet pair limit
        "a=\ud800",  # cannot be encoded
        "; a=1",
    ],
)
def test_parse_rejects(field: str) -> None:
    assert parse_set_cookie(field) is None


def test_parse_pair_length_limit_counts_utf8_octets() -> None:
    limit = cookie_parsing.MAX_COOKIE_PAIR_LENGTH
    assert parse_set_cookie("a=" + "x" * (limit - 1)) is not None  # exactly at the limit
    assert parse_set_cookie("a=" + "x" * limit) is None
    # 2049 characters but 4097 octets: over the limit.
    assert parse_set_cookie("a=" + "\u00e9" * (limit // 2)) is None


def test_parse_attribute_value_length_limit() -> None:
    limit = cookie_parsing.MAX_ATTRIBUTE_VALUE_LENGTH
    at_limit = "/" + "p" * (limit - 1)
    assert parsed(f"a=1; Path={at_limit}")["path"] == at_limit
    # Over the limit the attribute is ignored, so an earlier Path stays.
    assert parsed(f"a=1; Path=/keep; Path={at_limit}p")["path"] == "/keep"
    # The limit is in octets: 1020 two-octet characters are 2040 octets, over it.
    assert parsed("a=1; Path=/keep; Path=/" + "\u00e9" * 1020)["path"] == "/keep"
    assert parsed("a=1; Path=/" + "\u00e9" * 511)["path"] == "/" + "\u00e9" * 511  # 1023 octets
    # ... and counts the value as sent: quotes included.
    assert parsed(f'a=1; Path=/keep; Path="{at_limit}"')["path"] == "/keep"
    assert parsed(f'a=1; Path="{at_limit[:-2]}"')["path"] == at_limit[:-2]


def test_parse_headers_skips_invalid_and_caps_count() -> None:
    cookies = parse_set_cookie_headers(["a=1", "bad", "b=2; Path=/"])
    assert [name for name, _ in cookies] == ["a", "b"]
    many = [f"c{i}=v" for i in range(MAX_COOKIES_PER_RESPONSE + 10)]
    assert len(parse_set_cookie_headers(many)) == MAX_COOKIES_PER_RESPONSE


def test_parsing_names_still_importable_from_cookiejar() -> None:
    # The parser moved to fasthttp.cookie_parsing; callers importing from cookiejar keep
    # getting the same objects.
    for name in (
        "parse_cookie_date",
        "parse_set_cookie",
        "parse_set_cookie_headers",
        "MAX_COOKIES_PER_RESPONSE",
        "MAX_COOKIE_PAIR_LENGTH",
        "MAX_ATTRIBUTE_VALUE_LENGTH",
    ):
        assert getattr(cookiejar, name) is getattr(cookie_parsing, name), name


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_parse_set_cookie_never_raises(field: str) -> None:
    result = parse_set_cookie(field)
    if result is not None:
        name, morsel = result
        assert name == morsel.key and name


# ---------------------------------------------------------------------------------------------
# Domains (RFC 6265 5.1.3, 5.3 steps 5-6)


def test_host_only_cookie_not_sent_to_subdomains() -> None:
    jar = make_jar()
    set_cookies(jar, "http://example.com/", "a=1")
    assert sent(jar, "http://example.com/") == {"a": "1"}
    assert sent(jar, "http://www.example.com/") == {}
    assert sent(jar, "http://other.com/") == {}
    assert jar.host_only_cookies == frozenset({("example.com", "", "a")})
    (morsel,) = jar
    assert morsel["domain"] == "example.com"


def test_domain_cookie_sent_to_domain_and_subdomains() -> None:
    jar = make_jar()
    set_cookies(jar, "http://www.example.com/", "a=1; Domain=.Example.COM")
    assert sent(jar, "http://example.com/") == {"a": "1"}
    assert sent(jar, "http://www.example.com/") == {"a": "1"}
    assert sent(jar, "http://a.b.example.com/") == {"a": "1"}
    assert sent(jar, "http://notexample.com/") == {}
    assert sent(jar, "http://example.com.evil.org/") == {}
    (morsel,) = jar
    assert morsel["domain"] == "example.com"
    assert not jar.host_only_cookies


@pytest.mark.parametrize(
    "domain", ["other.com", "www2.example.com", "sub.www.example.com", "ample.com", "com.x"]
)
def test_domain_attribute_must_domain_match_the_host(domain: str) -> None:
    jar = make_jar()
    set_cookies(jar, "http://www.example.com/", f"a=1; Domain={domain}")
    assert len(jar) == 0


def test_trailing_dot_domain_makes_a_host_only_cookie() -> None:
    jar = make_jar()
    set_cookies(jar, "http://www.example.com/", "a=1; Domain=example.com.")
    assert sent(jar, "http://www.example.com/") == {"a": "1"}
    assert sent(jar, "http://x.www.example.com/") == {}


def test_cookie_for_parent_domain_from_subdomain() -> None:
    jar = make_jar()
    set_cookies(jar, "http://a.b.example.com/", "a=1; Domain=b.example.com", "c=3; Domain=com")
    assert sent(jar, "http://b.example.com/") == {"a": "1", "c": "3"}
    assert sent(jar, "http://example.com/") == {"c": "3"}  # no public-suffix list, as aiohttp


def test_most_specific_domain_wins_a_name() -> None:
    jar = make_jar()
    set_cookies(jar, "http://www.example.com/", "a=parent; Domain=example.com; Path=/x/y", "a=host")
    assert sent(jar, "http://www.example.com/x/y/z") == {"a": "host"}
    assert sent(jar, "http://api.example.com/x/y/z") == {"a": "parent"}


# ---------------------------------------------------------------------------------------------
# IP-address hosts


def test_ip_hosts_refused_unless_unsafe() -> None:
    jar = make_jar()
    set_cookies(jar, "http://127.0.0.1/", "a=1")
    jar.update_cookies({"b": "2"}, URL("http://[::1]:8080/"))
    assert len(jar) == 0
    jar.update_cookies({"shared": "s"})  # no URL: sent everywhere, IPs included
    assert sent(jar, "http://127.0.0.1/") == {"shared": "s"}


def test_unsafe_accepts_ip_hosts_as_host_only() -> None:
    jar = make_jar(unsafe=True)
    assert jar.unsafe
    set_cookies(jar, "http://10.0.0.1/", "a=1", "b=2; Domain=0.0.1")
    jar.update_cookies({"v6": "x"}, URL("http://[::1]/"))
    assert sent(jar, "http://10.0.0.1/") == {"a": "1"}
    assert sent(jar, "http://110.0.0.1/") == {}
    assert sent(jar, "http://10.0.0.2/") == {}
    assert sent(jar, "http://[::1]/") == {"v6": "x"}


# ---------------------------------------------------------------------------------------------
# Paths (RFC 6265 5.1.4)


@pytest.mark.parametrize(
    "response_path, default_path",
    [("/", "/"), ("/a", "/"), ("/a/", "/a"), ("/a/b", "/a"), ("/a/b/c.html", "/a/b")],
)
def test_default_path(response_path: str, default_path: str) -> None:
    jar = make_jar()
    set_cookies(jar, "http://example.com" + response_path, "a=1", "b=2; Path=relative")
    assert {m["path"] for m in jar} == {default_path}


@pytest.mark.parametrize(
    "cookie_path, request_path, matches",
    [
        ("/", "/", True),
        ("/", "/anything/deep", True),
        ("/foo", "/foo", True),
        ("/foo", "/foo/", True),
        ("/foo", "/foo/bar", True),
        ("/foo", "/foobar", False),
        ("/foo", "/", False),
        ("/foo/", "/foo", False),
        ("/foo/", "/foo/bar", True),
        ("/foo/bar", "/foo", False),
        ("/Foo", "/foo", False),  # case-sensitive
    ],
)
def test_path_match(cookie_path: str, request_path: str, matches: bool) -> None:
    jar = make_jar()
    set_cookies(jar, "http://example.com/", f"a=1; Path={cookie_path}")
    assert sent(jar, "http://example.com" + request_path) == ({"a": "1"} if matches else {})


# ---------------------------------------------------------------------------------------------
# Secure


def test_secure_cookies_only_over_secure_schemes() -> None:
    jar = make_jar()
    set_cookies(jar, "https://example.com/", "s=1; Secure", "p=2")
    assert sent(jar, "http://example.com/") == {"p": "2"}
    assert sent(jar, "https://example.com/") == {"s": "1", "p": "2"}
    assert sent(jar, "wss://example.com/") == {"s": "1", "p": "2"}
    assert sent(jar, "ws://example.com/") == {"p": "2"}
    # Like aiohttp, localhost gets no special treatment.
    set_cookies(jar, "http://localhost/", "s=1; Secure")
    assert sent(jar, "http://localhost/") == {}


@pytest.mark.parametrize(
    "origins",
    ["http://localhost:8080", URL("http://localhost:8080/some/path"), ["http://localhost:8080"]],
)
def test_treat_as_secure_origin(origins: Any) -> None:
    jar = make_jar(treat_as_secure_origin=origins)
    assert jar.treat_as_secure_origin == frozenset({URL("http://localhost:8080")})
    set_cookies(jar, "http://localhost:8080/", "s=1; Secure")
    assert sent(jar, "http://localhost:8080/x") == {"s": "1"}
    assert sent(jar, "http://localhost:8081/x") == {}


def test_httponly_and_samesite_are_stored_not_enforced() -> None:
    jar = make_jar()
    set_cookies(jar, "http://example.com/", "a=1; HttpOnly; SameSite=Strict")
    (morsel,) = jar
    assert morsel["httponly"] is True and morsel["samesite"] == "Strict"
    assert sent(jar, "http://example.com/") == {"a": "1"}


# ---------------------------------------------------------------------------------------------
# Expiry


def test_max_age_expires_on_the_clock(clock: Clock) -> None:
    jar = make_jar(clock)
    set_cookies(jar, "http://example.com/", "a=1; Max-Age=10", "b=2")
    clock.now += 9.5
    assert sent(jar, "http://example.com/") == {"a": "1", "b": "2"}
    clock.now += 1
    assert sent(jar, "http://example.com/") == {"b": "2"}
    assert len(jar) == 1


def test_expires_on_the_clock(clock: Clock) -> None:
    jar = make_jar(clock)
    set_cookies(jar, "http://example.com/", f"a=1; Expires={http_date(T0 + 100)}")
    assert len(jar) == 1
    clock.now = T0 + 101
    assert len(jar) == 0
    assert list(jar) == []


def test_max_age_takes_precedence_over_expires(clock: Clock) -> None:
    jar = make_jar(clock)
    set_cookies(
        jar,
        "http://example.com/",
        f"a=1; Expires={http_date(T0 - 100)}; Max-Age=100",
        f"b=2; Max-Age=0; Expires={http_date(T0 + 100)}",
    )
    assert sent(jar, "http://example.com/") == {"a": "1"}


def test_invalid_max_age_falls_back_to_expires(clock: Clock) -> None:
    jar = make_jar(clock)
    set_cookies(jar, "http://example.com/", "a=1")
    jar.update_cookies(
        {"a": _morsel("a", "2", **{"max-age": "soon", "expires": http_date(T0 - 1)})},
        URL("http://example.com/"),
    )
    assert len(jar) == 0


@pytest.mark.parametrize(
    "deleting",
    [
        "a=; Max-Age=0",
        "a=gone; Max-Age=-1",
        "a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT",  # epoch 0 is a date too
        "a=; Expires=Thu, 01 Jan 1970 00:00:01 GMT",
    ],
)
def test_setting_an_expired_cookie_deletes_it(deleting: str, clock: Clock) -> None:
    jar = make_jar(clock)
    set_cookies(jar, "http://example.com/", "a=1", "b=2")
    set_cookies(jar, "http://example.com/", deleting)
    assert sent(jar, "http://example.com/") == {"b": "2"}
    assert len(jar) == 1


def test_replacement_drops_the_old_expiry(clock: Clock) -> None:
    jar = make_jar(clock)
    set_cookies(jar, "http://example.com/", "a=1; Max-Age=5")
    set_cookies(jar, "http://example.com/", "a=2")
    clock.now += 10
    assert sent(jar, "http://example.com/") == {"a": "2"}
    set_cookies(jar, "http://example.com/", "a=3; Max-Age=100")
    clock.now += 50
    assert sent(jar, "http://example.com/") == {"a": "3"}


def test_huge_max_age_and_far_expires_do_not_overflow(clock: Clock) -> None:
    jar = make_jar(clock)
    set_cookies(
        jar,
        "http://example.com/",
        "a=1; Max-Age=" + "9" * 400,
        "b=2; Expires=Fri, 31 Dec 9999 23:59:59 GMT",
    )
    jar.update_cookies({"c": _morsel("c", "3", **{"max-age": "9" * 5000})}, URL("http://e.com/"))
    clock.now = 1e11
    assert sent(jar, "http://example.com/") == {"a": "1", "b": "2"}
    assert sent(jar, "http://e.com/") == {"c": "3"}


def test_expired_heap_stays_bounded(clock: Clock) -> None:
    jar = make_jar(clock)
    for i in range(2000):
        set_cookies(jar, "http://example.com/", f"a={i}; Max-Age={1000 + i}")
    assert len(jar) == 1
    assert len(jar._heap) < 200


# ---------------------------------------------------------------------------------------------
# Identity, replacement and order (RFC 6265 5.3 step 11, 5.4)


def test_same_domain_path_name_replaces() -> None:
    jar = make_jar()
    set_cookies(jar, "http://example.com/", "a=1", "a=2; Path=/")
    assert len(jar) == 1 and sent(jar, "http://example.com/") == {"a": "2"}
    # A Domain cookie with the host's own name replaces the host-only one.
    set_cookies(jar, "http://example.com/", "a=3; Domain=example.com")
    assert len(jar) == 1
    assert sent(jar, "http://www.example.com/") == {"a": "3"}
    # Another path is another cookie.
    set_cookies(jar, "http://example.com/", "a=4; Path=/x")
    assert len(jar) == 2
    assert sent(jar, "http://example.com/x") == {"a": "4"}
    assert sent(jar, "http://example.com/y") == {"a": "3"}


def test_order_longer_paths_first_then_creation() -> None:
    jar = make_jar()
    set_cookies(
        jar,
        "http://example.com/",
        "root1=1",
        "deep=1; Path=/a/b",
        "mid=1; Path=/a",
        "root2=1",
        "parent=1; Domain=example.com; Path=/a",
    )
    names = list(jar.filter_cookies(URL("http://example.com/a/b/c")))
    assert names == ["deep", "mid", "parent", "root1", "root2"]
    # Replacing keeps the creation time: root1 stays before root2.
    set_cookies(jar, "http://example.com/", "root1=2")
    names = list(jar.filter_cookies(URL("http://example.com/a/b/c")))
    assert names == ["deep", "mid", "parent", "root1", "root2"]
    # Deleting and setting again is a new cookie.
    set_cookies(jar, "http://example.com/", "root1=; Max-Age=0", "root1=3")
    names = list(jar.filter_cookies(URL("http://example.com/a/b/c")))
    assert names == ["deep", "mid", "parent", "root2", "root1"]


# ---------------------------------------------------------------------------------------------
# Quoting


def test_quote_cookie() -> None:
    fields = ["plain=abc", "spaced=a b", 'quoted="x y"', "comma=a,b"]
    jar = make_jar()
    set_cookies(jar, "http://example.com/", *fields)
    assert jar.quote_cookie
    assert header(jar, "http://example.com/") == (
        'plain=abc; spaced="a b"; quoted="x y"; comma="a\\054b"'
    )
    raw = make_jar(quote_cookie=False)
    set_cookies(raw, "http://example.com/", *fields)
    assert not raw.quote_cookie
    assert header(raw, "http://example.com/") == "plain=abc; spaced=a b; quoted=x y; comma=a,b"


def test_filter_returns_bare_morsels() -> None:
    jar = make_jar()
    set_cookies(jar, "https://example.com/", "a=1; Path=/; Secure; HttpOnly; Max-Age=60")
    filtered = jar.filter_cookies(URL("https://example.com/"))
    assert isinstance(filtered, BaseCookie)
    assert filtered.output(header="Cookie:") == "Cookie: a=1"


# ---------------------------------------------------------------------------------------------
# update_cookies input forms


def _morsel(name: str, value: str, **attrs: Any) -> Morsel[str]:
    cookie = SimpleCookie()
    cookie[name] = value
    for key, attr_value in attrs.items():
        cookie[name][key] = attr_value
    return cookie[name]


def test_update_cookies_input_forms() -> None:
    url = URL("http://example.com/")
    jar = make_jar()
    jar.update_cookies({"m": "1"}, url)
    jar.update_cookies([("i", "2"), ("j", _morsel("j", "3", path="/"))], url)
    base = SimpleCookie()
    base["b"] = "4"
    base["b"]["domain"] = "example.com"
    jar.update_cookies(base, url)
    assert sent(jar, "http://example.com/") == {"m": "1", "i": "2", "j": "3", "b": "4"}
    assert sent(jar, "http://www.example.com/") == {"b": "4"}


def test_update_cookies_copies_morsels() -> None:
    morsel = _morsel("a", "1")
    jar = make_jar()
    jar.update_cookies({"a": morsel}, URL("http://example.com/a/b"))
    assert morsel["domain"] == "" and morsel["path"] == ""
    morsel.set("a", "changed", "changed")
    assert sent(jar, "http://example.com/a/") == {"a": "1"}


def test_shared_cookies_without_url_go_everywhere() -> None:
    jar = make_jar()
    jar.update_cookies({"s": "1"})
    jar.update_cookies({"d": _morsel("d", "2", domain="example.com")})
    assert sent(jar, "http://anything.org/deep/path") == {"s": "1"}
    assert sent(jar, "http://www.example.com/") == {"s": "1", "d": "2"}


def test_update_cookies_refuses_illegal_names_like_simplecookie() -> None:
    with pytest.raises(CookieError):
        make_jar().update_cookies({"bad name": "x"}, URL("http://example.com/"))


def test_update_cookies_drops_unsendable_morsels() -> None:
    jar = make_jar(quote_cookie=False)
    bad: Morsel[str] = Morsel()
    bad.__setstate__(  # type: ignore[attr-defined]
        {"key": "a", "value": "x\r\nInjected: 1", "coded_value": "x"}
    )
    jar.update_cookies({"a": bad}, URL("http://example.com/"))
    assert len(jar) == 0


# ---------------------------------------------------------------------------------------------
# clear, clear_domain, iteration, limits


def test_clear_and_clear_domain(clock: Clock) -> None:
    jar = make_jar(clock)
    set_cookies(jar, "http://example.com/", "a=1", "keep=1; Max-Age=5")
    set_cookies(jar, "http://www.example.com/", "b=2")
    set_cookies(jar, "http://notexample.com/", "c=3")
    set_cookies(jar, "http://other.org/", "d=4")
    jar.clear_domain("example.com")
    assert sorted(m.key for m in jar) == ["c", "d"]
    jar.clear(lambda m: m.value == "3")
    assert [m.key for m in jar] == ["d"]
    set_cookies(jar, "http://other.org/", "e=5; Max-Age=5")
    clock.now += 10
    jar.clear(lambda m: False)  # still drops expired cookies
    assert [m.key for m in jar] == ["d"]
    jar.clear()
    assert len(jar) == 0 and sent(jar, "http://other.org/") == {}


def test_iteration_is_a_snapshot() -> None:
    jar = make_jar()
    set_cookies(jar, "http://example.com/", "a=1", "b=2")
    for morsel in jar:
        jar.clear(lambda m, key=morsel.key: m.key == key)  # type: ignore[misc]
    assert len(jar) == 0


def test_cookies_view_matches_aiohttp_layout() -> None:
    jar = make_jar()
    set_cookies(jar, "http://example.com/a/", "a=1", "b=2; Path=/")
    view = jar.cookies
    assert set(view) == {("example.com", "/a"), ("example.com", "")}
    assert view[("example.com", "/a")]["a"].value == "1"


def test_per_domain_limit_evicts_oldest(clock: Clock) -> None:
    jar = make_jar(clock)
    for i in range(MAX_COOKIES_PER_DOMAIN):
        set_cookies(jar, "http://example.com/", f"c{i}=v")
    set_cookies(jar, "http://other.com/", "o=1")
    assert len(jar) == MAX_COOKIES_PER_DOMAIN + 1
    set_cookies(jar, "http://example.com/", "newest=v")
    names = set(sent(jar, "http://example.com/"))
    assert len(names) == COOKIE_QUOTA_PER_DOMAIN
    assert "newest" in names and "c0" not in names and f"c{MAX_COOKIES_PER_DOMAIN - 1}" in names
    assert sent(jar, "http://other.com/") == {"o": "1"}


def test_filter_only_looks_at_candidate_domains() -> None:
    jar = make_jar()
    for i in range(500):
        set_cookies(jar, f"http://host{i}.example.org/", "a=1")
    assert sent(jar, "http://host7.example.org/") == {"a": "1"}

    class Exploding(dict):  # type: ignore[type-arg]
        def values(self) -> Any:
            raise AssertionError("scanned a bucket of another host")

    jar._buckets["host8.example.org"] = Exploding(jar._buckets["host8.example.org"])
    assert sent(jar, "http://host7.example.org/") == {"a": "1"}
    assert sent(make_jar(), "http://x.org/") == {}


# ---------------------------------------------------------------------------------------------
# DummyCookieJar


def test_dummy_cookie_jar() -> None:
    jar = DummyCookieJar()
    assert isinstance(jar, AbstractCookieJar)
    jar.update_cookies({"a": "1"}, URL("http://example.com/"))
    jar.update_cookies_from_headers(["a=1"], URL("http://example.com/"))
    assert len(jar) == 0 and list(jar) == []
    assert dict(jar.filter_cookies(URL("http://example.com/"))) == {}
    assert jar.quote_cookie and not jar.unsafe
    jar.clear()
    jar.clear_domain("example.com")


def test_abstract_jar_default_header_path() -> None:
    class ListJar(AbstractCookieJar):
        def __init__(self) -> None:
            super().__init__()
            self.got: list[tuple[str, str]] = []

        def __iter__(self) -> Iterator[Morsel[str]]:
            return iter(())

        def __len__(self) -> int:
            return len(self.got)

        @property
        def quote_cookie(self) -> bool:
            return True

        def clear(self, predicate: Any = None) -> None:
            self.got.clear()

        def clear_domain(self, domain: str) -> None:
            pass

        def update_cookies(self, cookies: Any, response_url: URL = URL()) -> None:
            self.got += [(name, m.value) for name, m in cookies]

        def filter_cookies(self, request_url: URL) -> BaseCookie[str]:
            return SimpleCookie()

    jar = ListJar()
    jar.update_cookies_from_headers(["a=1; Path=/", "junk"], URL("http://example.com/"))
    assert jar.got == [("a", "1")]


# ---------------------------------------------------------------------------------------------
# save / load


def test_save_load_round_trip(tmp_path: Path, clock: Clock) -> None:
    jar = make_jar(clock)
    set_cookies(
        jar,
        "https://www.example.com/a/b",
        "host=1",
        "dom=2; Domain=example.com; Path=/; Secure; HttpOnly; SameSite=Lax",
        "exp=3; Max-Age=100",
        'q="x y"; Path=/a/',
    )
    path = tmp_path / "cookies.json"
    jar.save(path)
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = make_jar(clock)
    set_cookies(loaded, "http://previous.org/", "old=1")
    loaded.load(str(path))
    assert sent(loaded, "http://previous.org/") == {}
    for url in ("https://www.example.com/a/x", "https://api.example.com/", "http://example.com/"):
        assert header(loaded, url) == header(jar, url)
    assert sent(loaded, "https://api.example.com/") == {"dom": "2"}  # host stayed host-only
    assert loaded.host_only_cookies == jar.host_only_cookies
    (dom,) = (m for m in loaded if m.key == "dom")
    assert dom["secure"] and dom["httponly"] and dom["samesite"] == "Lax"
    clock.now += 101  # the absolute deadline survived the round trip
    assert "exp" not in sent(loaded, "https://www.example.com/a/")


def test_load_file_saved_by_aiohttp(tmp_path: Path) -> None:
    # The layout aiohttp 3.14's CookieJar.save() writes.
    data = {
        "example.com|": {
            "a": {"key": "a", "value": "1", "coded_value": "1", "domain": "example.com",
                  "path": "/", "host_only": True},
            "b": {"key": "b", "value": "x y", "coded_value": '"x y"', "domain": "example.com",
                  "path": "/", "secure": True, "expires_timestamp": 4102444800.0},
        },
        "|": {"s": {"key": "s", "value": "shared", "coded_value": "shared", "path": "/"}},
    }
    path = tmp_path / "aiohttp.json"
    path.write_text(json.dumps(data))
    jar = make_jar()
    jar.load(path)
    assert header(jar, "https://example.com/") == 'a=1; b="x y"; s=shared'
    assert sent(jar, "https://www.example.com/") == {"b": "x y", "s": "shared"}
    assert sent(jar, "http://10.1.1.1/") == {"s": "shared"}


def test_load_legacy_pickle(tmp_path: Path) -> None:
    cookies: defaultdict[tuple[str, str], SimpleCookie] = defaultdict(SimpleCookie)
    cookies[("example.com", "")]["a"] = "1"
    cookies[("example.com", "")]["a"]["domain"] = "example.com"
    cookies[("example.com", "")]["a"]["path"] = "/"
    path = tmp_path / "legacy.pickle"
    path.write_bytes(pickle.dumps(cookies, protocol=pickle.HIGHEST_PROTOCOL))
    jar = make_jar()
    jar.load(path)
    assert sent(jar, "http://www.example.com/") == {"a": "1"}


class _Evil:
    def __reduce__(self) -> tuple[Any, ...]:
        return (os.system, ("echo pwned",))


@pytest.mark.parametrize(
    "payload, error",
    [
        (pickle.dumps({("example.com", ""): _Evil()}), pickle.UnpicklingError),
        (pickle.dumps(["not", "a", "mapping"]), ValueError),
        (b'{"example.com|": {"a": {"key": "a"}}}', ValueError),
        (b'{"no-separator": {}}', ValueError),
        (b'[1, 2]', ValueError),
        (b'{"example.com|": {"a": {"key": "a", "value": "1", "coded_value": "1", '
         b'"expires_timestamp": "soon"}}}', ValueError),
    ],
)
def test_load_refuses_bad_files_and_keeps_the_jar(
    tmp_path: Path, payload: bytes, error: type[Exception]
) -> None:
    path = tmp_path / "bad"
    path.write_bytes(payload)
    jar = make_jar()
    set_cookies(jar, "http://example.com/", "keep=1")
    with pytest.raises(error):
        jar.load(path)
    assert sent(jar, "http://example.com/") == {"keep": "1"}


# ---------------------------------------------------------------------------------------------
# Agreement with aiohttp.CookieJar

# (Set-Cookie fields, response URL, request URL) — cases where RFC 6265 and aiohttp agree.
AIOHTTP_CASES: list[tuple[Sequence[str], str, str]] = [
    (["a=1", "b=2; Path=/"], "http://example.com/", "http://example.com/"),
    (["a=1"], "http://example.com/", "http://www.example.com/"),
    (["a=1; Domain=example.com"], "http://www.example.com/", "http://api.example.com/"),
    (["a=1; Domain=.example.com"], "http://www.example.com/", "http://example.com/"),
    (["a=1; Domain=other.com"], "http://www.example.com/", "http://other.com/"),
    (["a=1; Domain=example.com."], "http://www.example.com/", "http://www.example.com/"),
    (["a=1; Path=/foo"], "http://example.com/", "http://example.com/foobar"),
    (["a=1; Path=/foo"], "http://example.com/", "http://example.com/foo/bar"),
    (["a=1; Path=/foo/"], "http://example.com/", "http://example.com/foo"),
    (["a=1"], "http://example.com/a/b/c", "http://example.com/a/x"),
    (["a=1"], "http://example.com/a/b/c", "http://example.com/a/b/d"),
    (["a=1; Path=rel"], "http://example.com/x/y", "http://example.com/x/z"),
    (["s=1; Secure", "p=2"], "https://example.com/", "http://example.com/"),
    (["s=1; Secure", "p=2"], "https://example.com/", "https://example.com/"),
    (["s=1; Secure"], "https://example.com/", "wss://example.com/"),
    (["a=1"], "http://127.0.0.1/", "http://127.0.0.1/"),
    (["a=1"], "http://[::1]/", "http://[::1]/"),
    (["a=1; Max-Age=0", "b=2"], "http://example.com/", "http://example.com/"),
    (["a=1; Max-Age=-5"], "http://example.com/", "http://example.com/"),
    (["a=1; Max-Age=100"], "http://example.com/", "http://example.com/"),
    (["a=1; Expires=Thu, 01 Jan 2015 00:00:01 GMT"], "http://example.com/", "http://example.com/"),
    (["a=1; Expires=Wed, 09 Jun 2121 10:18:14 GMT"], "http://example.com/", "http://example.com/"),
    (["a=1; expires=Wednesday, 09-Jun-21 10:18:14 GMT"], "http://e.com/", "http://e.com/"),
    (["a=1; Expires=Wed Jun  9 10:18:14 2121"], "http://example.com/", "http://example.com/"),
    (["a=1; Max-Age=100; Expires=Thu, 01 Jan 2015 00:00:01 GMT"], "http://e.com/", "http://e.com/"),
    (["a=1; Max-Age=0; Expires=Wed, 09 Jun 2121 10:18:14 GMT"], "http://e.com/", "http://e.com/"),
    (["a=1", "a=2"], "http://example.com/", "http://example.com/"),
    (["a=1", "a=2; Domain=example.com"], "http://example.com/", "http://example.com/"),
    (["a=host", "a=dom; Domain=example.com; Path=/x"], "http://www.example.com/",
     "http://www.example.com/x/y"),
    (["a=1", "a=2; Path=/x"], "http://example.com/", "http://example.com/x/y"),
    (["v=a b c", "w=\"q;r\"", "x=a,b", "y=\"\"", "z="], "http://e.com/", "http://e.com/"),
    (["NID=511=ab; expires=Sat, 01-Jan-2033 00:00:00 GMT; path=/; domain=.google.com; HttpOnly",
      "1P_JAR=2024-01-01-00; expires=Sat, 01-Jan-2033 00:00:00 GMT; path=/; domain=.google.com;"
      " Secure; SameSite=none"], "https://www.google.com/search", "https://maps.google.com/"),
    (["sid=abc123; Path=/; HttpOnly; SameSite=Lax", "csrftoken=xyz; Path=/; Max-Age=31449600"],
     "https://app.example.com/login", "https://app.example.com/dashboard"),
    (["path=1", "domain=2", "[weird]=3", "{x}=4"], "http://e.com/", "http://e.com/"),
    (["bad name=1", "noequals", "=empty", "ok=1"], "http://e.com/", "http://e.com/"),
]


@pytest.mark.parametrize("fields, response_url, request_url", AIOHTTP_CASES)
def test_filter_cookies_matches_aiohttp(
    fields: Sequence[str], response_url: str, request_url: str
) -> None:
    aiohttp = pytest.importorskip("aiohttp")
    loop = asyncio.new_event_loop()
    try:
        variants: list[dict[str, Any]] = [{}, {"unsafe": True}, {"quote_cookie": False}]
        for kwargs in variants:
            theirs = aiohttp.CookieJar(loop=loop, **kwargs)
            ours = CookieJar(**kwargs)
            for jar in (theirs, ours):
                jar.update_cookies_from_headers(list(fields), URL(response_url))
            expected = {
                name: (m.key, m.value, m.coded_value)
                for name, m in theirs.filter_cookies(URL(request_url)).items()
            }
            got = {
                name: (m.key, m.value, m.coded_value)
                for name, m in ours.filter_cookies(URL(request_url)).items()
            }
            assert got == expected, kwargs
            assert len(ours) == len(theirs), kwargs
    finally:
        loop.close()


@pytest.mark.parametrize(
    "cookies, response_url, request_url",
    [
        ({"a": "1", "b": "x y"}, "http://example.com/", "http://example.com/"),
        ({"a": "1"}, "", "http://anything.org/x"),
        ({"a": "1"}, "http://example.com/p/q", "http://example.com/p/"),
    ],
)
def test_update_cookies_matches_aiohttp(
    cookies: dict[str, str], response_url: str, request_url: str
) -> None:
    aiohttp = pytest.importorskip("aiohttp")
    loop = asyncio.new_event_loop()
    try:
        theirs = aiohttp.CookieJar(loop=loop)
        ours = CookieJar()
        for jar in (theirs, ours):
            jar.update_cookies(cookies, URL(response_url))
        assert header(ours, request_url) == header(theirs, request_url)
        assert sorted(m.OutputString() for m in ours) == sorted(m.OutputString() for m in theirs)
    finally:
        loop.close()


# Where we deliberately differ from aiohttp 3.14 (each is RFC 6265 behaviour).
DIFFERENCES: list[tuple[Sequence[str], str, dict[str, str]]] = [
    # aiohttp treats the epoch as "no date" and keeps the cookie as a session cookie.
    (["a=1", "a=; Expires=Thu, 01 Jan 1970 00:00:00 GMT"], "http://e.com/", {}),
    # aiohttp compares Domain case-sensitively with the (lower-cased) host and drops it.
    (["a=1; Domain=E.COM"], "http://e.com/", {"a": "1"}),
    # aiohttp drops a past Expires when Max-Age is invalid; RFC 6265 ignores only Max-Age.
    (["a=1; Max-Age=soon; Expires=Thu, 01 Jan 2015 00:00:01 GMT"], "http://e.com/", {}),
]


@pytest.mark.parametrize("fields, url, expected", DIFFERENCES)
def test_deliberate_differences_from_aiohttp(
    fields: Sequence[str], url: str, expected: dict[str, str]
) -> None:
    jar = make_jar()
    set_cookies(jar, url, *fields)
    assert sent(jar, url) == expected


def test_path_identity_is_exact() -> None:
    # aiohttp files "/a" and "/a/" under one key, so one replaces the other.
    jar = make_jar()
    set_cookies(jar, "http://e.com/", "c=1; Path=/a", "c=2; Path=/a/")
    assert len(jar) == 2
    assert sent(jar, "http://e.com/a") == {"c": "1"}
    assert sent(jar, "http://e.com/a/b") == {"c": "2"}


def test_no_event_loop_needed() -> None:
    # aiohttp 3.14 needs a running loop to build a jar; ours does not.
    assert len(CookieJar()) == 0
