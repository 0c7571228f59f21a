"""The chunk-size line, exactly as strict as RFC 9112 §7.1.1 (issue 9, item 14), both twins.

    chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
    chunk-size     = 1*HEXDIG
    chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
    chunk-ext-name = token
    chunk-ext-val  = token / quoted-string

BWS is OWS (SP / HTAB). So: whitespace after the size only where a ";" follows it, around
"=", and after ";"; never at the end of the line; no ";" without a name; a value is a token
or a closed quoted-string of qdtext / quoted-pair (RFC 9110 §5.6.4).

Every line is tried in the four places a chunk-size line is read: the standalone
ChunkedDecoder (strict and lax), a chunked request and a chunked response; each fed whole,
one byte at a time and at seeded random splits (parser_cases.check_splits), and the two twins
compared on the same input.
"""

from __future__ import annotations

import pytest

from fasthttp.http_exceptions import TransferEncodingError
from parser_cases import B, E, Q, R, assert_events, check_splits, run

# Lines the grammar allows (before their CRLF); all say size 1 (the last-chunk ones 0).
ACCEPTED = {
    "bare_size": b"1",
    "leading_zeros_upper_hex": b"00001",
    "name_only": b"1;a",
    "sp_before_semicolon": b"1 ;a",
    "htab_before_semicolon": b"1\t;a",
    "bws_everywhere": b"1 \t; \ta \t= \tb",
    "token_value": b"1;a=b",
    "several": b"1;a;b=c;d=\"e\"",
    "bws_between_extensions": b"1;a=b ;c = d\t; e",
    "empty_quoted": b'1;a=""',
    "quoted_with_specials": b'1;a="; = , ( ) / : < > ? @ [ ] { }"',
    "quoted_pair": b'1;a="\\"\\\\\\a\\ \\\t"',
    "quoted_obs_text": b'1;a="caf\xc3\xa9 \x80\xff"',
    "quoted_pair_obs_text": b'1;a="\\\x80"',
    "quoted_htab_sp": b'1;a="\t x \t"',
    "all_tchars": b"1;!#$%&'*+-.^_`|~09azAZ=!#$%&'*+-.^_`|~09azAZ",
    "quoted_then_more": b'1;a="x" ;b',
}

# Lines the grammar refuses.
REFUSED = {
    # whitespace after the size with no extension (item 14's first rule)
    "trailing_sp": b"1 ",
    "trailing_htab": b"1\t",
    "trailing_sp_htab": b"1 \t ",
    "size_sp_junk": b"1 x",
    # a ";" with no extension name
    "semicolon_alone": b"1;",
    "semicolon_then_sp": b"1; ",
    "sp_semicolon": b"1 ;",
    "double_semicolon": b"1;;a",
    "semicolon_at_end": b"1;a;",
    "value_without_name": b"1;=b",
    # whitespace at the end of an extension
    "name_trailing_sp": b"1;a ",
    "value_trailing_sp": b"1;a=b ",
    "value_trailing_htab": b"1;a=b\t",
    "quoted_trailing_sp": b'1;a="b" ',
    # "=" with no value
    "equals_no_value": b"1;a=",
    "equals_sp_no_value": b"1;a = ",
    "equals_then_semicolon": b"1;a=;b",
    # token syntax
    "name_with_space": b"1;a b",
    "value_with_space": b"1;a=b c",
    "name_separator": b"1;a/b",
    "value_separator": b"1;a=b,c",
    "value_quote_inside_token": b'1;a=b"c"',
    "name_obs_text": b"1;caf\xc3\xa9",
    "value_obs_text_unquoted": b"1;a=\xff",
    "name_del": b"1;a\x7f",
    "value_ctl": b"1;a=\x01",
    "two_equals": b"1;a=b=c",
    # quoted-string: balanced, qdtext / quoted-pair only
    "quoted_unclosed": b'1;a="b',
    "quoted_unclosed_escaped_quote": b'1;a="b\\"',
    "quoted_only_open": b'1;a="',
    "quoted_followed_by_token": b'1;a="b"c',
    "quoted_name": b'1;"a"=b',
    "quoted_ctl": b'1;a="\x01"',
    "quoted_del": b'1;a="\x7f"',
    "quoted_nul": b'1;a="\x00"',
    "quoted_pair_ctl": b'1;a="\\\x01"',
    "quoted_pair_del": b'1;a="\\\x7f"',
    # the last chunk follows the same grammar
    "last_chunk_trailing_sp": b"0 ",
    "last_chunk_semicolon_alone": b"0;",
    "last_chunk_quoted_unclosed": b'0;a="b',
}


def _body(line: bytes) -> bytes:
    if line.startswith(b"0") and line.lstrip(b"0")[:1] in (b"", b" ", b";", b"\t"):
        return line + b"\r\n\r\n"  # a last chunk
    return line + b"\r\nx\r\n0\r\n\r\n"


def _is_last(line: bytes) -> bool:
    return _body(line).startswith(line + b"\r\n\r\n")


PLACES = ["decoder_strict", "decoder_lax", "request", "response"]


def _make(twin, place):
    if place == "decoder_strict":
        return lambda: twin.ChunkedDecoder()
    if place == "decoder_lax":
        return lambda: twin.ChunkedDecoder(lax=True)
    if place == "request":
        return lambda: twin.HttpRequestParser()
    return lambda: twin.HttpResponseParser()


def _wire(place, line):
    if place == "request":
        return b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + _body(line)
    if place == "response":
        return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + _body(line)
    return _body(line)


def _head(place):
    return {"request": [Q(chunked=True)], "response": [R(chunked=True)]}.get(place, [])


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("case", list(ACCEPTED), ids=list(ACCEPTED))
def test_accepted_chunk_size_line(twin, place, case):
    line = ACCEPTED[case]
    out = check_splits(_make(twin, place), _wire(place, line), eof=True)
    assert out.error is None, f"{line!r} refused: {out.error}"
    body = [] if _is_last(line) else [B(b"x")]
    assert_events(out.events, _head(place) + body + [E()])


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_refused_chunk_size_line(twin, place, case):
    line = REFUSED[case]
    out = check_splits(_make(twin, place), _wire(place, line), eof=False)
    assert out.error is TransferEncodingError, f"{line!r}: got {out.error}"
    assert_events(out.events, _head(place))  # nothing of the chunk: the line is refused whole


@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_refused_after_good_chunks(twin, case):
    """A bad line after good chunks: the data before it is delivered, then the error."""
    data = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;ok=\"1\"\r\nab\r\n"
            + _body(REFUSED[case]))
    out = check_splits(_make(twin, "response"), data, eof=False)
    assert out.error is TransferEncodingError
    assert_events(out.events, [R(chunked=True), B(b"ab")])


def test_refused_message_says_what(twin):
    with pytest.raises(TransferEncodingError) as info:
        twin.ChunkedDecoder().feed_data(b"5 \r\nhello\r\n")
    assert "invalid chunk-size line" in info.value.message
    assert "b'5 '" in info.value.message


@pytest.mark.differential
@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("case", list(ACCEPTED) + list(REFUSED))
def test_twins_agree_on_chunk_size_lines(twins, place, case):
    line = ACCEPTED.get(case, REFUSED.get(case))
    data = _wire(place, line)
    py, cy = twins
    for chunks in ([data], [data[i:i + 1] for i in range(len(data))]):
        a = run(_make(py, place)(), chunks, eof=True)
        b = run(_make(cy, place)(), chunks, eof=True)
        assert a.key() == b.key(), f"{line!r} in {place}: {a.key()} vs {b.key()}"
