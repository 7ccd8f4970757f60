"""The ``clusteratlas`` command line (typer).

One module per area under ``clusteratlas.cli`` registers its sub-commands on :data:`app`
(``from clusteratlas.cli._app import app``); this package imports every such module, so an
area adds commands without editing a shared file. Names match the Python and REST APIs.
"""

from __future__ import annotations

import importlib
import pkgutil

from clusteratlas.cli._app import app, main

for _module in pkgutil.iter_modules(__path__):
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["app", "main"]
