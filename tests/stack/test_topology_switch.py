"""``stack up`` never switches a running part between one process and its scaled-out form: the
processes of the other form would be orphaned (``down`` stops only the recorded topology). Against
the package's running stack (one collector, one VictoriaLogs): asking for gateways or for log
nodes is refused before anything starts, naming what runs and what to do, and nothing changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.stack.conftest import REPO
from tta_otel.ops.stack import gateways, log_cluster
from tta_otel.ops.stack.runner import Stack, StackError


def _running(stack: Stack) -> dict[str, int | None]:
    return {name: stack.pid(stack.service(name)) for name in stack.native_names()}


def _recorded(state_dir: Path) -> tuple[int, int]:
    return gateways.SCALE.recorded(state_dir), log_cluster.SCALE.recorded(state_dir)


@pytest.mark.parametrize(
    ("gateway_count", "log_node_count", "refusal"),
    [
        (
            0,
            2,
            "VictoriaLogs runs as one node (victorialogs): stop it (`tta-otel stack down`) before starting it "
            "as a front of 2 storage nodes",
        ),
        (
            2,
            0,
            "the collector runs as one collector (otel-collector): stop it (`tta-otel stack down`) before "
            "starting it as an agent with 2 gateways",
        ),
    ],
    ids=["victorialogs-cluster", "gateways"],
)
def test_up_refuses_the_scaled_out_form_of_a_part_that_runs_as_one(
    stack: Stack, gateway_count: int, log_node_count: int, refusal: str
) -> None:
    before = _running(stack)

    with pytest.raises(StackError) as refused:
        Stack(REPO, stack.state_dir, stack.secrets, gateways=gateway_count, log_nodes=log_node_count).up(timeout=60)

    assert str(refused.value) == refusal
    assert _running(stack) == before
    assert _recorded(stack.state_dir) == (0, 0)
