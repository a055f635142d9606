"""Settings for the benchmark: production settings, plus a collected-static folder outside the tree.

Everything else (DEBUG off, secure cookies, the manifest static storage) is what production runs.
"""

import os
from pathlib import Path

from tracker.config.settings import *  # noqa: F403
from tracker.config.settings import ALLOWED_HOSTS

STATIC_ROOT = Path(os.environ.get("BENCH_STATIC_ROOT", "/tmp/isotrack-bench-static"))
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
