"""docs/ingest.md documents every header alias and every rule (so it cannot drift)."""

from __future__ import annotations

from pathlib import Path

from clusteratlas.i18n import catalogue
from clusteratlas.ingest.aliases import _ALIAS_LIST
from clusteratlas.ingest.rules import RULES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "ingest.md").read_text(encoding="utf-8")


def test_every_alias_documented() -> None:
    for canonical, aliases in _ALIAS_LIST.items():
        line = next(li for li in DOC.splitlines() if li.startswith(f"| `{canonical}` |"))
        for alias in aliases:
            assert alias in line, (canonical, alias)


def test_every_rule_documented_and_translated() -> None:
    labels = catalogue()
    for rule in RULES:
        assert f"`{rule}`" in DOC, rule
        assert f"ingest.rule.{rule}" in labels, rule
