"""The imports of models/ and callbacks/, read from the source: all at module level, no cycle
among the models modules, and callbacks below models (DESIGN's floors)."""

import ast
from pathlib import Path

import unrolled

SRC = Path(unrolled.__file__).parent


def _imports(path):
    """(module-level unrolled imports as dotted names, unrolled imports inside functions)."""
    tree = ast.parse(path.read_text())
    top = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module.startswith("unrolled"):
            # `from unrolled.models import fit` imports the module unrolled.models.fit
            for alias in node.names:
                sub = SRC.joinpath(*node.module.split(".")[1:], alias.name)
                top.add(
                    f"{node.module}.{alias.name}"
                    if sub.with_suffix(".py").exists()
                    else node.module
                )
        elif isinstance(node, ast.Import):
            top.update(a.name for a in node.names if a.name.startswith("unrolled"))
    inner = [
        ast.unparse(node)
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom) and "unrolled" in ast.unparse(node)
    ]
    return top, inner


def _modules(package):
    return {
        f"unrolled.{package}.{path.stem}": path
        for path in (SRC / package).glob("*.py")
        if path.stem != "__init__"
    }


def test_models_and_callbacks_import_at_module_level_without_a_cycle():
    modules = {**_modules("models"), **_modules("callbacks")}
    graph = {}
    for name, path in modules.items():
        top, inner = _imports(path)
        assert inner == [], f"{name} imports inside a function: {inner}"
        graph[name] = {m for m in top if m in modules}
        if name.startswith("unrolled.callbacks"):
            assert not any(m.startswith("unrolled.models") for m in top), name
    done = set()

    def visit(name, path):  # depth-first; meeting a module on the current path is a cycle
        assert name not in path, " -> ".join([*path, name])
        if name not in done:
            for dep in graph[name]:
                visit(dep, [*path, name])
            done.add(name)

    for name in graph:
        visit(name, [])
