"""Benchmarks against the fake tenant; see README.md in this folder."""
