"""The store clients' errors and the addresses they hand to people (the stores themselves answer in
tests/stack/test_native_stores.py)."""

from __future__ import annotations

import pytest

from tta_otel.ops.stores import JaegerClient, StoreError, VictoriaLogsClient
from tta_otel.testing.processes import free_port


def test_an_unreachable_jaeger_is_named_with_its_variables() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(
        StoreError, match=rf"^Jaeger \(TTA_JAEGER_URL, TTA_JAEGER_CREDENTIALS_FILE\) at {url}/api/traces/ab"
    ):
        JaegerClient(url, timeout_s=2).trace("ab")


def test_an_unreachable_victorialogs_is_named_with_its_variables() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError, match=r"^VictoriaLogs \(TTA_VICTORIALOGS_URL, TTA_VICTORIALOGS_CREDENTIALS_FILE\)"):
        VictoriaLogsClient(url, timeout_s=2).query("*")


def test_the_trace_url_is_the_api_address_of_the_trace() -> None:
    assert JaegerClient("http://127.0.0.1:16686/").trace_url("0af7651916cd43dd8448eb211c80319c") == (
        "http://127.0.0.1:16686/api/traces/0af7651916cd43dd8448eb211c80319c"
    )


def test_the_ui_url_carries_the_query_encoded() -> None:
    assert VictoriaLogsClient("http://127.0.0.1:9428").ui_url('trace_id:="ab cd"') == (
        "http://127.0.0.1:9428/select/vmui/#/?query=trace_id%3A%3D%22ab%20cd%22"
    )
