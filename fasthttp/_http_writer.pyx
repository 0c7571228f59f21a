# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""Compiled twin of the HTTP head serializer (see `_http_writer_py.py` for the contract).

One pass over the headers into a growing C buffer: ASCII strings (nearly every name and value)
are copied straight from the str's own storage while each byte is checked against a table
(names: token characters only; the start line and values: no control character but HTAB);
other strings are encoded as UTF-8 with surrogateescape first, exactly as the pure twin does.
Only detection happens here: the message comes from the pure twin's `describe_error`, so both
twins say the same thing about the same input.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from libc.string cimport memcpy

from ._http_writer_py import TCHARS, describe_error
from ._http_writer_py import serialize_response_head as _explain_response_head

__all__ = ("serialize_head", "serialize_response_head")


cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object)
    void* PyUnicode_DATA(object)
    Py_ssize_t PyUnicode_GET_LENGTH(object)


# 1 for the bytes refused in the start line and in values: the controls but HTAB (RFC 9110 5.5).
cdef unsigned char _BAD_IN_VALUE[256]
# 1 for the bytes that are not token characters, refused in names (RFC 9110 5.6.2).
cdef unsigned char _BAD_IN_NAME[256]


cdef void _init_tables():
    cdef int c
    for c in range(256):
        _BAD_IN_VALUE[c] = 1 if (c < 0x20 and c != 0x09) or c == 0x7F else 0
        _BAD_IN_NAME[c] = 1
    for c in TCHARS.encode("ascii"):
        _BAD_IN_NAME[c] = 0


_init_tables()


cdef struct _Buffer:
    char* data
    Py_ssize_t size
    Py_ssize_t capacity


cdef int _reserve(_Buffer* buf, Py_ssize_t extra) except -1:
    cdef Py_ssize_t needed = buf.size + extra
    cdef Py_ssize_t capacity
    cdef char* grown
    if needed <= buf.capacity:
        return 0
    capacity = buf.capacity * 2
    if capacity < needed:
        capacity = needed
    grown = <char*>PyMem_Realloc(buf.data, capacity)
    if grown == NULL:
        raise MemoryError()
    buf.data = grown
    buf.capacity = capacity
    return 0


cdef int _open(_Buffer* buf) except -1:
    """An empty buffer with room for a usual head (the caller frees buf.data)."""
    buf.size = 0
    buf.capacity = 512
    buf.data = <char*>PyMem_Malloc(buf.capacity)
    if buf.data == NULL:
        raise MemoryError()
    return 0


cdef inline int _put_raw(_Buffer* buf, const char* src, Py_ssize_t n) except -1:
    _reserve(buf, n)
    memcpy(buf.data + buf.size, src, n)
    buf.size += n
    return 0


cdef int _put_text(_Buffer* buf, object text, bint is_name) except -1:
    """Append str `text` (UTF-8, surrogateescape); 1 if it breaks its rule, else 0.

    A non-ASCII name is never a token and a string surrogateescape cannot encode is refused:
    both are reported as bad without being copied (the head is refused anyway).
    """
    cdef const unsigned char* src
    cdef const unsigned char* table
    cdef Py_ssize_t n, i
    cdef unsigned char c
    cdef unsigned char bad = 0
    cdef unsigned char* dst
    cdef bytes encoded
    if not isinstance(text, str):
        raise TypeError(f"header names and values must be str, not {type(text).__name__}")
    if PyUnicode_IS_ASCII(text):
        src = <const unsigned char*>PyUnicode_DATA(text)
        n = PyUnicode_GET_LENGTH(text)
    elif is_name:
        return 1
    else:
        try:
            encoded = (<str>text).encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return 1
        src = <const unsigned char*>PyBytes_AS_STRING(encoded)
        n = PyBytes_GET_SIZE(encoded)
    if is_name:
        if n == 0:
            return 1
        table = _BAD_IN_NAME
    else:
        table = _BAD_IN_VALUE
    _reserve(buf, n)
    dst = <unsigned char*>buf.data + buf.size
    # Branch-free: OR the table entries together; UTF-8 bytes >= 0x80 are 0 for values.
    for i in range(n):
        c = src[i]
        bad |= table[c]
        dst[i] = c
    buf.size += n
    return bad


