"""A cache of loaded projects, so that a `metricslayer compile` process starts fast.

A loaded project (settings, spec, target) is pickled under the user's cache folder (never inside the
project: a cache file that came with a repository must not be trusted), keyed by the project path and the
load arguments. It is used only while every input is unchanged: each file read and each folder listed has
the same size and modification time, and each environment variable read by `env_var()` has the same
value. Any problem reading or writing the cache falls back to a normal load.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

FORMAT = 1


class Recorder:
    """What a load read: files, listed folders and environment variables."""

    def __init__(self):
        self.files: set[str] = set()
        self.dirs: set[str] = set()
        self.env: dict[str, str | None] = {}


def cache_dir() -> Path:
    base = os.environ.get("METRICSLAYER_CACHE_DIR")
    if base:
        return Path(base)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "metricslayer" / "projects"


def enabled() -> bool:
    return os.environ.get("METRICSLAYER_NO_CACHE", "") in ("", "0")


def _stamp(path: str):
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns)


def _file(key: tuple) -> Path:
    digest = hashlib.sha256(repr((FORMAT,) + key).encode()).hexdigest()[:32]
    return cache_dir() / f"{digest}.pickle"


def read(key: tuple):
    """The cached payload for `key` when every recorded input is unchanged, else None."""
    if not enabled():
        return None
    try:
        with open(_file(key), "rb") as handle:
            stored_key, stamps, env, payload = pickle.load(handle)
    except Exception:  # a missing, stale-format or broken cache is simply not used
        return None
    if stored_key != key:
        return None
    if any(_stamp(path) != stamp for path, stamp in stamps.items()):
        return None
    if any(os.environ.get(name) != value for name, value in env.items()):
        return None
    return payload


def write(key: tuple, payload, recorder: Recorder) -> None:
    if not enabled():
        return
    stamps = {path: _stamp(path) for path in recorder.files | recorder.dirs}
    tmp = None
    try:
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump((key, stamps, dict(recorder.env), payload), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, _file(key))
    except Exception:  # a read-only home or an unpicklable value: run without the cache
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
