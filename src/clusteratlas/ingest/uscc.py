"""Unified social credit codes (统一社会信用代码, GB 32100-2015).

An 18-character code: registration authority (1) + organisation type (1) + administrative
division (6, GB/T 2260) + organisation code (9, GB 11714: 8-character body + check
character) + check character (1). The character set is ``0-9 A-H J-N P-R T U W-Y``
(31 characters; I, O, S, V, Z are never used). The last character is
``C18 = 31 - (Σ value(Ci) × 3^(i-1) mod 31) mod 31`` over the first 17 characters; the
organisation code part has its own GB 11714 check character (weights 3 7 9 10 5 8 4 2,
``11 - Σ mod 11``, 10 → ``X``, 11 → ``0``).

:func:`uscc_problem` names the first rule a code breaks; :func:`uscc_sql` builds the same
test as a DuckDB SQL expression, so whole columns are checked set-based.
"""

from __future__ import annotations

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters of GB 32100-2015, in value order (0..30)."""

WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
"""Weights of characters 1..17: 3^(i-1) mod 31."""

ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
"""GB 11714 weights of the 8-character organisation-code body."""

_VALUE = {c: i for i, c in enumerate(CHARSET)}


def _org_value(char: str) -> int:
    """GB 11714 character value: digits 0–9, letters A=10 … Z=35."""
    if "0" <= char <= "9":
        return ord(char) - 48
    return ord(char) - 55


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a code.

    >>> uscc_check_char("91350100M000100Y4")
    '3'
    """
    if len(first17) != 17 or any(c not in _VALUE for c in first17):
        raise ValueError(f"need 17 characters from {CHARSET}: {first17!r}")
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def org_code_check_char(body8: str) -> str:
    """The GB 11714 check character for an 8-character organisation-code body.

    >>> org_code_check_char("M000100Y")
    '4'
    """
    if len(body8) != 8 or not all(c.isascii() and c.isalnum() and not c.islower() for c in body8):
        raise ValueError(f"need 8 characters 0-9/A-Z: {body8!r}")
    check = 11 - sum(_org_value(c) * w for c, w in zip(body8, ORG_WEIGHTS, strict=True)) % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def normalise_uscc(code: str) -> str:
    """Upper-case and strip surrounding white space (full-width included)."""
    return code.strip().strip("\u3000").upper()


def uscc_problem(code: str) -> str | None:
    """The rule ``code`` breaks (``uscc_format``, ``uscc_org_code``, ``uscc_check_digit``) or None.

    ``code`` is normalised first (:func:`normalise_uscc`).
    """
    code = normalise_uscc(code)
    if len(code) != 18 or any(c not in _VALUE for c in code):
        return "uscc_format"
    if org_code_check_char(code[8:16]) != code[16]:
        return "uscc_org_code"
    if uscc_check_char(code[:17]) != code[17]:
        return "uscc_check_digit"
    return None


def is_valid_uscc(code: str) -> bool:
    """True when ``code`` is a well-formed GB 32100-2015 code with both check characters right."""
    return uscc_problem(code) is None


def make_uscc(prefix8: str, org_body8: str) -> str:
    """Complete a code from authority+type+division (8 chars) and an organisation body (8 chars).

    Used by synthetic registries and tests: ``make_uscc("91350100", "M000100Y")`` gives the
    standard's own example ``91350100M000100Y43``.
    """
    org = org_body8 + org_code_check_char(org_body8)
    first17 = prefix8 + org
    return first17 + uscc_check_char(first17)


def _sql_char(expr: str, pos: int | str) -> str:
    return f"substr({expr}, {pos}, 1)"


def uscc_sql(expr: str) -> str:
    """A DuckDB SQL expression giving the rule ``expr`` (normalised, non-NULL) breaks, or NULL.

    Same rules and order as :func:`uscc_problem`; ``expr`` must already be upper-cased
    and trimmed.
    """
    weights = "[" + ", ".join(str(w) for w in WEIGHTS) + "]"
    org_weights = "[" + ", ".join(str(w) for w in ORG_WEIGHTS) + "]"
    org_sum = (
        f"list_sum(list_transform(range(8), lambda i: "
        f"(CASE WHEN ascii({_sql_char(expr, 'i + 9')}) <= 57 "
        f"THEN ascii({_sql_char(expr, 'i + 9')}) - 48 "
        f"ELSE ascii({_sql_char(expr, 'i + 9')}) - 55 END) "
        f"* {org_weights}[i + 1]))"
    )
    org_check = (
        f"(CASE 11 - ({org_sum}) % 11 WHEN 10 THEN 'X' WHEN 11 THEN '0' "
        f"ELSE CAST(11 - ({org_sum}) % 11 AS VARCHAR) END)"
    )
    main_sum = (
        f"list_sum(list_transform(range(17), lambda i: "
        f"(strpos('{CHARSET}', {_sql_char(expr, 'i + 1')}) - 1) * {weights}[i + 1]))"
    )
    main_check = f"substr('{CHARSET}', CAST((31 - ({main_sum}) % 31) % 31 AS INTEGER) + 1, 1)"
    return (
        f"(CASE WHEN NOT regexp_full_match({expr}, '[0-9A-HJ-NPQRTUW-Y]{{18}}') "
        f"THEN 'uscc_format' "
        f"WHEN {org_check} <> substr({expr}, 17, 1) THEN 'uscc_org_code' "
        f"WHEN {main_check} <> substr({expr}, 18, 1) THEN 'uscc_check_digit' END)"
    )
