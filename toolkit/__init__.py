"""Attune toolkit."""
