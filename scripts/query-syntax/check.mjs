// Parses LogQL and TraceQL queries with the lezer grammars of Grafana's own query editors and
// prints where each one has a syntax error. tta_otel/ops/dashboards/query_syntax.py runs it once
// per lint with every query, so that node starts once, not once per query.
//
// stdin:  [{"language": "logql" | "traceql", "query": "..."}, ...]
// stdout: one list per query, in order, of its errors: {"from", "to", "node"}, where from and to
//         count code points (Python's string offsets, not JavaScript's UTF-16 units) and node
//         names the grammar rule the error sits in.
import { readFileSync } from 'node:fs';
import { parser as logql } from '@grafana/lezer-logql';
import { parser as traceql } from '@grafana/lezer-traceql';

const parsers = { logql, traceql };

function codePoints(text, end) {
  return [...text.slice(0, end)].length;
}

function errors(language, query) {
  const parser = parsers[language];
  if (!parser) {
    throw new Error(`unknown query language ${JSON.stringify(language)}: one of ${Object.keys(parsers)}`);
  }
  const found = [];
  parser.parse(query).iterate({
    enter(node) {
      if (node.type.isError) {
        found.push({
          from: codePoints(query, node.from),
          to: codePoints(query, node.to),
          node: node.node.parent ? node.node.parent.name : '',
        });
      }
    },
  });
  return found;
}

const queries = JSON.parse(readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(queries.map(({ language, query }) => errors(language, query))));
