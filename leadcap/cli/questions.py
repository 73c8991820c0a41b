"""`leadcap questions` (the event's qualifying questions) and `leadcap answer`."""

from typing import Annotated

import typer

from leadcap.cli.common import JsonOption, handle_errors, open_db, print_json, print_table
from leadcap.store import answers
from leadcap.store import questions as core

app = typer.Typer(
    rich_markup_mode=None,
    help="The event's qualifying questions: add, list, edit, remove, reorder.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

TypeOption = Annotated[
    str | None, typer.Option("--type", help="single, multi, text, number, date or yesno")
]
ChoicesOption = Annotated[
    str | None, typer.Option(help='Choices in order, comma-separated: "R&D,Distribution"')
]
LabelDe = Annotated[str | None, typer.Option("--label-de", help="The question in German")]
LabelJa = Annotated[str | None, typer.Option("--label-ja", help="The question in Japanese")]
ChoicesDe = Annotated[
    str | None, typer.Option("--choices-de", help='German choice labels: "R&D=F&E,Job=Stelle"')
]
ChoicesJa = Annotated[
    str | None, typer.Option("--choices-ja", help='Japanese choice labels: "R&D=研究開発"')
]
PointsOption = Annotated[
    str | None, typer.Option(help='Score points per choice: "R&D=30,Investment=20" (yes=15)')
]
Name = Annotated[str, typer.Argument(help="The question's name (or its number in the list)")]


def _labels(label_de: str | None, label_ja: str | None) -> dict:
    return {"de": label_de, "ja": label_ja}


def _print(questions: list, as_json: bool) -> None:
    if as_json:
        print_json([question.as_dict() for question in questions])
        return
    rows = []
    for number, question in enumerate(questions, start=1):
        choices = ", ".join(
            c["value"] + (f" ({c['points']:+d})" if c.get("points") else "")
            for c in question.choices
        )
        labels = " / ".join(question.labels[k] for k in core.LANGUAGES if k in question.labels)
        removed = " (removed)" if question.removed else ""
        rows.append([number, question.name + removed, question.type, choices, labels])
    print_table(["#", "question", "type", "choices (points)", "labels de / ja"], rows)


@app.command()
@handle_errors
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The question, e.g. Cooperation")],
    *,
    kind: TypeOption = "single",
    choices: ChoicesOption = None,
    label_de: LabelDe = None,
    label_ja: LabelJa = None,
    choices_de: ChoicesDe = None,
    choices_ja: ChoicesJa = None,
    points: PointsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Add a qualifying question at the end of the list."""
    question = core.add_question(
        open_db(ctx, create=True),  # setting up the event may come before any lead
        name,
        kind or "single",
        choices=core.split_list(choices),
        labels=_labels(label_de, label_ja),
        choice_labels={"de": choices_de, "ja": choices_ja},
        points=points,
    )
    if as_json:
        print_json(question.as_dict())
        return
    typer.echo(f"Added question {question.name!r} ({question.type}).")


@app.command("list")
@handle_errors
def list_(
    ctx: typer.Context,
    *,
    all_: Annotated[bool, typer.Option("--all", help="Show removed questions too")] = False,
    as_json: JsonOption = False,
) -> None:
    """List the questions in the order they are asked."""
    _print(core.list_questions(open_db(ctx), include_removed=all_), as_json)


@app.command()
@handle_errors
def edit(
    ctx: typer.Context,
    name: Name,
    *,
    kind: TypeOption = None,
    choices: Annotated[
        str | None, typer.Option(help="Replace the choices (answers given stay as they are)")
    ] = None,
    add_choice: Annotated[
        list[str] | None, typer.Option("--add-choice", help="Add a choice (repeatable)")
    ] = None,
    label_de: LabelDe = None,
    label_ja: LabelJa = None,
    choices_de: ChoicesDe = None,
    choices_ja: ChoicesJa = None,
    points: PointsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Change a question's type, choices, labels or points."""
    question = core.edit_question(
        open_db(ctx),
        name,
        kind=kind,
        choices=core.split_list(choices) if choices is not None else None,
        add_choices=add_choice or [],
        labels=_labels(label_de, label_ja),
        choice_labels={"de": choices_de, "ja": choices_ja},
        points=points,
    )
    _print([question], as_json)


@app.command()
@handle_errors
def remove(ctx: typer.Context, name: Name) -> None:
    """Remove a question from the list. Its answers are kept (export --all-questions)."""
    question = core.remove_question(open_db(ctx), name)
    typer.echo(
        f"Removed question {question.name!r}; its answers are kept."
        f" Bring it back with leadcap questions add {question.name!r}."
    )


@app.command()
@handle_errors
def reorder(
    ctx: typer.Context,
    names: Annotated[list[str], typer.Argument(help="Questions in the new order (first ones)")],
    *,
    as_json: JsonOption = False,
) -> None:
    """Put these questions first, in this order; the rest follow as they were."""
    _print(core.reorder(open_db(ctx), names), as_json)


@handle_errors
def answer(
    ctx: typer.Context,
    lead_id: Annotated[str, typer.Argument(help="The lead's number (or uuid)")],
    question: Annotated[str, typer.Argument(help="The question's name or number")],
    values: Annotated[
        list[str] | None,
        typer.Argument(help="The answer: a choice (name, label or number), text, number, date"),
    ] = None,
    *,
    remove: Annotated[
        bool, typer.Option("--remove", help="Take these choices away (or clear the answer)")
    ] = False,
    clear: Annotated[bool, typer.Option("--clear", help="Clear the answer")] = False,
    as_json: JsonOption = False,
) -> None:
    """Answer a qualifying question for a lead.

    Multi-choice answers add to the choices already given. Logged (leadcap history) and
    undoable (leadcap undo)."""
    from leadcap.cli.leads import report

    store = open_db(ctx)
    lead = answers.answer(store, lead_id, question, values or [], remove=remove, clear=clear)
    if as_json:
        print_json(lead)
        return
    report(store, lead, False)
    for name, value in lead["answers"].items():
        typer.echo(f"{name}: {core.show_answer(value)}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="questions")
    root.command()(answer)
