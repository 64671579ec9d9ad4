"""Plugins see trackbench only through ``trackbench.api``; the host never imports a plugin.

Computed statically from the source (``ast``), like ``test_architecture.py``, and stricter than
its import graph: *every* import counts here, those under ``if TYPE_CHECKING:`` included, because
an annotation that names a host module is a dependency on it all the same.

- A module of a plugin package (``trackbench/plugins/<package>/``, and the third-party example
  package ``tests/harness/toy_package/trackbench_toy``) imports of trackbench only ``trackbench``
  (``hookimpl``), ``trackbench.api`` and modules of its own package: never a host module, the kit
  directly, or another plugin package.
- No other trackbench module (the host ``trackbench/harness/``, the kit, the API) imports a plugin
  module, except the registration modules below.
- The same plugin modules name collision groups (``ROBOT_CONTYPE``, ...) rather than writing
  MuJoCo's numbers.

``trackbench.testing`` is public too, but for a plugin package's *tests* only: it imports the
host, so a plugin module importing it counts as a violation here. The guide's package
(``docs/plugins.md``) is held to the same rules by ``tests/test_docs_plugins.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.test_architecture import PACKAGE_ROOT, _absolute, module_name, package_modules

PLUGINS = "trackbench.plugins"
PUBLIC = {"trackbench", "trackbench.api"}
TOY_PACKAGE = Path(__file__).parent / "harness" / "toy_package" / "trackbench_toy"
# Host modules allowed to import plugin modules. None: the built-in plugins register through the
# same entry-point group as a third-party package (pyproject.toml), which the plugin manager
# (harness/plugins.py) loads by name, so no host module imports a plugin.
REGISTRATION_MODULES: frozenset[str] = frozenset()


def all_imports(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[int, str]]:
    """(line, module) of every import in the file, at any depth and under TYPE_CHECKING too;
    ``from P import x`` names ``P.x`` when that is a trackbench module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(node, name, path.name == "__init__.py")
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                found.append((node.lineno, submodule if submodule in modules else source))
    return found


def is_trackbench(module: str) -> bool:
    return module.split(".")[0] == "trackbench"


def plugin_package(module: str) -> str | None:
    """``trackbench.plugins.<package>`` of a plugin module, None for any other module."""
    parts = module.split(".")
    return ".".join(parts[:3]) if module.startswith(PLUGINS + ".") and len(parts) >= 3 else None


def plugin_violations(name: str, path: Path, own_package: str,
                      modules: dict[str, Path]) -> list[str]:
    """The trackbench imports of plugin module ``name`` that are not public nor its own."""
    problems = []
    for line, target in all_imports(name, path, modules):
        own = target == own_package or target.startswith(own_package + ".")
        if is_trackbench(target) and target not in PUBLIC and not own:
            problems.append(f"{path}:{line}: {name} imports {target}")
    return problems


def host_violations(name: str, path: Path, modules: dict[str, Path]) -> list[str]:
    return [f"{path}:{line}: {name} imports plugin module {target}"
            for line, target in all_imports(name, path, modules)
            if target == PLUGINS or target.startswith(PLUGINS + ".")]


def toy_modules() -> dict[str, Path]:
    return {"trackbench_toy" + ("" if path.stem == "__init__" else f".{path.stem}"): path
            for path in sorted(TOY_PACKAGE.glob("*.py"))}


def test_plugins_import_only_the_api_and_their_own_package():
    modules = package_modules()
    problems = []
    for name, path in modules.items():
        package = plugin_package(name)
        if package is not None:
            problems += plugin_violations(name, path, package, modules)
    for name, path in toy_modules().items():
        problems += plugin_violations(name, path, "trackbench_toy", modules)
    assert not problems, ("plugins must import trackbench only through trackbench.api "
                          "(and hookimpl from trackbench):\n" + "\n".join(problems))


COLLISION_FIELDS = {"contype", "conaffinity"}


