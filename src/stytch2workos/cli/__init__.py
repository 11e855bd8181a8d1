"""Typer commands: flags → settings → library call; Rich progress, tables and exit codes."""
