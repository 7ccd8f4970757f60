"""An analysis module uses another analysis module only through its public names.

Private names (a leading ``_``) are a module's own business; sharing one across modules hides a
dependency the module's interface does not state. The one shared private module is the tabular
plumbing (``analysis/_tabular.py``), which every analysis imports on purpose.
"""

from __future__ import annotations

import ast
from pathlib import Path

import clusteratlas.analysis

ANALYSIS = Path(clusteratlas.analysis.__file__).parent
PREFIX = "clusteratlas.analysis"
#: private modules meant to be shared by the analysis modules
SHARED_PRIVATE_MODULES = {"_tabular"}


def _private_uses(source: str, own_module: str) -> list[str]:
    """``module.name`` of every private name of another analysis module used in ``source``."""
    tree = ast.parse(source)
    found: list[str] = []
    aliases: dict[str, str] = {}  # local name → analysis module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == PREFIX:  # from clusteratlas.analysis import chains as c
                for a in node.names:
                    aliases[a.asname or a.name] = a.name
                    if a.name.startswith("_") and a.name not in SHARED_PRIVATE_MODULES:
                        found.append(a.name)
            elif node.module.startswith(PREFIX + "."):
                module = node.module.removeprefix(PREFIX + ".").split(".")[0]
                if module == own_module:
                    continue
                if module.startswith("_") and module not in SHARED_PRIVATE_MODULES:
                    found.append(module)
                found += [f"{module}.{a.name}" for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith(PREFIX + ".") and a.asname:
                    aliases[a.asname] = a.name.removeprefix(PREFIX + ".")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and aliases[node.value.id] != own_module
        ):
            found.append(f"{aliases[node.value.id]}.{node.attr}")
    return found


def test_no_analysis_module_imports_another_ones_private_names() -> None:
    offenders = {
        path.name: uses
        for path in sorted(ANALYSIS.glob("*.py"))
        if (uses := _private_uses(path.read_text(encoding="utf-8"), path.stem))
    }
    assert offenders == {}


def test_the_scan_sees_each_kind_of_private_use() -> None:
    source = "\n".join(
        [
            "from clusteratlas.analysis.chains import _inputs, node_table",
            "from clusteratlas.analysis import chains as c",
            "import clusteratlas.analysis.ladder as lad",
            "from clusteratlas.analysis._tabular import to_ibis",
            "from clusteratlas.analysis._hidden import thing",
            "x = c._latest_year(1) + lad._LAGS + c.nodes",
        ]
    )
    assert sorted(_private_uses(source, "regions")) == [
        "_hidden",
        "chains._inputs",
        "chains._latest_year",
        "ladder._LAGS",
    ]
    assert _private_uses("from clusteratlas.analysis.chains import _x", "chains") == []
