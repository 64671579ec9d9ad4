"""How `trackbench run` hands out its cells (`--launcher`, `--parallel`, `--address`, ...):
the options, checked together before anything is planned or submitted."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trackbench.harness.errors import TrackbenchError, describe_validation_error

# Ray's own default for a task's max_retries: a cell whose worker dies is rerun up to 3 times.
DEFAULT_RETRIES = 3
# auto, HOST:PORT, or a Ray Client address ray://HOST:PORT
ADDRESS = re.compile(r"^(auto|(ray://)?[A-Za-z0-9._\-\[\]:]+:\d{1,5})$")


class LaunchOptions(BaseModel):
    """The launcher options as given; None where an option was not given."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    launcher: Literal["local", "ray"] = "local"
    parallel: int | None = Field(default=None, ge=1, le=1024)  # local: cells at once
    address: str | None = None  # ray: auto or HOST:PORT; None starts a local Ray instance
    cpus_per_cell: int | None = Field(default=None, ge=1, le=1024)  # ray
    gpus_per_cell: float | None = Field(default=None, ge=0, le=64)  # ray; fractions share a GPU
    max_retries: int | None = Field(default=None, ge=0, le=100)  # ray, or local with --parallel

    @property
    def in_process(self) -> bool:
        """`--launcher local` without `--parallel`: every cell in this process, one by one."""
        return self.launcher == "local" and self.parallel is None

    @property
    def retries(self) -> int:
        return DEFAULT_RETRIES if self.max_retries is None else self.max_retries

    @property
    def cpus(self) -> int:
        return self.cpus_per_cell or 1

    def gpus(self, device: str) -> float:
        """GPUs each cell asks Ray for: --gpus-per-cell, else 1 for --device cuda, else 0."""
        if self.gpus_per_cell is not None:
            return self.gpus_per_cell
        return 1.0 if device == "cuda" else 0.0


def launch_options(device: str, **given) -> LaunchOptions:
    """The options of ``given`` (the CLI's values, None where not given), checked against each
    other and ``device``. Raises one TrackbenchError listing every problem."""
    try:
        options = LaunchOptions(**given)
    except ValidationError as error:
        raise TrackbenchError(describe_validation_error("launcher options", error)) from None
    problems = []
    if options.launcher == "local":
        ray_only = [flag for flag, value in (("--address", options.address),
                                             ("--cpus-per-cell", options.cpus_per_cell),
                                             ("--gpus-per-cell", options.gpus_per_cell))
                    if value is not None]
        if ray_only:
            verb = "applies" if len(ray_only) == 1 else "apply"
            problems.append(f"{', '.join(ray_only)} {verb} to --launcher ray only")
        if options.parallel is None and options.max_retries is not None:
            problems.append("--max-retries needs --parallel N (or --launcher ray): without "
                            "--parallel every cell runs inside this process, which cannot "
                            "restart itself")
    else:
        if options.parallel is not None:
            problems.append("--parallel applies to --launcher local only; Ray runs as many "
                            "cells at once as the cluster's resources allow (--cpus-per-cell, "
                            "--gpus-per-cell)")
        if options.address is not None and not ADDRESS.match(options.address):
            problems.append(f"--address must be auto or HOST:PORT (e.g. 10.0.0.1:6379), got "
                            f"'{options.address}'")
        if device == "cuda" and options.gpus(device) == 0:
            problems.append("--device cuda with --gpus-per-cell 0: Ray would give the cells no "
                            "GPU; ask for one (--gpus-per-cell 1, or 0.5 to share one)")
    if problems:
        raise TrackbenchError("\n".join(problems))
    return options
