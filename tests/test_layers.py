"""The layout is the architecture: each folder is a layer, and imports only run downwards.

registry (ledger and rules) ← spiders (observation), reports (presentation) ← govmedia (the
application). A lazy import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("registry", "spiders", "reports", "govmedia")
# What each layer may import of the others.
ALLOWED: dict[str, set[str]] = {
    "registry": set(),
    "spiders": {"registry"},
    "reports": {"registry"},
    "govmedia": {"registry", "spiders", "reports"},
}


def imported_layers(path: Path) -> set[tuple[str, int]]:
    """(layer, line) for every import of a project layer in `path`."""
    found: set[tuple[str, int]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            if top in LAYERS:
                found.add((top, node.lineno))
    return found


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_imports_only_the_layers_below_it(layer):
    wrong = sorted(
        f"{path.relative_to(ROOT)}:{line}: imports {other}"
        for path in (ROOT / layer).rglob("*.py")
        for other, line in imported_layers(path)
        if other != layer and other not in ALLOWED[layer]
    )
    assert wrong == []


def test_the_check_sees_a_lazy_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from reports.files import write_text\n", encoding="utf-8")
    assert imported_layers(module) == {("reports", 2)}


# The silence rules are worded in registry/compliance.py alone (rule_condition, rule_text,
# shutdown_flag_text); reports and the application build their sentences from those.
RULE_WORDING = re.compile(r"天内无更新|天以上未更新|每周至少更新")


@pytest.mark.parametrize("layer", ("reports", "govmedia", "spiders"))
def test_no_rule_is_worded_outside_compliance(layer):
    wrong = sorted(
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / layer).rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if RULE_WORDING.search(line)
    )
    assert wrong == []
