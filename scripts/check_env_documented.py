"""Fail when an environment variable read by the settings is missing from .env.example or the
README's configuration table."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READS = re.compile(
    r"""(?:environ\.get|environ\[|env_bool|env_list|getenv)\(?\s*["']([A-Z][A-Z0-9_]+)["']"""
)
# Read by the settings only to detect the test runner; set by pytest itself.
NOT_CONFIGURATION = {"PYTEST_VERSION"}


def main() -> int:
    settings = (ROOT / "tracker" / "config" / "settings.py").read_text("utf-8")
    names = set(READS.findall(settings)) - NOT_CONFIGURATION
    if "dj_database_url.config(" in settings:
        names.add("DATABASE_URL")  # read by dj-database-url
    example = (ROOT / ".env.example").read_text("utf-8")
    readme = (ROOT / "README.md").read_text("utf-8")
    missing = []
    for name in sorted(names):
        if not re.search(rf"^#?\s*{name}=", example, re.MULTILINE):
            missing.append(f"{name} is not in .env.example")
        if f"| `{name}` |" not in readme:
            missing.append(f"{name} is not in the README's configuration table")
    for line in missing:
        print(line, file=sys.stderr)
    if not missing:
        print(
            f"All {len(names)} environment variables of tracker/config/settings.py are documented."
        )
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
