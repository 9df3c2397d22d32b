"""No module imports another module's private names (a leading underscore): what one
module shares with another is its public API, so a private helper can change freely."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ("alliance_site", "assessments", "clinicians", "integrations")


def private_imports() -> list[str]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if not isinstance(node, ast.ImportFrom):
                    continue
                for alias in node.names:
                    name = alias.name
                    if name.startswith("_") and not name.startswith("__") and name != "_":
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    return found


def test_no_module_imports_another_ones_private_names() -> None:
    assert private_imports() == []


def test_the_check_reads_the_code() -> None:
    # The walk above would pass trivially if it parsed nothing.
    assert len(list((ROOT / "assessments").rglob("*.py"))) > 20
