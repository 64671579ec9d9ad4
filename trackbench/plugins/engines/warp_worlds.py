"""One scene variant's worlds on one warp device: an mjwarp Model and Data, zero-copy torch views
of the arrays the ``mjwarp`` engine reads and writes, and captured graphs of its physics.

Graphs: ``mjw.step`` launches dozens of kernels; a control step is decimation × substeps of them
(12 by default). Both are captured once and replayed (``wp.capture_launch``): a CUDA graph on a
GPU, warp's CPU replay on the CPU device (bitwise the same results as launching eagerly, 8×
faster on the 2-core machine). The arrays a graph reads are never reallocated; the engine only
writes into them in place through the torch views.
"""

from __future__ import annotations

# Overflows after which a world's physics is wrong: constraint rows or contacts dropped (a full
# buffer), a collision stage cut short. A solver that stops at its iteration limit is not one.
DROPPED = ("NEFC", "NJMAX_NNZ", "BROADPHASE", "NARROWPHASE", "CCD", "HFIELD", "NVMAX",
           "EPA_HORIZON")


def import_warp():
    """(warp, mujoco_warp), with warp's per-module load messages silenced."""
    import warp as wp

    wp.config.log_level = wp.LOG_WARNING
    import mujoco_warp as mjw

    return wp, mjw


class WarpWorlds:
    """``nworld`` worlds of one compiled MjModel on warp device ``device``.

    nstate: the size of MuJoCo's full physics state (the rows of ``physics``/``set_physics``).
    nconmax / njmax: contacts and constraint rows allocated per world (mjwarp's sizes; the
    contact pool is shared by the worlds, the constraint rows are per world).
    nstep: physics steps per control step; graph: replay captured graphs instead of launching.
    """

    def __init__(self, model, nstate: int, nworld: int, device: str,
                 nconmax: int, njmax: int, nstep: int, graph: bool):
        wp, mjw = import_warp()
        self._wp, self._mjw, self.model, self.nworld, self.nstep = wp, mjw, model, nworld, nstep
        self._full = int(mjw.State.FULLPHYSICS)
        with wp.ScopedDevice(device):
            self.m = mjw.put_model(model)
            self.m.opt.warn_overflow = 0  # overflows are read from d.overflow, not printed
            # Made empty (the engine resets every world before its first step): put_data would
            # refuse a start state with more contacts than nconmax, which is an overflow that
            # the first step flags.
            self.d = mjw.make_data(model, nworld=nworld, nconmax=nconmax, njmax=njmax)
            self._state = wp.zeros((nworld, nstate), dtype=float)
            self._active = wp.zeros(nworld, dtype=bool)
        view = wp.to_torch
        d = self.d
        self.qpos, self.qvel, self.ctrl = view(d.qpos), view(d.qvel), view(d.ctrl)
        self.sensordata, self.warmstart = view(d.sensordata), view(d.qacc_warmstart)
        self.overflow, self.state_rows, self.active = view(d.overflow), view(self._state), view(self._active)
        mask = 0
        for name in DROPPED:
            mask |= int(getattr(mjw.OverflowType, name, 0))
        self.dropped_mask = mask
        self._device = device
        self._step_graph = self._forward_graph = None
        if graph:
            self._step_graph = self._capture(self._physics_steps)
            self._forward_graph = self._capture(self._forward)

    # ---- physics --------------------------------------------------------------------------------
    def step(self) -> None:
        """One control step: ``nstep`` physics steps of every world with the ctrl set now."""
        self.overflow.zero_()
        self._run(self._step_graph, self._physics_steps)

    def forward(self) -> None:
        """Recompute every world's derived quantities (sensors) from its state."""
        self._run(self._forward_graph, self._forward)

    def _physics_steps(self) -> None:
        for _ in range(self.nstep):
            self._mjw.step(self.m, self.d)

    def _forward(self) -> None:
        self._mjw.forward(self.m, self.d)

    def _capture(self, work):
        wp = self._wp
        with wp.ScopedDevice(self._device), wp.ScopedCapture() as capture:
            work()
        return capture.graph

    def _run(self, graph, work) -> None:
        wp = self._wp
        with wp.ScopedDevice(self._device):
            if graph is None:
                work()
            else:
                wp.capture_launch(graph)

    # ---- state ----------------------------------------------------------------------------------
    def dropped(self):
        """[nworld] bool: the last step overflowed a buffer of the world (see DROPPED)."""
        return (self.overflow & self.dropped_mask) != 0

    def physics(self):
        """[nworld, nstate] float32: every world's full physics state (MuJoCo's layout)."""
        with self._wp.ScopedDevice(self._device):
            self._mjw.get_state(self.m, self.d, self._state, self._full)
        return self.state_rows.clone()

    def set_physics(self, worlds, physics, warmstart=None) -> None:
        """Put full physics states [k, nstate] into ``worlds`` [k] (long, on the device); their
        solver warm start to ``warmstart`` [k, nv] (zeros if None), their overflow flags off."""
        self.active.zero_()
        self.active[worlds] = True
        self.state_rows[worlds] = physics.to(self.state_rows.dtype)
        with self._wp.ScopedDevice(self._device):
            self._mjw.set_state(self.m, self.d, self._state, self._full, self._active)
        self.warmstart[worlds] = 0.0 if warmstart is None else warmstart.to(self.warmstart.dtype)
        self.overflow[worlds] = 0

    def refresh_sensors(self, worlds) -> None:
        """Recompute the sensors of ``worlds`` [k] from their state; the other worlds keep theirs
        (which describe their last physics substep, as after a step)."""
        import torch

        kept = self.sensordata.clone()
        self.forward()
        keep = torch.ones(self.nworld, dtype=torch.bool, device=kept.device)
        keep[worlds] = False
        self.sensordata.copy_(kept.where(keep[:, None], self.sensordata))
