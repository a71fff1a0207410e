#!/usr/bin/env bash
# The whole test suite in two pytest processes side by side, their coverage of tta_otel combined.
#
# The tests that use the native stack on its fixed ports (one stack at a time on a machine; marked
# ``fixed_ports``: tests/stack/conftest.py marks those that use the stack's fixtures) run in one
# process. Every other test takes free ports and runs in the second process. Much of the stack's
# time is spent waiting on stores, so the two overlap well even on two cores.
#
# The stack's output goes to a file and is printed when it ends; the run fails when either
# process fails or coverage is under 90 %. On any exit, the stack's pytest is stopped by pid with
# SIGTERM, which its stack fixture turns into an interrupt so that the stack is stopped too (its
# components run in sessions of their own); SIGKILL only if it has not ended within two minutes.
# Job control (set -m) starts it in its own process group: Ctrl-C reaches this script, which stops it.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
stack_log=$(mktemp "${TMPDIR:-/tmp}/tta-otel-stack-tests.XXXXXX")
stack_pid=
cleanup() {
    if [[ -n $stack_pid ]] && kill -0 "$stack_pid" 2>/dev/null; then
        kill -TERM "$stack_pid" 2>/dev/null
        for _ in {1..120}; do
            kill -0 "$stack_pid" 2>/dev/null || break
            sleep 1
        done
        kill -KILL "$stack_pid" 2>/dev/null
        wait "$stack_pid" 2>/dev/null
    fi
    rm -f "$stack_log"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rm -f .coverage .coverage.*
set -m
COVERAGE_FILE=.coverage.stack "$BIN/python" -m pytest --cov=tta_otel --cov-report= --durations=10 \
    -m fixed_ports >"$stack_log" 2>&1 &
stack_pid=$!
set +m

COVERAGE_FILE=.coverage.rest "$BIN/python" -m pytest --cov=tta_otel --cov-report= --durations=10 -m "not fixed_ports"
rest=$?

wait "$stack_pid"
stack=$?
stack_pid=
echo "=== the tests on the native stack's fixed ports ==="
cat "$stack_log"

"$BIN/coverage" combine --quiet .coverage.stack .coverage.rest
"$BIN/coverage" report --fail-under=90
covered=$?

echo "=== other tests: exit $rest; stack tests: exit $stack; coverage: exit $covered ==="
((rest == 0 && stack == 0 && covered == 0))
