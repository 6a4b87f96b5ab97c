"""Reading a record from a directory or over HTTP(S), with the same paths."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

from achyk.errors import VerificationError


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
            except (urllib.error.URLError, OSError, ValueError) as err:
                raise VerificationError(f"{path}: cannot be read: {err}") from None
        else:
            file = Path(self.location) / path
            if not file.is_file():
                raise KeyError(path)
            data = file.read_bytes()
        if self.remote and path.startswith("log/tile/"):
            # Fetched once over the network; a directory's files are read again instead, so
            # that a log of 200,000 entries (150 MB) is never all held.
            self._cache[path] = data
        return data

    def text(self, path: str) -> str:
        """The file as UTF-8 text; a file that is not UTF-8 is a VerificationError, named."""
        try:
            return self.read(path).decode("utf-8")
        except UnicodeDecodeError as err:
            raise VerificationError(f"{path} is not UTF-8 text: {err}") from None

    def files(self) -> list[str] | None:
        """Every file under a record directory, as relative paths; None over HTTP (no listing)."""
        if self.remote:
            return None
        root = self.location
        out = []
        for top, _, names in os.walk(root):  # (tens of thousands of files: no Path per file)
            rel = os.path.relpath(top, root).replace(os.sep, "/")
            prefix = "" if rel == "." else rel + "/"
            out += [prefix + n for n in names if os.path.isfile(os.path.join(top, n))]
        return sorted(out)

    def listing(self, directory: str) -> list[str]:
        """The names in ``directory`` (e.g. ``log/checkpoints``): the directory itself, or over
        HTTP the server's plain-text index at ``directory/`` (one name per line)."""
        if not self.remote:
            d = Path(self.location) / directory
            return sorted(p.name for p in d.iterdir()) if d.is_dir() else []
        try:
            return [n for n in self.text(directory + "/").split("\n") if n]
        except KeyError:
            return []

    def exists(self, path: str) -> bool:
        try:
            self.read(path)
        except KeyError:
            return False
        return True
