"""``tta-otel dashboards lint``: the rules every TTA dashboard keeps, checked on its JSON.

- **datasource**: every datasource reference (panel, query, template variable) is a datasource
  variable of the dashboard, ``${datasource}``, ``${logs}`` or ``${traces}``, of the same type:
  never a hard-coded uid, so the JSON works on any Grafana.
- **variables**: the dashboard has the datasource variable ``datasource`` (Prometheus) and the
  query variables ``environment``, ``repository`` and ``component``.
- **undefined-variable**: every ``$name`` in a query, a variable query or a link is one of the
  dashboard's variables or one of Grafana's own (``$__rate_interval``, ``${__field...}`` ...).
- **unit**: every panel that shows numbers has a unit (logs, node graphs and text have none).
- **time**: a default time range, a refresh interval and a visible time picker.
- **link**: every link to ``/d/<uid>`` names a dashboard that exists among those linted.
- **promql**: every PromQL expression (queries, and the selectors of ``label_values``) parses,
  by Prometheus's own parser: ``promtool --experimental promql format`` of the stack's cached
  Prometheus build, or ``/api/v1/parse_query`` of a running Prometheus. Grafana's variables are
  replaced by sample values first (``$__rate_interval`` by ``1m``, ``$environment`` by ``x``).
- **logql**, **traceql**: every LogQL (Loki) and TraceQL (Tempo) query parses, by the lezer
  grammars of Grafana's own query editors (``query_syntax``: Loki and Tempo do not run natively),
  with the variables replaced the same way; each error with its line and column in the query.
  **query-syntax** when node or the grammars are missing, with the command that installs them.
"""

from __future__ import annotations

import json
import re
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

from tta_otel.ops.dashboards import panels
from tta_otel.ops.dashboards.findings import Problem, expand, variable_names
from tta_otel.ops.dashboards.query_syntax import check_dashboards

Parser = Callable[[str], str | None]
"""Parses a PromQL expression: None when it parses, else the parser's message."""

REQUIRED_VARIABLES: Final = ("environment", "repository", "component")
NO_UNIT_PANELS: Final = frozenset({"logs", "nodeGraph", "text", "alertlist", "dashlist", "news", "traces"})
_DASHBOARD_URL = re.compile(r"/d/([\w-]+)")
_LABEL_VALUES = re.compile(r"^\s*label_values\((?P<selector>.*),\s*\w+\s*\)\s*$", re.DOTALL)


def promtool_parser(promtool: Path) -> Parser:
    """Prometheus's parser through ``promtool --experimental promql format``."""

    def parse(expr: str) -> str | None:
        result = subprocess.run(
            [str(promtool), "--experimental", "promql", "format", expr], capture_output=True, text=True, check=False
        )
        return None if result.returncode == 0 else (result.stderr or result.stdout).strip()

    return parse


def prometheus_parser(url: str, timeout_s: float = 10.0) -> Parser:
    """The parser of the Prometheus at ``url`` (``/api/v1/parse_query``)."""

    def parse(expr: str) -> str | None:
        query = urllib.parse.urlencode({"query": expr})
        try:
            with urllib.request.urlopen(f"{url.rstrip('/')}/api/v1/parse_query?{query}", timeout=timeout_s):
                return None
        except urllib.error.HTTPError as error:
            body = error.read().decode(errors="replace")
            try:
                return str(json.loads(body)["error"])
            except (ValueError, KeyError):
                return f"HTTP {error.code}: {body}"

    return parse


