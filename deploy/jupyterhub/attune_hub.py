"""Attune on JupyterHub: what ``jupyterhub_config.py`` plugs into the hub.

Facilitators are hub users. Each has two kinds of server:

* the **default server**: JupyterLab with a starter workshop in ``~/attune`` (made on first
  start with ``attune new workshop``), opened on the facilitator dashboard;
* one **named server per workshop** (``/user/NAME/WORKSHOP/``): ``attune serve`` (Voilà) with
  the workshop's own token, which the hub's proxy routes like any server. Participants use
  the link with the token; the hub never asks them to log in, because Voilà checks the
  workshop token itself and ignores hub cookies.

Both servers reach the organisation's PostgreSQL as the facilitator's own database role,
``attune_<name>`` (a member of ``attune_facilitator``; row-level security shows a role only
the workshops it runs). The hub creates the role on the facilitator's first start, with a
password derived from a secret only the hub holds, and hands it to the servers in their
environment (``PGPASSWORD``: never on a command line, in a URL on a page, or in a notebook).
Without a database (``ATTUNE_HUB_DB_ADMIN_URL`` unset) each workshop gets an SQLite file in
the facilitator's home instead.

Everything the hub needs is read from the environment (``HubSettings.from_env``), so the
same file serves a one-machine hub, Kubernetes and the end-to-end test.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import os
import re
import secrets
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
FACILITATOR_GROUP = "attune_facilitator"
ROLE_PREFIX = "attune_"
#: Named servers are workshops; the form offers these languages (the bundled workshops' languages).
LANGUAGES = {"en": "English", "es": "Español"}
SESSION_NOTEBOOK = re.compile(r"^(\d\d)_[^/]*\.ipynb$")


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


@dataclass
class HubSettings:
    """The hub's choices, from ``ATTUNE_HUB_*`` environment variables (see deploy/jupyterhub/README.md)."""

    state: Path  # the hub's own files: its database, cookie secret, role-password secret, kernel spec
    db_admin_url: str = ""  # the database owner's URL (creates facilitator roles); "" = SQLite per workshop
    db_url: str = ""  # how servers reach the database (host as seen from a server), default: the admin URL's
    attune: str = "attune"  # the attune command as the servers run it
    python: str = sys.executable  # the servers' Python (the kernel spec runs ipykernel with it)
    notebooks: str = ""  # the organisation's session notebooks; "" = the ones that come with Attune
    pool_size: int = 1  # warm pages per session notebook
    room: int = 40
    kernel_memory_mb: int = 1024  # per participant kernel (RLIMIT_DATA)
    kernel_files: int = 256  # open files per participant kernel
    cull_after_s: int = 3600  # servers without traffic for this long are stopped
    demo_password: str = ""  # set: dummy logins with this password, servers as the hub's own user (tests only)
    kernel_path: str = ""  # a Jupyter data folder with the limited kernel, already in the servers' image (Kubernetes)
    workshop_memory: str = ""  # a workshop server's memory limit, e.g. 5G (spawners that enforce it: systemd, Kubernetes)
    workshop_cpu: float = 0.0  # its CPU limit in cores
    extra_env: dict = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> HubSettings:
        state = Path(os.environ.get("ATTUNE_HUB_STATE", "/srv/attune-hub")).resolve()
        admin = os.environ.get("ATTUNE_HUB_DB_ADMIN_URL", "")
        return cls(
            state=state, db_admin_url=admin, db_url=os.environ.get("ATTUNE_HUB_DB_URL", ""),
            attune=os.environ.get("ATTUNE_HUB_ATTUNE") or shutil.which("attune")
            or str(Path(sys.executable).with_name("attune")),
            python=os.environ.get("ATTUNE_HUB_PYTHON", sys.executable),
            notebooks=os.environ.get("ATTUNE_HUB_NOTEBOOKS", ""),
            pool_size=_env_int("ATTUNE_HUB_POOL_SIZE", 1), room=_env_int("ATTUNE_HUB_ROOM", 40),
            kernel_memory_mb=_env_int("ATTUNE_HUB_KERNEL_MEMORY_MB", 1024),
            kernel_files=_env_int("ATTUNE_HUB_KERNEL_FILES", 256),
            cull_after_s=_env_int("ATTUNE_HUB_CULL_AFTER", 3600),
            demo_password=os.environ.get("ATTUNE_HUB_DEMO_PASSWORD", ""),
            kernel_path=os.environ.get("ATTUNE_HUB_KERNEL_PATH", ""),
            workshop_memory=os.environ.get("ATTUNE_HUB_WORKSHOP_MEMORY", ""),
            workshop_cpu=float(os.environ.get("ATTUNE_HUB_WORKSHOP_CPU", "0") or 0),
        )


