"""Usage events kept on disk until the server has them: a crash or an outage neither loses nor
duplicates one (the same design and files as the Swift SDK's UsageBuffer).

- ``record`` appends a JSON line to ``usage/journal.jsonl`` and fsyncs before returning.
- ``flush`` seals the journal (atomic rename to ``batch-<time>-<uuid>.jsonl``) and sends each sealed
  file in chunks; a chunk's Idempotency-Key is the file's name and the chunk's index, so a resend
  is the same request. A file is deleted once every chunk was accepted (2xx); a 4xx other than
  408 and 429 moves it to ``rejected-…``; anything else keeps it for the next flush.
"""
import json
import os
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Dict, List, Optional

from ._storage import Storage


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(int(seconds), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class UsageBuffer:
    JOURNAL = "journal.jsonl"
    MONTH = "month.json"

    def __init__(self, directory, send: Callable[[str, dict, str], Optional[int]], now: Callable[[], float] = time.time,
                 chunk_size: int = 500):
        """``send(body, idempotency_key)`` returns the HTTP status, or None when unreachable."""
        self.directory = Path(directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.send = send
        self.now = now
        self.chunk_size = chunk_size
        self._journal_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._month = Storage(self.directory).read_json(self.MONTH) or {"month": self._month_key(now()), "totals": {}}
        self._end_torn_line()

    def _end_torn_line(self):
        journal = self.directory / self.JOURNAL
        if journal.exists() and journal.stat().st_size > 0:
            with open(journal, "rb+") as handle:
                handle.seek(-1, os.SEEK_END)
                if handle.read(1) != b"\n":
                    handle.write(b"\n")
                    handle.flush()
                    os.fsync(handle.fileno())

    @staticmethod
    def _month_key(seconds: float) -> str:
        return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m")

    def record(self, meter: str, quantity: float = 1, license_id: Optional[str] = None, machine_id: Optional[str] = None) -> None:
        """Appends an event; it is on disk (fsync) when this returns."""
        now = self.now()
        event = {"id": str(uuid.uuid4()), "meter": meter, "quantity": quantity, "timestamp": iso(now)}
        if license_id:
            event["licenseId"] = license_id
        if machine_id:
            event["machineId"] = machine_id
        line = (json.dumps(event, sort_keys=True) + "\n").encode()
        with self._journal_lock:
            descriptor = os.open(self.directory / self.JOURNAL, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            try:
                os.write(descriptor, line)
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            key = self._month_key(now)
            if self._month["month"] != key:
                self._month = {"month": key, "totals": {}}
            self._month["totals"][meter] = self._month["totals"].get(meter, 0) + quantity
            Storage(self.directory).write_json(self.MONTH, self._month)

    def used_this_month(self, meter: str) -> float:
        if self._month["month"] != self._month_key(self.now()):
            return 0
        return self._month["totals"].get(meter, 0)

    def _sealed(self) -> List[Path]:
        return sorted(p for p in self.directory.iterdir() if p.name.startswith("batch-") and p.name.endswith(".jsonl"))

    @staticmethod
    def _events(path: Path) -> List[dict]:
        events = []
        try:
            lines = path.read_bytes().split(b"\n")
        except OSError:
            return events
        for line in lines:
            try:
                events.append(json.loads(line))
            except ValueError:
                continue  # empty, or torn by a crash
        return events

    @property
    def pending_events(self) -> List[dict]:
        return [e for path in self._sealed() + [self.directory / self.JOURNAL] for e in self._events(path)]

    def seal(self) -> None:
        with self._journal_lock:
            journal = self.directory / self.JOURNAL
            if journal.exists() and journal.stat().st_size > 0:
                os.replace(journal, self.directory / f"batch-{time.time_ns():020d}-{uuid.uuid4().hex}.jsonl")
                descriptor = os.open(self.directory, os.O_RDONLY)
                try:
                    os.fsync(descriptor)
                finally:
                    os.close(descriptor)

    def flush(self) -> Dict[str, int]:
        """Seals the journal and sends the batches: {"sent", "pending", "rejected"} event counts."""
        result = {"sent": 0, "pending": 0, "rejected": 0}
        if not self._flush_lock.acquire(blocking=False):
            return result
        try:
            self.seal()
            reachable = True
            for path in self._sealed():
                events = self._events(path)
                outcome = self._deliver(events, path.stem) if reachable else "unreachable"
                if outcome == "accepted":
                    result["sent"] += len(events)
                    path.unlink(missing_ok=True)
                elif outcome == "rejected":
                    result["rejected"] += len(events)
                    os.replace(path, path.with_name("rejected-" + path.name))
                else:
                    reachable = False
                    result["pending"] += len(events)
            return result
        finally:
            self._flush_lock.release()

    def _deliver(self, events: List[dict], batch: str) -> str:
        for index, start in enumerate(range(0, len(events), self.chunk_size)):
            status = self.send({"events": events[start:start + self.chunk_size]}, f"{batch}-{index}")
            if status is None or status in (408, 429) or status >= 500:
                return "unreachable"
            if status >= 300:
                return "rejected"
        return "accepted"
