"""docs/plugins.md runs: its code blocks are the files of the guide's plugin package.

The package is written to disk with the entry point its pyproject declares (the ``.dist-info``
pip would write, so ``importlib.metadata`` finds it), loaded by the plugin manager like any
installed package, planned and stepped; its own tests (the guide's ``tests/test_pinch.py``) run
here too, and its console example is what ``trackbench run`` prints.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import sys
import tomllib
from pathlib import Path

import pytest
import torch

from tests.test_architecture import package_modules
from tests.test_plugin_boundary import all_imports, collision_literals, plugin_violations
from trackbench.harness.env import VecEnv
from trackbench.harness.matrix import plan
from trackbench.harness.plugins import load_registry
from trackbench.harness.specs import MatrixSpec

GUIDE = Path(__file__).parents[1] / "docs" / "plugins.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
HEADER = re.compile(r"# ([\w/]+\.(?:py|toml))")  # a block's first line: the file it is
PACKAGE = "trackbench_pinch"
GUIDE_TESTS = "tests/test_pinch.py"
# What a test of the package may import of trackbench besides what its modules may.
TEST_IMPORTS = {"trackbench.testing"}


def code_blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(GUIDE.read_text()) if lang == language]


def guide_files() -> dict[str, str]:
    """Path → text of every python and toml block of the guide."""
    files = {}
    for block in code_blocks("python") + code_blocks("toml"):
        header = HEADER.fullmatch(block.partition("\n")[0])
        assert header, f"a code block of {GUIDE} does not open with '# <path>':\n{block}"
        assert header[1] not in files, f"two code blocks of {GUIDE} are {header[1]}"
        files[header[1]] = block
    return files


def guide_test_names() -> list[str]:
    return re.findall(r"^def (test_\w+)", guide_files()[GUIDE_TESTS], re.MULTILINE)


@pytest.fixture(scope="module")
def guide_package(tmp_path_factory):
    """The guide's package on sys.path, its entry point installed; removed afterwards."""
    root = tmp_path_factory.mktemp("trackbench-pinch")
    files = guide_files()
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    (root / PACKAGE / "__init__.py").write_text("")
    project = tomllib.loads(files["pyproject.toml"])["project"]
    info = root / f"{PACKAGE}-{project['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\n"
                                   f"Version: {project['version']}\n")
    (info / "entry_points.txt").write_text("[trackbench]\n" + "".join(
        f"{name} = {value}\n" for name, value in project["entry-points"]["trackbench"].items()))
    sys.path.insert(0, str(root))
    yield root
    sys.path.remove(str(root))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[name]


def test_the_guide_is_the_package_it_describes():
    assert set(guide_files()) == {
        "pyproject.toml", f"{PACKAGE}/robot.py", f"{PACKAGE}/task.py", f"{PACKAGE}/method.py",
        f"{PACKAGE}/hooks.py", GUIDE_TESTS}
    assert guide_test_names(), "the guide's tests are parametrized from it: none would run"


def test_the_package_imports_trackbench_only_through_the_public_api(guide_package):
    modules = package_modules()
    problems = []
    for path in sorted((guide_package / PACKAGE).glob("*.py")):
        problems += plugin_violations(f"{PACKAGE}.{path.stem}", path, PACKAGE, modules)
        problems += collision_literals(path)  # named groups from the API, as every plugin
    tests = guide_package / GUIDE_TESTS
    problems += [f"{tests}:{line}: imports {target}"
                 for line, target in all_imports("test_pinch", tests, modules)
                 if target.split(".")[0] == "trackbench"
                 and target not in {"trackbench", "trackbench.api"} | TEST_IMPORTS]
    assert not problems, "\n".join(problems)


def test_the_package_loads_through_its_entry_point(guide_package):
    registry = load_registry()
    assert not registry.problems
    for kind, name in (("robots", "pinch"), ("tasks", "push_box"), ("methods", "nearby")):
        entry = registry.get(kind, name)
        assert (entry.package, entry.entry_point) == ("trackbench-pinch", "pinch")


def test_a_cell_of_the_guide_rewards_what_the_guide_says(guide_package):
    registry = load_registry()
    matrix = MatrixSpec(robots=["pinch"], tasks=["push_box"], methods=["nearby"], num_envs=2)
    env = VecEnv.build(plan(matrix, registry)[0], registry)
    assert env.rewards.names == ["progress", "pushed", "near", "energy"]
    start_x = env.engine.state.object_pos[:, 0, 0].clone()
    generator = torch.Generator().manual_seed(0)
    for _ in range(3):
        step = env.step(torch.rand(2, env.num_actions, generator=generator) * 2 - 1)
    assert not step.done.any()
    state, n_arm = env.engine.state, len(env.task.robot.arm_joints)
    distance, scale = env.task.spec.distance, env.method.spec.scale
    progress = (state.object_pos[:, 0, 0] - start_x).clamp(0, distance) / distance
    tips = (state.keypoints - state.object_pos[:, :1]).norm(dim=-1).mean(dim=1)
    speed = state.joint_vel.abs()
    energy = -(0.003 * speed[:, :n_arm].sum(dim=1) + 0.0003 * speed[:, n_arm:].sum(dim=1))
    # group "task": progress (weight 1) + pushed (10, not pushed yet); near at weight 0.1
    expected = progress + 0.1 * (1 - torch.tanh(tips / scale)) + energy
    assert torch.allclose(step.reward, expected, atol=1e-5)


def test_the_validation_hooks_find_what_the_guide_says(guide_package):
    from trackbench_pinch.method import Nearby
    from trackbench_pinch.robot import PinchHand
    from trackbench_pinch.task import PushBox

    hand, push_box = PinchHand.Spec(), PushBox(PushBox.Spec())
    assert PinchHand(hand).check_model() == []
    assert PinchHand(PinchHand.Spec(payload=0.1)).check_model() == [
        "the hand weighs 0.40 kg, more than the arm's 0.1 kg payload"]
    thumb_only = PinchHand.Spec(keypoints=hand.keypoints[:1])
    assert push_box.check_compatible(hand) == []
    assert push_box.check_compatible(thumb_only) == [
        "the robot plays no index fingertip (human index 8) to push with"]
    assert Nearby(Nearby.Spec()).check_compatible(push_box, hand) == []
    assert Nearby(Nearby.Spec(group="other")).check_compatible(push_box, hand) == [
        "task 'push_box' has no reward group 'other' (it has: dense, task)"]
    assert Nearby(Nearby.Spec()).check_compatible(push_box, PinchHand.Spec(keypoints=())) == [
        "the robot has no keypoints to bring near the target"]


def test_the_guide_console_example_is_what_run_prints(guide_package, cli):
    block = next(b for b in code_blocks("console") if "error:" in b)
    command, *expected = block.strip().splitlines()
    result = cli(*shlex.split(command.removeprefix("$ trackbench ")))
    assert result.exit_code == 2, result.output
    for line in expected:
        assert line in result.output, f"{line!r} not in:\n{result.output}"


@pytest.mark.parametrize("name", guide_test_names())
def test_the_guide_package_passes_its_own_tests(guide_package, name):
    spec = importlib.util.spec_from_file_location("trackbench_pinch_tests",
                                                  guide_package / GUIDE_TESTS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    getattr(module, name)()
