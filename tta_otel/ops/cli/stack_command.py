"""``tta-otel stack``, ``tta-otel validate`` and ``tta-otel collector privacy``."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

from tta_otel import audit_log
from tta_otel.environment_variables import TTA_JAEGER_URL, TTA_VICTORIALOGS_URL
from tta_otel.ops.secrets import SecretsDir
from tta_otel.ops.stack import collector_privacy, retention
from tta_otel.ops.stack.checkout import find_checkout
from tta_otel.ops.stack.components import BuildError, build_component
from tta_otel.ops.stack.compose_schema import fetch_schema
from tta_otel.ops.stack.runner import URLS, Stack, StackError, checkout_retention, client_environment
from tta_otel.ops.stack.supervisor_process import serve, start_supervisor, stop_supervisor, supervisor_pid
from tta_otel.ops.stack.validation import VALIDATION_TOOLS, default_paths, validate
from tta_otel.ops.stores import StoreError


def _stack(args: argparse.Namespace) -> Stack:
    repository = find_checkout(args.repo)
    secrets = SecretsDir(args.secrets_dir) if args.secrets_dir else SecretsDir()
    # `up --gateways N --log-nodes M` chooses the topology; every other action takes the recorded one
    return Stack(
        repository,
        (args.state_dir or repository / "state").resolve(),
        secrets,
        gateways=getattr(args, "gateways", None),
        log_nodes=getattr(args, "log_nodes", None),
    )


def build_command(args: argparse.Namespace) -> int:
    stack = _stack(args)
    for name, component in stack.components.items():
        if component.is_built():
            print(f"{name}: cached at {component.cache_dir()}")
            continue
        print(f"{name}: building {component.name} {component.version} (this takes minutes) ...", flush=True)
        started = time.monotonic()
        build_component(component, stack.repository)
        print(f"{name}: built in {time.monotonic() - started:.0f} s at {component.cache_dir()}", flush=True)
    print(f"compose schema: {fetch_schema()}")
    return 0


def up_command(args: argparse.Namespace) -> int:
    if args.compose:
        if args.gateways or args.log_nodes:
            raise StackError(
                "--gateways and --log-nodes run natively only: under docker compose, Loki scales on its own "
                "(docs/scaling.md) and there is no gateway topology yet"
            )
        return _compose(args, ["up", "-d", "--wait"])
    stack = _stack(args)
    started = time.monotonic()
    stack.up(timeout=args.timeout)
    print(f"The stack is ready ({time.monotonic() - started:.1f} s); state in {stack.state_dir}")
    if retention.record_change(stack.retention, str(stack.repository / retention.RETENTION_FILE)):
        print(f"  Retention changed since the last start: recorded in the audit trail ({audit_log.default_path()})")
    try:
        stack.prune_log_classes()
    except StoreError as error:  # the supervisor tries again within the hour
        print(f"  The shorter log classes could not be pruned from VictoriaLogs now: {error}")
    try:
        if removed := stack.prune_reports():
            print(f"  {len(removed)} report file(s) in {removed[0].parent} past the reports retention: removed")
    except OSError as error:  # the supervisor tries again within the hour
        print(f"  The report files could not be pruned now: {error}")
    if stack.gateways:
        names = ", ".join(stack.gateway_names())
        print(f"  The collector on 4317/4318 is an agent in front of {names} (docs/gateways.md)")
    if stack.log_nodes:
        print(f"  VictoriaLogs on 9428 is the front of {stack.log_nodes} storage nodes (docs/scaling.md)")
    if not args.no_supervise:
        pid = start_supervisor(stack)
        print(f"  Supervised (pid {pid}): a component that exits is started again; `stack status` counts restarts")
    print('  Clients: eval "$(tta-otel stack env)" gives them the endpoints and credential files:')
    for name, value in client_environment(stack.secrets).items():
        print(f"  {name}={value}")
    print("  Traces in Jaeger, logs in VictoriaLogs (both ask for the credentials above):")
    print(f"    Jaeger's query API:     {URLS[TTA_JAEGER_URL]}/api/services")
    print(f"    VictoriaLogs's web UI:  {URLS[TTA_VICTORIALOGS_URL]}/select/vmui/")
    return 0


def _compose(args: argparse.Namespace, arguments: list[str]) -> int:
    docker = shutil.which("docker")
    if docker is None:
        raise StackError("docker is not installed: the --compose stack needs Docker Compose")
    return subprocess.run([docker, "compose", *arguments], cwd=find_checkout(args.repo), check=False).returncode


def down_command(args: argparse.Namespace) -> int:
    if args.compose:
        return _compose(args, ["down", *(["--volumes"] if args.purge else [])])
    stack = _stack(args)
    stop_supervisor(stack)  # first: it would start again what down stops
    stack.down(purge=args.purge)
    print("The stack is stopped" + (" and its data removed." if args.purge else "; its data is kept."))
    return 0


def status_command(args: argparse.Namespace) -> int:
    status = _stack(args).status()
    if args.json:
        print(json.dumps(status))
    else:
        for entry in status:
            state = "ready" if entry["ready"] else ("running" if entry["pid"] else "stopped")
            print(
                f"{entry['service']:<16} {state:<8} pid={entry['pid'] or '-':<8} "
                f"restarts={entry['restarts']:<3} {entry['url']}"
            )
    return 0 if all(entry["ready"] for entry in status) else 1


def supervise_command(args: argparse.Namespace) -> int:
    stack = _stack(args)
    if supervisor_pid(stack) not in (None, os.getpid()):
        raise StackError(f"a supervisor already runs for {stack.state_dir}")
    serve(stack)
    return 0


def logs_command(args: argparse.Namespace) -> int:
    print(_stack(args).last_lines(args.component, args.lines))
    return 0


def env_command(args: argparse.Namespace) -> int:
    for name, value in client_environment(_stack(args).secrets).items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


def validate_command(args: argparse.Namespace) -> int:
    repository = find_checkout(args.repo)
    stack = Stack(repository, repository / "state")
    missing = [c.name for key, c in stack.components.items() if key in VALIDATION_TOOLS and not c.is_built()]
    if missing:
        raise StackError(f"not built: {', '.join(missing)}; run `tta-otel stack build` first")
    results = validate([Path(p).resolve() for p in args.paths] or default_paths(repository), stack.components)
    for result in results:
        print(f"{'ok  ' if result.ok else 'FAIL'} {result.path} ({result.tool})")
        if not result.ok:
            print("     " + result.message.replace("\n", "\n     "))
    return 0 if all(result.ok for result in results) else 1


def privacy_command(args: argparse.Namespace) -> int:
    repository = find_checkout(args.repo)
    target = repository / "collector-config" / "privacy.yaml"
    changed = collector_privacy.write(target)
    print(f"{target}: {'regenerated' if changed else 'already up to date'}")
    return 0


def retention_command(args: argparse.Namespace) -> int:
    """Print each class and what keeps it; regenerate the compose side's retention lines."""
    repository = find_checkout(args.repo)
    periods = checkout_retention(repository)
    print(yaml.safe_dump(periods.model_dump(mode="json"), sort_keys=False).rstrip())
    if not periods.compose:
        print(f"compose: false: docker compose's files are left as they are ({retention.RETENTION_FILE})")
        return 0
    try:
        changed = retention.write_compose_files(repository, periods)
    except ValueError as error:
        raise StackError(str(error)) from None
    for name in retention.COMPOSE_FILES:
        print(f"{repository / name}: {'regenerated' if name in changed else 'already up to date'}")
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, help="the tta-otel checkout (default: found from the working directory)")
    parser.add_argument("--state-dir", type=Path, help="where the native stack keeps pids, logs and data")
    parser.add_argument(
        "--secrets-dir",
        type=Path,
        help="the secrets `tta-otel secrets init` made (default: $TTA_SECRETS_DIR, else $TTA_OTEL_STATE/secrets)",
    )


