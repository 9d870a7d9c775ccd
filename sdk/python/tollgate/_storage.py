"""The client's files, each written atomically (temporary 0600 file, fsync, rename) in a 0700 folder."""
import json
import os
import uuid
from pathlib import Path
from typing import Any, Optional


class Storage:
    ACTIVATION = "machine.json"
    LICENSE_FILE = "license-file.lic"
    STATUS = "status.json"
    TIERS = "tiers.json"

    def __init__(self, directory):
        self.directory = Path(directory)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def read(self, name: str) -> Optional[bytes]:
        try:
            return (self.directory / name).read_bytes()
        except OSError:
            return None

    def read_json(self, name: str) -> Optional[Any]:
        data = self.read(name)
        try:
            return None if data is None else json.loads(data)
        except ValueError:
            return None

    def write(self, name: str, data: bytes) -> None:
        """Replaces ``name`` with ``data``: complete and durable before it returns."""
        temporary = self.directory / f".{name}.{uuid.uuid4().hex}.tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.directory / name)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def write_json(self, name: str, value: Any) -> None:
        self.write(name, json.dumps(value, sort_keys=True).encode())

    def remove(self, name: str) -> None:
        (self.directory / name).unlink(missing_ok=True)
