"""Adapters that implement the handler ports: in memory (tests), local (laptop), AWS (cloud)."""
