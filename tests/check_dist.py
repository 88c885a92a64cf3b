"""Check what the built sdist and wheel hold (``make release-check``): the package with its ``py.typed``,
the console scripts, LICENSE and README, and none of the tests, cassettes, notebooks or benchmarks.

    python tests/check_dist.py dist
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

#: Top-level folders of the repository that must not ship.
NOT_SHIPPED = ("tests/", "cassettes/", "notebooks/", "benchmarks/", ".ci/", ".github/")
SCRIPTS = ("nanogpt-demo", "nanogpt-emulator", "nanogpt-batch")


def wheel_problems(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(info).decode("utf-8"))
        entry_points = archive.read(info.replace("METADATA", "entry_points.txt")).decode("utf-8")
    problems = [f"{path.name}: ships {name}" for name in names if name.startswith(NOT_SHIPPED)]
    problems += [
        f"{path.name}: ships {name} outside the package"
        for name in names
        if not name.startswith(("nanogpt_integrations/", "nanogpt_integrations-"))
    ]
    for required in ("nanogpt_integrations/py.typed", "nanogpt_integrations/testing/emulator.py"):
        if required not in names:
            problems.append(f"{path.name}: {required} is missing")
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
        problems.append(f"{path.name}: LICENSE is missing")
    if metadata.get("License-Expression") != "MIT":
        problems.append(f"{path.name}: License-Expression is {metadata.get('License-Expression')!r}")
    if (
        metadata.get("Description-Content-Type") != "text/markdown"
        or "## Install" not in metadata.get_payload()
    ):
        problems.append(f"{path.name}: the README is not the long description")
    problems += [
        f"{path.name}: no {script} console script" for script in SCRIPTS if script not in entry_points
    ]
    return problems


def sdist_problems(path: Path) -> list[str]:
    with tarfile.open(path) as archive:
        root, *_ = archive.getnames()[0].split("/")
        names = [name.removeprefix(f"{root}/") for name in archive.getnames()]
    problems = [f"{path.name}: ships {name}" for name in names if name.startswith(NOT_SHIPPED)]
    required = (
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "CHANGELOG.md",
        "nanogpt_integrations/py.typed",
        "PKG-INFO",
    )
    problems += [f"{path.name}: {name} is missing" for name in required if name not in names]
    return problems


def main(argv: list[str]) -> int:
    dist = Path(argv[0])
    wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    problems = [] if len(wheels) == 1 and len(sdists) == 1 else [f"{dist}: expected one wheel and one sdist"]
    problems += [p for wheel in wheels for p in wheel_problems(wheel)]
    problems += [p for sdist in sdists for p in sdist_problems(sdist)]
    for problem in problems:
        print(f"check_dist: {problem}", file=sys.stderr)
    if not problems:
        print(f"check_dist: {', '.join(p.name for p in wheels + sdists)} hold what they should")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
