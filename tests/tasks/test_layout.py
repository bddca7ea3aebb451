"""The tasks' layout: no task imports another task, and no import cycle, not even one dodged
by an import inside a function."""

import ast
import importlib
from pathlib import Path

import unrolled.tasks

ROOT = Path(unrolled.tasks.__file__).parent
TASKS = sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name[0] != "_")


def module_name(path):
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(("unrolled", *parts))


def imports(path):
    """The unrolled.tasks modules `path` imports anywhere in it, at module level or inside a
    function (`from a import b` is a.b where b is a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                sub = ROOT.parent.joinpath(*node.module.split(".")[1:], alias.name)
                is_module = sub.with_suffix(".py").exists() or sub.is_dir()
                found.add(f"{node.module}.{alias.name}" if is_module else node.module)
    return {name for name in found if name.startswith("unrolled.tasks.")}


MODULES = {module_name(p): p for p in ROOT.rglob("*.py")}


def test_no_task_imports_another_task():
    for name, path in MODULES.items():
        own = name.split(".")[2] if name != "unrolled.tasks" else "_shared"
        for other in imports(path):
            task = other.split(".")[2]
            assert task == own or task == "_shared", f"{name} imports {other}"


def test_no_import_cycle():
    graph = {name: imports(path) & MODULES.keys() for name, path in MODULES.items()}
    done, on_path = set(), []

    def visit(name):
        if name in on_path:
            raise AssertionError("import cycle: " + " -> ".join(on_path[on_path.index(name) :]))
        if name not in done:
            on_path.append(name)
            for other in graph[name]:
                visit(other)
            on_path.pop()
            done.add(name)

    for name in graph:
        visit(name)


def test_every_task_package_exports_config_and_run():
    for task in TASKS:
        package = importlib.import_module(f"unrolled.tasks.{task}")
        assert {"add_parser", "run"} <= set(package.__all__), task
        assert any(name.endswith("Config") for name in package.__all__), task