def serialize_head(first_line, headers):
    cdef _Buffer buf
    cdef int bad
    _open(&buf)
    try:
        bad = _put_text(&buf, first_line, False)
        _put_raw(&buf, b"\r\n", 2)
        for name, value in headers.items():
            bad |= _put_text(&buf, name, True)
            _put_raw(&buf, b": ", 2)
            bad |= _put_text(&buf, value, False)
            _put_raw(&buf, b"\r\n", 2)
        _put_raw(&buf, b"\r\n", 2)
        if bad:
            raise describe_error(first_line, headers)
        return PyBytes_FromStringAndSize(buf.data, buf.size)
    finally:
        PyMem_Free(buf.data)


# The fields serialize_response_head writes itself, as bits of its `seen` mask.
cdef enum:
    _TYPE = 1
    _LENGTH = 2
    _DATE = 4
    _SERVER = 8
    _CONNECTION = 16


cdef inline bint _is_name(const unsigned char* s, Py_ssize_t n, const char* lower, Py_ssize_t length):
    """Whether ASCII `s` is `lower` (lower-case letters and "-"), ignoring the case of letters
    only (so that no other byte can pass for a letter)."""
    cdef Py_ssize_t i
    cdef unsigned char c
    if n != length:
        return False
    for i in range(n):
        c = s[i]
        if 65 <= c <= 90:
            c += 32
        if c != <unsigned char>lower[i]:
            return False
    return True


cdef int _own_field(object name):
    """The bit of a field serialize_response_head writes itself, 0 for any other name."""
    cdef const unsigned char* s
    cdef Py_ssize_t n
    if not isinstance(name, str) or not PyUnicode_IS_ASCII(name):
        return 0
    s = <const unsigned char*>PyUnicode_DATA(name)
    n = PyUnicode_GET_LENGTH(name)
    if n == 4:
        return _DATE if _is_name(s, n, b"date", 4) else 0
    if n == 6:
        return _SERVER if _is_name(s, n, b"server", 6) else 0
    if n == 10:
        return _CONNECTION if _is_name(s, n, b"connection", 10) else 0
    if n == 12:
        return _TYPE if _is_name(s, n, b"content-type", 12) else 0
    if n == 14:
        return _LENGTH if _is_name(s, n, b"content-length", 14) else 0
    return 0


cdef int _put_field(_Buffer* buf, const char* name, Py_ssize_t n, object value) except -1:
    """Append a field whose name is a known token; 1 if the value breaks its rule, else 0."""
    cdef int bad
    _put_raw(buf, name, n)
    bad = _put_text(buf, value, False)
    _put_raw(buf, b"\r\n", 2)
    return bad


def serialize_response_head(status_line, headers, content_type, content_length, date, server,
                            connection):
    """The same head as the pure twin's serialize_response_head (see there), in one pass into a
    C buffer; what it refuses is explained by the pure twin, which raises the same exception."""
    cdef _Buffer buf
    cdef int bad
    cdef int seen = 0
    cdef int bit
    _open(&buf)
    try:
        bad = _put_text(&buf, status_line, False)
        _put_raw(&buf, b"\r\n", 2)
        if headers is not None:
            for name, value in headers.items():
                bit = _own_field(name)
                if bit:
                    if bit == _LENGTH and content_length is not None:
                        if not seen & _LENGTH:
                            bad |= _put_field(&buf, b"Content-Length: ", 16, content_length)
                        seen |= _LENGTH
                        continue
                    if bit == _CONNECTION and connection is not None:
                        if not seen & _CONNECTION:
                            bad |= _put_field(&buf, b"Connection: ", 12, connection)
                        seen |= _CONNECTION
                        continue
                    seen |= bit
                bad |= _put_text(&buf, name, True)
                _put_raw(&buf, b": ", 2)
                bad |= _put_text(&buf, value, False)
                _put_raw(&buf, b"\r\n", 2)
        if content_type is not None and not seen & _TYPE:
            bad |= _put_field(&buf, b"Content-Type: ", 14, content_type)
        if content_length is not None and not seen & _LENGTH:
            bad |= _put_field(&buf, b"Content-Length: ", 16, content_length)
        if not seen & _DATE:
            bad |= _put_field(&buf, b"Date: ", 6, date)
        if not seen & _SERVER:
            bad |= _put_field(&buf, b"Server: ", 8, server)
        if connection is not None and not seen & _CONNECTION:
            bad |= _put_field(&buf, b"Connection: ", 12, connection)
        _put_raw(&buf, b"\r\n", 2)
        if bad:
            _explain_response_head(status_line, headers, content_type, content_length, date,
                                   server, connection)
            raise AssertionError("serialize_response_head: the pure twin found nothing wrong")
        return PyBytes_FromStringAndSize(buf.data, buf.size)
    finally:
        PyMem_Free(buf.data)
