"""Property-based API tests from the OpenAPI schema (schemathesis): for generated parameters
every route answers without a server error, with a JSON body (``{"error": …}`` for 4xx).
Bounded: a few examples per route (analyses on cache misses take seconds on the shared
machine)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

pytestmark = pytest.mark.slow


def test_no_server_errors(app) -> None:  # type: ignore[no-untyped-def]
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=3, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(case=operation.as_strategy())
        def check(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call()
            assert response.status_code < 500, (case.path, case.query, response.text[:300])
            body = response.json()
            if response.status_code >= 400:
                assert set(body) == {"error"}, body

        check()
        checked.append(operation.path)
    assert {"/api/clusters", "/api/ladder", "/api/opportunities", "/api/maps/{name}"} <= set(
        checked
    )
