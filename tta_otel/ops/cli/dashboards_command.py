"""``tta-otel dashboards build|lint|push``: Grafana dashboards as code (docs/dashboards.md)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from tta_otel.environment_variables import TTA_GRAFANA_URL
from tta_otel.ops.stack.checkout import find_checkout
from tta_otel.ops.stack.components import components

DIRECTORY = "grafana-dashboards"
DATASOURCES = Path("provisioning") / "datasources" / "datasources.yaml"


def _directory(args: argparse.Namespace) -> Path:
    return Path(args.directory) if args.directory else find_checkout(args.repo) / DIRECTORY


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dashboards = subparsers.add_parser("dashboards", help="Grafana dashboards as code: build, lint, push")
    commands = dashboards.add_subparsers(dest="dashboards_command", required=True)
    build = commands.add_parser("build", help="write every dashboard's JSON from the code")
    lint = commands.add_parser(
        "lint", help="check datasources, variables, units, links and that every PromQL, LogQL and TraceQL query parses"
    )
    push = commands.add_parser("push", help="push the folder, the dashboards and optionally the datasources to Grafana")
    for parser in (build, lint, push):
        parser.add_argument(
            "--repo", type=Path, help="the tta-otel checkout (default: found from the working directory)"
        )
        parser.add_argument("--directory", type=Path, help=f"dashboards folder (default: <checkout>/{DIRECTORY})")
    build.set_defaults(handler=build_command)
    lint.add_argument(
        "--prometheus",
        metavar="URL",
        help="parse PromQL with this running Prometheus (default: promtool of the cached build, tta-otel stack build)",
    )
    lint.add_argument("--json", action="store_true", help="print the problems as JSON")
    lint.set_defaults(handler=lint_command)
    push.add_argument(
        "--grafana",
        default=os.environ.get(TTA_GRAFANA_URL, "http://127.0.0.1:3000"),
        help="Grafana URL (default: $TTA_GRAFANA_URL or %(default)s)",
    )
    token = push.add_mutually_exclusive_group(required=True)
    token.add_argument("--token", help="a service account token (visible in the process list: prefer --token-file)")
    token.add_argument("--token-file", type=Path, help="file holding a service account token")
    push.add_argument(
        "--with-datasources",
        action="store_true",
        help=f"also create or update the datasources of {DIRECTORY}/{DATASOURCES} (their URLs are compose's)",
    )
    push.set_defaults(handler=push_command)


def build_command(args: argparse.Namespace) -> int:
    from tta_otel.ops import dashboards

    directory = _directory(args)
    for path in dashboards.write(directory):
        print(f"wrote {path}")
    return 0


def lint_command(args: argparse.Namespace) -> int:
    from tta_otel.ops import dashboards
    from tta_otel.ops.dashboards.lint import lint, prometheus_parser, promtool_parser

    directory = _directory(args)
    if args.prometheus:
        parse = prometheus_parser(args.prometheus)
    else:
        prometheus = components(find_checkout(args.repo))["prometheus"]
        if not prometheus.is_built():
            print("error: promtool is not built: run `tta-otel stack build`, or pass --prometheus URL", file=sys.stderr)
            return 1
        parse = promtool_parser(prometheus.binary("promtool"))
    models = dashboards.read(directory)
    if not models:
        print(f"error: no dashboards in {directory}: run `tta-otel dashboards build`", file=sys.stderr)
        return 1
    problems = lint(models, parse)
    if args.json:
        print(json.dumps([problem.__dict__ for problem in problems], indent=2))
    else:
        for problem in problems:
            print(problem)
        print(f"{len(models)} dashboards, {len(problems)} problems")
    return 1 if problems else 0


def push_command(args: argparse.Namespace) -> int:
    from tta_otel.ops import dashboards
    from tta_otel.ops.dashboards.push import PushError, connect, provisioned_datasources, push
    from tta_otel.ops.secrets import SecretsError

    token = args.token if args.token else args.token_file.read_text().strip()
    directory = _directory(args)
    try:
        datasources = provisioned_datasources(directory / DATASOURCES) if args.with_datasources else []
    except SecretsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        pushed = push(connect(args.grafana, token), dashboards.read(directory), datasources)
    except PushError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    folder = "created" if pushed.folder_created else "exists"
    print(f"folder {pushed.folder} ({folder}); dashboards: {', '.join(pushed.dashboards)}")
    if pushed.datasources:
        print(f"datasources: {', '.join(pushed.datasources)}")
    return 0
