"""Adapters: each connects one port to one outside system through an injected client."""
