"""Test-wide settings: the project cache goes to a throwaway folder, never the user's."""

from __future__ import annotations

import os
import tempfile

_CACHE = tempfile.mkdtemp(prefix="metricslayer-test-cache-")
os.environ["METRICSLAYER_CACHE_DIR"] = _CACHE
