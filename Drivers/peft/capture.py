"""Records what a library call says besides its return value: Python warnings and log records."""

import contextlib
import logging
import warnings

# Log records that are part of a case's outcome: everything at WARNING or above that reaches the
# root logger, plus the library loggers that do not propagate to it (transformers installs its own
# handler and sets propagate=False).
LIBRARY_LOGGERS = ("transformers", "peft", "torch", "accelerate", "huggingface_hub", "safetensors")
CAPTURED_LEVEL = logging.WARNING


class _ListHandler(logging.Handler):
    def __init__(self, sink):
        super().__init__(level=CAPTURED_LEVEL)
        self._sink = sink
        self._seen = {}  # id -> record; holding the record keeps its id from being reused

    def emit(self, record):
        # A record can reach two of the handler's loggers; report it once.
        if id(record) in self._seen:
            return
        self._seen[id(record)] = record
        try:
            message = record.getMessage()
        except Exception as error:  # a malformed record must not fail the case
            message = f"{record.msg!r} (unformattable: {error})"
        self._sink.append({"logger": record.name, "level": record.levelname, "message": message})


class Capture:
    """The warnings and log records seen inside one `recording()` block, in emission order."""

    def __init__(self):
        self.warnings = []
        self.log = []

    @contextlib.contextmanager
    def recording(self):
        handler = _ListHandler(self.log)
        loggers = [logging.getLogger()]
        loggers += [
            logger
            for logger in map(logging.getLogger, LIBRARY_LOGGERS)
            if not logger.propagate
        ]
        saved_levels = []
        for logger in loggers:
            saved_levels.append(logger.level)
            # A logger at a quieter level would drop WARNING records before any handler sees them.
            if logger.level == logging.NOTSET or logger.level > CAPTURED_LEVEL:
                logger.setLevel(CAPTURED_LEVEL)
            logger.addHandler(handler)
        try:
            with warnings.catch_warnings(record=True) as caught:
                # "always": a warning repeated from an earlier case is still reported.
                warnings.simplefilter("always")
                try:
                    yield self
                finally:
                    for item in caught:
                        self.warnings.append(
                            {"category": item.category.__name__, "message": str(item.message)}
                        )
        finally:
            for logger, level in zip(loggers, saved_levels):
                logger.removeHandler(handler)
                logger.setLevel(level)