def collision_literals(path: Path) -> list[str]:
    """Where ``path`` sets a geom's collision group to a number (``contype=2``, ``g.conaffinity
    = 1``) instead of naming it (``ROBOT_CONTYPE``, ``WORLD_CONAFFINITY`` from the API)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.keyword) and node.arg in COLLISION_FIELDS:
            pairs = [(node.arg, node.value)]
        elif isinstance(node, ast.Assign):
            pairs = [(target.attr, node.value) for target in node.targets
                     if isinstance(target, ast.Attribute) and target.attr in COLLISION_FIELDS]
        else:
            continue
        found += [(value.lineno, f"{path}:{value.lineno}: {field}={value.value!r}")
                  for field, value in pairs
                  if isinstance(value, ast.Constant) and isinstance(value.value, int)]
    return [problem for _, problem in sorted(found)]


def test_plugins_name_their_collision_groups():
    """MuJoCo's defaults (1/1) would make a hand's fingers collide with each other; the API's
    named groups say which side of the rule a geom is on, so no plugin writes the numbers."""
    paths = [path for name, path in package_modules().items() if plugin_package(name)]
    problems = [p for path in [*paths, *toy_modules().values()] for p in collision_literals(path)]
    assert not problems, "\n".join(problems)


def test_the_collision_check_sees_keywords_and_assignments(tmp_path):
    path = tmp_path / "hand.py"
    path.write_text("body.add_geom(contype=2, conaffinity=ROBOT_CONAFFINITY)\n"
                    "geom.conaffinity = 1\n")
    assert collision_literals(path) == [f"{path}:1: contype=2", f"{path}:2: conaffinity=1"]


def test_the_host_imports_no_plugin():
    modules = package_modules()
    problems = []
    for name, path in modules.items():
        if name == PLUGINS or name.startswith(PLUGINS + ".") or name in REGISTRATION_MODULES:
            continue
        problems += host_violations(name, path, modules)
    assert not problems, "\n".join(problems)


def test_the_boundary_check_sees_every_kind_of_import(tmp_path):
    modules = package_modules()
    root = tmp_path / "trackbench" / "plugins" / "robots"
    root.mkdir(parents=True)
    (root / "__init__.py").write_text("")
    path = root / "leap.py"
    path.write_text(
        "from typing import TYPE_CHECKING\n"
        "from trackbench import hookimpl\n"                       # allowed
        "from trackbench.api import RobotSpec\n"                  # allowed
        "from trackbench import api\n"                            # allowed
        "from . import hooks\n"                                   # its own package
        "from trackbench.plugins.robots.allegro import Allegro\n"  # its own package
        "import trackbench.harness.robot\n"                       # 7: host
        "from trackbench import harness\n"                        # 8: host
        "from trackbench.kit.ycb import mesh\n"                   # 9: the kit, not through the API
        "if TYPE_CHECKING:\n"
        "    from trackbench.harness.state import State\n"        # 11: host, annotations only
        "def build():\n"
        "    from trackbench.plugins.tasks import lifting\n")     # 13: another plugin package
    name = "trackbench.plugins.robots.leap"
    lines = [int(problem.split(":")[1])
             for problem in plugin_violations(name, path, "trackbench.plugins.robots", modules)]
    assert lines == [7, 8, 9, 11, 13]


def test_a_host_import_of_a_plugin_is_seen_even_inside_a_function(tmp_path):
    path = tmp_path / "scene.py"
    path.write_text("def later():\n    from trackbench.plugins.robots import allegro\n")
    problems = host_violations("trackbench.harness.scene", path, package_modules())
    assert problems == [f"{path}:2: trackbench.harness.scene imports plugin module "
                        "trackbench.plugins.robots.allegro"]


def test_every_plugin_package_and_the_kit_are_where_the_checks_look():
    """The checks above find something to check: a moved tree would make them pass vacuously."""
    packages = {plugin_package(module_name(path)) for path in PACKAGE_ROOT.rglob("*.py")}
    assert {f"{PLUGINS}.{kind}" for kind in
            ("engines", "robots", "tasks", "methods", "predictors", "datasets")} <= packages
    assert "trackbench_toy.hooks" in toy_modules()


def test_the_api_lists_exactly_what_it_exports():
    import trackbench.api as api

    public = {name for name in vars(api) if not name.startswith("_")}
    assert sorted(api.__all__) == sorted(set(api.__all__)), "a name is listed twice"
    assert set(api.__all__) == public, (set(api.__all__) ^ public)
