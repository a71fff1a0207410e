"""Reports read from the stack's backends (the CLI side: never imported by the instrumented app)."""
