"""The `trackbench` console script. Importing the CLI takes a moment (typer, rich, pydantic; the
commands import torch and MuJoCo only when they run, so `--help` stays fast); a Ctrl-C then must
end in one line and exit status 130 like any other, not in an import traceback."""

from __future__ import annotations

import signal
import sys


def main() -> None:
    try:
        from trackbench.harness.cli.app import main as run
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # we are stopping: a second Ctrl-C waits
        sys.stderr.write("error: interrupted while starting; nothing was written\n")
        raise SystemExit(130) from None
    run()


if __name__ == "__main__":  # python -m trackbench.harness.cli.launch
    main()
