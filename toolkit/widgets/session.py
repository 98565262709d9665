"""What a session notebook needs in one object: the store, the participant's join form, forms.

Notebooks hold prose and calls; this shell wires the parameters cell (language, store
path, participant, locale) to the widgets so that every session notebook starts the same
way and a trainer can run any of them with other settings.

Served by ``attune serve``, the browser's device key reaches the kernel as
``HTTP_X_ATTUNE_DEVICE`` (Voilà's ``http_header_envs``). A preheated kernel ran the
notebook before any browser asked for it, so the key arrives later, through Voilà's request
info; a background thread waits for it and the join form then restores the participant, so
the page is not held up. A participant who joined before it arrived keeps their code: the
browser's key is added to it.
"""

from __future__ import annotations

import json
import os
import threading

DEVICE_ENV = "HTTP_X_ATTUNE_DEVICE"
#: Set by ``attune serve --session`` (``toolkit.apps.server.ENV_WARM_IMPORTS``): "preheat" loads what
#: the feedback needs (pandas, plotly, scoring) as the kernel warms, "join" once the participant has
#: joined; either way before "See my results" is tapped, never on the tap.
WARM_ENV = "ATTUNE_WARM_IMPORTS"
_warming = threading.Lock()
_warmed = False


def warm_feedback() -> None:
    """Import (once per kernel, in the background) what the first feedback needs; a plotly figure is
    drawn once, so its lazily loaded property validators are ready too."""
    global _warmed

    def work():
        global _warmed
        with _warming:
            if _warmed:
                return
            try:
                import plotly.graph_objects as go

                from toolkit.core import charts, safety, scoring, support  # noqa: F401

                go.Figure(go.Bar(x=["a"], y=[1]), layout={"title": {"text": "a"}}).to_plotly_json()
            except Exception:  # noqa: BLE001 - the feedback still loads them when asked
                pass
            _warmed = True

    if not _warmed:
        threading.Thread(target=work, name="attune-warm", daemon=True).start()


def _request_info(timeout: float = 10.0) -> dict[str, str]:
    """The page request's info Voilà hands a preheated kernel, as ``voila.utils.wait_for_request`` reads it.

    Read here with ``websockets`` alone: importing ``voila.utils`` takes about 4 s (it imports
    the server), long enough for a participant to join before their device key arrived.
    """
    from websockets.sync.client import connect

    env = os.environ
    base = env.get("VOILA_WS_BASE_URL", env.get("VOILA_SERVER_URL", "/"))
    url = (f"ws://{env.get('VOILA_APP_IP', '127.0.0.1')}:{env.get('VOILA_APP_PORT', '8866')}{base}"
           f"voila/query/{env['VOILA_KERNEL_ID']}")
    with connect(url, open_timeout=timeout) as socket:
        return json.loads(socket.recv())


class Session:
    """``Session(language=..., store_path=..., participant=..., locale=...)`` for one notebook."""

    def __init__(self, *, language: str = "en", store_path: str | None = None, participant: str | None = None,
                 locale: str | None = None, k: int | None = None, room: int | None = None):
        from toolkit.settings import current_workshop, resolve_k, resolve_locale, resolve_room, resolve_store_path
        from toolkit.store.responses import ResponseStore
        from toolkit.widgets import JoinForm

        workshop = current_workshop()  # set by `attune serve` for its kernels
        k = resolve_k(k, workshop)
        self.language = language
        self.locale = resolve_locale(locale, workshop)
        self.store = ResponseStore(resolve_store_path(store_path, workshop))
        self.join_form = JoinForm(self.store, language=language, k=k, device=os.environ.get(DEVICE_ENV),
                                  room=resolve_room(room, workshop))
        if participant:
            self.join_form.offer(participant)
        if DEVICE_ENV not in os.environ and os.environ.get("VOILA_PREHEAT") == "True":
            threading.Thread(target=self._await_device, name="attune-device", daemon=True).start()
        warm = os.environ.get(WARM_ENV)
        if warm == "preheat":
            warm_feedback()
        elif warm == "join":
            self.join_form.on_join(lambda _form: warm_feedback())

    def _await_device(self) -> None:
        """Wait for the page's request (preheated kernel), then let the join form recognise the device."""
        try:
            self.join_form.recognise(_request_info().get(DEVICE_ENV))
        except Exception:  # noqa: BLE001 - the page works without it; the participant can still join
            pass

    def join(self):
        """The join-and-consent widget (show it at the top of the notebook)."""
        return self.join_form

    @property
    def code(self) -> str | None:
        return self.join_form.code

    def questionnaire(self, instrument: str, timepoint: str = "pre"):
        """A questionnaire form that saves under the joined participant (if they consented)."""
        from toolkit.widgets import QuestionnaireForm

        return QuestionnaireForm(instrument, self.store, self.join_form, timepoint,
                                 language=self.language, locale=self.locale)
