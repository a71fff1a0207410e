"""What of a Cypher query may reach telemetry: its shape, never its values.

Pure functions over the query text, with no driver or OpenTelemetry import:

- ``redact_literals`` is ``db.query.text``: every string and numeric literal becomes ``?``,
  comments go (they are free text), while ``$parameters``, identifiers, backtick-quoted
  names, labels, ``true``/``false``/``null`` and layout stay.
- ``operation_name`` is ``db.operation.name``: the first clause keyword (``MATCH``,
  ``OPTIONAL MATCH``, ``CREATE``, ``MERGE``, ``UNWIND``, ``CALL``, ``RETURN`` ...).
- ``query_summary`` is ``db.query.summary`` and the span name: the first clause, then each
  later clause that reads, writes or calls (``MATCH``, ``CREATE``, ``MERGE``, ``SET``,
  ``DELETE``, ``CALL`` ...), each followed by the labels, relationship types or procedure it
  names, e.g. ``MATCH Scene NEXT CREATE Choice``. ``RETURN``, ``WITH``, ``WHERE`` and the like
  add nothing after the first clause: they name no target, and leaving them out keeps the
  summary short and of low cardinality.
- ``redact_error_message`` makes a Neo4j error message safe: Neo4j quotes the offending token
  and echoes the offending line of the query, so both may carry literals.

The lexer never fails: an unterminated string or comment runs to the end of the query and is
redacted (or dropped) whole, so a malformed query cannot leak the rest of its text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

PLACEHOLDER = "?"
SUMMARY_MAX_CHARS = 255  # the database conventions' bound for a generated summary

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    |(?P<line_comment>//[^\n]*)
    |(?P<block_comment>/\*.*?(?:\*/|\Z))
    |(?P<string>'(?:[^'\\]|\\.)*(?:'|\\?\Z)|"(?:[^"\\]|\\.)*(?:"|\\?\Z))
    |(?P<quoted>`(?:[^`]|``)*(?:`|\Z))
    |(?P<parameter>\$(?:\w+|`(?:[^`]|``)*`))
    |(?P<word>[^\W\d]\w*)
    |(?P<number>(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d+)?
        |(?<![.\w])\.\d[\d_]*(?:[eE][+-]?\d+)?)\w*)
    |(?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_LITERALS = frozenset({"string", "number"})
_COMMENTS = frozenset({"line_comment", "block_comment"})
_INSIGNIFICANT = frozenset({"space", *_COMMENTS})

# Clauses that may open a query; the first one found is db.operation.name.
_CLAUSES = frozenset(
    {
        "ALTER", "CALL", "CREATE", "DELETE", "DENY", "DETACH", "DROP", "ENABLE", "FILTER", "FINISH",
        "FOREACH", "GRANT", "INSERT", "LET", "LOAD", "MATCH", "MERGE", "OPTIONAL", "REMOVE", "RENAME",
        "RETURN", "REVOKE", "SET", "SHOW", "START", "STOP", "TERMINATE", "UNWIND", "WITH",
    }
)  # fmt: skip
# Clauses that read, write or call: after the first clause, only these enter the summary.
_TARGET_CLAUSES = frozenset(
    {"CALL", "CREATE", "DELETE", "DETACH", "FOREACH", "INSERT", "LOAD", "MATCH", "MERGE", "OPTIONAL", "REMOVE", "SET"}
)
# The second word of two-word clauses.
_COMPOUNDS = {"OPTIONAL": ("MATCH", "CALL"), "DETACH": ("DELETE",), "LOAD": ("CSV",)}
# Braces after these open a subquery, not a map: their colons introduce labels again.
_SUBQUERY_OPENERS = frozenset({"CALL", "EXISTS", "COUNT", "COLLECT", ")"})
_LABEL_OPERATORS = frozenset({"|", "&", "!", ":"})

# In error messages: the position Neo4j reports stays, other numbers go.
_MESSAGE_TOKEN = re.compile(
    r"""
    (?P<position>\(line\ \d+,\ column\ \d+\ \(offset:\ \d+\)\))
    |(?P<string>'[^'\n]*(?:'|$)|"[^"\n]*(?:"|$))
    |(?P<quoted>`[^`\n]*`)
    |(?P<number>\b\d+(?:\.\d+)?\b)
    """,
    re.VERBOSE,
)
# A quoted token in a message that is punctuation, not data: ',', '->'.
_PUNCTUATION = re.compile(r"[^\w\s'\"]{1,3}")
_KEYWORDS = _CLAUSES | {
    "AND", "AS", "BY", "CASE", "CSV", "DISTINCT", "ELSE", "END", "IN", "IS", "LIMIT", "NODETACH", "NOT",
    "OFFSET", "ON", "OR", "ORDER", "SKIP", "THEN", "UNION", "USE", "WHEN", "WHERE", "XOR", "YIELD",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str


def _tokens(query: str) -> Iterator[_Token]:
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup
        assert kind is not None  # every alternative is a named group
        yield _Token(kind, match.group())


def _redact(query: str, *, keep_lines: bool) -> str:
    """The query with literals as ``?`` and without comments; with ``keep_lines`` every newline
    stays where it was, so line ``n`` of the result is the redacted line ``n`` of the query."""
    parts: list[str] = []
    for token in _tokens(query):
        newlines = "\n" * token.text.count("\n") if keep_lines else ""
        if token.kind in _LITERALS:
            parts.append(PLACEHOLDER + newlines)
        elif token.kind == "block_comment":
            parts.append(" " + newlines)
        elif token.kind != "line_comment":
            parts.append(token.text)
    return "".join(parts)


def redact_literals(query: str) -> str:
    """``query`` with each string and numeric literal replaced by ``?`` and comments removed."""
    return _redact(query, keep_lines=False).strip()


def _significant(query: str) -> list[_Token]:
    return [token for token in _tokens(query) if token.kind not in _INSIGNIFICANT]


def _clause_at(tokens: list[_Token], index: int, brackets: list[str]) -> tuple[str, int] | None:
    """The clause keyword starting at ``tokens[index]`` and how many tokens it spans, if any."""
    word = tokens[index].text.upper()
    if tokens[index].kind != "word" or word not in _CLAUSES:
        return None
    before = tokens[index - 1].text.upper() if index else ""
    after = tokens[index + 1].text.upper() if index + 1 < len(tokens) else ""
    if before in {".", ":", "ON"}:  # a property, a label, or MERGE's ON CREATE / ON MATCH
        return None
    if after == ":" and brackets and brackets[-1] == "map":  # a map key
        return None
    if after in _COMPOUNDS.get(word, ()):
        return f"{word} {after}", 2
    return word, 1


def _procedure_at(tokens: list[_Token], index: int) -> tuple[str, int]:
    """The dotted procedure name starting at ``tokens[index]`` (``db.labels``) and its token count."""
    names = [tokens[index].text]
    end = index + 1
    while end + 1 < len(tokens) and tokens[end].text == "." and tokens[end + 1].kind in {"word", "quoted"}:
        names.append(tokens[end + 1].text)
        end += 2
    return ".".join(names), end - index


def _clauses(query: str) -> list[tuple[str, list[str]]]:
    """Each clause keyword of ``query`` in order, with the labels, types or procedure it names."""
    tokens = _significant(query)
    clauses: list[tuple[str, list[str]]] = []
    brackets: list[str] = []
    in_label_expression = False
    index = 0
    while index < len(tokens):
        token = tokens[index]
        text = token.text
        step = 1
        clause = _clause_at(tokens, index, brackets)
        if clause is not None:
            keyword, step = clause
            clauses.append((keyword, []))
            following = tokens[index + step] if index + step < len(tokens) else None
            if keyword.endswith("CALL") and following is not None and following.kind == "word":
                procedure, length = _procedure_at(tokens, index + step)
                clauses[-1][1].append(procedure)
                step += length
        elif text in {"(", "["}:
            brackets.append(text)
        elif text == "{":
            previous = tokens[index - 1].text.upper() if index else ""
            brackets.append("query" if previous in _SUBQUERY_OPENERS else "map")
        elif text in {")", "]", "}"} and brackets:
            brackets.pop()
        elif token.kind in {"word", "quoted"} and clauses and index:
            previous = tokens[index - 1].text
            is_label = previous == ":" and not (brackets and brackets[-1] == "map")
            is_label = is_label and (index < 2 or tokens[index - 2].text != ":")  # not the type predicate ::
            if is_label or (in_label_expression and previous in _LABEL_OPERATORS):
                if text not in clauses[-1][1]:
                    clauses[-1][1].append(text)
                in_label_expression = True
                index += step
                continue
        if text not in _LABEL_OPERATORS:
            in_label_expression = False
        index += step
    return clauses


def operation_name(query: str) -> str | None:
    """The first clause keyword of ``query`` in upper case, or None when it has none."""
    clauses = _clauses(query)
    return clauses[0][0] if clauses else None


def query_summary(query: str) -> str | None:
    """A low-cardinality summary of ``query`` (``MATCH Scene``), or None when it names no clause."""
    clauses = _clauses(query)
    if not clauses:
        return None
    kept = [clauses[0]] + [clause for clause in clauses[1:] if clause[0].split()[0] in _TARGET_CLAUSES]
    merged: list[tuple[str, list[str]]] = []
    for keyword, targets in kept:  # MATCH (a:X) MATCH (b:Y) is MATCH X Y
        if merged and merged[-1][0] == keyword:
            merged[-1][1].extend(target for target in targets if target not in merged[-1][1])
        else:
            merged.append((keyword, targets))
    parts: list[str] = []
    length = -1
    for keyword, targets in merged:
        for part in (keyword, *targets):
            if length + 1 + len(part) > SUMMARY_MAX_CHARS:
                return " ".join(parts)
            parts.append(part)
            length += 1 + len(part)
    return " ".join(parts)


def _echoed_line(line: str, query_lines: list[str], redacted_lines: list[str]) -> str | None:
    """The redacted form of ``line`` when it is a line of the query that Neo4j echoes in quotes."""
    stripped = line.strip()
    if len(stripped) < 2 or stripped[0] != '"' or stripped[-1] != '"':
        return None
    echoed = stripped[1:-1].strip()
    for original, redacted in zip(query_lines, redacted_lines, strict=True):
        if original.strip() == echoed:
            return f'"{redacted.strip()}"'
    return f'"{PLACEHOLDER}"'


def _redact_message_token(match: re.Match[str]) -> str:
    kind, text = match.lastgroup, match.group()
    if kind in {"position", "quoted"}:
        return text
    if kind == "string":
        content = text[1:-1] if len(text) > 1 and text[-1] == text[0] else text[1:]
        if _PUNCTUATION.fullmatch(content) or (content and all(word in _KEYWORDS for word in content.split(" "))):
            return text
        return PLACEHOLDER
    return PLACEHOLDER


def redact_error_message(message: str, query: str | None) -> str:
    """``message`` without the literals it may quote from ``query``.

    A line that echoes a line of the query becomes that line redacted (``"?"`` if it matches
    none); elsewhere every quoted string becomes ``?`` unless it is a Cypher keyword or a
    punctuation token (``'RETURN'``, ``','``), and every number becomes ``?`` except in the
    ``(line L, column C (offset: O))`` position. Backtick-quoted names stay.
    """
    query_lines = query.split("\n") if query else []
    redacted_lines = _redact(query, keep_lines=True).split("\n") if query else []
    lines: list[str] = []
    for line in message.split("\n"):
        echoed = _echoed_line(line, query_lines, redacted_lines)
        lines.append(echoed if echoed is not None else _MESSAGE_TOKEN.sub(_redact_message_token, line))
    return "\n".join(lines)
