"""How `--help` looks: commands grouped by task, and for options and arguments words
users know (PATH, TAG, DATE, LEAD_ID) instead of the `<list[str]>` type labels and
`{lead_id}` this Typer prints, and no label at all for on/off flags.

Typer has no setting for this, so the few methods that render those labels are replaced
here, once, for leadcap's process."""

from typer import core

DATE_OPTIONS = {"since", "until", "date", "due", "older-than"}
NAME_OPTIONS = {"staff", "owner", "exhibitor", "name"}
WORDS = {"int": "N", "float": "NUMBER", "file": "FILE", "directory": "DIR", "path": "PATH"}


def value_label(option: core.TyperOption, ctx) -> str | None:
    """The word shown after an option in help: its metavar, else one derived from it."""
    if option.metavar is not None:
        return option.metavar
    if option.is_flag or option.count:
        return None
    descriptor = option.type_descriptor
    if descriptor.is_choice:
        return "|".join(str(c) for c in descriptor.choices or ())
    if descriptor.is_path:
        return WORDS.get(descriptor.path_type, "PATH")
    bare = option._bare_type(descriptor.annotation)
    if bare in WORDS:
        return WORDS[bare]
    name = next((o[2:] for o in option.opts if o.startswith("--")), option.name or "value")
    if name in DATE_OPTIONS:
        return "DATE"
    return "NAME" if name in NAME_OPTIONS else name.upper().replace("-", "_")


def argument_usage(argument: core.TyperArgument) -> str:
    """LEAD_ID for a required argument, [TAG]... for optional or repeated ones."""
    name = argument.metavar or (argument.name or "value").upper()
    if not argument.required:
        name = f"[{name}]"
    return name + ("..." if argument.nargs != 1 else "")


def argument_name(argument: core.TyperArgument) -> str:
    name = argument.metavar or (argument.name or "value").upper()
    return name + ("..." if argument.metavar is None and argument.nargs != 1 else "")


def summary(command) -> str:
    """A command's first paragraph: its one-line summary (tests keep it one short line)."""
    import inspect

    return " ".join(inspect.cleandoc(command.help or "").split("\n\n")[0].split())


def grouped_commands(group: core.TyperGroup, ctx, formatter) -> None:
    """Commands listed under their task panels (`rich_help_panel`), in registration order,
    with their whole summary. Click's plain formatter does this at a fraction of the cost
    of Typer's rich help, which every `--help` would otherwise pay for (bench/startup.py)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is None or command.hidden:
            continue
        panel = getattr(command, "rich_help_panel", None) or "Commands"
        sections.setdefault(panel, []).append((name, summary(command)))
    for panel, rows in sections.items():
        with formatter.section(panel):
            formatter.write_dl(rows)


def use_plain_value_labels() -> None:
    core.TyperGroup.format_commands = grouped_commands  # type: ignore[method-assign, assignment]
    core.TyperOption.display_type_rich = value_label  # type: ignore[method-assign, assignment]
    core.TyperArgument.display_type_rich = lambda argument, ctx: None  # type: ignore[method-assign, assignment]
    core.TyperArgument._usage_display_name = argument_usage  # type: ignore[method-assign, assignment]
    core.TyperArgument._rich_display_name = argument_name  # type: ignore[method-assign, assignment]
