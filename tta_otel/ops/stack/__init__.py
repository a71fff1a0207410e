"""The stack around the services: collector configuration, native builds and the runner.

Tool side only: never imported by an instrumented service.
"""
