"""Help texts as people read them: a flag (``--yes``) takes no value, so it shows no type."""

from __future__ import annotations

from typing import Any


def hide_flag_types(command: Any) -> None:
    """Give every flag of ``command`` (a Click command built by Typer) and its subcommands
    an empty placeholder.

    Typer prints each option's type (``<str>``, ``<path>``), which helps for options that
    take a value; on a flag, ``<bool>`` reads as if it wanted one. Typed ``Any``: Typer
    builds on its own copy of Click, whose classes are not the ``click`` package's.
    """
    context = command.context_class(command)
    help_option = command.get_help_option(context)
    for param in [*command.params, *([help_option] if help_option else [])]:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        hide_flag_types(sub)
