"""`python -m fasthttp.web [-H host] [-P port] [-U path] module:factory [args...]`.

aiohttp.web's command line: `factory(argv)` (argv: the arguments this command did not take)
returns the Application to serve; it runs until SIGINT or SIGTERM. Without -H and -P, it serves
localhost:8080; with -U alone, only the Unix socket; -U with -H, both.
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
from importlib import import_module
from typing import Optional

from .runner import run_app


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="fasthttp.web", description="fasthttp.web Application server")
    parser.add_argument("entry_func", metavar="entry-func",
                        help="callable returning the Application to run, as module:function")
    parser.add_argument("-H", "--hostname", default=None,
                        help="TCP/IP hostname to serve on (default: localhost)")
    parser.add_argument("-P", "--port", type=int, default=8080,
                        help="TCP/IP port to serve on (default: %(default)r)")
    parser.add_argument("-U", "--path",
                        help="Unix socket path to serve on (with -H: both)")
    args, extra_argv = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    module_name, _, function_name = args.entry_func.partition(":")
    if not module_name or not function_name:
        parser.error("'entry-func' not in 'module:function' syntax")
    if module_name.startswith("."):
        parser.error("relative module names not supported")
    try:
        module = import_module(module_name)
    except ImportError as exc:
        parser.error(f"unable to import {module_name}: {exc}")
    factory = getattr(module, function_name, None)
    if factory is None:
        parser.error(f"module {module_name!r} has no attribute {function_name!r}")
    if args.path is not None and not hasattr(socket, "AF_UNIX"):
        parser.error("file system paths not supported by your operating environment")
    logging.basicConfig(level=logging.DEBUG)
    if args.path and args.hostname is None:
        host, port = None, None
    else:
        host, port = args.hostname or "localhost", args.port
    run_app(factory(extra_argv), host=host, port=port, path=args.path)
    parser.exit(message="Stopped\n")


if __name__ == "__main__":
    main()
