"""Specification of ``tta-otel config validate``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tta_otel.ops.cli.main import main


def test_a_valid_file_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tta_config.yaml"
    path.write_text("monitoring:\n  component: player-api\n")
    assert main(["config", "validate", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: valid\n"


def test_a_bad_file_prints_file_key_and_reason_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tta_config.yaml"
    path.write_text("monitoring:\n  sampling:\n    ratio: 1.5\n")
    assert main(["config", "validate", str(path)]) == 1
    assert capsys.readouterr().out == (
        f"error: {path}: monitoring.sampling.ratio: Input should be less than or equal to 1 (got 1.5)\n"
    )


def test_the_policy_named_by_the_file_is_validated_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "policy.yaml").write_text("version: 2\nkeys:\n  drop: ['(?<=x)']\nend_of_policy: true\n")
    path = tmp_path / "tta_config.yaml"
    path.write_text("monitoring:\n  privacy:\n    policy_file: policy.yaml\n")
    assert main(["config", "validate", str(path)]) == 1
    assert "policy.yaml: keys.drop: Value error, not a valid RE2 expression" in capsys.readouterr().out


def test_a_missing_file_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "validate", str(tmp_path / "absent.yaml")]) == 1
    assert "no such file" in capsys.readouterr().out


def test_the_default_path_comes_from_tta_config(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "custom.yaml"
    path.write_text("monitoring: {}\n")
    clean_env.setenv("TTA_CONFIG", str(path))
    assert main(["config", "validate"]) == 0


def test_json_output_for_scripts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tta_config.yaml"
    path.write_text("monitoring:\n  repository: tta.staging\n")
    assert main(["config", "validate", "--json", str(path)]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["valid"] is False
    assert result["errors"][0].startswith(f"{path}: monitoring.repository:")
