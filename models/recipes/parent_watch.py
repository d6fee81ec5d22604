"""The trainer protocol's rule that a trainer dies with Steplab: Steplab starts a trainer with stdin a pipe
it never writes, and a trainer exits when that pipe closes, which happens when Steplab's process ends in
any way (a crash, SIGKILL; Node has no parent-death signal). Standard library only, so it can be checked
without torch (test/train/parent-watch.train.test.ts).

    import parent_watch
    parent_watch.exit_when_stdin_closes()   # first thing in main(), after the signal handlers
"""
from __future__ import annotations

import os
import signal
import stat
import threading
import time


def exit_when_stdin_closes(grace_s: float = 10.0) -> bool:
    """When stdin is a pipe (a FIFO or a socket), a daemon thread waits for it to close and then sends SIGTERM to this
    trainer's process group when it leads one (Steplab starts it so: anything it started goes too), else
    to itself, so the usual SIGTERM handling (cleanup, exit 143) runs; a process still alive after
    grace_s seconds exits hard. Returns whether the watch was started (not for a terminal or a file)."""
    try:
        mode = os.fstat(0).st_mode
    except OSError:
        return False
    # Node gives a child's stdio "pipe" as a socket pair; a shell pipe is a FIFO
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return False

    def watch() -> None:
        try:
            while os.read(0, 65536):
                pass  # Steplab never writes; anything read is ignored
        except OSError:
            pass
        if os.getpgrp() == os.getpid():
            try:
                os.killpg(os.getpid(), signal.SIGTERM)
            except OSError:
                pass
        else:
            os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace_s)
        os._exit(143)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    return True
