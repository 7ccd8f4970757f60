"""Region codes (GB/T 2260, 6 digits): containment and distance, as Ibis expressions.

A province code ends in ``0000`` and contains every code with its first two digits; a
prefecture code ends in ``00`` and contains the codes sharing its first four; a county code
contains itself. ``CN`` contains everything.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir


def region_prefix(code: str) -> str:
    """The code prefix shared by every region inside ``code`` (``'110000'`` → ``'11'``)."""
    if code == "CN":
        return ""
    if len(code) == 6 and code.isdigit():
        if code.endswith("0000"):
            return code[:2]
        if code.endswith("00"):
            return code[:4]
    return code


def within(column: ir.StringValue, code: str) -> ir.BooleanValue:
    """Boolean expression: the region in ``column`` lies inside region ``code``."""
    prefix = region_prefix(code)
    if not prefix:
        return column.notnull()
    return column.cast("string").substr(0, len(prefix)) == prefix


def haversine_km(
    lon1: ir.FloatingValue, lat1: ir.FloatingValue, lon2: float, lat2: float
) -> ir.FloatingValue:
    """Great-circle distance in km between (``lon1``, ``lat1``) and a fixed point (degrees)."""
    radius = 6371.0088
    rad = 3.141592653589793 / 180.0
    dlat = (lat1 - lat2) * rad / 2
    dlon = (lon1 - lon2) * rad / 2
    a = dlat.sin() ** 2 + (lat1 * rad).cos() * ibis.literal(lat2 * rad).cos() * dlon.sin() ** 2
    return 2 * radius * a.sqrt().asin()
