"""Where a store is: a file path (SQLite, the embedded default) or a ``postgresql://`` URL.

One place decides which, for ``ResponseStore``, ``--store``, ``$ATTUNE_STORE`` and ``store:``
in workshop.yaml. A URL is shown in messages without its password. A URL names its workshop
(``?workshop=ID``): many workshops share one database, each record carries its workshop.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from toolkit.errors import StoreError
from toolkit.settings import is_url

POSTGRES_SCHEMES = ("postgresql", "postgres")
PRIVATE_SUFFIX = ".private"
_WORKSHOP_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")


def shown(location: str | os.PathLike[str]) -> str:
    """The location as a message may show it: a URL without its password."""
    if not is_url(location):
        return str(location)
    parts = urlsplit(str(location))
    netloc = parts.netloc
    if "@" in netloc:
        auth, host = netloc.rsplit("@", 1)
        netloc = f"{auth.split(':', 1)[0]}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def as_location(location: str | os.PathLike[str]) -> str | Path:
    """A URL stays a string (checked: a PostgreSQL URL, else StoreError); anything else is a file path."""
    if isinstance(location, str) and is_url(location):
        scheme = urlsplit(location).scheme.lower()
        if scheme not in POSTGRES_SCHEMES:
            raise StoreError(f"{shown(location)}: a store is a file path (SQLite) or a postgresql:// URL, "
                             f"not a {scheme}:// address; nothing was opened")
        return location
    return Path(location).expanduser()


def connection_url(url: str) -> str:
    """The URL for psycopg: the store URL without its ``workshop`` (every other parameter kept, sslmode too)."""
    parts = urlsplit(url)
    rest = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != "workshop"]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(rest), ""))


def split_postgres_url(url: str) -> tuple[str, str]:
    """(connection URL for psycopg, workshop id) of a store URL; StoreError if it names no valid workshop."""
    parts = urlsplit(url)
    workshops = [value for key, value in parse_qsl(parts.query, keep_blank_values=True) if key == "workshop"]
    if not workshops or not workshops[-1]:
        raise StoreError(f"{shown(url)}: name the workshop in the store URL, for example "
                         f"{shown(urlunsplit((parts.scheme, parts.netloc, parts.path, 'workshop=spring-2027', '')))}; "
                         "many workshops can share one database")
    workshop = workshops[-1]
    if not _WORKSHOP_ID.match(workshop):
        raise StoreError(f"{shown(url)}: the workshop id {workshop!r} may hold letters, digits, '-', '_' "
                         "and '.', up to 63 characters")
    return connection_url(url), workshop


def private_dir(location: str | os.PathLike[str]) -> Path:
    """The workshop's private folder (mode 0700) for what must outlive a process but never travel.

    For a store file, beside it (``workshop.sqlite.private/``): the store's hashing secret, the
    server's cookie secret and its working folders. For a PostgreSQL store, a folder of this
    computer's user named after the workshop and server (``~/.attune/private/``): the server's
    state only (that store keeps its secret in the database, readable by the workshop's role).
    """
    if is_url(location):
        _, workshop = split_postgres_url(str(location))
        digest = hashlib.blake2b(shown(location).encode(), digest_size=6).hexdigest()
        folder = Path.home() / ".attune" / "private" / f"{workshop}-{digest}{PRIVATE_SUFFIX}"
    else:
        path = Path(location)
        folder = path.parent / f"{path.name}{PRIVATE_SUFFIX}"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder
