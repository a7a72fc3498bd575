"""Composition root: settings, Dishka providers, app factories and the command line."""
