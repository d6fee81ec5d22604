"""The trainer protocol's plumbing (trainer.py): stdout carries only the JSON event lines, a config or input
error exits 2, and a run holds the SIGTERM flag and the staging folder a cancel or failure removes.

Importing this module takes stdout over, so trainer.py imports it before any library that could print."""

from __future__ import annotations

import json
import os
import shutil
import sys
from typing import Optional

# The protocol owns stdout. Everything else, native libraries' prints included, goes to stderr:
# fd 1 is pointed at stderr and the events are written to a private copy of the original stdout.
_STDOUT = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
sys.stdout.flush()
os.dup2(2, 1)
sys.stdout = sys.stderr


def emit(event: str, **fields) -> None:
    _STDOUT.write(json.dumps({"event": event, **fields}) + "\n")
    _STDOUT.flush()


class ConfigError(Exception):
    """A problem the user can fix in the config or the training file (exit 2)."""


class Cancelled(Exception):
    pass


class Run:
    """Holds the SIGTERM flag and the staging folder that must not survive a cancel or a failure."""

    def __init__(self) -> None:
        self.cancelled = False
        self.staging: Optional[str] = None

    def on_signal(self, signum, _frame) -> None:
        self.cancelled = True

    def check(self) -> None:
        if self.cancelled:
            raise Cancelled()

    def cleanup(self) -> None:
        if self.staging and os.path.isdir(self.staging):
            shutil.rmtree(self.staging, ignore_errors=True)
        self.staging = None


# ---------------------------------------------------------------------------------------------
# Config and data
