"""Compound annual growth: the one definition used by the tracker, the monitor and the tables.

Pure arithmetic (no package imports): :func:`cagr` for two numbers, :func:`compound_rate` for
the same formula applied element-wise to anything with ``/`` and ``**`` (numpy arrays, pandas
Series, Ibis numeric expressions — :func:`clusteratlas.analysis.clusters.cagr` uses it for its
per-group table).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["cagr", "compound_rate"]


def compound_rate(start_value: Any, end_value: Any, years: Any) -> Any:
    """``(end_value / start_value) ** (1 / years) − 1`` without any guard.

    Parameters
    ----------
    start_value, end_value : float, array, Series or Ibis numeric expression
        Values at the start and at the end, in one unit (yuan, 亿元, persons, …; it cancels).
    years : float or the same kinds
        Length of the period in years (> 0).

    Returns
    -------
    same kind as the inputs
        Growth per year as a fraction (0.05 = 5 %/year). The caller handles non-positive
        starts and non-positive periods (see :func:`cagr`).

    Examples
    --------
    >>> round(compound_rate(100.0, 121.0, 2), 10)
    0.1
    """
    return (end_value / start_value) ** (1.0 / years) - 1.0


def cagr(start_value: float, end_value: float, years: float) -> float:
    """Compound annual growth rate from ``start_value`` to ``end_value`` over ``years``.

    Parameters
    ----------
    start_value : float
        Value at the start, in any unit (yuan, 亿元, persons, …) — the unit cancels.
    end_value : float
        Value at the end, in the same unit as ``start_value``.
    years : float
        Length of the period in years.

    Returns
    -------
    float
        ``(end / start) ** (1 / years) − 1`` as a fraction per year (0.05 = 5 %/year); NaN when
        ``years ≤ 0``, ``start_value ≤ 0`` or ``end_value < 0``.

    Examples
    --------
    >>> round(cagr(6560.0, 8916.0, 4), 4)  # 亿元, 2019 → 2023
    0.0797
    >>> cagr(100.0, 100.0, 3)
    0.0
    >>> cagr(0.0, 5.0, 2)
    nan
    """
    if years <= 0 or start_value <= 0 or end_value < 0:
        return math.nan
    return float(compound_rate(start_value, end_value, years))
