"""COLONY_EXECUTION_JOURNAL: one JSON line per handler start, end, skip or replay, in the same
format as the Swift SDK's (the integration tests count executions from it, whatever the language)."""
from __future__ import annotations

import json
import os
import time
from typing import Optional


class ExecutionJournal:
    def __init__(self, path: str):
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)

    @classmethod
    def from_environment(cls) -> Optional["ExecutionJournal"]:
        path = os.environ.get("COLONY_EXECUTION_JOURNAL")
        return cls(path) if path else None

    def record(self, event: str, agent: str, handler: str, run: Optional[str] = None, step: Optional[str] = None,
               key: Optional[str] = None, detail: Optional[str] = None) -> None:
        line = {"t": int(time.time() * 1000), "event": event, "pid": os.getpid(), "agent": agent, "handler": handler}
        if run is not None:
            line["run"] = run
        if step is not None:
            line["step"] = step
        if key is not None:
            line["key"] = key
        if detail is not None:
            line["detail"] = detail
        # One write per line on an O_APPEND file: lines of several processes never mix.
        os.write(self._fd, (json.dumps(line, separators=(",", ":"), ensure_ascii=False) + "\n").encode())
