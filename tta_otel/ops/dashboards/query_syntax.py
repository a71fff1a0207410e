"""LogQL and TraceQL syntax, checked by the lezer grammars of Grafana's own query editors.

Loki and Tempo do not run natively (docs/stack.md), so their parsers cannot be asked the way
promtool is for PromQL. The grammars that Grafana's Loki and Tempo query editors use
(``@grafana/lezer-logql``, ``@grafana/lezer-traceql``) are npm packages: ``scripts/query-syntax/``
pins them (``npm ci`` there, part of ``make setup``) and its ``check.mjs`` parses queries under
``node``. One node process per check, every query in one JSON document, so a lint run starts node
once whatever the number of queries.

Lezer recovers from errors by inserting error nodes; each one is reported with its line and
column in the query as written (before Grafana's variables were replaced by sample values).

Known gaps (docs/dashboards.md): the grammars check syntax only, so a query Loki or Tempo would
refuse for its meaning passes (a selector whose every matcher matches the empty string, an
invalid regular expression, a ``line_format`` template that does not parse, a TraceQL comparison
of a duration with a string). And they lag Tempo's language in places: ``FALSE_ERRORS`` lists the
valid queries they reject, and a unit test proves each is still rejected, so that the list cannot
outlive the grammar's bug.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from tta_otel.ops.dashboards import panels
from tta_otel.ops.dashboards.findings import SAMPLE_VALUES, VARIABLE, Problem

SCRIPT_DIR: Final = Path(__file__).resolve().parents[3] / "scripts" / "query-syntax"
"""The Node script and its pinned grammars, beside the package in the checkout."""
INSTALL: Final = f"npm ci --prefix {SCRIPT_DIR} (part of `make setup`)"
LANGUAGE_NAMES: Final = {"logql": "LogQL", "traceql": "TraceQL"}
INTERVAL_VALUE: Final = "1m"
"""What an interval variable of the dashboard becomes: a duration, like ``$__rate_interval``."""
TRACEQL_QUERY_TYPES: Final = frozenset({"traceql", "traceqlSearch"})
"""Tempo query types whose ``query`` is TraceQL (a service map holds none)."""


@dataclass(frozen=True)
class ErrorNode:
    """One error node of lezer's tree: code point offsets into the parsed (expanded) text."""

    start: int
    end: int
    node: str


@dataclass(frozen=True)
class FalseError:
    """Errors the grammar reports in valid queries: those inside a match of ``scope`` whose text
    starts with a match of ``at``. ``example`` is such a query, which a unit test parses to prove
    that the grammar still rejects it (else the entry goes)."""

    language: str
    scope: re.Pattern[str]
    at: re.Pattern[str]
    example: str
    why: str

    def covers(self, language: str, text: str, error: ErrorNode) -> bool:
        return (
            language == self.language
            and self.at.match(text, error.start) is not None
            and any(match.start() <= error.start and error.end <= match.end() for match in self.scope.finditer(text))
        )


FALSE_ERRORS: Final = (
    FalseError(
        "traceql",
        re.compile(r"\bquantile_over_time\([^()]*\)"),
        re.compile(r"\.\d"),
        "{ } | quantile_over_time(duration, .99, .5)",
        "Tempo reads `.99` as a number (its docs write quantiles so); the grammar wants `0.99`",
    ),
    FalseError(
        "traceql",
        re.compile(r"\bnestedSetParent\s*(?:!=|<=|>=|=|<|>)"),
        re.compile(r"nestedSetParent|[!<>=]"),
        "{ nestedSetParent < 0 }",
        "Tempo's intrinsic `nestedSetParent` (grafana/tempo#3497; `< 0` selects root spans) is not in the grammar",
    ),
)
"""Valid queries the grammars reject, each with an example that a unit test keeps honest."""


class GrammarsUnavailableError(Exception):
    """Node or the grammars are missing: the message says what to run."""


@dataclass(frozen=True)
class Expanded:
    """A query with Grafana's variables replaced, and where each replacement came from."""

    text: str
    replacements: tuple[tuple[int, int, int, int], ...]
    """(start, end) in ``text`` and (start, end) in the original, of every replaced variable."""

    def original_offset(self, offset: int, *, end: bool = False) -> int:
        """Where ``offset`` of the expanded text was in the original. An offset inside a replaced
        variable maps to the variable's start, or to its end when ``end`` closes a span."""
        shift = 0
        for start, stop, original_start, original_stop in self.replacements:
            if offset < start or (end and offset == start):
                break
            if offset < stop:
                return original_stop if end else original_start
            shift = original_stop - stop
        return offset + shift


@dataclass(frozen=True)
class Query:
    """One query to parse: the file and place it comes from, its language, its text as written and
    the text to parse."""

    file: str
    where: str
    language: str
    text: str
    expanded: Expanded


def substitute(text: str, values: Mapping[str, str]) -> Expanded:
    """``text`` with each Grafana variable replaced by its value in ``values``, else ``x`` (a label value).

    Interval variables and macros must become durations (``[$__auto]`` is a range), label values a
    string: a sample value of the wrong kind would be a syntax error of the check's own making."""
    parts: list[str] = []
    replacements = []
    position = length = 0
    for match in VARIABLE.finditer(text):
        name = next(group for group in match.groups() if group)
        value = values.get(name, "x")
        parts += [text[position : match.start()], value]
        start = length + match.start() - position
        length = start + len(value)
        replacements.append((start, length, match.start(), match.end()))
        position = match.end()
    parts.append(text[position:])
    return Expanded("".join(parts), tuple(replacements))


