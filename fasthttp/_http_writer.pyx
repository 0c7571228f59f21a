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

__all__ = ("serialize_head",)


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
    buf.size = 0
    buf.capacity = 512
    buf.data = <char*>PyMem_Malloc(buf.capacity)
    if buf.data == NULL:
        raise MemoryError()
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
