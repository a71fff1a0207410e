"""A real Neo4j 5 server for the integration tests, without Docker.

Neo4j runs embedded in a small Java program (``tests/neo4j-server``, built with Maven) that
serves Bolt on 127.0.0.1 with authentication disabled, so the tests talk to it with the
official ``neo4j`` driver exactly as a service would (``auth=None``). Needs ``java`` (17 or
newer) and ``mvn`` on ``PATH``; ``JAVA_HOME`` is honoured by both.

The build (about 125 MB of jars, from Maven Central the first time) is cached outside the
repository under ``$TTA_OTEL_CACHE`` (default ``~/.cache/tta-otel``), keyed by a hash of
the pom and the Java sources, so later runs start the server without invoking Maven.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tta_otel.environment_variables import cache_dir
from tta_otel.testing.processes import free_port, wait_until

PROJECT = Path(__file__).resolve().parents[2] / "tests" / "neo4j-server"
JAR_NAME = "neo4j-server.jar"
HOST = "127.0.0.1"
# C1 only (TieredStopAtLevel=1) starts Neo4j about 30% faster; test queries never need C2.
JVM_OPTIONS = ("-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
BUILD_TIMEOUT_S = 900.0
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 30.0
LOG_TAIL_LINES = 40
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Neo4jServer:
    """A running server: connect with ``neo4j.GraphDatabase.driver(server.uri, auth=None)``.

    ``log_path`` holds the server's stdout and stderr; it is deleted when the server stops.
    """

    uri: str
    host: str
    port: int
    log_path: Path


def cache_root() -> Path:
    """Where built artifacts live: outside the repository, so they survive clean checkouts."""
    return cache_dir()


def build_neo4j_fixture() -> Path:
    """The runnable jar of ``tests/neo4j-server`` (its dependencies in ``lib/`` beside it).

    Runs Maven only when no build of the current pom and sources is cached; a build goes
    to a private folder that is renamed into place when complete, so an interrupted or
    concurrent build never leaves a half-built cache entry behind.
    """
    target = cache_root() / "neo4j-server" / _source_hash()
    jar = target / JAR_NAME
    if jar.is_file():
        return jar
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("mvn is not installed; the Neo4j test server is built with Maven: apt-get install maven")
    _java()  # fail here, saying what to install, rather than deep inside Maven
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".build-{target.name}-", dir=target.parent))
    try:
        command = [mvn, "-q", "-B", "package", f"-Dfixture.buildDirectory={staging}"]
        try:
            result = subprocess.run(
                command, cwd=PROJECT, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False
            )
        except subprocess.TimeoutExpired as error:
            output = _text(error.stdout) + _text(error.stderr)
            raise RuntimeError(
                f"building the Neo4j test server took over {BUILD_TIMEOUT_S:.0f} s:\n{_tail(output)}"
            ) from error
        if result.returncode != 0 or not (staging / JAR_NAME).is_file():
            raise RuntimeError(
                f"building the Neo4j test server failed ({' '.join(command)} in {PROJECT}, "
                f"exit status {result.returncode}):\n{_tail(result.stdout + result.stderr)}"
            )
        try:
            staging.rename(target)
        except OSError:
            if not jar.is_file():  # not another process that finished first: a real failure
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return jar


@contextmanager
def neo4j_server(port: int | None = None) -> Iterator[Neo4jServer]:
    """A throw-away Neo4j on ``port`` (a free one by default), with an empty database.

    Builds the server first if needed (minutes, the first time). Its output goes to a log
    file, never to a pipe that could fill up and block it; stdin is a pipe held open until
    the end, so the server also stops if this process dies without stopping it.
    """
    jar = build_neo4j_fixture()
    port = free_port() if port is None else port
    with tempfile.TemporaryDirectory(prefix="tta-neo4j-") as home:
        log_path = Path(home) / "server.log"
        data = Path(home) / "neo4j"
        command = [_java(), *JVM_OPTIONS, "-jar", str(jar), "--port", str(port), "--data", str(data), "--stop-on-eof"]
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
        uri = f"bolt://{HOST}:{port}"
        try:

            def ready() -> bool:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"the Neo4j test server exited with status {process.returncode}:\n{_tail_of(log_path)}"
                    )
                return f"READY {uri}" in log_path.read_text(errors="replace")

            if not wait_until(ready, timeout=START_TIMEOUT_S, interval=0.2):
                raise RuntimeError(
                    f"the Neo4j test server was not ready within {START_TIMEOUT_S:.0f} s:\n{_tail_of(log_path)}"
                )
            yield Neo4jServer(uri=uri, host=HOST, port=port, log_path=log_path)
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM lets Neo4j checkpoint and close its stores; kill only if it hangs."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdin is not None:
        process.stdin.close()


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise RuntimeError(
            "java is not installed; the Neo4j test server needs Java 17 or newer: "
            "apt-get install openjdk-17-jdk-headless"
        )
    return java


def _source_hash() -> str:
    """Changes whenever the pom or a source file does (names included), and only then."""
    digest = hashlib.sha256()
    files = [PROJECT / "pom.xml", *sorted(path for path in (PROJECT / "src").rglob("*") if path.is_file())]
    for path in files:
        digest.update(path.relative_to(PROJECT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _tail(text: str) -> str:
    """The last lines, without the colour codes that Maven prints even in batch mode."""
    return "\n".join(_ANSI_ESCAPE.sub("", text).splitlines()[-LOG_TAIL_LINES:])


def _tail_of(path: Path) -> str:
    return _tail(path.read_text(errors="replace"))


def _text(output: str | bytes | None) -> str:
    if isinstance(output, bytes):
        return output.decode(errors="replace")
    return output or ""
