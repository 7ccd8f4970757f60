"""Error types for user mistakes.

Every user mistake raises a :class:`ClusterAtlasError` subclass whose message names the
file, row, column, value and rule involved, so the CLI can print it without a traceback
and exit non-zero. Programming errors stay ordinary Python exceptions.
"""

from __future__ import annotations

from dataclasses import dataclass


class ClusterAtlasError(Exception):
    """Base class of all errors caused by user input (files, flags, plans, requests)."""

    exit_code: int = 1


@dataclass(frozen=True)
class Problem:
    """One row-level validation failure.

    ``row`` is the 1-based data row number in the user's file (header excluded; ``None``
    for file-level problems), ``column`` the user's column name as written in the file.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    rule: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column {self.column!r}"
        value = "" if self.value is None else f", value {self.value!r}"
        return f"{where}{value}: {self.message} [rule: {self.rule}]"


class InputError(ClusterAtlasError):
    """A file, flag or argument that cannot be used as given (wrong format, unknown kind...)."""

    exit_code = 2


class ValidationError(InputError):
    """Rows failed validation: ``problems`` lists each failure; ``rejects_path`` names the file."""

    def __init__(
        self, message: str, problems: list[Problem], rejects_path: str | None = None
    ) -> None:
        super().__init__(message)
        self.problems = problems
        self.rejects_path = rejects_path


class PlanError(ClusterAtlasError):
    """A plan file that does not validate (field, value and rule are named)."""

    exit_code = 2


class WorkspaceError(ClusterAtlasError):
    """The workspace is missing, locked, or lacks the data an analysis needs."""

    exit_code = 3


class AnalysisError(ClusterAtlasError):
    """Inputs to an analysis are unusable (missing columns, empty data, singular matrix...)."""

    exit_code = 4
