"""Every spec field takes effect: each field of every registered plugin's Spec, and of PPOSpec,
is read by the code that uses it.

A static check, by the syntax tree (docstrings and comments do not count): a field counts as
read where the code takes it as an attribute (``spec.width``, ``self.spec.width``, ``ppo.gamma``)
or as a string key (``data.get("preset")``, ``getattr(spec, "x")``, ``config["x"]``). Where:

- a field a plugin's own Spec declares must be read in the plugin's package folder
  (``trackbench/plugins/<kind>/``: its module and helpers such as ``tasks/lifting.py``); a
  predictor's also in the host's predictor services (``trackbench/harness/predictors/``), which
  train it from its spec (``lr``, ``batch_size``, ...);
- a field of a contract spec in ``trackbench/harness`` (RobotSpec, TaskSpec, DatasetSpec, ...)
  is read by the host or by other plugins through the contract (an engine reads
  ``arm_speed_scale`` of the robot), so anywhere in the package;
- ``preset`` is read by the Spec's own validator (``with_preset`` fills the other fields).

Blind spot: a field read under a name that other code also reads passes; the check catches a
field nothing reads at all, which is how a setting silently stops taking effect.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap
from pathlib import Path

import pytest
from pydantic import Field

import trackbench
from trackbench.harness.plugins import load_registry
from trackbench.harness.predictor import PredictorSpec
from trackbench.harness.specs import PluginSpec
from trackbench.harness.training import ppo

PACKAGE = Path(trackbench.__file__).parent
PREDICTOR_SERVICES = PACKAGE / "harness" / "predictors"
KINDS = ("robots", "tasks", "methods", "engines", "predictors", "datasets")


@functools.lru_cache(maxsize=None)
def _names_read(path: Path) -> frozenset[str]:
    """Attribute names loaded, and string constants used as keys or call arguments, in a file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            names.add(node.attr)
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
            names.add(str(node.slice.value))
        elif isinstance(node, ast.Call):
            names.update(arg.value for arg in node.args
                         if isinstance(arg, ast.Constant) and isinstance(arg.value, str))
    return frozenset(names)


def _read_in(files, field: str) -> bool:
    return any(field in _names_read(path) for path in files)


def _declared_by(spec: type, field: str) -> type:
    """The most basic class of ``spec`` that declares ``field`` (its contract, if any)."""
    return next(k for k in reversed(spec.__mro__) if field in getattr(k, "__annotations__", {}))


def unread_fields(plugin: type) -> list[str]:
    """Fields of ``plugin.Spec`` that no code in their scope reads (see the module docstring)."""
    unread = []
    for field in plugin.Spec.model_fields:
        home = Path(inspect.getsourcefile(_declared_by(plugin.Spec, field)))
        scopes = [PACKAGE] if home.is_relative_to(PACKAGE / "harness") else [home.parent]
        if issubclass(plugin.Spec, PredictorSpec):
            scopes.append(PREDICTOR_SERVICES)
        if field == "preset" and "with_preset" in inspect.getsource(plugin.Spec):
            continue
        if not _read_in([path for scope in scopes for path in scope.rglob("*.py")], field):
            unread.append(field)
    return unread


def _plugins():
    registry = load_registry()
    return [pytest.param(registry.get(kind, name).cls, id=f"{kind}:{name}")
            for kind in KINDS for name in registry.names(kind)]


@pytest.mark.parametrize("plugin", _plugins())
def test_every_field_of_every_plugin_spec_is_read(plugin):
    assert unread_fields(plugin) == []


def test_every_ppo_field_reaches_the_rl_games_config_or_the_trainer():
    training = PACKAGE / "harness" / "training"
    readers = [training / "trainer.py", training / "agent.py", training / "evaluate.py",
               PACKAGE / "harness" / "execute.py"]
    through_methods = _read_by_spec_methods(readers)
    unread = [field for field in ppo.PPOSpec.model_fields
              if field != "preset" and field not in _read_by_rl_games_config()
              and not _read_in(readers, field) and field not in through_methods]
    assert unread == []
    assert "with_preset" in inspect.getsource(ppo.PPOSpec)  # how `preset` takes effect


