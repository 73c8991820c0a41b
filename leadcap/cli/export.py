"""`leadcap export`: follow-up lists as Excel workbooks, CSV files for CRMs, and vCards."""

from pathlib import Path
from typing import Annotated

import typer

from leadcap.cli.common import handle_errors, is_terminal, open_db, visible, with_filters
from leadcap.errors import UsageError
from leadcap.store.leads import LeadFilter

app = typer.Typer(
    rich_markup_mode=None,
    help="Write leads to Excel, CSV (Salesforce, HubSpot) or vCard files.",
    pretty_exceptions_show_locals=False,
    no_args_is_help=True,
)

FILTERS = "Filters"
New = Annotated[
    bool,
    typer.Option(
        "--new",
        help="Only leads not exported before under the same --profile",
        rich_help_panel=FILTERS,
    ),
]
Profile = Annotated[
    str,
    typer.Option(
        help="Name under which exported leads are remembered for --new (e.g. crm, acme)",
        rich_help_panel=FILTERS,
    ),
]
AllQuestions = Annotated[
    bool,
    typer.Option("--all-questions", help="Add columns for removed questions' answers too"),
]
Output = Annotated[Path | None, typer.Option("--output", "-o", help="File to write")]
Force = Annotated[
    bool, typer.Option("--force", help="Replace the output file(s) if they already exist")
]
WithCards = Annotated[
    bool,
    typer.Option(
        "--with-cards", help="Business-card images in a folder beside the file, linked per lead"
    ),
]
Lang = Annotated[
    str, typer.Option(help="Headings and values (rating, status, consent, yes/no): en, de or ja")
]


def _selection(filters, new: bool, profile: str, all_questions: bool = False):
    from leadcap.export.run import Selection

    if not profile.strip():
        raise UsageError("--profile cannot be empty. Use e.g. --profile crm")
    return Selection(
        filter=filters, new_only=new, profile=profile.strip(), all_questions=all_questions
    )


def _need_output(output: Path | None, example: str) -> Path:
    if output is None:
        raise UsageError(f"say where to write: -o FILE, e.g. {example}")
    return output


def _empty(store, selection) -> bool:
    from leadcap.export.run import nothing_to_export

    if not nothing_to_export(store, selection):
        return False
    why = f" (--new: all were exported under profile {selection.profile})"
    typer.echo("No leads match; no file written" + (why if selection.new_only else "") + ".")
    return True


def _report(result, *, folder: Path | None = None) -> None:
    if not result.paths and folder is None:  # the data went to standard output
        typer.echo(f"Wrote {result.total} lead(s) to standard output.", err=True)
        return
    typer.echo(f"Wrote {result.total} lead(s) to {folder or result.paths[0]}.")
    if len(result.counts) > 1 or folder is not None:
        for name, count in result.counts.items():
            typer.echo(f"  {visible(str(name))}: {count} lead(s)")
    if result.cut_uuids:
        typer.echo(
            f"{len(result.cut_uuids)} lead(s) had a cell cut at 32,767 characters (Excel's"
            " limit); their UUIDs are on the summary sheet:",
            err=True,
        )
        for uuid in result.cut_uuids[:20]:
            typer.echo(f"  {uuid}", err=True)


class _ProgressBar:
    """A rich progress bar on a terminal; nothing when output goes to a file or pipe."""

    def __init__(self):
        self.bar = None
        self.task = None

    def __enter__(self):
        if is_terminal():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(
                TextColumn("Writing"), BarColumn(), MofNCompleteColumn(), transient=True
            )
            self.bar.start()
            self.task = self.bar.add_task("export", total=None)
        return self

    def __call__(self, done: int, total: int | None) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


