"""Specification of the ports tests pick for their own processes (tta_otel.testing.processes):
below the kernel's ephemeral range, where outgoing connections never take them, and never the
same port twice for one collector."""

from __future__ import annotations

import pytest

from tta_otel.testing import processes
from tta_otel.testing.processes import collector_addresses, free_port, health_port


def test_a_picked_port_is_below_the_ephemeral_range() -> None:
    assert all(20000 <= free_port() < 31000 for _ in range(50))


def test_a_collectors_six_ports_are_distinct_even_when_a_draw_repeats(monkeypatch: pytest.MonkeyPatch) -> None:
    draws = iter([20001, 20001, 20002, 20003, 20003, 20004, 20005, 20006])
    monkeypatch.setattr(processes, "free_port", lambda: next(draws))
    addresses = collector_addresses()
    ports = [int(value.rpartition(":")[2]) for value in addresses.values()]
    assert sorted(ports) == [20001, 20002, 20003, 20004, 20005, 20006]
    assert health_port(addresses) == 20003
