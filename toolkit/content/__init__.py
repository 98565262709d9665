"""Every text and style the toolkit shows, as data files with language maps, and their loaders.

``text`` holds the one text lookup (``pick`` for a language map, ``ui`` for a UI string);
``datafile`` reads YAML keeping line numbers so that a mistake is reported as ``path:line``.
"""

from functools import cache
from pathlib import Path

CONTENT_DIR = Path(__file__).parent
EXERCISES_DIR = CONTENT_DIR / "exercises"
CSS_DIR = CONTENT_DIR / "css"


@cache
def css(name: str) -> str:
    """The stylesheet ``content/css/<name>.css``, read once: styling is data, like the texts."""
    return (CSS_DIR / f"{name}.css").read_text(encoding="utf-8")
