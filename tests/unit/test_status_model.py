"""Specification of ``tta-otel status``'s verdict: healthy 0, degraded 1, down 2, worst part wins
(the rules in ``tta_otel.ops.status.model``), from constructed findings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tta_otel.ops.status.model import (
    Alert,
    Collector,
    Component,
    Dependency,
    Environment,
    Forecast,
    Health,
    Platform,
    Status,
    Store,
    runs_out_at,
)

NOW = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
GIB = 1024**3
COLLECTOR = Collector(up=True, accepted_per_s=120.0, refused_per_s=0.0, export_failures_per_s=0.0, queue_fill={})
STORES = tuple(
    Store(name, f"http://127.0.0.1:{port}", reachable=True, ready=True)
    for name, port in (("prometheus", 9090), ("alertmanager", 9093), ("jaeger", 16686), ("victorialogs", 9428))
)
COMPONENT = Component("tta.prod", "production", "player-api", 2, 2, ("1.4.0",), 12.0, 0.0, 0.08, budget_left=0.9)


def _status(
    component: Component = COMPONENT,
    collector: Collector = COLLECTOR,
    stores: tuple[Store, ...] = STORES,
    dependencies: tuple[Dependency, ...] = (),
    forecasts: tuple[Forecast, ...] = (),
    alerts: tuple[Alert, ...] = (),
    platform_alerts: tuple[Alert, ...] = (),
) -> Status:
    environment = Environment("production", (component,), dependencies, forecasts, alerts)
    return Status(NOW, Platform(collector, stores, (), platform_alerts), (environment,))


def _store_stopped(name: str) -> tuple[Store, ...]:
    return tuple(replace(s, reachable=False, ready=False, detail="refused") if s.name == name else s for s in STORES)


def _alert(severity: str) -> Alert:
    return Alert("TTAExample", severity, "an example", "2026-11-30T03:55:00Z", {"severity": severity})


def _memory(eta: datetime | None, history: bool = True) -> Forecast:
    return Forecast("memory", "player-api 1a2b3c4d", 1.5 * GIB, 2 * GIB, eta, history, "production")


def test_everything_up_is_healthy_with_no_reason() -> None:
    verdict = _status().verdict()
    assert (verdict.health, verdict.reasons, int(verdict.health)) == (Health.HEALTHY, (), 0)


def test_a_component_with_no_instance_reporting_is_down() -> None:
    verdict = _status(component=replace(COMPONENT, instances_up=0)).verdict()
    assert (verdict.health, verdict.reasons) == (
        Health.DOWN,
        ("[production] player-api (tta.prod): no instance reporting",),
    )


def test_one_instance_of_two_reporting_is_healthy() -> None:
    assert _status(component=replace(COMPONENT, instances_up=1)).verdict().health is Health.HEALTHY


def test_an_error_budget_below_a_quarter_is_degraded() -> None:
    verdict = _status(component=replace(COMPONENT, budget_left=0.2)).verdict()
    assert (verdict.health, verdict.reasons) == (
        Health.DEGRADED,
        ("[production] player-api (tta.prod): 20% error budget left",),
    )


def test_a_spent_error_budget_is_degraded_not_down() -> None:
    assert _status(component=replace(COMPONENT, budget_left=-1.5)).verdict().health is Health.DEGRADED


def test_no_requests_means_no_budget_figure_and_no_finding() -> None:
    assert _status(component=replace(COMPONENT, budget_left=None)).verdict().health is Health.HEALTHY


def test_a_dependency_down_for_one_instance_is_degraded() -> None:
    redis = Dependency("tta.prod", "production", "player-api", "cache:6379/0", "redis", 2, 1)
    verdict = _status(dependencies=(redis,)).verdict()
    assert (verdict.health, verdict.reasons) == (
        Health.DEGRADED,
        ("[production] player-api (tta.prod): redis cache:6379/0 down for 1 of 2",),
    )


def test_a_dependency_up_everywhere_is_healthy() -> None:
    neo4j = Dependency("tta.prod", "production", "player-api", "graph:7687", "neo4j", 2, 2)
    assert _status(dependencies=(neo4j,)).verdict().health is Health.HEALTHY


def test_prometheus_unreachable_is_down() -> None:
    verdict = _status(stores=_store_stopped("prometheus")).verdict()
    assert (verdict.health, verdict.reasons) == (Health.DOWN, ("prometheus unreachable: refused",))


def test_alertmanager_unreachable_is_down() -> None:
    assert _status(stores=_store_stopped("alertmanager")).verdict().health is Health.DOWN


def test_a_trace_or_log_store_unreachable_is_degraded() -> None:
    assert [_status(stores=_store_stopped(name)).verdict().health for name in ("jaeger", "victorialogs")] == [
        Health.DEGRADED,
        Health.DEGRADED,
    ]


def test_a_store_that_answers_but_is_not_ready_says_so() -> None:
    stores = tuple(replace(s, ready=False, detail="/health answered 503") if s.name == "jaeger" else s for s in STORES)
    assert _status(stores=stores).verdict().reasons == ("jaeger not ready: /health answered 503",)


def test_a_collector_not_scraped_up_is_down() -> None:
    assert _status(collector=replace(COLLECTOR, up=False)).verdict().reasons == ("otel-collector: not scraped up",)


def test_a_collector_refusing_data_is_degraded() -> None:
    verdict = _status(collector=replace(COLLECTOR, refused_per_s=3.5)).verdict()
    assert (verdict.health, verdict.reasons) == (Health.DEGRADED, ("otel-collector: refusing 3.5 items/s",))


def test_collector_export_failures_are_degraded() -> None:
    verdict = _status(collector=replace(COLLECTOR, export_failures_per_s=0.25)).verdict()
    assert verdict.reasons == ("otel-collector: 0.25 export failures/s",)


def test_a_queue_80_percent_full_is_degraded() -> None:
    verdict = _status(collector=replace(COLLECTOR, queue_fill={"otlp_http/prometheus": 0.8})).verdict()
    assert (verdict.health, verdict.reasons) == (
        Health.DEGRADED,
        ("otel-collector: queue of otlp_http/prometheus 80% full",),
    )


def test_a_queue_below_80_percent_is_healthy() -> None:
    assert _status(collector=replace(COLLECTOR, queue_fill={"otlp_grpc/jaeger": 0.79})).verdict().reasons == ()


def test_a_critical_alert_is_down() -> None:
    verdict = _status(alerts=(_alert("critical"),)).verdict()
    assert (verdict.health, verdict.reasons) == (Health.DOWN, ("[production] TTAExample firing (critical)",))


def test_a_warning_alert_is_degraded() -> None:
    assert _status(platform_alerts=(_alert("warning"),)).verdict().reasons == ("TTAExample firing (warning)",)


def test_an_info_alert_changes_nothing() -> None:
    assert _status(alerts=(_alert("info"),)).verdict().health is Health.HEALTHY


def test_memory_running_out_within_7_days_is_degraded() -> None:
    verdict = _status(forecasts=(_memory(NOW + timedelta(days=6, hours=23)),)).verdict()
    assert (verdict.health, verdict.reasons) == (
        Health.DEGRADED,
        ("[production] memory of player-api 1a2b3c4d runs out 2026-12-07 03:00 UTC",),
    )


def test_memory_running_out_in_8_days_is_healthy() -> None:
    assert _status(forecasts=(_memory(NOW + timedelta(days=8)),)).verdict().health is Health.HEALTHY


def test_the_worst_part_decides_and_its_reason_comes_first() -> None:
    verdict = _status(component=replace(COMPONENT, budget_left=0.1), stores=_store_stopped("alertmanager")).verdict()
    assert (verdict.health, verdict.reasons) == (
        Health.DOWN,
        ("alertmanager unreachable: refused", "[production] player-api (tta.prod): 10% error budget left"),
    )


def test_a_forecast_without_enough_history_says_so() -> None:
    assert _memory(None, history=False).outlook() == "too little history"


def test_a_forecast_beyond_the_horizon_says_not_within_30_days() -> None:
    assert _memory(None).outlook() == "not within 30 days"


def test_a_rising_line_reaches_its_limit_when_the_slope_says() -> None:
    assert runs_out_at(NOW, fitted=1 * GIB, slope=GIB / 86400, limit=2 * GIB) == NOW + timedelta(days=1)


def test_a_flat_or_falling_line_never_runs_out() -> None:
    assert [runs_out_at(NOW, 1 * GIB, slope, 2 * GIB) for slope in (0.0, -10.0)] == [None, None]


def test_a_line_reaching_its_limit_after_30_days_is_not_forecast() -> None:
    assert runs_out_at(NOW, fitted=0.0, slope=2 * GIB / (31 * 86400), limit=2 * GIB) is None


def test_a_resource_already_at_its_limit_runs_out_now() -> None:
    assert runs_out_at(NOW, fitted=2 * GIB, slope=0.0, limit=2 * GIB) == NOW
