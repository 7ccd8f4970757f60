"""Units: parsing on the way in, formatting on the way out.

Canonical units (design doc): money in **yuan**, people in **persons**, shares as
**fractions** (0–1), counts as plain numbers. :func:`unit_factor` maps a unit label as
users write it (``万元``, ``100 million CNY (亿元)``, ``%``, ``万人``) to the canonical unit and
the factor to multiply by; :func:`parse_quantity` reads a cell such as ``"3.5亿元"``,
``">30000"`` or ``"4-5"`` into a :class:`Quantity` with an explicit bound.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

import pandas as pd

Bound = Literal["=", ">", "<", "range"]

# unit label (normalised: lower-case, no spaces) -> (canonical unit, factor)
_UNITS: dict[str, tuple[str, float]] = {}


def _register(canonical: str, factor: float, *labels: str) -> None:
    for label in labels:
        _UNITS[_norm(label)] = (canonical, factor)


def _norm(label: str) -> str:
    return re.sub(r"\s+", "", label).lower()


_register("yuan", 1.0, "元", "yuan", "cny", "rmb", "人民币元")
_register("yuan", 1e3, "千元", "thousandyuan", "1000cny")
_register("yuan", 1e4, "万元", "10thousandcny", "10thousandcny(万元)", "tenthousandyuan", "万")
_register("yuan", 1e6, "百万元", "millionyuan", "millioncny")
_register("yuan", 1e8, "亿元", "亿", "100millioncny", "100millioncny(亿元)", "100millionyuan")
_register("yuan", 1e12, "万亿元", "万亿", "trillionyuan", "trillioncny")
_register("usd", 1.0, "美元", "usd", "us$")
_register("usd", 1e8, "亿美元", "100millionusd", "100millionusd(亿美元)")
_register("persons", 1.0, "人", "persons", "person", "people", "名")
_register("persons", 1e4, "万人", "10thousandpersons", "10thousandpersons(万人)")
_register("fraction", 0.01, "%", "percent", "百分比", "pct")
_register("fraction", 1.0, "fraction", "share", "ratio")
_register("fraction", 0.01, "percentagepoints", "pp", "百分点")  # a change in a share
_register(
    "count",
    1.0,
    "count",
    "个",
    "家",
    "件",
    "项",
    "enterprises",
    "firms",
    "clusters",
    "models",
    "establishments",
    "patents",
)
_register("yuan_per_person", 1.0, "元/人", "yuanperperson")
_register(
    "yuan_per_person", 1e4, "万元/人", "10thousandcnyperperson", "10thousandcnyperperson(万元)"
)
_register("percent_yoy", 0.01, "percentyoy", "同比%")

# every canonical unit name is also a label of itself (factor 1): canonical data re-imports
for _canonical in {canonical for canonical, _ in list(_UNITS.values())}:
    _UNITS.setdefault(_norm(_canonical), (_canonical, 1.0))


def unit_factor(unit: str) -> tuple[str, float]:
    """Return ``(canonical_unit, factor)`` for a unit label; raise ``KeyError`` if unknown.

    >>> unit_factor("万元")
    ('yuan', 10000.0)
    >>> unit_factor("100 million CNY (亿元)")
    ('yuan', 100000000.0)

    Parameters
    ----------
    unit : str
        A unit label as written in a header or cell (``万元``, ``亿元``, ``persons``, ``万人``,
        ``%``, ``100 million CNY (亿元)``, …); case and spaces are ignored.

    Returns
    -------
    tuple of (str, float)
        The canonical unit (``yuan``, ``persons``, ``fraction``, ``count``, …) and the factor
        that converts one ``unit`` into it (万元 → 10,000 yuan; % → 0.01 of a share 0–1).

    Examples
    --------
    >>> unit_factor("%")
    ('fraction', 0.01)
    """
    key = _norm(unit)
    if key in _UNITS:
        return _UNITS[key]
    raise KeyError(unit)


def known_units() -> list[str]:
    """All unit labels understood by :func:`unit_factor` (normalised form).

    Returns
    -------
    list of str
        Every unit label :func:`unit_factor` accepts, normalised (lower case, no spaces).

    Examples
    --------
    >>> "万元" in known_units() and "%" in known_units()
    True
    """
    return sorted(_UNITS)


@dataclass(frozen=True)
class Quantity:
    """A parsed cell: ``value`` in canonical units; ``bound`` says how to read it.

    ``=``: exact; ``>``/``<``: a lower/upper bound (``value`` is the bound); ``range``:
    ``low``..``high`` (``value`` is the midpoint).
    """

    value: float
    unit: str
    bound: Bound = "="
    low: float | None = None
    high: float | None = None


_NUMBER = r"[-+]?(?:\d[\d,]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_CELL = re.compile(
    rf"^\s*(?P<op>>=|<=|>|<|≥|≤|超过|超|突破|约|近)?\s*(?P<a>{_NUMBER})"
    rf"(?:\s*(?:-|–|—|~|～|至|到)\s*(?P<b>{_NUMBER}))?\s*(?P<unit>[^\d\s].*)?$"
)


def _to_float(text: str) -> float:
    return float(text.replace(",", ""))


def parse_quantity(cell: str | float | int, unit: str | None = None) -> Quantity:
    """Parse one cell into a :class:`Quantity` in canonical units.

    ``cell`` may carry its own unit suffix (``"3.5亿元"``) or take ``unit`` from the column;
    a suffix overrides ``unit``. Bounds: ``>30000``/``突破3万亿`` → ``>``; ``4-5`` → range.
    Raises ``ValueError`` with the reason if the cell is not a number in a known unit.

    Parameters
    ----------
    cell : str, float or int
        The cell: a number with an optional unit suffix (``3.5亿元``, ``27.4%``), a bound
        (``>30000``, ``突破3万亿``) or a range (``4-5``).
    unit : str or None
        The column's unit (from its header), used when the cell states none; None = the cell
        must carry its unit or be a plain number in canonical units.

    Returns
    -------
    Quantity
        ``value`` in canonical units (money in yuan, people in persons, shares as fractions
        0–1), its ``unit`` and how to read it (``bound``: ``=``, ``>``, ``<`` or ``range`` with
        ``low``/``high``).

    Examples
    --------
    >>> parse_quantity("3.5亿元")
    Quantity(value=350000000.0, unit='yuan', bound='=', low=None, high=None)
    >>> parse_quantity(">30000", "亿元").bound
    '>'
    >>> parse_quantity("4-5", "%")
    Quantity(value=0.045, unit='fraction', bound='range', low=0.04, high=0.05)
    """
    if isinstance(cell, bool):
        raise ValueError(f"not a number: {cell!r}")
    if isinstance(cell, (int, float)):
        if math.isnan(float(cell)):
            raise ValueError("empty value")
        canonical, factor = unit_factor(unit) if unit else ("number", 1.0)
        return Quantity(float(cell) * factor, canonical)
    match = _CELL.match(cell)
    if not match:
        raise ValueError(f"not a number: {cell!r}")
    suffix = (match.group("unit") or "").strip()
    label = suffix or unit
    if label:
        try:
            canonical, factor = unit_factor(label)
        except KeyError:
            raise ValueError(f"unknown unit {label!r}") from None
    else:
        canonical, factor = "number", 1.0
    a = _to_float(match.group("a")) * factor
    op = match.group("op")
    if match.group("b") is not None:
        b = _to_float(match.group("b")) * factor
        low, high = min(a, b), max(a, b)
        return Quantity((low + high) / 2, canonical, "range", low, high)
    bound: Bound = "="
    if op in (">", ">=", "≥", "超过", "超", "突破"):
        bound = ">"
    elif op in ("<", "<=", "≤", "近"):
        bound = "<"
    return Quantity(a, canonical, bound)


def is_missing(value: object) -> bool:
    """True for a value a table shows as ``—``: None, ``pd.NA`` or a float NaN.

    Parameters
    ----------
    value : object
        A table cell.

    Returns
    -------
    bool
        True for None, ``pd.NA`` or a float NaN; False for anything else (0 included).

    Examples
    --------
    >>> is_missing(float("nan")), is_missing(None), is_missing(0.0)
    (True, True, False)
    """
    if value is None or value is pd.NA:
        return True
    try:
        return bool(isinstance(value, float) and math.isnan(value))
    except TypeError:
        return False


def _trim(number: float, digits: int) -> str:
    text = f"{number:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_money(yuan: float | None, lang: str = "zh", digits: int = 1) -> str:
    """Format yuan for people: ``1.2万亿元`` / ``4,028亿元`` (zh) or ``CNY 1.2 tn`` (en).

    Parameters
    ----------
    yuan : float or None
        An amount in yuan (元); None or NaN prints as ``—``.
    lang : str
        ``zh`` (万元 / 亿元 / 万亿元) or ``en`` (CNY with k / m / bn / tn).
    digits : int
        Decimal places of the scaled number.

    Returns
    -------
    str
        The amount for people to read.

    Examples
    --------
    >>> format_money(1.2e12)
    '1.2万亿元'
    >>> format_money(4028e8)
    '4,028亿元'
    >>> format_money(1.2e12, lang="en")
    'CNY 1.2 tn'
    >>> format_money(None)
    '—'
    """
    if yuan is None or (isinstance(yuan, float) and math.isnan(yuan)):
        return "—"
    size = abs(yuan)
    if lang == "zh":
        if size >= 1e12:
            return f"{_trim(yuan / 1e12, digits + 1)}万亿元"
        if size >= 1e8:
            return f"{_trim(yuan / 1e8, digits)}亿元"
        if size >= 1e4:
            return f"{_trim(yuan / 1e4, digits)}万元"
        return f"{_trim(yuan, 0)}元"
    if size >= 1e12:
        return f"CNY {_trim(yuan / 1e12, digits + 1)} tn"
    if size >= 1e9:
        return f"CNY {_trim(yuan / 1e9, digits)} bn"
    if size >= 1e6:
        return f"CNY {_trim(yuan / 1e6, digits)} m"
    return f"CNY {_trim(yuan, 0)}"


def format_share(fraction: float | None, digits: int = 1) -> str:
    """Format a fraction (0–1) as a percentage: ``0.274`` → ``27.4%``.

    Parameters
    ----------
    fraction : float or None
        A share 0–1 (or a growth rate as a fraction); None or NaN prints as ``—``.
    digits : int
        Decimal places of the percentage.

    Returns
    -------
    str
        The share in % (``27.4%``).

    Examples
    --------
    >>> format_share(0.274)
    '27.4%'
    >>> format_share(None)
    '—'
    """
    if fraction is None or (isinstance(fraction, float) and math.isnan(fraction)):
        return "—"
    return f"{fraction * 100:.{digits}f}%"


def format_persons(persons: float | None, lang: str = "zh") -> str:
    """Format a head-count: ``12.3万人`` (zh, ≥ 10,000) or ``123,000 persons`` (en).

    Parameters
    ----------
    persons : float or None
        A head-count in persons; None or NaN prints as ``—``.
    lang : str
        ``zh`` (人 / 万人) or ``en`` (persons).

    Returns
    -------
    str
        The head-count for people to read.

    Examples
    --------
    >>> format_persons(123000)
    '12.3万人'
    >>> format_persons(800)
    '800人'
    >>> format_persons(123000, lang="en")
    '123,000 persons'
    """
    if persons is None or (isinstance(persons, float) and math.isnan(persons)):
        return "—"
    if lang == "zh":
        return f"{_trim(persons / 1e4, 1)}万人" if abs(persons) >= 1e4 else f"{persons:,.0f}人"
    return f"{persons:,.0f} persons"
