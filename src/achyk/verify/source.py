"""Reading a record from a directory or over HTTP(S), with the same paths."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path


class RecordSource:
    def __init__(self, location: str) -> None:
        self.location = location.rstrip("/")
        self.remote = location.startswith(("http://", "https://"))
        self._cache: dict[str, bytes] = {}

    def read(self, path: str) -> bytes:
        """The bytes at `path`; KeyError when it is not there."""
        if path in self._cache:
            return self._cache[path]
        if self.remote:
            try:
                with urllib.request.urlopen(f"{self.location}/{path}", timeout=30) as response:
                    data: bytes = response.read()
            except urllib.error.HTTPError as err:
                raise KeyError(path) from err
        else:
            file = Path(self.location) / path
            if not file.is_file():
                raise KeyError(path)
            data = file.read_bytes()
        if path.startswith("log/tile/"):
            self._cache[path] = data
        return data

    def text(self, path: str) -> str:
        return self.read(path).decode("utf-8")

    def exists(self, path: str) -> bool:
        try:
            self.read(path)
        except KeyError:
            return False
        return True
