"""The report's figures: learning curves of every task in one figure, rliable's interval plot and
performance profile; PNGs that decode, written atomically, and none when there is nothing to
draw or no interval to show. Few bootstrap replicates keep it quick."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.harness.test_run_and_report import _finished_run
from trackbench.harness.curves import HEIGHT, WIDTH
from trackbench.harness.report import build_report
from trackbench.harness.report_plots import INTERVALS_FILE, PROFILE_FILE, write_intervals
from trackbench.harness.report_stats import Bootstrap, report_statistics
from trackbench.harness.plugins import load_registry

REGISTRY = load_registry()  # the runs' specs are read with the installed plugins

REPS = "100"
FINAL = {"dense": (0.2, 0.4), "track": (0.6, 0.9)}  # final success of seeds 0 and 1


def results(out: Path, seeds: int = 2, tasks: tuple[str, ...] = ("grasp_lift", "cabinet")) -> Path:
    """Finished runs of dense and track on allegro, with a learning curve each."""
    for task in tasks:
        for method, finals in FINAL.items():
            for seed in range(seeds):
                run = _finished_run(out, "allegro", task, method, seed,
                                    {"status": "ok", "success_rate": finals[seed]})
                for k in (1, 2, 3):
                    run.append_metrics({"agent_steps": 100 * k,
                                        "success_rate": finals[seed] * k / 3})
    return out


def decoded(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGB"))


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_report_writes_every_figure_beside_the_runs(cli, tmp_path):
    result = cli("report", str(results(tmp_path)), "--json", "--bootstrap-reps", REPS)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    figures = payload["figures"]
    assert figures["iqm_intervals"] == {"path": str(tmp_path / INTERVALS_FILE), "skipped": None}
    assert figures["performance_profile"] == {"path": str(tmp_path / PROFILE_FILE),
                                              "skipped": None}
    assert payload["curves_all_tasks"] == str(tmp_path / "curves.png")
    assert decoded(tmp_path / "curves.png").shape == (HEIGHT, 2 * WIDTH, 3)  # a panel per task
    for name in (INTERVALS_FILE, PROFILE_FILE):
        height, width, _ = decoded(tmp_path / name).shape
        assert 300 <= width <= 2000 and 100 <= height <= 1500, (name, width, height)
        assert decoded(tmp_path / name).std() > 10  # not a blank canvas
    assert leftovers(tmp_path) == []


def test_one_seed_gets_no_interval_plot_and_no_bands(cli, tmp_path):
    result = cli("report", str(results(tmp_path, seeds=1, tasks=("grasp_lift",))),
                 "--bootstrap-reps", REPS)
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "no IQM interval plot: no method has a 95% interval (one seed per robot/task" in text
    assert not (tmp_path / INTERVALS_FILE).exists()
    assert f"performance profile: {tmp_path / PROFILE_FILE}" in text  # the profile, without band
    from trackbench.harness.curves import collect

    curves = collect(tmp_path, registry=REGISTRY)["grasp_lift"]
    assert [c.legend() for c in curves] == ["dense (n=1, no band)", "track (n=1, no band)"]
    assert all(np.isnan(c.low).all() and np.isnan(c.high).all() for c in curves)
    assert not (tmp_path / "curves.png").exists()  # one task: its own PNG is the figure
    assert leftovers(tmp_path) == []


def test_nothing_finished_writes_no_figure(cli, tmp_path):
    _finished_run(tmp_path, "allegro", "grasp_lift", "dense", 0, None)  # interrupted
    result = cli("report", str(tmp_path), "--json", "--bootstrap-reps", REPS)
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)["figures"]
    assert figures["iqm_intervals"] == {"path": None, "skipped": "no finished run"}
    assert figures["performance_profile"] == {"path": None, "skipped": "no finished run"}
    assert not list(tmp_path.glob("*.png")) and leftovers(tmp_path) == []


def test_a_failed_write_keeps_the_old_figure_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    out = results(tmp_path, tasks=("grasp_lift",))
    report = build_report(out, registry=REGISTRY)
    stats = report_statistics(report, Bootstrap(reps=100))
    (out / INTERVALS_FILE).write_bytes(b"the earlier figure")

    def full_disk(self, target, **kwargs):
        Path(target).write_bytes(b"\x89PNG half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", full_disk)
    with pytest.raises(OSError, match=INTERVALS_FILE):
        write_intervals(out / INTERVALS_FILE, stats)
    assert (out / INTERVALS_FILE).read_bytes() == b"the earlier figure"
    assert leftovers(out) == []
