"""`python -m fasthttp`: the fasthttp command."""

from .cli.main import main

raise SystemExit(main())