def _datasource_refs(model: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for variable in model.get("templating", {}).get("list", []):
        if isinstance(variable.get("datasource"), dict):
            yield f"variable {variable['name']}", variable["datasource"]
    for panel in panels(model):
        title = f"panel {panel.get('title')!r}"
        if isinstance(panel.get("datasource"), dict):
            yield title, panel["datasource"]
        for target in panel.get("targets") or []:
            if isinstance(target.get("datasource"), dict):
                yield f"{title} query {target.get('refId')}", target["datasource"]


def _links(model: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for link in model.get("links") or []:
        yield f"dashboard link {link.get('title')!r}", str(link.get("url") or "")
    for panel in panels(model):
        defaults = (panel.get("fieldConfig") or {}).get("defaults") or {}
        for link in [*(panel.get("links") or []), *(defaults.get("links") or [])]:
            yield f"panel {panel.get('title')!r} link {link.get('title')!r}", str(link.get("url") or "")


def _check_variables(
    model: Mapping[str, Any], variables: Mapping[str, Mapping[str, Any]]
) -> Iterator[tuple[str, str, str]]:
    datasource = variables.get("datasource", {})
    if datasource.get("type") != "datasource" or datasource.get("query") != "prometheus":
        yield "templating", "variables", "no Prometheus datasource variable named 'datasource'"
    for name in REQUIRED_VARIABLES:
        if variables.get(name, {}).get("type") != "query":
            yield "templating", "variables", f"no query variable named {name!r}"


def _check_datasources(
    model: Mapping[str, Any], variables: Mapping[str, Mapping[str, Any]]
) -> Iterator[tuple[str, str, str]]:
    kinds = {name: v.get("query") for name, v in variables.items() if v.get("type") == "datasource"}
    for where, ref in _datasource_refs(model):
        uid = str(ref.get("uid", ""))
        names = variable_names(uid)
        if not names or uid not in {f"${{{name}}}" for name in names} | {f"${name}" for name in names}:
            yield where, "datasource", f"datasource uid {uid!r} is hard-coded: use a datasource variable"
        elif (name := next(iter(names))) not in kinds:
            yield where, "datasource", f"datasource {uid} is not a datasource variable of this dashboard"
        elif kinds[name] != ref.get("type"):
            yield where, "datasource", f"datasource {uid} is a {kinds[name]} variable, the query is {ref.get('type')}"
    for panel in panels(model):
        if not isinstance(panel.get("datasource"), dict):
            yield f"panel {panel.get('title')!r}", "datasource", "the panel names no datasource"


def _check_units(model: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    for panel in panels(model):
        if panel.get("type") in NO_UNIT_PANELS:
            continue
        if not ((panel.get("fieldConfig") or {}).get("defaults") or {}).get("unit"):
            yield f"panel {panel.get('title')!r}", "unit", "the panel has no unit"


def _check_time(model: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    if not (model.get("time") or {}).get("from"):
        yield "time", "time", "no default time range"
    if not model.get("refresh"):
        yield "time", "time", "no refresh interval"
    if (model.get("timepicker") or {}).get("hidden"):
        yield "time", "time", "the time picker is hidden"


def _expressions(model: Mapping[str, Any]) -> Iterator[tuple[str, str, bool]]:
    """(where, text, is PromQL) of every query and variable query."""
    for variable in model.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            query = variable.get("query")
            text = str(query.get("query", "") if isinstance(query, dict) else query)
            match = _LABEL_VALUES.match(text)
            yield f"variable {variable['name']}", match.group("selector") if match else text, True
    for panel in panels(model):
        for target in panel.get("targets") or []:
            kind = (target.get("datasource") or panel.get("datasource") or {}).get("type")
            text = str(target.get("expr") or target.get("query") or "")
            yield f"panel {panel.get('title')!r} query {target.get('refId')}", text, kind == "prometheus"


def _check_references(
    model: Mapping[str, Any], variables: Mapping[str, Any], uids: set[str]
) -> Iterator[tuple[str, str, str]]:
    texts = [(where, text) for where, text, _ in _expressions(model)] + list(_links(model))
    for where, text in texts:
        for name in sorted(variable_names(text) - set(variables)):
            if not name.startswith("__"):
                yield where, "undefined-variable", f"${name} is not a variable of this dashboard"
    for where, url in _links(model):
        for uid in _DASHBOARD_URL.findall(url):
            if uid not in uids:
                yield where, "link", f"links to dashboard {uid!r}, which does not exist"


def _check_promql(model: Mapping[str, Any], parse: Parser) -> Iterator[tuple[str, str, str]]:
    """Parsed in parallel: each promtool run is a process of its own."""
    checked = [(where, expand(text)) for where, text, promql in _expressions(model) if promql]
    with ThreadPoolExecutor(max_workers=8) as pool:
        messages = list(pool.map(parse, [text for _, text in checked]))
    for (where, _), message in zip(checked, messages, strict=True):
        if message is not None:
            yield where, "promql", f"does not parse: {message}"


def lint(dashboards: Mapping[str, Mapping[str, Any]], parse: Parser, other_uids: Iterable[str] = ()) -> list[Problem]:
    """Every rule broken by ``dashboards`` (by file name), in file order; links may also point to ``other_uids``."""
    uids = {str(model.get("uid")) for model in dashboards.values()} | set(other_uids)
    syntax = check_dashboards(dashboards)
    problems = []
    for name, model in dashboards.items():
        variables = {v["name"]: v for v in model.get("templating", {}).get("list", [])}
        found = [
            *_check_variables(model, variables),
            *_check_datasources(model, variables),
            *_check_units(model),
            *_check_time(model),
            *_check_references(model, variables, uids),
            *_check_promql(model, parse),
        ]
        problems += [Problem(name, where, rule, message) for where, rule, message in found]
        problems += [problem for problem in syntax if problem.dashboard == name]
    return problems
