"""URLs in telemetry: keep their shape, never the data a player typed into them.

``redact_query`` keeps every parameter name and replaces every value by
``[REDACTED:query_value]``, except the values of the policy's allowed parameters
(``url.allowed_query_parameters``, case-insensitive), which are percent-decoded (``+`` is a
space) and scanned. The first parameter counts as much as the others: the instrumentation
records ``url.query`` without its ``?``. ``redact_url`` (``url.full``, ``http.url``,
``http.target``) also removes credentials from the authority, scans the path segment by segment
(percent-decoded) and replaces the fragment; ``redact_path`` is for ``url.path``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote, unquote, unquote_plus

QUERY_VALUE = "[REDACTED:query_value]"
FRAGMENT = "[REDACTED:fragment]"
CREDENTIALS = "[REDACTED:url_credentials]"

_SCHEME_AUTHORITY = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*:)?//([^/?#]*)")


def redact_query(query: str, allowed: frozenset[str], scan: Callable[[str], str]) -> str:
    """Parameter names kept; values replaced, or decoded and scanned for ``allowed`` names."""
    if not query:
        return query
    allowed_lower = {name.lower() for name in allowed}
    parts = []
    for parameter in re.split(r"([&;])", query):
        if parameter in {"&", ";"} or not parameter:
            parts.append(parameter)
            continue
        name, equals, value = parameter.partition("=")
        decoded_name = unquote_plus(name)
        clean_name = scan(decoded_name)
        shown_name = name if clean_name == decoded_name else quote(clean_name, safe="[]:")
        if not equals:
            parts.append(shown_name)  # a bare flag (?debug): the name is all there is
        elif decoded_name.lower() in allowed_lower:
            decoded = unquote_plus(value)
            scanned = scan(decoded)
            parts.append(f"{shown_name}={value if scanned == decoded else scanned}")
        else:
            parts.append(f"{shown_name}={QUERY_VALUE}" if value else f"{shown_name}=")
    return "".join(parts)


def redact_path(path: str, scan: Callable[[str], str]) -> str:
    """``path`` percent-decoded and scanned; shown as it came when nothing was found in it."""
    decoded = unquote(path) if "%" in path else path
    scanned = scan(decoded)
    return path if scanned == decoded else scanned


def redact_url(url: str, allowed: frozenset[str], scan: Callable[[str], str]) -> str:
    """A whole URL or request target: credentials removed, path scanned, query redacted, fragment replaced."""
    rest, hash_mark, fragment = url.partition("#")
    rest, question, query = rest.partition("?")
    prefix = ""
    match = _SCHEME_AUTHORITY.match(rest)
    if match is not None:
        scheme, authority = match.group(1) or "", match.group(2)
        _, at, host = authority.rpartition("@")
        prefix = f"{scheme}//{CREDENTIALS + '@' if at else ''}{scan(host)}"
        rest = rest[match.end() :]
    result = prefix + redact_path(rest, scan)
    if question:
        result += "?" + redact_query(query, allowed, scan)
    if hash_mark:
        result += "#" + (FRAGMENT if fragment else "")
    return result


__all__ = ["CREDENTIALS", "FRAGMENT", "QUERY_VALUE", "redact_path", "redact_query", "redact_url"]