@app.command()
@handle_errors
@with_filters()
def xlsx(
    ctx: typer.Context,
    filters: LeadFilter,
    *,
    output: Output = None,
    files: Annotated[
        Path | None,
        typer.Option(
            "--files",
            metavar="DIR",
            help="One workbook per --split-by group in DIR instead of one workbook",
        ),
    ] = None,
    split_by: Annotated[
        str | None,
        typer.Option(
            help="One sheet (or file) per tag, exhibitor, staff, rating or answer:QUESTION"
        ),
    ] = None,
    lang: Lang = "en",
    force: Force = False,
    new: New = False,
    profile: Profile = "default",
    all_questions: AllQuestions = False,
    with_cards: WithCards = False,
) -> None:
    """Write a follow-up workbook (Excel), hot leads first.

    Write a follow-up workbook: a summary sheet, then the leads, hot first and newest
    first. With --split-by exhibitor --files DIR each co-exhibitor gets a file with only
    their own leads, plus the organiser's leads tagged with their name whose visitors
    granted share consent."""
    from leadcap.export import run as exporting

    store = open_db(ctx)
    selection = _selection(filters, new, profile, all_questions)
    described = exporting.describe(selection)
    exporting.check_xlsx_options(split_by, lang)
    if files is None:
        path = _need_output(output, "-o leads.xlsx (or --split-by exhibitor --files DIR)")
        if exporting.is_stdout(path):
            raise UsageError("a workbook cannot go to standard output. Give a file: -o leads.xlsx")
        exporting.check_output(path, "xlsx", force=force)
    elif split_by is None:
        raise UsageError("--files needs --split-by: tag, exhibitor, staff or rating")
    elif output is not None:
        raise UsageError("give either -o FILE (one workbook) or --files DIR (one per group)")
    if files is not None and with_cards:
        raise UsageError("--with-cards works with one workbook (-o FILE), not with --files")
    if _empty(store, selection):
        return
    with _ProgressBar() as progress:
        if files is not None:
            assert split_by is not None  # checked above: --files needs --split-by
            result = exporting.export_xlsx_files(
                store, files, selection, split_by=split_by, lang=lang, filters=described,
                progress=progress, force=force,
            )  # fmt: skip
        else:
            result = exporting.export_xlsx(
                store, path, selection, split_by=split_by, lang=lang, filters=described,
                progress=progress, force=force, with_cards=with_cards,
            )  # fmt: skip
    _report(result, folder=files)


@app.command()
@handle_errors
@with_filters()
def csv(
    ctx: typer.Context,
    filters: LeadFilter,
    *,
    output: Output = None,
    delimiter: Annotated[
        str, typer.Option(help="Field separator: , or ; (German Excel) or tab")
    ] = ",",
    format: Annotated[
        str,
        typer.Option(
            "--format",
            help="Column layout: leadcap (for spreadsheets), salesforce or hubspot (for the"
            " CRM's import wizard, not for opening in Excel)",
        ),
    ] = "leadcap",
    lang: Lang = "en",
    force: Force = False,
    new: New = False,
    profile: Profile = "default",
    all_questions: AllQuestions = False,
    with_cards: WithCards = False,
) -> None:
    """Write a CSV file, in leadcap's layout or for a CRM import.

    UTF-8 with BOM and formulas neutralised in leadcap's own layout; values as the CRM stores
    them for the Salesforce or HubSpot import wizard. Without -o (or with -o -) the CSV goes
    to standard output."""
    from leadcap.export import run as exporting

    store = open_db(ctx)
    selection = _selection(filters, new, profile, all_questions)
    delimiter = exporting.check_csv_options(format, delimiter)
    exporting.check_lang(lang)
    if lang != "en" and format != "leadcap":
        raise UsageError(f"--lang applies to the leadcap layout; {format} needs its own words")
    if output is not None and not exporting.is_stdout(output):
        exporting.check_output(output, "csv", force=force)
    if with_cards and (output is None or exporting.is_stdout(output)):
        raise UsageError("--with-cards needs a file (-o leads.csv): the cards go beside it")
    if _empty(store, selection):
        return
    result = exporting.export_csv(
        store, output, selection, delimiter=delimiter, format=format, lang=lang, force=force,
        with_cards=with_cards,
    )  # fmt: skip
    _report(result)


@app.command()
@handle_errors
@with_filters()
def vcf(
    ctx: typer.Context,
    filters: LeadFilter,
    *,
    output: Output = None,
    version: Annotated[str, typer.Option("--version", help="vCard version: 3.0 or 4.0")] = "3.0",
    force: Force = False,
    new: New = False,
    profile: Profile = "default",
    with_cards: Annotated[
        bool, typer.Option("--with-cards", help="Include the business card as the PHOTO")
    ] = False,
) -> None:
    """Write a .vcf file with a card per lead, for phones and address books.

    Write one .vcf file with a card per lead, for phones and address books (3.0 keeps
    name readings as X-PHONETIC-*, 4.0 as SORT-AS)."""
    from leadcap.export import run as exporting

    store = open_db(ctx)
    path = _need_output(output, "-o leads.vcf")
    selection = _selection(filters, new, profile)
    if version not in ("3.0", "4.0"):
        raise UsageError(f"vCard version must be 3.0 or 4.0, not {version!r}")
    exporting.check_output(path, "vcf", force=force)
    if _empty(store, selection):
        return
    _report(
        exporting.export_vcf(
            store, path, selection, version=version, force=force, with_cards=with_cards
        )
    )
