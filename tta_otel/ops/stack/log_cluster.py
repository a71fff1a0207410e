"""VictoriaLogs in its cluster mode in the native stack (``tta-otel stack up --log-nodes N``).

VictoriaLogs's one binary takes every role (docs.victoriametrics.com/victorialogs/cluster/): with
``-storageNode`` it stores nothing itself and routes what it is sent to those nodes and their
answers to its queries. With ``N`` log nodes, the ``victorialogs`` service that the collector,
``status``, the reports and erasure talk to (same port, same credentials) becomes that *front*,
and ``N`` *storage nodes* (``victorialogs-storage-1``...) keep the records, each on its own port
and disk, behind the same basic auth. This module is that topology as data; the runner turns it
into launch-table entries, and records the count in the state directory as it does the gateways'.

What the engine does, measured with the build here (v1.52.1) and tested in
``tests/stack/test_log_cluster.py``:
- while a storage node is down, the front sends every new record to the others: nothing written
  during the outage is lost;
- queries fail (HTTP 502) until every node answers again: partial answers would look like
  missing logs to an operator, so ``-search.allowPartialResponse`` stays off;
- records are not replicated, and a node killed outright loses what it had not flushed to disk
  yet; storage nodes flush every second (``-inmemoryDataFlushInterval=1s``, the least it takes;
  its default is 5 s);
- deletion (erasure, the shorter log classes' pruning) runs through the front on every node;
- a front stopped with SIGTERM drops what it has taken but not yet passed on (its log: "dropping
  ... bytes of data, since there are no available storage nodes"; up to about a second of
  records), so the runner asks it to flush first (``flush_front``): 40 of 40 records kept that
  way, 0 of 40 without, in the same trial with no writes during the stop; under steady writes on
  a loaded machine some were still lost once, so the flush lowers the loss, not removes it.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from tta_otel.ops.secrets import BASIC_AUTH_USER, VICTORIALOGS_PASSWORD
from tta_otel.ops.stack.topology import Scale, TopologyError

MIN_NODES = 2
"""One storage node behind a front is one node with an extra hop: refused."""
MAX_NODES = 8
"""The fixed port layout below leaves room for this many."""
_FIRST_PORT = 9500
FLUSH_PATH = "/internal/force_flush"
STORAGE_NODE_FLAGS = (
    "-internaldelete.enable",  # the front's delete tasks reach the records where they are
    "-inmemoryDataFlushInterval=1s",  # a node killed outright loses at most its last second
)
"""What a storage node adds to the single node's command line."""


SCALE = Scale("--log-nodes", "one VictoriaLogs", "one node", "a front of {count} storage nodes", MIN_NODES, MAX_NODES)
"""How many storage nodes ``stack up --log-nodes`` can run, and the count it last ran (``Scale``)."""


def node_name(index: int) -> str:
    return f"victorialogs-storage-{index}"


def node_port(index: int) -> int:
    """Storage node ``index`` (from 1) listens on 9500 + index."""
    if not 1 <= index <= MAX_NODES:
        raise TopologyError(f"no storage node {index}: they are numbered 1 to {MAX_NODES}")
    return _FIRST_PORT + index


def front_flags(addresses: list[str], secrets: Path) -> list[str]:
    """What makes VictoriaLogs the front of the storage nodes at ``addresses`` (host:port), with
    the stack's credentials for each (the array flags take one value per node)."""
    if len(addresses) < MIN_NODES:
        raise TopologyError(f"a front needs at least {MIN_NODES} storage nodes, not {len(addresses)}")
    each = len(addresses)
    return [
        f"-storageNode={','.join(addresses)}",
        f"-storageNode.username={','.join([BASIC_AUTH_USER] * each)}",
        f"-storageNode.passwordFile={','.join([str(secrets / VICTORIALOGS_PASSWORD)] * each)}",
    ]


def stack_front_flags(count: int, secrets: Path) -> list[str]:
    """``front_flags`` for the native stack's ``count`` storage nodes on their fixed ports."""
    return front_flags([f"127.0.0.1:{node_port(index)}" for index in range(1, count + 1)], secrets)


def flush_front(url: str, credentials: tuple[str, str] | None) -> bool:
    """Ask the front at ``url`` to pass on everything it holds, right before it is stopped;
    whether it answered (a front that does not answer is stopped all the same)."""
    try:
        return httpx.get(f"{url}{FLUSH_PATH}", auth=credentials, timeout=10).status_code == 200
    except httpx.HTTPError:
        return False


__all__ = [
    "MAX_NODES",
    "MIN_NODES",
    "SCALE",
    "STORAGE_NODE_FLAGS",
    "flush_front",
    "front_flags",
    "node_name",
    "node_port",
    "stack_front_flags",
]
