"""All terminal output goes through here: Rich for people, plain JSON with --json."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.markup import escape

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def print_json(payload: Any) -> None:
    # Plain print: Rich would wrap or colour it, and scripts parse this.
    sys.stdout.write(json.dumps(payload, indent=2, sort_keys=False) + "\n")
    sys.stdout.flush()


def error(message: str) -> None:
    # Escaped: a message is plain text, and "pip install -e '.[wandb]'" is no markup.
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True)


def warn(message: str) -> None:
    err.print(f"[yellow]warning:[/] {escape(message)}", highlight=False)