def add_parsers(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stack = subparsers.add_parser("stack", help="build, run and stop the native stack")
    actions = stack.add_subparsers(dest="action", required=True)
    for name, handler, text in [
        ("build", build_command, "build or reuse the cached binaries"),
        ("up", up_command, "start the stack and wait until every component is ready"),
        ("down", down_command, "stop what `up` started"),
        ("status", status_command, "show each component's state"),
        ("env", env_command, "print export lines for the endpoints"),
        ("supervise", supervise_command, "restart components that exit (`up` starts this in the background)"),
    ]:
        action = actions.add_parser(name, help=text)
        _common(action)
        action.set_defaults(handler=handler)
        if name in {"up", "down"}:
            action.add_argument("--compose", action="store_true", help="use Docker Compose instead")
        if name == "up":
            action.add_argument("--timeout", type=float, default=90.0)
            action.add_argument("--no-supervise", action="store_true", help="no supervisor: nothing restarts")
            action.add_argument(
                "--gateways",
                type=int,
                default=0,
                metavar="N",
                help="run the collector as an agent in front of N (2 or more) gateway collectors (docs/gateways.md)",
            )
            action.add_argument(
                "--log-nodes",
                type=int,
                default=0,
                metavar="N",
                help="run VictoriaLogs in its cluster mode: a front on 9428 and N (2 or more) storage nodes "
                "(docs/scaling.md)",
            )
        if name == "down":
            action.add_argument("--purge", action="store_true", help="also remove the data")
        if name == "status":
            action.add_argument("--json", action="store_true")
    periods = actions.add_parser(
        "retention", help="show retention.yaml's classes; write them into docker-compose.yml, loki/ and tempo/"
    )
    periods.add_argument("--repo", type=Path)
    periods.set_defaults(handler=retention_command)
    logs = actions.add_parser("logs", help="print a component's last log lines")
    _common(logs)
    logs.add_argument("component")
    logs.add_argument("-n", "--lines", type=int, default=100)
    logs.set_defaults(handler=logs_command)

    validate_parser = subparsers.add_parser("validate", help="check config files with their own tools")
    validate_parser.add_argument("paths", nargs="*", help="default: every config of the checkout")
    validate_parser.add_argument("--repo", type=Path)
    validate_parser.set_defaults(handler=validate_command)

    collector = subparsers.add_parser("collector", help="collector configuration")
    collector_actions = collector.add_subparsers(dest="action", required=True)
    privacy = collector_actions.add_parser("privacy", help="regenerate collector-config/privacy.yaml")
    privacy.add_argument("--repo", type=Path)
    privacy.set_defaults(handler=privacy_command)


ERRORS = (StackError, BuildError)


def report(error: Exception) -> int:
    print(f"error: {error}", file=sys.stderr)
    return 2
