"""The engine's floors (DESIGN.md, "Layout"): functional/ is pure math on NumPy and imports
only functional/, errors and config; layers/ builds on it and never reaches up into models,
callbacks, tasks or the CLI. Every import counts, those inside functions too."""

import ast
from pathlib import Path

import pytest

import unrolled

PACKAGE = Path(unrolled.__file__).parent
ALLOWED = {
    "functional": ("unrolled.functional", "unrolled.errors", "unrolled.config"),
    "layers": (
        "unrolled.layers",
        "unrolled.functional",
        "unrolled.errors",
        "unrolled.config",
        "unrolled.initializers",
        "unrolled.keras_compat",
    ),
}


def unrolled_imports(path):
    """The `unrolled...` modules a file imports, wherever the import statement sits."""
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module == "unrolled":
            names += [f"unrolled.{alias.name}" for alias in node.names]  # import config
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return [n for n in names if n == "unrolled" or n.startswith("unrolled.")]


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_package_imports_only_its_floor_or_lower(package):
    allowed = ALLOWED[package]
    files = sorted((PACKAGE / package).rglob("*.py"))
    assert files
    above = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in files
        for name in unrolled_imports(path)
        if not any(name == a or name.startswith(a + ".") for a in allowed)
    }
    assert not above, sorted(above)
