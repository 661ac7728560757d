"""Checks: one Finding type, one catalogue of codes (findings.py), and each check a function returning findings."""
