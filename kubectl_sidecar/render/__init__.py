"""Renderers: pure functions from a timeline (or a check report) to a string."""