# -- names -------------------------------------------------------------------------------------

def _slug(text: str, allowed: str) -> str:
    return re.sub(f"[^{allowed}]+", "-", text.lower()).strip("-") or "x"


def workshop_id(user_name: str, server_name: str) -> str:
    """The workshop's id in the database: the facilitator's name and the server's, so two
    facilitators may both call a workshop "spring" without meeting."""
    return f"{_slug(user_name, 'a-z0-9')}-{_slug(server_name, 'a-z0-9')}"[:63]


def facilitator_role(user_name: str) -> str:
    return (ROLE_PREFIX + _slug(user_name, "a-z0-9").replace("-", "_"))[:63]


def role_password(secret: bytes, role: str) -> str:
    """The role's password: derived, so the hub keeps one secret instead of one password per person."""
    return hmac.new(secret, f"attune-facilitator:{role}".encode(), hashlib.sha256).hexdigest()


def hub_secret(settings: HubSettings) -> bytes:
    """The secret the passwords are derived from (created once, readable by the hub's user only)."""
    path = settings.state / "role_secret"
    if not path.exists():
        settings.state.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())


def server_db_url(settings: HubSettings, role: str, workshop: str | None = None) -> str:
    """The database URL a facilitator's server uses: their role, no password (that is PGPASSWORD)."""
    parts = urlsplit(settings.db_url or settings.db_admin_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    query = f"workshop={workshop}" if workshop else ""
    return urlunsplit((parts.scheme, f"{quote(role)}@{host}", parts.path, query, ""))


_provisioned: set[str] = set()


def ensure_role(settings: HubSettings, role: str, password: str) -> None:
    """Create the facilitator's role (or set its password again) once per hub process."""
    if role in _provisioned:
        return
    import psycopg
    from psycopg import sql

    from toolkit.store.postgres import add_facilitator

    admin = urlunsplit(urlsplit(settings.db_admin_url)._replace(query="", fragment=""))
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        if exists:  # from an earlier start, or the secret was replaced: the password the hub hands out
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
    if not exists:
        add_facilitator(settings.db_admin_url, role, password)
    _provisioned.add(role)


# -- participant kernels -----------------------------------------------------------------------

def kernel_spec_dir(settings: HubSettings) -> Path:
    """A Jupyter data folder whose ``python3`` kernel runs under per-process limits.

    Put first on the workshop server's ``JUPYTER_PATH``, it replaces the usual ``python3`` kernel
    for the participant pages only: a data-segment limit (a runaway page cannot take the
    server's memory), few open files, no core dumps (a core file would hold answers), and one
    thread for the numeric libraries. CPU shares are the container's or systemd's (see README).
    """
    folder = settings.state / "jupyter"
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    prlimit = shutil.which("prlimit") or "/usr/bin/prlimit"
    body = {
        "argv": [prlimit, f"--data={settings.kernel_memory_mb * 1024 * 1024}", f"--nofile={settings.kernel_files}",
                 "--core=0", "--", settings.python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (participant page, limited)",
        "language": "python",
        "env": {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"},
        "metadata": {"debugger": False},
    }
    (spec / "kernel.json").write_text(json.dumps(body, indent=1), encoding="utf-8")
    for path in (settings.state, folder, folder / "kernels", spec):
        path.chmod(0o755)  # servers running as the facilitators' own users read it
    (spec / "kernel.json").chmod(0o644)
    return folder


# -- the start form ----------------------------------------------------------------------------

def session_names(settings: HubSettings) -> list[str]:
    if settings.notebooks:
        folder = Path(settings.notebooks)
    else:
        from toolkit.settings import bundled_path

        folder = bundled_path("notebooks")
    return sorted(p.name for p in folder.glob("*.ipynb") if SESSION_NOTEBOOK.match(p.name))


def options_form(settings: HubSettings):
    """The form a facilitator fills in to start a workshop (none for their JupyterLab)."""

    def form(spawner) -> str:
        if not spawner.name:
            return ""
        sessions = "".join(f'<option value="{html.escape(n[:2])}">{html.escape(n)}</option>'
                           for n in session_names(settings))
        languages = "".join(f'<option value="{k}">{html.escape(v)}</option>' for k, v in LANGUAGES.items())
        return (
            f'<p>Workshop <b>{html.escape(spawner.name)}</b>: participants join with the link shown on '
            'your home page once it has started.</p>'
            '<label for="attune-session">Today\'s session (its pages are kept warm for the room)</label>'
            f'<select id="attune-session" name="session" class="form-control"><option value="">none</option>{sessions}</select>'
            '<label for="attune-lang">Language of the pages</label>'
            f'<select id="attune-lang" name="lang" class="form-control">{languages}</select>'
            '<label for="attune-room">People expected (the room)</label>'
            f'<input id="attune-room" name="room" type="number" min="1" max="200" value="{settings.room}" class="form-control">'
            # Back to the home page afterwards, where the participant link is: the workshop's own
            # address without its token shows only "use the workshop link".
            '<input type="hidden" name="next" value="/hub/home">'
        )

    return form


def options_from_form(formdata: dict) -> dict:
    def one(key: str) -> str:
        return (formdata.get(key) or [""])[0].strip()

    options = {"session": one("session"), "lang": one("lang") or "en"}
    if one("room"):
        options["room"] = one("room")
    return options


def _checked_options(options: dict, settings: HubSettings) -> dict:
    session = str(options.get("session") or "")
    if session and not re.fullmatch(r"\d\d", session):
        raise ValueError(f"session must be two digits such as 01, not {session!r}")
    lang = str(options.get("lang") or "en")
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    room = int(options.get("room") or settings.room)
    if not 1 <= room <= 500:
        raise ValueError("room must be between 1 and 500")
    return {"session": session, "lang": lang, "room": room}


# -- starting servers --------------------------------------------------------------------------

def pre_spawn_hook(settings: HubSettings):
    def hook(spawner) -> None:
        user = spawner.user.name
        env = dict(settings.extra_env)
        bin_dir = str(Path(settings.attune).parent)
        env["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "/usr/bin:/bin")])
        role = facilitator_role(user)
        if settings.db_admin_url:
            password = role_password(hub_secret(settings), role)
            ensure_role(settings, role, password)
            env["PGPASSWORD"] = password
            env["ATTUNE_DATABASE"] = server_db_url(settings, role)  # the dashboard adds ?workshop=ID
        if spawner.name:
            _workshop_server(spawner, settings, env, role)
        else:
            _lab_server(spawner, settings, env)
        spawner.environment = {**spawner.environment, **env}

    return hook


def _workshop_server(spawner, settings: HubSettings, env: dict, role: str) -> None:
    options = dict(spawner.user_options or {})
    checked = _checked_options(options, settings)
    if not options.get("token"):
        # The workshop's token, made once and kept with the server's options in the hub's
        # database: restarting the workshop (after culling, after a hub restart) keeps its link.
        options["token"] = secrets.token_urlsafe(12)
        spawner.user_options = options
        spawner.orm_spawner.user_options = options
    ident = workshop_id(spawner.user.name, spawner.name)
    if settings.db_admin_url:
        env["ATTUNE_STORE"] = server_db_url(settings, role, ident)
    else:
        env["ATTUNE_STORE"] = f"~/.attune/{ident}.sqlite"
    env["ATTUNE_TOKEN"] = options["token"]
    env["JUPYTER_PATH"] = settings.kernel_path or str(kernel_spec_dir(settings))
    if settings.workshop_memory:
        spawner.mem_limit = settings.workshop_memory
    if settings.workshop_cpu:
        spawner.cpu_limit = settings.workshop_cpu
    env["PYTHONUNBUFFERED"] = "1"
    from jupyterhub.spawner import LocalProcessSpawner
    from jupyterhub.utils import random_port

    if isinstance(spawner, LocalProcessSpawner) or not spawner.port:
        spawner.port = random_port()  # the command needs it now; JupyterHub would pick one only in start()
    host = spawner.ip or "127.0.0.1"
    # The proxy forwards the whole path: the pages live under the server's route (/user/NAME/WORKSHOP/).
    prefix = urlsplit(spawner.user.server_url(spawner.name)).path
    command = [settings.attune, "serve", "--host", host, "--port", str(spawner.port),
               "--base-url", prefix, "--no-browser",
               "--pool-size", str(settings.pool_size), "--room", str(checked["room"]), "--lang", checked["lang"]]
    if settings.notebooks:
        command += ["--notebooks", settings.notebooks]
    if checked["session"]:
        command += ["--session", checked["session"]]
    spawner.cmd = command
    spawner.args = []


def _lab_server(spawner, settings: HubSettings, env: dict) -> None:
    # A starter workshop in the home folder on first start; JupyterLab opens on its dashboard.
    spawner.cmd = ["sh", "-c", 'test -e "$HOME/attune" || attune new workshop "$HOME/attune" >/dev/null; '
                   'exec jupyterhub-singleuser "$@"', "jupyterhub-singleuser"]
    spawner.default_url = "/lab/tree/attune/notebooks/facilitator_dashboard.ipynb"
    args = ["--MappingKernelManager.cull_idle_timeout=3600", "--MappingKernelManager.cull_interval=300"]
    if settings.demo_password and os.geteuid() == 0:
        args.append("--ServerApp.allow_root=True")  # the demo's servers run as the hub's user
    spawner.args = args


# -- the home page -----------------------------------------------------------------------------

def workshops_for(settings: HubSettings):
    """The facilitator's workshops for the home page: link (with token), state, dashboard store."""

    def listing(user) -> list[dict]:
        if user is None:
            return []
        rows = []
        for spawner in user.all_spawners(include_default=False):
            token = (spawner.user_options or {}).get("token", "")
            ident = workshop_id(user.name, spawner.name)
            store = (server_db_url(settings, facilitator_role(user.name), ident) if settings.db_admin_url
                     else f"~/.attune/{ident}.sqlite")
            rows.append({"name": spawner.name, "id": ident, "ready": bool(spawner.ready),
                         "pending": bool(spawner.pending), "link": f"{user.server_url(spawner.name)}?token={token}",
                         "store": store, "session": (spawner.user_options or {}).get("session", "")})
        return rows

    return listing


# -- the whole configuration -------------------------------------------------------------------

def configure_servers(c, settings: HubSettings) -> None:
    """What Attune adds to any hub (also Zero to JupyterHub's, which runs its own proxy, database and culler)."""
    c.JupyterHub.allow_named_servers = True
    c.JupyterHub.named_server_limit_per_user = _env_int("ATTUNE_HUB_WORKSHOPS_PER_FACILITATOR", 4)
    c.Spawner.options_form = options_form(settings)
    c.Spawner.options_from_form = options_from_form
    c.Spawner.pre_spawn_hook = pre_spawn_hook(settings)
    c.Spawner.http_timeout = 120  # a workshop warms its pages before it answers
    c.Spawner.start_timeout = 300
    c.JupyterHub.template_paths = [str(HERE / "templates")]
    c.JupyterHub.template_vars = {"attune_workshops": workshops_for(settings), "attune_sessions": session_names(settings),
                                  "attune_languages": LANGUAGES, "attune_room": settings.room}


def configure(c, settings: HubSettings | None = None) -> HubSettings:
    """The whole hub on one machine: its database, proxy, TLS, logins, Attune's servers and the culler."""
    settings = settings or HubSettings.from_env()
    settings.state.mkdir(parents=True, exist_ok=True)
    c.JupyterHub.db_url = os.environ.get("ATTUNE_HUB_DATABASE", f"sqlite:///{settings.state / 'jupyterhub.sqlite'}")
    c.JupyterHub.cookie_secret_file = str(settings.state / "jupyterhub_cookie_secret")
    c.JupyterHub.bind_url = os.environ.get("ATTUNE_HUB_BIND_URL", "https://0.0.0.0:443")
    if os.environ.get("ATTUNE_HUB_HUB_BIND_URL"):
        c.JupyterHub.hub_bind_url = os.environ["ATTUNE_HUB_HUB_BIND_URL"]
    if os.environ.get("ATTUNE_HUB_PROXY_API_URL"):
        c.ConfigurableHTTPProxy.api_url = os.environ["ATTUNE_HUB_PROXY_API_URL"]
    if os.environ.get("ATTUNE_HUB_PROXY_COMMAND"):
        c.ConfigurableHTTPProxy.command = [os.environ["ATTUNE_HUB_PROXY_COMMAND"]]
    c.ConfigurableHTTPProxy.pid_file = str(settings.state / "jupyterhub-proxy.pid")
    # TLS at the hub: the proxy terminates it for the hub, JupyterLab and every workshop page.
    if os.environ.get("ATTUNE_HUB_SSL_CERT"):
        c.JupyterHub.ssl_cert = os.environ["ATTUNE_HUB_SSL_CERT"]
        c.JupyterHub.ssl_key = os.environ["ATTUNE_HUB_SSL_KEY"]

    if settings.demo_password:  # one machine, no system users: for trying it out and the tests only
        c.JupyterHub.authenticator_class = "dummy"
        c.DummyAuthenticator.password = settings.demo_password
        c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
        c.SimpleLocalProcessSpawner.home_dir_template = str(settings.state / "homes" / "{username}")
    allowed = [u.strip() for u in os.environ.get("ATTUNE_HUB_FACILITATORS", "").split(",") if u.strip()]
    if allowed:
        c.Authenticator.allowed_users = set(allowed)
    admins = [u.strip() for u in os.environ.get("ATTUNE_HUB_ADMINS", "").split(",") if u.strip()]
    if admins:
        c.Authenticator.admin_users = set(admins)

    configure_servers(c, settings)

    # Servers (JupyterLab and workshops) that nobody has used for a while are stopped.
    c.JupyterHub.services = [{
        "name": "idle-culler",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={settings.cull_after_s}",
                    "--cull-every=300"],
    }]
    c.JupyterHub.load_roles = [{
        "name": "idle-culler", "services": ["idle-culler"],
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    }]
    return settings
