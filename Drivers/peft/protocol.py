"""Line-oriented JSON transport of the driver protocol.

One JSON object per line, UTF-8, in both directions. The driver owns the real stdin/stdout file
descriptors; everything else in the process (library prints, C extensions writing to fd 1) is
redirected to stderr so that it can never corrupt the protocol stream.
"""

import json
import os
import sys

PROTOCOL_VERSION = 1


class ProtocolError(Exception):
    """A request line that is not a well-formed protocol message."""


class Channel:
    """The protocol's stdin/stdout, detached from the process's standard streams."""

    def __init__(self, reader, writer):
        self._reader = reader
        self._writer = writer

    @classmethod
    def take_over_stdio(cls):
        """Moves the protocol onto private copies of fds 0 and 1.

        Afterwards fd 1 and `sys.stdout` point at stderr and fd 0 / `sys.stdin` at /dev/null, so a
        stray `print` or a library reading stdin cannot touch the protocol.
        """
        sys.stdout.flush()
        in_fd = os.dup(0)
        out_fd = os.dup(1)
        os.dup2(2, 1)
        null_fd = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null_fd, 0)
        os.close(null_fd)
        sys.stdout = sys.stderr
        sys.stdin = open(os.devnull, "r", encoding="utf-8")
        reader = os.fdopen(in_fd, "rb")
        writer = os.fdopen(out_fd, "wb", buffering=0)
        return cls(reader, writer)

    def read_line(self):
        """Returns the next request line as bytes (without the newline), or None at end of input.

        A buffered readline returns as soon as a newline arrives on a pipe; it does not wait for
        the buffer to fill.
        """
        line = self._reader.readline()
        if not line:
            return None
        return line[:-1] if line.endswith(b"\n") else line

    def send(self, message):
        self._writer.write(encode(message))
        self._writer.flush()


def encode(message):
    """Serializes one message as a compact UTF-8 JSON line.

    Text that cannot be encoded as UTF-8 (lone surrogates from undecodable file names) falls back
    to ASCII escapes, which keeps the line valid JSON.
    """
    try:
        text = json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return (text + "\n").encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(message, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
        return (text + "\n").encode("ascii")


def decode(line):
    """Parses one request line into a dict with a string `type`; raises ProtocolError otherwise."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError(f"request line is not valid UTF-8: {error}") from None
    text = text.strip()
    if not text:
        raise ProtocolError("empty request line")
    try:
        message = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProtocolError(f"request line is not JSON: {error}") from None
    if not isinstance(message, dict):
        raise ProtocolError(f"request must be a JSON object, got {type(message).__name__}")
    if not isinstance(message.get("type"), str):
        raise ProtocolError('request has no string "type" field')
    return message


def request_id(message):
    """The request's id when it is a string, else None (ids are echoed back verbatim)."""
    value = message.get("id") if isinstance(message, dict) else None
    return value if isinstance(value, str) else None
