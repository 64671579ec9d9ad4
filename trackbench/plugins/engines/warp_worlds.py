"""One scene variant's worlds on one warp device: an mjwarp Model and Data, zero-copy torch views
of the arrays the ``mjwarp`` engine reads and writes, and captured graphs of its physics.

Graphs: ``mjw.step`` launches dozens of kernels; a control step is decimation × substeps of them
(12 by default). Both are captured once and replayed (``wp.capture_launch``): a CUDA graph on a
GPU, warp's CPU replay on the CPU device (bitwise the same results as launching eagerly, 8×
faster on the 2-core machine). The arrays a graph reads are never reallocated; the engine only
writes into them in place through the torch views.

Streams (CUDA only): with ``own_stream`` each WarpWorlds runs its warp work on a CUDA stream of
its own, ordered against torch's current stream by events (this stream waits for torch before
any launch; torch waits for this stream in :meth:`join`). The engine launches every scene
variant's step before joining any, so the variants' graphs run side by side on the GPU; each
variant's worlds are a fraction of the envs, too few to fill the GPU alone (the first GPU check
measured 120k env-steps/s at 8192 worlds in six variants launched one after another).
"""

from __future__ import annotations

import os

# Overflows after which a world's physics is wrong: constraint rows or contacts dropped (a full
# buffer), a collision stage cut short. A solver that stops at its iteration limit is not one.
DROPPED = ("NEFC", "NJMAX_NNZ", "BROADPHASE", "NARROWPHASE", "CCD", "HFIELD", "NVMAX",
           "EPA_HORIZON")


def import_warp():
    """(warp, mujoco_warp), with warp's per-module load messages silenced."""
    import warp as wp

    wp.config.log_level = wp.LOG_WARNING
    # Compile a module's kernels on all cores (warp's default is one at a time; the first GPU
    # check spent 204 s compiling on a cold kernel cache). Experimental in warp 1.19, hence the
    # guard: a warp without the setting compiles serially as before.
    if getattr(wp.config, "load_module_max_workers", None) == 0:
        wp.config.load_module_max_workers = os.cpu_count() or 1
    import mujoco_warp as mjw

    return wp, mjw


class WarpWorlds:
    """``nworld`` worlds of one compiled MjModel on warp device ``device``.

    nstate: the size of MuJoCo's full physics state (the rows of ``physics``/``set_physics``).
    nconmax / njmax: contacts and constraint rows allocated per world (mjwarp's sizes; the
    contact pool is shared by the worlds, the constraint rows are per world).
    nstep: physics steps per control step; graph: replay captured graphs instead of launching;
    own_stream: on a CUDA device, run on a stream of its own (see the module's docstring).
    """

    def __init__(self, model, nstate: int, nworld: int, device: str,
                 nconmax: int, njmax: int, nstep: int, graph: bool, own_stream: bool = False):
        wp, mjw = import_warp()
        self._wp, self._mjw, self.model, self.nworld, self.nstep = wp, mjw, model, nworld, nstep
        self._full = int(mjw.State.FULLPHYSICS)
        self._stream = self._torch_stream = None
        if own_stream and wp.get_device(device).is_cuda:
            import torch

            torch.cuda.synchronize(device)  # what torch made so far is there before warp reads it
            self._stream = wp.Stream(device)
            self._torch_stream = wp.stream_from_torch(torch.cuda.current_stream(device))
            self._ready, self._done = wp.Event(device), wp.Event(device)
        with self._scope(device):
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
        if self._stream is not None:
            self._stream.synchronize()  # the model, data and views are complete before torch reads

    def _scope(self, device=None):
        """Warp's current device, and this object's stream when it has one."""
        wp = self._wp
        if self._stream is not None:
            return wp.ScopedStream(self._stream, sync_enter=False)
        return wp.ScopedDevice(device or self._device)

    def _after_torch(self) -> None:
        """This object's stream waits for the work torch has queued (no host sync)."""
        if self._stream is not None:
            self._stream.wait_stream(self._torch_stream, self._ready)

    def join(self) -> None:
        """Torch's stream waits for the work queued on this object's stream (no host sync)."""
        if self._stream is not None:
            self._torch_stream.wait_stream(self._stream, self._done)

    # ---- physics --------------------------------------------------------------------------------
    def launch_step(self) -> None:
        """Queue one control step (``nstep`` physics steps) of every world with the ctrl set now;
        call :meth:`join` before torch reads the worlds. ``overflow`` must be zeroed first."""
        self._after_torch()
        self._run(self._step_graph, self._physics_steps)

    def forward(self) -> None:
        """Recompute every world's derived quantities (sensors) from its state."""
        self._after_torch()
        self._run(self._forward_graph, self._forward)
        self.join()

    def _physics_steps(self) -> None:
        for _ in range(self.nstep):
            self._mjw.step(self.m, self.d)

    def _forward(self) -> None:
        self._mjw.forward(self.m, self.d)

    def _capture(self, work):
        wp = self._wp
        with self._scope(), wp.ScopedCapture(stream=self._stream) as capture:
            work()
        return capture.graph

    def _run(self, graph, work) -> None:
        with self._scope():
            if graph is None:
                work()
            else:
                self._wp.capture_launch(graph, stream=self._stream)

    # ---- state ----------------------------------------------------------------------------------
    def dropped(self):
        """[nworld] bool: the last step overflowed a buffer of the world (see DROPPED)."""
        return (self.overflow & self.dropped_mask) != 0

    def physics(self):
        """[nworld, nstate] float32: every world's full physics state (MuJoCo's layout)."""
        self._after_torch()
        with self._scope():
            self._mjw.get_state(self.m, self.d, self._state, self._full)
        self.join()
        return self.state_rows.clone()

    def set_physics(self, worlds, physics, warmstart=None) -> None:
        """Put full physics states [k, nstate] into ``worlds`` [k] (long, on the device); their
        solver warm start to ``warmstart`` [k, nv] (zeros if None), their overflow flags off."""
        self.active.zero_()
        self.active[worlds] = True
        self.state_rows[worlds] = physics.to(self.state_rows.dtype)
        self._after_torch()
        with self._scope():
            self._mjw.set_state(self.m, self.d, self._state, self._full, self._active)
        self.join()
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
