"""`trackbench --help` (and every command's --help) imports neither torch, MuJoCo, rl_games, the
plugin registry nor ``trackbench.api`` (which imports torch and MuJoCo): those cost seconds, and
help must answer at once. Commands import them when they run.

Checked on imported modules, not on time: time depends on the machine and its load; an import
of torch is what makes help slow, and it shows up in ``sys.modules`` on any machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
HEAVY_MODULES = ("torch", "mujoco", "rl_games", "trackbench.harness.registry", "trackbench.api")
HELP_INVOCATIONS = (
    ["--help"], ["list", "--help"], ["run", "--help"], ["report", "--help"], ["show", "--help"],
    ["bench", "--help"], ["video", "--help"], ["predictor", "--help"], ["predictor", "train", "--help"],
    ["predictor", "eval", "--help"], ["predictor", "probe", "--help"], ["data", "--help"],
    ["data", "synth", "--help"], ["data", "show", "--help"],
)

# Runs the console script's entry point (pyproject: trackbench.harness.cli.launch:main) in a
# fresh interpreter once per invocation, and reports which heavy modules each left imported.
PROBE = """
import json, sys
from trackbench.harness.cli.launch import main
heavy, invocations, loaded = json.loads(sys.argv[1]), json.loads(sys.argv[2]), {}
for arguments in invocations:
    sys.argv = ["trackbench", *arguments]
    try:
        main()
    except SystemExit as done:
        assert done.code in (0, None), (arguments, done.code)
    loaded[" ".join(arguments)] = [name for name in heavy if name in sys.modules]
print(json.dumps(loaded))
"""


def test_help_imports_no_torch_mujoco_rl_games_or_registry():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))}
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(HEAVY_MODULES), json.dumps(HELP_INVOCATIONS)],
        capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=120)
    assert completed.returncode == 0, completed.stderr
    loaded = json.loads(completed.stdout.strip().splitlines()[-1])
    # Modules stay imported, so the first invocation that imports one is the one to fix.
    assert all(not modules for modules in loaded.values()), loaded
