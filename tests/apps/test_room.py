"""A room of phones (issue 11): today's session is warm for the room, feedback shows a busy state at once.

The server is checked as plans and configuration here; tests/browser/test_load.py runs the
real room and the pool's refill.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from toolkit.apps.server import (
    MEMORY_BUDGET_MB,
    WARM_MARK,
    ServerPlan,
    WarmReport,
    projector_page,
)
from toolkit.content.text import ui
from toolkit.settings import resolve_session

SESSIONS = [Path(f"/w/{name}.ipynb") for name in ("00_welcome", "01_recognizing", "02_patterns", "10_closeness")]


@pytest.mark.parametrize("wanted, expected", [("01", "01_recognizing"), ("1", "01_recognizing"),
                                              ("10", "10_closeness"), ("02_patterns", "02_patterns"),
                                              ("02_patterns.ipynb", "02_patterns")])
def test_a_session_is_named_by_its_number_or_its_notebook(wanted, expected):
    assert resolve_session(wanted, SESSIONS).stem == expected


def test_an_unknown_session_names_the_sessions_there_are():
    with pytest.raises(ValueError, match="00_welcome, 01_recognizing"):
        resolve_session("07", SESSIONS)
    assert resolve_session(None, SESSIONS) is None


def test_the_room_pool_is_sized_to_the_room_within_the_memory_budget(tmp_path):
    plan = ServerPlan(notebooks=SESSIONS, store=tmp_path / "s.sqlite", pool_size=1, room=40, session=SESSIONS[1])
    warm = plan.warm_plan()
    assert (warm.session, warm.pool, warm.small) == ("01_recognizing.ipynb", 40, 1)
    assert warm.imports == "join"  # 43 kernels with pandas and plotly would not fit in the budget
    config = plan._pool_config()
    assert "'01_recognizing.ipynb': {'pool_size': 40}" in config and "'default': {'pool_size': 1}" in config
    assert any("RoomKernelManager" in part for part in plan.voila_command(tmp_path, tmp_path))
    assert plan.environment()["ATTUNE_WARM_POOL"] == "40"

    small = ServerPlan(notebooks=SESSIONS, store=tmp_path / "s.sqlite", pool_size=1, room=8, session=SESSIONS[1])
    assert small.warm_plan().imports == "preheat"  # a small room: the feedback's libraries load while warming

    huge = ServerPlan(notebooks=SESSIONS, store=tmp_path / "s.sqlite", pool_size=1, room=500, session=SESSIONS[1])
    assert huge.warm_plan().pool * 50 < MEMORY_BUDGET_MB  # reduced to what memory allows

    plain = ServerPlan(notebooks=SESSIONS, store=tmp_path / "s.sqlite")
    assert plain.warm_plan() is None and plain._pool_config() == ""
    assert not any("RoomKernelManager" in part for part in plain.voila_command(tmp_path, tmp_path))


def test_the_terminal_says_ready_and_the_projector_shows_how_warm_the_room_is(tmp_path, capsys):
    plan = ServerPlan(notebooks=SESSIONS, store=tmp_path / "s.sqlite", room=3, session=SESSIONS[1], language="es")
    projector = tmp_path / "join.html"
    report = WarmReport(plan, projector, every=3600)
    report.line(f"{WARM_MARK} 01_recognizing.ipynb 0 3 0\n")
    report.line(f"{WARM_MARK} 01_recognizing.ipynb 1 3 0\n")  # throttled: not complete, printed a moment ago
    report.line(f"{WARM_MARK} 01_recognizing.ipynb 3 3 0\n")
    report.line(f"{WARM_MARK} 01_recognizing.ipynb 1 2 1\n")  # just stopped being complete: said at once
    report.line("some other line of Voilà's\n")
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(": ")[1] for line in lines] == ["ready for 0 of 3 (0 taken)", "ready for 3 of 3 (0 taken)",
                                                       "ready for 1 of 2 (1 taken)"]
    assert ui("page_projector_warmth", "es", ready=1, target=2) in projector.read_text(encoding="utf-8")
    assert "Listo para 1 de 2" in projector_page("http://x/?token=t", "es", (1, 2))
    assert "Ready for" not in projector_page("http://x/?token=t", "en")


def test_see_my_results_is_busy_at_once_and_live_again_after(tmp_path, monkeypatch):
    import toolkit.widgets.form as form_module
    from toolkit.store.responses import ResponseStore

    store = ResponseStore(tmp_path / "s.sqlite")
    store.register("amber-fox-11", storage_consent=True)
    form = form_module.QuestionnaireForm("who5", store, "amber-fox-11")
    for control in form.controls:
        form.answer(control.item.id, 3)
    seen = {}
    real = form_module.personal_report

    def watched(*args, **kwargs):  # the moment the scoring runs: what the page has been sent
        seen["disabled"] = form.submit_button.disabled
        seen["results"] = [child.value for child in form.results.children]
        return real(*args, **kwargs)

    monkeypatch.setattr(form_module, "personal_report", watched)
    form.submit_button.click()
    assert seen["disabled"] is True
    assert len(seen["results"]) == 1 and "aria-busy='true'" in seen["results"][0]
    assert ui("results_working", "en") in seen["results"][0]
    assert form.submit_button.disabled is False  # live again: answers can change and be submitted again
    assert form.result is not None and "aria-busy" not in str([getattr(c, "value", "") for c in form.results.children])

    def broken(*args, **kwargs):
        raise RuntimeError("scoring failed")

    monkeypatch.setattr(form_module, "personal_report", broken)
    with pytest.raises(RuntimeError):
        form.submit()
    assert form.submit_button.disabled is False and form.results.children == ()
    store.close()


def test_the_busy_text_is_in_english_and_spanish():
    assert ui("results_working", "en") == "Working out your results…"
    assert ui("results_working", "es") == "Calculando tus resultados…"
