"""Tier criteria in words, with human units: ``市场占有率 ≥ 10%，实际 0.3%``.

The ladder (:mod:`clusteratlas.analysis.ladder`) reports a failed criterion as a record
``{criterion, input, op, required, unit, actual, actual_max, gap}`` in canonical units (yuan,
fraction, persons, years …) and a missing input as its id. Every face (CLI table, dashboard,
report) shows them through :func:`criterion_text` / :func:`missing_text`: the input's label
comes from the ruleset (``label_zh``/``label_en``, with the rule's source), score groups and
tiers by their names, the words around them ("实际", "需先符合", units) from the catalogue.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from clusteratlas.i18n import t
from clusteratlas.units import format_money, format_persons, format_share

_OPS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠"}


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def quantity(value: Any, unit: str, lang: str = "zh") -> str:
    """``value`` (canonical ``unit`` of a ruleset input) for people: ``100万元``, ``10.0%``,
    ``50人``, ``3年``, ``0.5亿美元``, ``60分``; codes and ranks as plain numbers."""
    if _missing(value):
        return t("criteria.unknown", lang)
    v = float(value)
    if unit == "yuan":
        return format_money(v, lang)
    if unit == "fraction":
        return format_share(v)
    if unit == "persons":
        return format_persons(v, lang)
    if unit == "usd":
        scale = 1e8 if lang == "zh" else 1e6
        return t("criteria.unit.usd", lang).format(n=_trim(v / scale))
    if unit == "bool":
        return t("criteria.yes" if v >= 0.5 else "criteria.no", lang)
    if unit in ("years", "count", "points"):
        return t(f"criteria.unit.{unit}", lang).format(n=_trim(v))
    return _trim(v)


def _trim(v: float) -> str:
    text = f"{v:,.2f}".rstrip("0").rstrip(".")
    return text if text not in ("-0", "") else "0"


def _tier_names(ruleset: Any, lang: str) -> dict[str, str]:
    return {x.id: (x.name_zh if lang == "zh" else x.name_en) for x in ruleset.tiers}


def input_label(ruleset: Any, name: str, lang: str = "zh") -> str:
    """The label of input ``name`` (``tier:<id>`` → the tier; ``score:<group>`` → the score)."""
    if name.startswith("tier:"):
        tier = name.split(":", 1)[1]
        return t("criteria.tier", lang).format(tier=_tier_names(ruleset, lang).get(tier, tier))
    if name.startswith("score:"):
        group = name.split(":", 1)[1]
        if group == "total":
            return t("criteria.score.total", lang)
        return t("criteria.score", lang).format(group=_score_group(ruleset, group, lang))
    spec = ruleset.inputs.get(name)
    if spec is None:
        return name
    label = spec.label_zh if lang == "zh" else spec.label_en
    return label or spec.label_en or name


def _score_group(ruleset: Any, group: str, lang: str) -> str:
    for tier in ruleset.tiers:
        if tier.score is None:
            continue
        for g in tier.score.groups:
            if g.id == group:
                return (g.name_zh if lang == "zh" else g.name_en) or group
    return group


def criterion_text(item: Mapping[Any, Any], ruleset: Any, lang: str = "zh") -> str:
    """One failed criterion in words: ``市场占有率 ≥ 10.0%，实际 0.3%`` /
    ``market share ≥ 10.0%, actual 0.3%``; a prerequisite tier: ``需先符合…``."""
    name = str(item.get("input") or item.get("criterion") or "")
    label = input_label(ruleset, name, lang)
    if name.startswith("tier:"):
        return label
    unit = str(item.get("unit") or "")
    op = _OPS.get(str(item.get("op") or "=="), str(item.get("op")))
    actual = quantity(item.get("actual"), unit, lang)
    high = item.get("actual_max")
    if not _missing(high) and not _missing(item.get("actual")) and high != item.get("actual"):
        actual = f"{actual}–{quantity(high, unit, lang)}"
    required = quantity(item.get("required"), unit, lang)
    return t("criteria.failed", lang).format(label=label, op=op, required=required, actual=actual)


def criteria_text(
    items: Iterable[Mapping[Any, Any]] | None,
    ruleset: Any,
    lang: str,
    *,
    limit: int | None = None,
    keep_together: bool = False,
) -> str:
    """Failed criteria joined with ``；`` (zh) or ``; `` (en); empty when none. ``limit``:
    show the first criteria and count the rest (``…等另3项``); ``keep_together``: Chinese
    without the spaces a terminal would break a criterion at (``≤43，实际75``)."""
    texts = [criterion_text(f, ruleset, lang) for f in (items if items is not None else [])]
    return _joined(texts, "；" if lang == "zh" else "; ", lang, limit, keep_together)


def missing_text(
    names: Iterable[str] | None,
    ruleset: Any,
    lang: str,
    *,
    limit: int | None = None,
    keep_together: bool = False,
) -> str:
    """Missing inputs by their labels, joined with ``、`` (zh) or ``, `` (en)."""
    texts = [input_label(ruleset, str(n), lang) for n in (names if names is not None else [])]
    return _joined(texts, "、" if lang == "zh" else ", ", lang, limit, keep_together)


def _joined(texts: list[str], sep: str, lang: str, limit: int | None, together: bool) -> str:
    shown = texts if limit is None or len(texts) <= limit else texts[:limit]
    if together and lang == "zh":  # a terminal wraps at spaces: "≤ / 43" would split
        shown = [x.replace(" ", "") for x in shown]
    out = sep.join(shown)
    if len(shown) < len(texts):
        out += t("criteria.more", lang).format(n=len(texts) - len(shown))
    return out
