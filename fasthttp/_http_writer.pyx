# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False
"""Compiled twin of the HTTP head serializer (see `_http_writer_py.py` for the contract).

One pass over the headers into a growing C buffer: ASCII strings (nearly every name and value)
are copied straight from the str's own storage while each byte is checked for CR, LF and NUL;
other strings are encoded as UTF-8 with surrogateescape first, exactly as the pure twin does.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from libc.string cimport memcpy

from ._http_writer_py import _describe_injection

__all__ = ("serialize_head",)


cdef extern from "Python.h":
    bint PyUnicode_IS_ASCII(object)
    void* PyUnicode_DATA(object)
    Py_ssize_t PyUnicode_GET_LENGTH(object)


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


cdef int _put_text(_Buffer* buf, object text) except -1:
    """Append str `text` (UTF-8, surrogateescape); 1 if it holds CR, LF or NUL, else 0."""
    cdef const unsigned char* src
    cdef Py_ssize_t n, i
    cdef unsigned char c
    cdef unsigned char* dst
    cdef bint bad = 0
    cdef bytes encoded
    if not isinstance(text, str):
        raise TypeError(f"header names and values must be str, not {type(text).__name__}")
    if PyUnicode_IS_ASCII(text):
        src = <const unsigned char*>PyUnicode_DATA(text)
        n = PyUnicode_GET_LENGTH(text)
    else:
        encoded = (<str>text).encode("utf-8", "surrogateescape")
        src = <const unsigned char*>PyBytes_AS_STRING(encoded)
        n = PyBytes_GET_SIZE(encoded)
    _reserve(buf, n)
    dst = <unsigned char*>buf.data + buf.size
    for i in range(n):
        c = src[i]
        if c <= 13 and (c == 13 or c == 10 or c == 0):
            bad = 1
        dst[i] = c
    buf.size += n
    return bad


def serialize_head(str first_line, headers):
    cdef _Buffer buf
    cdef bint bad
    buf.size = 0
    buf.capacity = 512
    buf.data = <char*>PyMem_Malloc(buf.capacity)
    if buf.data == NULL:
        raise MemoryError()
    try:
        bad = _put_text(&buf, first_line)
        _put_raw(&buf, b"\r\n", 2)
        for name, value in headers.items():
            bad |= _put_text(&buf, name)
            _put_raw(&buf, b": ", 2)
            bad |= _put_text(&buf, value)
            _put_raw(&buf, b"\r\n", 2)
        _put_raw(&buf, b"\r\n", 2)
        if bad:
            raise ValueError(_describe_injection(first_line, headers))
        return PyBytes_FromStringAndSize(buf.data, buf.size)
    finally:
        PyMem_Free(buf.data)
