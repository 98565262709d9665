"""Pure decisions over plain data: scoring, safety, privacy, change, group views, figures, feedback.

Nothing here reads or writes a store, opens a widget or starts a process: data in, data or
figures out, vectorised with numpy and pandas. The shells (``store``, ``widgets``, ``apps``)
call it.
"""
