"""Runs driver.py as a subprocess and talks to it over the protocol, as a runner would."""

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

DRIVER = Path(__file__).resolve().parent.parent / "driver.py"
# Start-up imports torch/transformers/peft (several seconds on a busy machine).
STARTUP_TIMEOUT = 180.0
CASE_TIMEOUT = 120.0


def interpreter():
    """The python that runs the driver: $ADAPTEST_PYTHON, else the one running the tests."""
    return os.environ.get("ADAPTEST_PYTHON") or sys.executable


class DriverProcess:
    def __init__(self, cwd=None, env=None, args=()):
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [interpreter(), str(DRIVER), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=cwd,
            env=env,
        )
        self._lines = queue.Queue()
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    def _pump(self):
        for raw in self.proc.stdout:
            self._lines.put(raw)
        self._lines.put(None)

    def send_raw(self, data: bytes):
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def send(self, message):
        self.send_raw((json.dumps(message) + "\n").encode("utf-8"))

    def receive_raw(self, timeout=CASE_TIMEOUT):
        try:
            raw = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no answer within {timeout} s; stderr tail:\n{self.stderr_tail()}")
        if raw is None:
            raise AssertionError(f"driver closed stdout; stderr tail:\n{self.stderr_tail()}")
        return raw

    def receive(self, timeout=CASE_TIMEOUT):
        raw = self.receive_raw(timeout)
        assert raw.endswith(b"\n"), raw
        return json.loads(raw.decode("utf-8"))

    def request(self, message, timeout=CASE_TIMEOUT):
        self.send(message)
        return self.receive(timeout)

    def handshake(self):
        return self.request({"type": "hello", "protocol": 1}, timeout=STARTUP_TIMEOUT)

    def pending_output(self):
        """Lines the driver wrote that nobody asked for (drains them)."""
        lines = []
        while True:
            try:
                raw = self._lines.get_nowait()
            except queue.Empty:
                return lines
            if raw is None:
                return lines
            lines.append(raw)

    def stderr_tail(self, limit=4000):
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")[-limit:]

    def shutdown(self, timeout=60.0):
        if self.proc.poll() is None:
            try:
                self.send({"type": "shutdown"})
            except BrokenPipeError:
                pass
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self.close()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except Exception:
                pass
        self._stderr.close()


def load_request(case_id, base, adapter, *, name="default", loaded=(), method=None, **options):
    message = {
        "type": "load",
        "id": case_id,
        "base": str(base),
        "adapter": str(adapter),
        "adapter_name": name,
        "loaded": [{"name": n, "path": str(p)} for n, p in loaded],
        "ignore_mismatched_sizes": False,
        "low_cpu_mem_usage": False,
        "method": method or ("load_adapter" if loaded else "from_pretrained"),
    }
    message.update(options)
    return message
