"""Simulated radiation-hardened payload compute module (hw-compute-module reference implementation)."""
