#!/usr/bin/env bash
# The whole test suite in two pytest processes side by side, their coverage of tta_otel combined.
#
# The native stack's tests hold the stack's fixed ports (one stack at a time on a machine), so
# they run in one process: tests/stack and the one integration test that starts a stack. Every
# other test takes free ports and runs in the second process. Much of the stack's time is spent
# waiting on stores, so the two overlap well even on two cores.
#
# The stack's output goes to a file and is printed when it ends; the run fails when either
# process fails or coverage is under 90 %. On any exit, the stack's pytest is stopped by pid.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
STACK_TESTS=(tests/stack tests/integration/test_stack_up_all_or_nothing.py)
stack_log=$(mktemp "${TMPDIR:-/tmp}/tta-otel-stack-tests.XXXXXX")
stack_pid=
cleanup() {
    if [[ -n $stack_pid ]] && kill -0 "$stack_pid" 2>/dev/null; then
        kill -TERM "$stack_pid" 2>/dev/null
        wait "$stack_pid" 2>/dev/null
    fi
    rm -f "$stack_log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -f .coverage .coverage.*
COVERAGE_FILE=.coverage.stack "$BIN/python" -m pytest --cov=tta_otel --cov-report= "${STACK_TESTS[@]}" \
    >"$stack_log" 2>&1 &
stack_pid=$!

ignored=()
for path in "${STACK_TESTS[@]}"; do ignored+=("--ignore=$path"); done
COVERAGE_FILE=.coverage.rest "$BIN/python" -m pytest --cov=tta_otel --cov-report= "${ignored[@]}"
rest=$?

wait "$stack_pid"
stack=$?
stack_pid=
echo "=== the native stack's tests (${STACK_TESTS[*]}) ==="
cat "$stack_log"

"$BIN/coverage" combine --quiet .coverage.stack .coverage.rest
"$BIN/coverage" report --fail-under=90
covered=$?

echo "=== other tests: exit $rest; stack tests: exit $stack; coverage: exit $covered ==="
((rest == 0 && stack == 0 && covered == 0))
