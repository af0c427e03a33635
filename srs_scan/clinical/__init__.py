"""Readings -> what a clinician acts on: client histories, alert rules and their settings."""
