"""What of a Cypher query reaches telemetry: literals as ``?``, comments gone, parameters and
names kept; the operation name and the low-cardinality summary that names the span."""

from __future__ import annotations

import pytest

from tta_otel.instrumentation.neo4j.cypher import (
    SUMMARY_MAX_CHARS,
    operation_name,
    query_summary,
    redact_error_message,
    redact_literals,
)


@pytest.mark.parametrize(
    ("query", "redacted"),
    [
        ("CREATE (n:Scene {title: 'The Lighthouse'})", "CREATE (n:Scene {title: ?})"),
        ('CREATE (n:Scene {title: "The Lighthouse"})', "CREATE (n:Scene {title: ?})"),
        (r"RETURN 'it\'s \"quoted\" \\' AS a, 'b'", "RETURN ? AS a, ?"),
        (r'RETURN "say \"hi\"" AS a', "RETURN ? AS a"),
        ("RETURN 'line one\nline two' AS a", "RETURN ? AS a"),
        ("RETURN 42, -7, 3.14, 1e10, 6.02E+23, .5, 0x1F, 0o17, 1_000", "RETURN ?, -?, ?, ?, ?, ?, ?, ?, ?"),
        ("MATCH (n) RETURN n[1..5]", "MATCH (n) RETURN n[?..?]"),
        ("RETURN true, false, null", "RETURN true, false, null"),
    ],
)
def test_literals_become_placeholders(query: str, redacted: str) -> None:
    assert redact_literals(query) == redacted


def test_parameters_identifiers_labels_and_backticks_stay() -> None:
    query = "MATCH (p1:Player {id: $playerId})-[:`VISITED SCENE`]->(s:`Scene 2`) WHERE s.n2 = $0 RETURN p1, $`odd name`"

    assert redact_literals(query) == query


def test_comments_are_removed() -> None:
    query = "// find the scene\nMATCH (n:Scene) /* a block\ncomment */ RETURN n // trailing"

    assert redact_literals(query) == "MATCH (n:Scene)   RETURN n"


def test_comment_markers_inside_strings_are_literals() -> None:
    assert redact_literals("RETURN 'http://example.org/*x*/' AS url") == "RETURN ? AS url"


def test_an_unterminated_string_is_redacted_to_the_end() -> None:
    assert redact_literals("CREATE (n {title: 'Jane Doe}) RETURN n") == "CREATE (n {title: ?"


def test_an_unterminated_block_comment_is_removed_to_the_end() -> None:
    assert redact_literals("MATCH (n) /* secret RETURN n") == "MATCH (n)"


@pytest.mark.parametrize(
    ("query", "operation"),
    [
        ("MATCH (n:Scene) RETURN n", "MATCH"),
        ("  match (n) return n", "MATCH"),
        ("CREATE (n:Scene)", "CREATE"),
        ("MERGE (n:Scene {id: $id})", "MERGE"),
        ("OPTIONAL MATCH (n:Scene) RETURN n", "OPTIONAL MATCH"),
        ("DETACH DELETE n", "DETACH DELETE"),
        ("UNWIND $rows AS row CREATE (:Scene)", "UNWIND"),
        ("CALL db.labels()", "CALL"),
        ("RETURN 1", "RETURN"),
        ("LOAD CSV FROM $url AS row RETURN row", "LOAD CSV"),
        ("// leading comment\nEXPLAIN MATCH (n) RETURN n", "MATCH"),
        ("SHOW INDEXES", "SHOW"),
    ],
)
def test_operation_name_is_the_first_clause(query: str, operation: str) -> None:
    assert operation_name(query) == operation


def test_a_query_without_a_clause_has_no_operation_or_summary() -> None:
    assert (operation_name("hello world"), query_summary("hello world")) == (None, None)


