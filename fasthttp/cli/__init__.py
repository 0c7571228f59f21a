"""The `fasthttp` command: requests from the shell (`fasthttp [METHOD] URL [ITEM ...]`) and a
load generator (`fasthttp bench`). Entry point: fasthttp.cli.main:main."""
