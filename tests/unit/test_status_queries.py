"""Specification of the PromQL of ``tta-otel status``: it reads only names the pipeline produces
or the rules record, and a component's repository and environment are in every component query."""

from __future__ import annotations

import pytest

from tests.unit.test_semconv import _unknown
from tta_otel.ops.status import queries

COMPONENT_QUERIES = [
    queries.instances(queries.scope(), queries.UP_WINDOW),
    queries.request_rate(queries.scope()),
    queries.error_rate(queries.scope()),
    queries.p95_latency(queries.scope()),
    queries.budget_requests(queries.scope()),
    queries.budget_errors(queries.scope()),
    queries.dependencies(queries.scope(), "count"),
]


def test_status_queries_only_produced_recorded_or_external_names() -> None:
    assert _unknown(queries.every_query(queries.scope("production", "tta.prod"))) == set()


@pytest.mark.parametrize("expression", COMPONENT_QUERIES)
def test_every_component_query_keeps_repository_environment_and_component_apart(expression: str) -> None:
    assert "by (tta_repository, deployment_environment_name, tta_component" in expression


def test_the_filters_become_matchers_quoted_as_promql() -> None:
    assert queries.request_rate(queries.scope('prod"uction', "tta.prod")) == (
        "sum by (tta_repository, deployment_environment_name, tta_component) "
        '(rate(http_server_request_duration_seconds_count{http_route!~"/healthz|/readyz", '
        'deployment_environment_name="prod\\"uction", tta_repository="tta.prod"}[5m]))'
    )


def test_without_filters_the_selector_has_only_its_own_matchers() -> None:
    assert queries.memory_now(queries.scope()) == "process_memory_usage_bytes"
