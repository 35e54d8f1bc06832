"""Where the app's downloads (conversation exports, CSV files) live: one folder per process, bounded.

The folder is `<tmp>/werkagenda-export-<pid>-<random>`; it is also Gradio's cache (GRADIO_TEMP_DIR),
so Gradio serves a download from it instead of keeping a second copy. It holds at most
MAX_FILES_PER_KIND files of each kind and MAX_TOTAL_BYTES in all (oldest removed first), it is
removed when the process exits (also on SIGTERM, see `exit_on_sigterm`), and a start removes the
folders of processes that are gone (a `kill -9` cannot clean up after itself).
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

PREFIX = "werkagenda-export-"
# A download is the latest state of one session's conversation or table view; 32 of each cover far
# more sessions than this 2-core machine answers at once (4 at a time), and an evicted one is made
# again by the next answer or table change. 32 MB in all: a 150-turn conversation is ~0.5 MB.
MAX_FILES_PER_KIND = 32
MAX_TOTAL_BYTES = 32 * 1024 * 1024
# Folders from before this layout (no pid in the name) cannot be matched to a process: removed after 2 h.
LEGACY_MAX_AGE_S = 2 * 3600

_OWN = re.compile(rf"^{re.escape(PREFIX)}(\d+)-[0-9a-z_]+$")
_LEGACY = re.compile(rf"^{re.escape(PREFIX)}[0-9a-z_]+$")
_lock = threading.Lock()
_area: ExportArea | None = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def prune_stale(parent: Path, now: float | None = None) -> list[Path]:
    """Remove export folders whose process has ended (and old ones of the previous layout)."""
    now = time.time() if now is None else now
    removed = []
    for child in parent.glob(PREFIX + "*"):
        own = _OWN.match(child.name)
        stale = (own and int(own.group(1)) != os.getpid() and not _alive(int(own.group(1)))) or (
            not own and _LEGACY.match(child.name) and now - child.stat().st_mtime > LEGACY_MAX_AGE_S
        )
        if stale and child.is_dir():
            shutil.rmtree(child, ignore_errors=True)
            removed.append(child)
    return removed


class ExportArea:
    """The per-process folder; `kind_dir(kind)` folders hold one download each, `enforce()` bounds them."""

    def __init__(self, path: Path, max_files: int = MAX_FILES_PER_KIND, max_bytes: int = MAX_TOTAL_BYTES):
        self.path = path
        self.max_files = max_files
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    @classmethod
    def for_process(cls) -> ExportArea:
        """The one area of this process: created (and stale ones pruned) on first use, removed at exit."""
        global _area
        with _lock:
            if _area is None or not _area.path.is_dir():
                parent = Path(os.environ.get("WERKAGENDA_EXPORT_PARENT") or tempfile.gettempdir())
                parent.mkdir(parents=True, exist_ok=True)
                prune_stale(parent)
                path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=parent)).resolve()
                _area = cls(path)
                # Gradio copies a download into its cache unless it already lies inside it.
                os.environ["GRADIO_TEMP_DIR"] = str(path)
                atexit.register(_area.remove)
            return _area

    def new_entry(self, kind: str, key: str) -> Path:
        """An empty folder for one download of `kind` ("gesprek", "csv"); the caller writes one file into it."""
        folder = self.path / f"{kind}-{key}"
        with self._lock:
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
        return folder

    def enforce(self) -> None:
        """Keep at most max_files entries per kind and max_bytes in all (Gradio's own cache folders included)."""
        with self._lock:
            entries = []
            for child in self.path.iterdir():
                try:
                    entries.append((child.stat().st_mtime, child, _size(child)))
                except OSError:
                    continue
            entries.sort(key=lambda e: e[0], reverse=True)  # newest first
            per_kind: dict[str, int] = {}
            total = 0
            for _, child, size in entries:
                kind = child.name.split("-", 1)[0] if "-" in child.name else "gradio"
                per_kind[kind] = per_kind.get(kind, 0) + 1
                total += size
                if per_kind[kind] > self.max_files or total > self.max_bytes:
                    shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)
                    total -= size

    def owns(self, path: str | Path) -> bool:
        try:
            return Path(path).resolve().is_relative_to(self.path)
        except (OSError, ValueError):
            return False

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def exit_on_sigterm() -> None:
    """Let SIGTERM end the process like Ctrl+C, so `finally` blocks and atexit (the area's removal) run."""
    if threading.current_thread() is not threading.main_thread():
        return

    def stop(_signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
