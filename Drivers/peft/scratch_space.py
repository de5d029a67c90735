"""The driver's private temporary folder, and removal of those left by killed drivers.

A runner kills a driver that hangs (SIGKILL), which skips every cleanup; each driver therefore
works inside one folder named after its pid, and a starting driver removes the folders of pids
that no longer run.
"""

import atexit
import os
import re
import shutil
import tempfile

PREFIX = "adaptest-peft-driver-"
_OWNED = re.compile(re.escape(PREFIX) + r"(\d+)-")


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(root=None):
    root = root or tempfile.gettempdir()
    try:
        names = os.listdir(root)
    except OSError:
        return
    for name in names:
        match = _OWNED.match(name)
        if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)


def create():
    """Makes this process's folder (removed at exit) and returns its path."""
    path = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")
    atexit.register(shutil.rmtree, path, True)
    return path
