"""Pydantic models for what crosses the HTTP edge, with explicit mapping to the domain."""