@pytest.mark.parametrize(
    ("query", "summary"),
    [
        ("MATCH (n:Scene {id: $id}) RETURN n", "MATCH Scene"),
        ("CREATE (n:Scene {title: 'x'}) RETURN n", "CREATE Scene"),
        ("MATCH (a:Scene)-[:NEXT]->(b:Scene) CREATE (b)-[:HAS]->(:Choice)", "MATCH Scene NEXT CREATE HAS Choice"),
        ("MATCH (a:Scene) MATCH (b:Choice) RETURN a, b", "MATCH Scene Choice"),
        ("MATCH (n:Player:Active) RETURN n", "MATCH Player Active"),
        ("MATCH ()-[r:KNOWS|LIKES]->() RETURN r", "MATCH KNOWS LIKES"),
        ("MATCH (n)-[:`HAS CHOICE`]->(m) RETURN m", "MATCH `HAS CHOICE`"),
        (
            "UNWIND $rows AS r MERGE (s:Scene {id: r.id}) ON CREATE SET s.t = r.t ON MATCH SET s:Seen",
            "UNWIND MERGE Scene SET Seen",
        ),
        ("MATCH (n:Scene) WHERE n:Archived DETACH DELETE n", "MATCH Scene Archived DETACH DELETE"),
        ("OPTIONAL MATCH (n:Scene) RETURN n", "OPTIONAL MATCH Scene"),
        ("CALL db.index.fulltext.queryNodes('idx', $q) YIELD node RETURN node", "CALL db.index.fulltext.queryNodes"),
        ("CALL { MATCH (n:Scene) RETURN n } RETURN n", "CALL MATCH Scene"),
        ("MATCH (n) WHERE n.title :: STRING RETURN n {.title, set: 1}", "MATCH"),
        ("MATCH (n:Scene {match: $m, create: $c}) RETURN n.set", "MATCH Scene"),
        ("RETURN $x", "RETURN"),
    ],
)
def test_summary_names_clauses_and_their_targets(query: str, summary: str) -> None:
    assert query_summary(query) == summary


def test_summary_never_holds_a_literal_or_a_parameter_value() -> None:
    summary = query_summary("MATCH (n:Scene {title: 'Jane Doe', age: 42}) WHERE n.mail = $mail RETURN n")

    assert summary == "MATCH Scene"


def test_a_long_summary_stops_at_a_whole_part_within_the_bound() -> None:
    labels = ":".join(f"Label{i:03d}" for i in range(60))
    summary = query_summary(f"MATCH (n:{labels}) RETURN n")

    assert summary is not None
    assert len(summary) <= SUMMARY_MAX_CHARS
    assert summary == " ".join(
        ["MATCH", *(f"Label{i:03d}" for i in range(27))]
    )  # 5 + 27 * 9 = 248 characters; one more would be 257


def test_error_message_quotes_and_numbers_become_placeholders() -> None:
    message = "Node(12) already exists with label `Scene` and property `title` = 'Jane Doe' and age 42"

    assert redact_error_message(message, None) == (
        "Node(?) already exists with label `Scene` and property `title` = ? and age ?"
    )


def test_error_message_keeps_the_position_keywords_and_punctuation() -> None:
    message = "Invalid input 'RETRN': expected 'ORDER BY', ',' or 'RETURN' (line 2, column 1 (offset: 52))"

    assert redact_error_message(message, None) == (
        "Invalid input ?: expected 'ORDER BY', ',' or 'RETURN' (line 2, column 1 (offset: 52))"
    )


def test_error_message_echo_of_a_query_line_is_that_line_redacted() -> None:
    query = 'CREATE (n:Scene {title: "Jane"})\nRETRN n.age + 42'
    message = "Invalid input 'RETRN' (line 2, column 1 (offset: 33))\n\"RETRN n.age + 42\"\n ^"

    assert redact_error_message(message, query) == (
        'Invalid input ? (line 2, column 1 (offset: 33))\n"RETRN n.age + ?"\n ^'
    )


def test_error_message_echo_of_an_unknown_line_is_dropped() -> None:
    message = 'Invalid input (line 1, column 9 (offset: 8))\n"RETURN "Jane" + x"'

    assert redact_error_message(message, "RETURN 1") == 'Invalid input (line 1, column 9 (offset: 8))\n"?"'
