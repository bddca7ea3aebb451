"""The package's layout, read from the imports with `ast` (DESIGN.md section 2).

The floors keep the architecture visible: the math imports nothing of ours but errors and
config, layers know nothing of models, only the tasks and the command line know the tasks, and
no task knows another. An import inside a function counts too: hiding one there to dodge a
cycle is still a cycle.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "unrolled"
TASKS = ("trace", "gradients", "memory", "nextword", "charlm", "forecast")


def module_name(path):
    """unrolled/models/fit.py -> unrolled.models.fit; a package's __init__.py -> the package."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports(name):
    """The modules of ours that module `name` imports, anywhere in it: `from a import b` is
    a.b where b is a module, else a."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from .x import y
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in MODULES else base)
    return {module for module in found if module in MODULES and module != name}


# The imports that point up the floors, inside functions on purpose: `model.export` (Keras's
# name) loads the exporters, which need onnx or torch, only when it is called; `model.save`
# and `load_model` reach the Keras file code (interop/keras.py, which imports h5py only when
# a .keras file is read or written) because Keras's users save and load through them.
DOORS = {
    ("unrolled.models.sequential", "unrolled.interop.export"),
    ("unrolled.models.sequential", "unrolled.interop.keras"),
}
GRAPH = {name: {m for m in imports(name) if (name, m) not in DOORS} for name in MODULES}


def within(name, package):
    return name == package or name.startswith(package + ".")


def test_the_package_root_holds_at_most_14_modules():
    root = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(root) <= 14, root


@pytest.mark.parametrize("task", TASKS)
def test_each_task_is_a_package(task):
    assert (PACKAGE / "tasks" / task / "__init__.py").is_file()


def test_tasks_holds_only_packages():
    loose = [path.name for path in (PACKAGE / "tasks").glob("*.py") if path.name != "__init__.py"]
    assert loose == []


def test_no_import_cycle():
    # depth-first search; a module met again while on the current path closes a cycle
    state = {}

    def visit(name, path):
        state[name] = "open"
        for other in sorted(GRAPH[name]):
            if state.get(other) == "open":
                cycle = path[path.index(other) :] + [other]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if other not in state:
                visit(other, [*path, other])
        state[name] = "done"

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])


@pytest.mark.parametrize("name", sorted(n for n in MODULES if within(n, "unrolled.functional")))
def test_functional_imports_only_functional_errors_and_config(name):
    allowed = ("unrolled.functional", "unrolled.errors", "unrolled.config")
    assert {m for m in GRAPH[name] if not any(within(m, a) for a in allowed)} == set()


@pytest.mark.parametrize("name", sorted(n for n in MODULES if within(n, "unrolled.layers")))
def test_layers_import_only_the_engine_below_them(name):
    # so never models, callbacks, tasks or cli
    allowed = (
        "unrolled.layers",
        "unrolled.functional",
        "unrolled.errors",
        "unrolled.config",
        "unrolled.initializers",
        "unrolled.keras_compat",
    )
    assert {m for m in GRAPH[name] if not any(within(m, a) for a in allowed)} == set()


def test_only_tasks_and_cli_import_tasks():
    outside = {
        name: sorted(m for m in GRAPH[name] if within(m, "unrolled.tasks"))
        for name in GRAPH
        if not within(name, "unrolled.tasks") and name != "unrolled.cli"
    }
    assert {name: found for name, found in outside.items() if found} == {}


@pytest.mark.parametrize("task", TASKS)
def test_no_task_imports_another_task(task):
    package = f"unrolled.tasks.{task}"
    others = [f"unrolled.tasks.{other}" for other in TASKS if other != task]
    found = {
        (name, m)
        for name in GRAPH
        if within(name, package)
        for m in GRAPH[name]
        if any(within(m, other) for other in others)
    }
    assert found == set()


def test_callbacks_never_import_models():
    found = {(n, m) for n in GRAPH if within(n, "unrolled.callbacks") for m in GRAPH[n]}
    assert {(n, m) for n, m in found if within(m, "unrolled.models")} == set()


def test_the_graph_sees_real_imports():
    # the checks above pass vacuously if the reader finds nothing: pin a few known edges
    assert "unrolled.functional.activations" in GRAPH["unrolled.functional.lstm"]
    assert "unrolled.tasks._shared.cells" in GRAPH["unrolled.tasks.forecast.model"]
    assert any(within(m, "unrolled.layers") for m in GRAPH["unrolled.models.sequential"])
    assert all(door[1] in imports(door[0]) for door in DOORS)  # no stale exception
