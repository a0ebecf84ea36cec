"""Simulation models: the plug-in protocol, the registry and the built-in models."""
