"""The native components of the stack: how each is built, where it is cached, how it runs.

One entry per component, read top to bottom like a manifest: the binary, its version
(from versions.env), the file whose content keys the cache, and the build. Binaries are
cached outside the repository, in ``$TTA_OTEL_CACHE`` (default ``~/.cache/tta-otel``),
under ``bin/<name>-v<version>-<12 hex of the build manifest's sha256>/``, so a second
build with the same manifest reuses them and a changed manifest rebuilds. A component built
from source folders of this repository (the collector's own processor) has their files in its
key too: a changed processor rebuilds the collector.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from tta_otel.environment_variables import cache_dir
from tta_otel.ops.stack.versions import read_versions

_PROMETHEUS_VERSION_PACKAGE = "github.com/prometheus/common/version"


def _go_flags(component: Component, version_package: str | None) -> list[str]:
    """Small static-ish binaries; Prometheus-family binaries also learn their version (else blank)."""
    ldflags = "-s -w"
    if version_package:
        ldflags += f" -X {version_package}.Version={component.version} -X {version_package}.Branch=HEAD"
    return ["-trimpath", f"-ldflags={ldflags}"]


class BuildError(RuntimeError):
    """A build that failed; the message says which command and shows its last output."""


def cache_root() -> Path:
    return cache_dir()


@dataclass(frozen=True)
class Component:
    name: str
    version: str
    binaries: tuple[str, ...]
    manifest: Path | None  # the build manifest (a builder config or a wrapper go.mod); None: the version alone
    build: Callable[[Component, Path, Path], None]  # (component, repository, output directory)
    recipe: str = ""  # how the build is done (its flags): a new recipe is a new cache entry
    sources: tuple[Path, ...] = ()  # folders of this repository compiled into the binary

    def cache_dir(self) -> Path:
        digest = hashlib.sha256(f"{self.version}\n{self.recipe}\n".encode())
        if self.manifest is not None:
            digest.update(self.manifest.read_bytes())
            checksums = self.manifest.with_name("go.sum")
            if checksums.exists():
                digest.update(checksums.read_bytes())
        for folder in self.sources:
            for path in _source_files(folder):
                digest.update(f"{path.relative_to(folder).as_posix()}\n".encode())
                digest.update(path.read_bytes())
        return cache_root() / "bin" / f"{self.name}-v{self.version}-{digest.hexdigest()[:12]}"

    def binary(self, name: str | None = None) -> Path:
        return self.cache_dir() / (name or self.binaries[0])

    def is_built(self) -> bool:
        return all((self.cache_dir() / binary).is_file() for binary in self.binaries)


def _source_files(folder: Path) -> list[Path]:
    """The files of a Go module that go into its binary: sources (not tests), go.mod and go.sum."""
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and (path.name in ("go.mod", "go.sum") or (path.suffix == ".go" and not path.name.endswith("_test.go")))
    )


def _run(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    go_env = {**os.environ, "GOFLAGS": "-mod=mod", **(env or {})}
    result = subprocess.run(command, cwd=cwd, env=go_env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-25:])
        raise BuildError(f"`{' '.join(command)}` failed (exit {result.returncode}):\n{tail}")


def _require_go() -> str:
    go = shutil.which("go")
    if go is None:
        raise BuildError("Go is not installed: install Go 1.26 (https://go.dev/doc/install) and run the build again")
    return go


def _go_install(package: str, version_package: str | None = None) -> Callable[[Component, Path, Path], None]:
    def build(component: Component, repository: Path, output: Path) -> None:
        for binary in component.binaries:
            path = package.format(binary=binary, version=component.version)
            flags = _go_flags(component, version_package)
            _run([_require_go(), "install", *flags, path], env={"GOBIN": str(output)})

    return build


def _go_build_in_wrapper(
    module_dir: str, package: str, version_package: str | None = None
) -> Callable[[Component, Path, Path], None]:
    def build(component: Component, repository: Path, output: Path) -> None:
        for binary in component.binaries:
            target = package.format(binary=binary)
            flags = _go_flags(component, version_package)
            _run([_require_go(), "build", *flags, "-o", str(output / binary), target], cwd=repository / module_dir)

    return build


def _module_source(module: str, version: str) -> Path:
    """The module's source as the Go module proxy serves it (downloaded into the module cache)."""
    command = [_require_go(), "mod", "download", "-json", f"{module}@v{version}"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BuildError(f"`{' '.join(command)}` failed (exit {result.returncode}):\n{result.stdout}{result.stderr}")
    return Path(json.loads(result.stdout)["Dir"])


def _go_build_in_module(module: str, package: str) -> Callable[[Component, Path, Path], None]:
    """Build ``package`` inside its own module's source: for a module whose go.mod replaces some
    of its dependencies, which ``go install pkg@version`` refuses (and a wrapper module would not
    apply). The module cache is read-only, so the source is copied first."""

    def build(component: Component, repository: Path, output: Path) -> None:
        source = _module_source(module, component.version)
        with tempfile.TemporaryDirectory(prefix=f"{component.name}-build-") as workdir:
            tree = Path(workdir) / "src"
            shutil.copytree(source, tree)
            for path in (tree, *tree.rglob("*")):
                path.chmod(path.stat().st_mode | 0o200)
            for binary in component.binaries:
                flags = _go_flags(component, None)
                _run([_require_go(), "build", *flags, "-o", str(output / binary), package], cwd=tree)

    return build


def _collector_build(builder: Component) -> Callable[[Component, Path, Path], None]:
    def build(component: Component, repository: Path, output: Path) -> None:
        if not builder.is_built():
            build_component(builder, repository)
        manifest = yaml.safe_load(component.manifest.read_text())  # type: ignore[union-attr]
        for section in manifest.values():  # local modules: their paths are relative to the repository
            for entry in section if isinstance(section, list) else ():
                if isinstance(entry, dict) and "path" in entry:
                    entry["path"] = str((repository / entry["path"]).resolve())
        with tempfile.TemporaryDirectory(prefix="otelcol-build-") as workdir:
            manifest["dist"]["output_path"] = workdir
            config = Path(workdir) / "builder-config.yaml"
            config.write_text(yaml.safe_dump(manifest))
            _run([str(builder.binary()), "--config", str(config), "--ldflags=-s -w"])
            shutil.move(str(Path(workdir) / manifest["dist"]["name"]), output / component.binaries[0])

    return build


def components(repository: Path) -> dict[str, Component]:
    """Every native component, keyed by name, with versions from ``versions.env``."""
    versions = read_versions(repository / "versions.env")
    builder = Component(
        "ocb",
        versions["OTELCOL_VERSION"],
        ("builder",),
        None,
        _go_install("go.opentelemetry.io/collector/cmd/{binary}@v{version}"),
    )
    return {
        "otelcol": Component(
            "otelcol-tta",
            versions["OTELCOL_VERSION"],
            ("otelcol-tta",),
            repository / "collector-config" / "builder-config.yaml",
            _collector_build(builder),
            recipe="ocb --ldflags=-s -w",
            sources=(repository / "collector" / "privacyprocessor",),
        ),
        "prometheus": Component(
            "prometheus",
            versions["PROMETHEUS_VERSION"],
            ("prometheus", "promtool"),
            repository / "build" / "prometheus" / "go.mod",
            _go_build_in_wrapper(
                "build/prometheus", "github.com/prometheus/prometheus/cmd/{binary}", _PROMETHEUS_VERSION_PACKAGE
            ),
            recipe="go build -trimpath -ldflags=-s -w -X version",
        ),
        "alertmanager": Component(
            "alertmanager",
            versions["ALERTMANAGER_VERSION"],
            ("alertmanager", "amtool"),
            None,
            _go_install("github.com/prometheus/alertmanager/cmd/{binary}@v{version}", _PROMETHEUS_VERSION_PACKAGE),
            recipe="go install -trimpath -ldflags=-s -w -X version",
        ),
        "jaeger": Component(
            "jaeger",
            versions["JAEGER_VERSION"],
            ("jaeger",),
            repository / "build" / "jaeger" / "go.mod",
            _go_build_in_wrapper("build/jaeger", "github.com/jaegertracing/jaeger/cmd/{binary}"),
            recipe="go build -trimpath -ldflags=-s -w",
        ),
        "victorialogs": Component(
            "victoria-logs",
            versions["VICTORIALOGS_VERSION"],
            ("victoria-logs",),
            None,
            _go_install("github.com/VictoriaMetrics/VictoriaLogs/app/{binary}@v{version}"),
            recipe="go install -trimpath -ldflags=-s -w",
        ),
        "victoriametrics": Component(
            "victoria-metrics",
            versions["VICTORIAMETRICS_VERSION"],
            ("victoria-metrics",),
            repository / "build" / "victoriametrics" / "go.mod",
            _go_build_in_wrapper("build/victoriametrics", "github.com/VictoriaMetrics/VictoriaMetrics/app/{binary}"),
            recipe="go build -trimpath -ldflags=-s -w",
        ),
        # an operator's S3 bucket in the archive tests (tests/stack/test_archive_s3.py), not a stack component
        "seaweedfs": Component(
            "seaweedfs",
            versions["SEAWEEDFS_VERSION"],
            ("weed",),
            None,
            _go_build_in_module("github.com/seaweedfs/seaweedfs", "./weed"),
            recipe="go build -trimpath -ldflags=-s -w (in the module)",
        ),
        "telemetrygen": Component(
            "telemetrygen",
            versions["TELEMETRYGEN_VERSION"],
            ("telemetrygen",),
            None,
            _go_install("github.com/open-telemetry/opentelemetry-collector-contrib/cmd/{binary}@v{version}"),
        ),
    }


def build_component(component: Component, repository: Path) -> bool:
    """Build ``component`` into its cache directory unless it is there; returns whether it built."""
    if component.is_built():
        return False
    target = component.cache_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{component.name}-", dir=target.parent))
    try:
        component.build(component, repository, staging)
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return True