def sample_values(model: Mapping[str, Any]) -> dict[str, str]:
    """Grafana's own variables and the dashboard's interval variables, as values of their kind."""
    intervals = {
        str(variable["name"]): INTERVAL_VALUE
        for variable in model.get("templating", {}).get("list", [])
        if variable.get("type") == "interval"
    }
    return {**SAMPLE_VALUES, **intervals}


def dashboard_queries(file: str, model: Mapping[str, Any]) -> Iterator[Query]:
    """Every LogQL (Loki) and TraceQL (Tempo) query of the dashboard's panels."""
    values = sample_values(model)
    for panel in panels(model):
        for target in panel.get("targets") or []:
            kind = (target.get("datasource") or panel.get("datasource") or {}).get("type")
            where = f"panel {panel.get('title')!r} (id {panel.get('id')}) query {target.get('refId')}"
            if kind == "loki" and target.get("expr"):
                text, language = str(target["expr"]), "logql"
            elif kind == "tempo" and target.get("query") and target.get("queryType", "traceql") in TRACEQL_QUERY_TYPES:
                text, language = str(target["query"]), "traceql"
            else:
                continue
            yield Query(file, where, language, text, substitute(text, values))


def rule_queries(path: Path) -> Iterator[Query]:
    """The LogQL of every rule of a Loki rule file (rules hold no Grafana variables to replace)."""
    for group in (yaml.safe_load(path.read_text()) or {}).get("groups") or []:
        for rule in group.get("rules") or []:
            text = str(rule.get("expr", ""))
            where = f"group {group.get('name')} rule {rule.get('alert') or rule.get('record')}"
            yield Query(str(path), where, "logql", text, Expanded(text, ()))


def parse(languages_and_texts: Sequence[tuple[str, str]]) -> list[list[ErrorNode]]:
    """Lezer's error nodes for each (language, text), in one node run; raises GrammarsUnavailableError."""
    node = shutil.which("node")
    if node is None:
        raise GrammarsUnavailableError(f"node is not installed: install Node.js 20 or later, then {INSTALL}")
    if not (SCRIPT_DIR / "node_modules").is_dir():
        raise GrammarsUnavailableError(f"the LogQL and TraceQL grammars are not installed: {INSTALL}")
    request = json.dumps([{"language": language, "query": text} for language, text in languages_and_texts])
    script = SCRIPT_DIR / "check.mjs"
    try:
        result = subprocess.run(
            [node, str(script)], input=request, capture_output=True, text=True, check=False, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise GrammarsUnavailableError(f"{script} did not run: {error}") from error
    if result.returncode != 0:
        raise GrammarsUnavailableError(f"{script} failed ({INSTALL} may help): {result.stderr.strip()}")
    return [[ErrorNode(e["from"], e["to"], e["node"]) for e in errors] for errors in json.loads(result.stdout)]


def describe(query: Query, error: ErrorNode) -> str:
    """The error at its line and column of the query as written, with what lezer found there."""
    start = query.expanded.original_offset(error.start)
    end = query.expanded.original_offset(error.end, end=True) if error.end > error.start else start
    if end == start:
        start = end = min(start, len(query.text.rstrip()))
    line = query.text.count("\n", 0, start) + 1
    column = start - (query.text.rfind("\n", 0, start) + 1) + 1
    if end > start:
        found = f"unexpected {query.text[start:end]!r}"
    elif start == len(query.text.rstrip()):
        found = "the query ends too early"
    else:
        found = f"something is missing before {query.text[start : start + 20]!r}"
    return f"{LANGUAGE_NAMES[query.language]} does not parse at line {line}, column {column}: {found} (in {error.node})"


def check(queries: Sequence[Query]) -> list[Problem]:
    """A problem for each syntax error of ``queries`` but those of ``FALSE_ERRORS``.

    Without node or the grammars, one problem per file that has queries, saying what to run; no
    queries, no node run."""
    if not queries:
        return []
    try:
        found = parse([(query.language, query.expanded.text) for query in queries])
    except GrammarsUnavailableError as error:
        files = dict.fromkeys(query.file for query in queries)
        return [Problem(file, "LogQL and TraceQL queries", "query-syntax", str(error)) for file in files]
    return [
        Problem(query.file, query.where, query.language, describe(query, error))
        for query, errors in zip(queries, found, strict=True)
        for error in errors
        if not any(false.covers(query.language, query.expanded.text, error) for false in FALSE_ERRORS)
    ]


def check_dashboards(dashboards: Mapping[str, Mapping[str, Any]]) -> list[Problem]:
    """The syntax problems of every dashboard's LogQL and TraceQL, in one node run."""
    return check([query for name, model in dashboards.items() for query in dashboard_queries(name, model)])


def check_rule_files(paths: Sequence[Path]) -> list[Problem]:
    """The syntax problems of the LogQL of Loki rule files, in one node run."""
    return check([query for path in paths for query in rule_queries(path)])
