"""Every text and style the toolkit shows, as data files with language maps, and their loaders.

``text`` holds the one text lookup (``pick`` for a language map, ``ui`` for a UI string);
``datafile`` reads YAML keeping line numbers so that a mistake is reported as ``path:line``.
"""

from pathlib import Path

CONTENT_DIR = Path(__file__).parent
EXERCISES_DIR = CONTENT_DIR / "exercises"
