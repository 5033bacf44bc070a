"""Logs as Colony's Swift processes write them: one event per line on standard error, with the
metadata (agent, capability, run_id, …) as key=value pairs, or one JSON object a line when
COLONY_LOG_FORMAT=json (as `colony up` sets it from colony.yaml's log.format)."""
from __future__ import annotations

import json
import logging
import os
import sys
import time

# Attributes every LogRecord has; anything else on a record is metadata (`extra=`).
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


def _timestamp(created: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(created)) + f".{int(created % 1 * 1000):03d}Z"


class ColonyFormatter(logging.Formatter):
    def __init__(self, form: str = "text"):
        super().__init__()
        self.form = form

    def format(self, record: logging.LogRecord) -> str:
        metadata = {key: value for key, value in vars(record).items() if key not in _STANDARD and value is not None}
        message = record.getMessage()
        if record.exc_info:
            metadata["error"] = self.formatException(record.exc_info).splitlines()[-1]
        level = {"WARNING": "warning", "CRITICAL": "critical"}.get(record.levelname, record.levelname.lower())
        if self.form == "json":
            line = {key: str(value) for key, value in metadata.items()}
            line.update(ts=_timestamp(record.created), level=level, label=record.name, message=message)
            return json.dumps(line, sort_keys=True)
        text = f"{_timestamp(record.created)} {level:<8} [{record.name}] {message}"
        for key in sorted(metadata):
            value = str(metadata[key])
            text += f" {key}={json.dumps(value) if ' ' in value or not value else value}"
        return text


def configure(level: str | None = None) -> None:
    """Sets up the root logger unless the program already did: COLONY_LOG_FORMAT (text or json)
    and COLONY_LOG_LEVEL (debug, info, warning, error; default info)."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(ColonyFormatter("json" if os.environ.get("COLONY_LOG_FORMAT") == "json" else "text"))
    root.addHandler(handler)
    name = (level or os.environ.get("COLONY_LOG_LEVEL") or "info").upper()
    root.setLevel(getattr(logging, "WARNING" if name == "NOTICE" else name, logging.INFO))
