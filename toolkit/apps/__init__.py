"""Processes: the ``attune`` command line, the participant and dashboard servers, checks, starters."""
