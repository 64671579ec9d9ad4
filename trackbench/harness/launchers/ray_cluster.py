"""`--launcher ray`: each cell a Ray task asking for --cpus-per-cell CPUs and --gpus-per-cell
GPUs, on a local Ray instance this process starts, or on a running cluster (--address).

Ray (the optional extra ``ray``: ``pip install -e '.[ray]'`` in a checkout) is imported here only.
The task is the worker function `trackbench run` hands over (``cli.worker.run_job``); its module
must be importable on every node, so trackbench and the plugins a matrix uses must be installed
there as here. Ray's own retry is off (``max_retries=0``): the launch loop (``driver``) resubmits a
cell whose worker died, so that a retry resumes from the checkpoint instead of obeying --force
again, and the board can show it.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
from typing import Any, Callable, Hashable, Iterator

from trackbench.harness import console
from trackbench.harness.errors import TrackbenchError
from trackbench.harness.launchers.driver import Ended

MISSING = ("--launcher ray needs Ray, which is not installed: pip install 'ray==2.60.0' "
           "(in a trackbench checkout: pip install -e '.[ray]'), on this machine and every node "
           "of the cluster")
GRACE_SECONDS = 30.0  # after Ctrl-C, how long a cell may take to stop before it is killed


def require_ray() -> Any:
    """The ray module; raises TrackbenchError naming the extra to install if it is missing."""
    try:
        import ray
    except ImportError:
        raise TrackbenchError(MISSING) from None
    return ray


@contextlib.contextmanager
def connected(address: str | None) -> Iterator[Any]:
    """This process as a Ray driver: connected to the cluster at ``address`` (auto: the one
    `ray start` runs on this machine), or to a local instance started now when None (or to
    RAY_ADDRESS if that is set, as ``ray.init`` does). A connection this process already had
    (``ray.init`` called by an embedding program) is used and left open. Disconnects at the
    end, which stops an instance started here. Raises TrackbenchError if Ray cannot connect."""
    ray = require_ray()
    if ray.is_initialized():
        yield ray
        return
    if address not in (None, "auto"):
        _require_listening(address)
    # ray.init installs its own SIGTERM handler; trackbench's (interrupts.py) must stay.
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.ERROR)
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = f"at {address}" if address else "(a local instance)"
        reason = str(error).strip().rstrip(".")
        raise TrackbenchError(f"cannot start or reach Ray {where}: {reason}. For a cluster, run "
                              f"`ray start --head` on one machine and pass the address it "
                              f"prints (or --address auto on that machine).") from None
    finally:
        for signum, handler in handlers.items():
            if handler is not None:
                signal.signal(signum, handler)
    try:
        yield ray
    finally:
        ray.shutdown()


def _require_listening(address: str, timeout: float = 10.0) -> None:
    """Raises TrackbenchError if nothing accepts a connection at HOST:PORT within ``timeout``
    seconds: ``ray.init`` would otherwise retry for minutes."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as error:
        raise TrackbenchError(
            f"nothing answers at {address} ({error.strerror or error}): is the Ray head running "
            f"there? Start it with `ray start --head --port {port}` and pass the address it "
            f"prints") from None


def describe_cluster(ray: Any) -> str:
    total = ray.cluster_resources()
    nodes = [node for node in ray.nodes() if node.get("Alive")]
    return (f"{len(nodes)} node(s), {total.get('CPU', 0):g} CPUs, {total.get('GPU', 0):g} GPUs")


def require_fit(ray: Any, cpus: int, gpus: float) -> None:
    """Raises TrackbenchError, before any cell is submitted, if no node of the cluster has the
    resources one cell asks for (Ray would otherwise wait for such a node forever)."""
    nodes = [node["Resources"] for node in ray.nodes() if node.get("Alive")]
    if any(node.get("CPU", 0) >= cpus and node.get("GPU", 0) >= gpus for node in nodes):
        return
    largest = max(nodes, key=lambda node: (node.get("GPU", 0), node.get("CPU", 0)), default={})
    raise TrackbenchError(
        f"no node of the Ray cluster has the {cpus} CPU(s) and {gpus:g} GPU(s) a cell asks for "
        f"(the largest: {largest.get('CPU', 0):g} CPUs, {largest.get('GPU', 0):g} GPUs); lower "
        f"--cpus-per-cell / --gpus-per-cell or add such a node")


class RayBackend:
    name = "ray"
    capacity = None  # Ray queues the tasks that do not fit yet

    def __init__(self, ray: Any, worker: Callable[[dict[str, Any]], dict[str, Any]], cpus: int,
                 gpus: float):
        self.ray = ray
        self.task = ray.remote(num_cpus=cpus, num_gpus=gpus, max_retries=0,
                               retry_exceptions=False)(worker)

    def submit(self, job: dict[str, Any]) -> Hashable:
        return self.task.options(name=job["run_id"]).remote(job)

    def wait(self, handles: list[Any], timeout: float) -> list[tuple[Any, Ended]]:
        if not handles:
            return []
        ready, _ = self.ray.wait(handles, num_returns=len(handles), timeout=timeout)
        return [(ref, self._ended(ref)) for ref in ready]

    def _ended(self, ref: Any) -> Ended:
        from ray import exceptions

        try:
            outcome = self.ray.get(ref)
        except exceptions.TaskCancelledError:
            return Ended("cancelled")
        except exceptions.RayTaskError as error:  # the worker function itself raised
            return Ended("failed", {"error": f"{type(error.cause).__name__}: {error.cause}",
                                    "traceback": str(error)})
        except exceptions.RayError as error:  # the worker process or its node died
            return Ended("died", why=f"{type(error).__name__}: {str(error).splitlines()[0]}")
        return Ended("ok" if outcome["status"] == "ok" else "failed", outcome)

    def cancel(self, handles: list[Any]) -> None:
        """KeyboardInterrupt in each task (the cell stops and says what it saved), then a kill
        of any still running after GRACE_SECONDS (the last checkpoint is intact either way)."""
        if not handles:
            return
        for ref in handles:
            self.ray.cancel(ref, force=False)
        _, still = self.ray.wait(handles, num_returns=len(handles), timeout=GRACE_SECONDS)
        for ref in still:
            self.ray.cancel(ref, force=True)
        if still:
            console.warn(f"killed {len(still)} cell(s) that did not stop within "
                         f"{GRACE_SECONDS:.0f} s; their last checkpoints are intact")
