"""How a command stops when asked to: Ctrl-C (SIGINT) or a polite kill (SIGTERM), in the command's
process and in the worker processes it forked (layout, preflight) or started (the preview's PDF).
Kept apart from cli.py so that a worker can use it without loading the command line."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from typing import Any


class Stopping:
    """Ctrl-C (SIGINT) and SIGTERM stop a command the same way: the worker processes it forked
    (layout, preflight) are ended first, then KeyboardInterrupt unwinds this process, releasing
    the build's lock. A kill sent to this process alone used to leave its workers running, and
    Ctrl-C printed a traceback. The forked workers inherit the handler: they leave the stopping
    to this process (SIGINT) or end at once (SIGTERM, which this process sends them). `folio
    serve` stops on the same KeyboardInterrupt."""

    def __init__(self) -> None:
        self.pid, self.signum = os.getpid(), int(signal.SIGINT)
        self.stopped = False
        self.previous: dict[int, Any] = {}
        if threading.current_thread() is threading.main_thread():  # where Python allows handlers (tests call main() from others)
            self.previous = {signum: signal.signal(signum, self._stop) for signum in (signal.SIGINT, signal.SIGTERM)}

    def _stop(self, signum: int, frame: object) -> None:
        if os.getpid() != self.pid:  # a forked worker
            if signum == signal.SIGTERM:
                end_now(signum)
            return
        if self.stopped:
            return  # a second signal does not break off the stopping under way (a second Ctrl-C, a kill repeated)
        self.stopped, self.signum = True, int(signum)
        for child in multiprocessing.active_children():
            child.terminate()
        raise KeyboardInterrupt

    def restore(self) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)


def end_now(signum: int, frame: object = None) -> None:
    """End this (worker) process at once, its WeasyPrint font folders removed: exiting through
    Python could wait on the work it is in the middle of."""
    weasy = sys.modules.get("folio.render.weasy")  # loaded where a layout ran; not imported here for nothing
    if weasy is not None:
        weasy.remove_font_folders()
    os._exit(128 + signum)