def _read_by_rl_games_config() -> set[str]:
    """Attributes rl_games_config reads, with those of the PPOSpec methods it calls
    (``minibatch_for`` reads ``minibatch_size``)."""
    read = _attributes_of(ppo.rl_games_config)
    for name in list(read):
        method = getattr(ppo.PPOSpec, name, None)
        if inspect.isfunction(method):
            read |= _attributes_of(method)
    return read


def _read_by_spec_methods(files) -> set[str]:
    """Attributes read by the PPOSpec methods these files call (``init_checkpoint`` reads
    ``init_from``)."""
    read: set[str] = set()
    for path in files:
        for name in _names_read(path):
            method = getattr(ppo.PPOSpec, name, None)
            if inspect.isfunction(method):
                read |= _attributes_of(method)
    return read


def _attributes_of(function) -> set[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}


def test_a_field_nothing_reads_is_found(tmp_path):
    from trackbench.plugins.datasets.trackr import TrackrDataset

    class Forgotten(TrackrDataset):
        class Spec(TrackrDataset.Spec):
            smoothing: float = Field(default=0.0, description="declared, never read")

    assert unread_fields(Forgotten) == ["smoothing"]


def test_a_predictor_field_nothing_reads_is_found_though_the_host_trains_it():
    from trackbench.plugins.predictors.transformer import Transformer

    class Forgotten(Transformer):
        class Spec(Transformer.Spec):
            dropout: float = Field(default=0.0, description="declared, never read")

    assert unread_fields(Forgotten) == ["dropout"]


def test_an_added_setting_reads_absent_as_its_earlier_value_and_present_as_written():
    from trackbench.api import added_setting
    from trackbench.harness.specs import as_written

    class Spec(PluginSpec):
        old: float = Field(default=1.0)
        new: bool = added_setting(False, before=True, since="2026-12-02", description="d")

    assert Spec().new is False  # a new run gets today's default
    assert as_written(Spec, {"old": 2.0}) == {"old": 2.0, "new": True}
    assert as_written(Spec, {"new": False}) == {"new": False}  # written: kept
    assert Spec.model_json_schema()["properties"]["new"]["before"] is True  # visible in the schema


def test_a_cache_key_leaves_out_an_added_setting_while_it_holds_its_earlier_value():
    """Adding a setting whose default keeps the old behaviour must not orphan a cached predictor
    (a track run that resumes reloads the cached Π_h and checks its weights)."""
    from trackbench.api import added_setting
    from trackbench.harness.specs import cache_key_values

    class Spec(PluginSpec):
        old: float = Field(default=1.0)
        new: tuple[float, float] = added_setting((1.0, 1.0), before=(1.0, 1.0),
                                                 since="2026-12-02", description="d")

    assert cache_key_values(Spec()) == {"old": 1.0}  # the key a spec without `new` had
    assert cache_key_values(Spec(new=(1.0, 2.0))) == {"old": 1.0, "new": [1.0, 2.0]}
    assert cache_key_values(Spec(old=2.0)) == {"old": 2.0}  # other fields always count


def test_a_real_task_spec_keys_its_added_setting_only_away_from_its_earlier_value():
    """The demonstrations cache keys robot and task specs the same way (demonstrations.cache_key)."""
    from trackbench.harness.plugins import load_registry
    from trackbench.harness.specs import cache_key_values

    cabinet = load_registry().get("tasks", "cabinet").cls.Spec
    assert "success_ends_episode" in cache_key_values(cabinet())  # today's default: False
    assert "success_ends_episode" not in cache_key_values(cabinet(success_ends_episode=True))
