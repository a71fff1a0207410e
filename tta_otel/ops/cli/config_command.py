"""``tta-otel config validate [PATH]``: check a tta_config.yaml before deploying it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tta_otel.config import ConfigError, config_path, parse_config
from tta_otel.privacy import PolicyError, load_policy


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    config = subparsers.add_parser("config", help="work with tta_config.yaml")
    actions = config.add_subparsers(dest="action", required=True)
    validate = actions.add_parser("validate", help="validate the monitoring section and the privacy policy it names")
    validate.add_argument("path", nargs="?", type=Path, help="default: $TTA_CONFIG or ./tta_config.yaml")
    validate.add_argument("--json", action="store_true", help="print the result as JSON")
    validate.set_defaults(handler=validate_command)


def validate_command(args: argparse.Namespace) -> int:
    path: Path = args.path or config_path()
    errors: list[str] = []
    if not path.exists():
        errors.append(f"{path}: (file): no such file")
    else:
        try:
            config = parse_config(path)
            load_policy(config.privacy.policy_file)
        except ConfigError as exc:
            errors.extend(str(exc).splitlines())
        except PolicyError as exc:
            errors.append(str(exc))
    if args.json:
        print(json.dumps({"path": str(path), "valid": not errors, "errors": errors}))
    elif errors:
        for line in errors:
            print(f"error: {line}")
    else:
        print(f"{path}: valid")
    return 1 if errors else 0
