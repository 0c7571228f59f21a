"""Differential fuzzing of the compiled and pure-Python twins.

Four twin pairs are fuzzed (`targets.TARGETS`):

- ``response``  -- ``HttpResponseParser`` of ``fasthttp._parser`` vs ``fasthttp._parser_py``;
- ``request``   -- ``HttpRequestParser`` of both;
- ``chunked``   -- ``ChunkedDecoder`` of both;
- ``websocket`` -- ``WebSocketReader`` of ``fasthttp._websocket`` vs ``fasthttp._websocket_py``;
- ``writer``    -- ``serialize_head`` of ``fasthttp._http_writer`` vs ``fasthttp._http_writer_py``.

Each case is drawn from a seeded ``random.Random``: a message built from a small HTTP (or
WebSocket) grammar, or a seed from the conformance corpora, or plain random bytes, then
mutated by grammar-aware mutators (``mutators.py``); it is fed to both twins the same way
(whole, one byte at a time, or at random split points, with random limits and flags), and
everything observable is compared: events per call, exception class and message, the events
carried by the exception, the state after the last feed and the error on a later feed.

Modules, one concept each:

- ``grammar.py``   generators of valid-ish messages and the seed corpus;
- ``mutators.py``  byte and grammar-aware mutations;
- ``observe.py``   what a twin did with a case, as plain comparable data;
- ``targets.py``   the twin pairs: generate a case, compare the twins, write a reproducer;
- ``known.py``     the KNOWN_DIVERGENCE switches (divergences already reported, not yet fixed);
- ``runner.py``    the loops: a fixed number of cases (the test suite) or a time budget
  (``scripts/fuzz``), saving divergences to files;
- ``__main__.py``  the command line: ``python -m fuzzing SECONDS [TARGET...]`` and
  ``--atheris`` (coverage-guided, when atheris is installed; ``atheris_entry.py``).

The package lives in ``tests/`` so that it can use the test helpers ``parser_cases`` and
``ws_cases`` (normalization, frame builder) and the corpora of the conformance tests; run it
with ``tests`` on ``sys.path`` (``scripts/fuzz`` does).
"""
