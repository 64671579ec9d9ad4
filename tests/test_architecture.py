"""The import graph of the ``trackbench`` package has no cycles.

The graph is computed statically from the source (``ast``), so a cycle is found whether or not a
test happens to import the modules in the order that breaks. What counts as an edge A → B:

- ``import B`` and ``from B import name`` anywhere in A: at module level *and* inside functions or
  methods. A function-level import does not make a cycle go away, it only defers the failure to
  the first call and hides the dependency from the reader; the dependency is still there.
- ``from P import name`` where ``P.name`` is itself a module counts as an edge to ``P.name``
  (``from trackbench.harness import registry``).
- Imports under ``if TYPE_CHECKING:`` do **not** count: they never run, so they cannot take part
  in an import-time cycle, and annotations legitimately name types from modules that depend on
  the annotating one.

Only edges between modules of the ``trackbench`` package are kept; a package's ``__init__`` is
the module named by the package itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

import trackbench

PACKAGE_ROOT = Path(trackbench.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE_ROOT.rglob("*.py"))}


def _is_type_checking_guard(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_imports(tree: ast.AST):
    """Every Import / ImportFrom node that can run: all of them but those under TYPE_CHECKING."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking_guard(node):
            for child in node.orelse:  # the `else:` branch does run
                yield from _runtime_imports_in(child)
            continue
        yield from _runtime_imports_in(node)


def _runtime_imports_in(node: ast.AST):
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield node
    yield from _runtime_imports(node)


def _absolute(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The ``trackbench`` modules ``name`` imports at run time (see the module docstring)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    targets: set[str] = set()
    for node in _runtime_imports(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
            continue
        source = _absolute(node, name, path.name == "__init__.py")
        for alias in node.names:
            submodule = f"{source}.{alias.name}"
            targets.add(submodule if submodule in modules else source)
    return {target for target in targets if target in modules and target != name}


def import_graph() -> dict[str, set[str]]:
    modules = package_modules()
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component that has one (Tarjan), each as a closed path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph[node]):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_cycle_within(component, graph) for component in components]


def _cycle_within(component: set[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest closed path through the component's first module (breadth-first)."""
    start = min(component)
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for successor in sorted(graph[node] & component):
                if successor == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if successor not in parents:
                    parents[successor] = node
                    following.append(successor)
        frontier = following
    raise AssertionError(f"no cycle in component {sorted(component)}")


def test_the_package_has_no_import_cycles():
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join(cycle) for cycle in cycles)


def test_the_cycle_finder_finds_a_cycle_and_ignores_a_chain():
    chain = {"a": {"b"}, "b": {"c"}, "c": set()}
    assert find_cycles(chain) == []
    looped = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(looped) == [["a", "b", "c", "a"]]


def test_type_checking_imports_do_not_count_but_function_imports_do(tmp_path):
    modules = {"trackbench.x": tmp_path / "x.py", "trackbench.y": tmp_path / "y.py",
               "trackbench.z": tmp_path / "z.py"}
    modules["trackbench.x"].write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from trackbench.y import Y\n"
        "def later():\n    from trackbench import z\n")
    assert imported_modules("trackbench.x", modules["trackbench.x"], modules) == {"trackbench.z"}


def test_only_cli_commands_load_the_registry():
    """Everything below the CLI is handed the registry (``Method.setup``, ``load_predictor``,
    ``VecEnv.build``), so that a test's registry is the one used and a process loads the entry
    points once; a plugin or harness module that imported the plugin manager would load its own.
    ``trackbench.testing`` stands where the CLI does, at the top: a plugin's test suite calls it
    instead of ``trackbench run``, and it hands the registry it loads down the same way."""
    loaders = {module for module, targets in import_graph().items()
               if "trackbench.harness.plugins" in targets}
    outside_cli = sorted(m for m in loaders if not m.startswith("trackbench.harness.cli.")
                         and m != "trackbench.testing")
    assert not outside_cli, f"load the registry themselves: {outside_cli}"


def test_the_readme_layout_names_every_package_of_the_tree():
    """README's "Layout" block is the map of the architecture: every subpackage (harness,
    kit, plugins and the folders under them) and every top-level module appears in it."""
    readme = (PACKAGE_ROOT.parent / "README.md").read_text()
    layout = readme.split("## Layout", 1)[1].split("```")[1]
    packages = [path.parent for path in PACKAGE_ROOT.rglob("__init__.py")
                if path.parent != PACKAGE_ROOT]
    named = [f"{package.name}/" for package in packages]
    named += [f"trackbench/{path.name}" for path in PACKAGE_ROOT.glob("*.py")]
    missing = sorted(name for name in named if name not in layout)
    assert not missing, f"README's Layout does not name: {missing}"
