"""Check that installing requirements.txt into an existing (e.g. ComfyUI) environment changes no installed package.

Adding new packages is fine; changing the version of one that is already there (numpy, torch, protobuf, opencv...)
is what breaks other custom nodes, so that is what this script reports and fails on.

    python scripts/check_install.py --python ~/ComfyUI/venv/bin/python            # dry run: pip's plan only
    python scripts/check_install.py --python ~/ComfyUI/venv/bin/python --install  # install, then diff pip freeze
    ... --evidence DIR                                                              # keep freezes, diff and plan in DIR

Exit status: 0 when no installed version changes, 1 when one would (or did), 2 when pip itself failed.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def normalise(name: str) -> str:
    """PEP 503 name, so 'opencv_python' and 'OpenCV-Python' compare equal."""
    return re.sub(r"[-_.]+", "-", name).lower()


def installed(python: str) -> dict[str, str]:
    """name -> version of every distribution the interpreter sees (pip's own listing, editable installs included)."""
    out = subprocess.run([python, "-m", "pip", "list", "--format", "json"], check=True, capture_output=True, text=True).stdout
    return {normalise(d["name"]): d["version"] for d in json.loads(out)}


def freeze(python: str) -> str:
    return subprocess.run([python, "-m", "pip", "freeze", "--all"], check=True, capture_output=True, text=True).stdout


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Lines 'name: old -> new' for packages present before whose version is now different or that were removed."""
    lines = []
    for name, old in sorted(before.items()):
        new = after.get(name)
        if new != old:
            lines.append(f"{name}: {old} -> {new or 'removed'}")
    return lines


def added(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return [f"{name}=={version}" for name, version in sorted(after.items()) if name not in before]


def pip_install(python: str, requirements: Path, extra: list[str]) -> subprocess.CompletedProcess:
    cmd = [python, "-m", "pip", "install", "-r", str(requirements), *extra]
    return subprocess.run(cmd, capture_output=True, text=True)


def planned(python: str, requirements: Path, report: Path) -> dict[str, str]:
    """name -> version of what `pip install -r` would install (pip's resolver, nothing written)."""
    proc = pip_install(python, requirements, ["--dry-run", "--quiet", "--report", str(report)])
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(2)
    items = json.loads(report.read_text())["install"]
    return {normalise(i["metadata"]["name"]): i["metadata"]["version"] for i in items}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable, help="the interpreter of the environment to check (default: this one)")
    parser.add_argument("-r", "--requirements", type=Path, default=ROOT / "requirements.txt", help="requirements file to install")
    parser.add_argument("--install", action="store_true", help="really install, then compare pip freeze before and after")
    parser.add_argument("--evidence", type=Path, help="folder to keep before/after freezes, the diff and pip's plan in")
    args = parser.parse_args(argv)

    evidence = args.evidence or Path(tempfile.mkdtemp(prefix="check_install-"))
    evidence.mkdir(parents=True, exist_ok=True)
    before = installed(args.python)
    (evidence / "before.txt").write_text(freeze(args.python))

    plan = planned(args.python, args.requirements, evidence / "plan.json")
    problems = [f"{name}: {before[name]} -> {version}" for name, version in sorted(plan.items())
                if name in before and before[name] != version]
    new = [f"{name}=={version}" for name, version in sorted(plan.items()) if name not in before]

    if args.install and not problems:
        proc = pip_install(args.python, args.requirements, ["--quiet"])
        (evidence / "install.log").write_text(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            return 2
        after = installed(args.python)
        (evidence / "after.txt").write_text(freeze(args.python))
        problems = changed(before, after)
        new = added(before, after)

    verdict = "CHANGES INSTALLED VERSIONS" if problems else "ok: no installed version changes"
    report = [f"{args.python} <- pip install -r {args.requirements} ({'installed' if args.install else 'dry run'})", verdict]
    report += [f"  changed  {line}" for line in problems] + [f"  new      {line}" for line in new]
    (evidence / "diff.txt").write_text("\n".join(report) + "\n")
    print("\n".join(report))
    print(f"evidence: {evidence}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
