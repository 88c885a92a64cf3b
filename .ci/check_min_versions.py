"""Check that the venv this runs in holds exactly the minimum versions pyproject.toml declares.

Run by ``make test-min`` in the venv that uv built with ``--resolution lowest-direct``: a direct
dependency installed above its declared minimum means the declared minimum cannot be installed
with the rest (raise it to what was installed), so the tests would not be testing it.
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lines = list(project["project"]["dependencies"])
    for extra in project["project"].get("optional-dependencies", {}).values():
        lines.extend(extra)
    lines.extend(project.get("dependency-groups", {}).get("dev", []))
    unique = {Requirement(line).name: Requirement(line) for line in lines}
    return sorted(unique.values(), key=lambda r: r.name)


def main() -> int:
    problems = []
    for requirement in declared():
        minimum = next((Version(s.version) for s in requirement.specifier if s.operator == ">="), None)
        try:
            installed = Version(version(requirement.name))
        except PackageNotFoundError:
            problems.append(f"{requirement.name}: not installed")
            continue
        status = "ok" if minimum is None or installed == minimum else "ABOVE the declared minimum"
        print(f"{requirement.name:<24} declared >= {minimum!s:<10} installed {installed!s:<10} {status}")
        if minimum is not None and installed != minimum:
            problems.append(f"{requirement.name}: declared >= {minimum}, lowest installable {installed}")
    if problems:
        print("\nRaise these minimums in pyproject.toml to what was installed:\n  " + "\n  ".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
