"""Commands that add, find, show and change leads by hand."""

import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Annotated, Any

import typer

from leadcap.cli.common import (
    MAX_INT,
    JsonOption,
    handle_errors,
    is_terminal,
    open_db,
    print_json,
    print_table,
    show_time,
    visible,
    with_field_options,
    with_filters,
)
from leadcap.errors import LeadcapError, UsageError
from leadcap.store import history as history_core
from leadcap.store import leads as core
from leadcap.store import model
from leadcap.store.database import Store
from leadcap.store.dates import due_date

LeadId = Annotated[str, typer.Argument(help="The lead's number (or uuid)")]
PROMPTED_FIELDS = (
    "family_name",
    "given_name",
    "name_reading",
    "company",
    "email",
    "phone",
)


def parse_consent(value: str | None) -> dict[str, str]:
    """`--consent followup,marketing` -> those purposes granted."""
    if not value:
        return {}
    purposes = [p.strip().lower() for p in value.split(",") if p.strip()]
    for purpose in purposes:
        model.check_choice(purpose, model.CONSENT_PURPOSES, "consent purpose")
    return dict.fromkeys(purposes, "granted")


def lead_row(store: Store, lead: model.Lead) -> list:
    flags = "review" if lead["needs_review"] else ""
    if lead["visits"] and lead["visits"] > 1:
        flags = f"{flags} x{lead['visits']}".strip()
    return [
        lead["id"],
        show_time(store, lead["captured_at"]),
        model.list_name(lead),
        lead["company"],
        lead["email"],
        lead["rating"],
        lead["score"],
        ", ".join(lead["tags"]),
        flags,
    ]


LIST_COLUMNS = ["id", "captured", "name", "company", "email", "rating", "score", "tags", "flags"]


def print_leads(store: Store, leads: Sequence[model.Lead], as_json: bool) -> None:
    if as_json:
        print_json(leads)
    else:
        print_table(LIST_COLUMNS, [lead_row(store, lead) for lead in leads])


def print_lead(store: Store, lead: model.Lead) -> None:
    from leadcap.store.questions import show_answer
    from leadcap.store.score import scorer

    rows = [["name", model.list_name(lead, width=200)]]
    fields: Mapping[str, Any] = lead  # shown key by key, whatever each value's type
    for key in core.JSON_KEYS:
        value = fields[key]
        if key == "answers":
            rows += [["answers", ""]] if value else []
            rows += [[f"  {name}", show_answer(answer)] for name, answer in value.items()]
            continue
        if key == "score":
            rows.append(["score", value])
            terms = scorer(store).terms(lead)
            rows += [[f"  {what}", f"{points:+d}"] for what, points in terms]
            continue
        if key in ("captured_at", "updated_at"):
            value = show_time(store, value)
        elif key == "tags":
            value = ", ".join(value)
        elif key == "consent":
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        elif key == "review_reasons":
            value = "; ".join(value)
        if value not in (None, "", [], False) or key in ("id", "rating", "tags"):
            rows.append([key, value])
    print_table(["field", "value"], rows)


@with_field_options(model.LEAD_FIELDS)
@handle_errors
def add(
    ctx: typer.Context,
    *,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", help="Interest tag (repeatable)")
    ] = None,
    rating: Annotated[str | None, typer.Option(help="hot, warm or cold")] = None,
    note: Annotated[str | None, typer.Option(help="A first note")] = None,
    consent: Annotated[
        str | None, typer.Option(help="Purposes the visitor agreed to: followup[,marketing,share]")
    ] = None,
    exhibitor: Annotated[str | None, typer.Option(help="Co-exhibitor this lead belongs to")] = None,
    new: Annotated[
        bool,
        typer.Option(
            "--new", help="A separate lead even if the e-mail or badge is already captured"
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Add even a person who asked to be forgotten, or one already captured",
        ),
    ] = False,
    as_json: JsonOption = False,
    **fields: str | None,
) -> None:
    """Add a lead by hand and print its number.

    Add a lead by hand. Prints its number. On a terminal with no name, company or
    e-mail given, asks for the usual fields (Enter skips one). An e-mail or badge id
    already captured counts a visit of that lead and fills its empty fields, as a scan
    does (--new adds a separate lead)."""
    store = open_db(ctx, create=True)
    given = {k: v for k, v in fields.items() if v is not None}
    if not given and not note and sys.stdin.isatty() and is_terminal():
        for name in PROMPTED_FIELDS:
            value = typer.prompt(name.replace("_", " "), default="", show_default=False)
            if value.strip():
                given[name] = value
    if not given:
        raise UsageError(
            "nothing to add: give at least one field, e.g. leadcap add --family-name Yamada"
        )
    consent_state = parse_consent(consent)
    check_not_forgotten(store, given, force=force)
    if not (new or force) and revisit(store, given, tag, rating, consent_state, note, as_json):
        return
    lead = core.add_lead(
        store,
        given,
        tags=tag or [],
        rating=rating,
        consent=consent_state,
        exhibitor=exhibitor,
        note=note,
    )
    if as_json:
        print_json(lead)
        return
    typer.echo(lead["id"])
    for reason in lead["review_reasons"]:
        typer.echo(f"Saved, flagged for review: {reason}.", err=True)


def revisit(store, given: dict, tags, rating, consent: dict, note, as_json: bool) -> bool:
    """The scan rule for `add`: someone already captured (same badge, else same e-mail)
    gets a visit counted and empty fields filled, not a second lead. True if so."""
    existing = core.find_same_person(store, given)
    if existing is None:
        return False
    from leadcap.intake import capture  # only for a returning visitor: it loads the parsers

    lead, filled = capture.revisit(
        store, existing, given, tags=tags, rating=rating, consent=consent, note=note
    )
    if as_json:
        print_json(lead)
        return True
    typer.echo(lead["id"])
    first = f"first captured {show_time(store, existing['captured_at'])}"
    if existing["captured_by"]:
        first += f" by {existing['captured_by']}"
    typer.echo(
        f"Already captured: lead {lead['id']} ({model.label(lead)}), {first}."
        f" Visit counted ({lead['visits']} visits)"
        + (f"; filled in: {', '.join(filled)}." if filled else "; nothing to fill in.")
        + " A separate lead instead: leadcap undo, then add again with --new.",
        err=True,
    )
    return True


def check_not_forgotten(store, fields: dict, *, force: bool, action: str = "added") -> None:
    """A person erased on request is not captured again without a word."""
    from leadcap.store.tombstones import is_forgotten

    if force or not is_forgotten(store, fields):
        return
    question = "This person asked to be forgotten (GDPR/APPI erasure). Capture them anew?"
    if sys.stdin.isatty() and typer.confirm(question, default=False):
        return
    what = " and was not added" if action == "added" else f"; the lead was not {action}"
    raise LeadcapError(
        f"this person asked to be forgotten (GDPR/APPI erasure){what}."
        " If they asked to be captured again, add --force"
    )


@handle_errors
@with_filters()
def list_(
    ctx: typer.Context,
    filters: core.LeadFilter,
    *,
    deleted: Annotated[bool, typer.Option("--deleted", help="Only deleted leads")] = False,
    sort: Annotated[
        str, typer.Option(help="captured (newest first) or score (highest first)")
    ] = "captured",
    limit: Annotated[int | None, typer.Option(min=1, max=MAX_INT, help="At most this many")] = None,
    as_json: JsonOption = False,
) -> None:
    """List leads, newest first (or by score)."""
    from leadcap.store.score import score_order

    store = open_db(ctx)
    sort = model.check_choice(sort, ("captured", "score"), "sort order")
    flt = replace(filters, deleted=deleted, limit=limit)
    order = score_order() if sort == "score" else None
    print_leads(store, list(core.iter_leads(store, flt, order=order)), as_json)


@handle_errors
def show(
    ctx: typer.Context,
    lead_id: LeadId,
    *,
    card: Annotated[
        bool,
        typer.Option("--card", help="Open the lead's business card (prints its path)"),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Show every field of one lead."""
    store = open_db(ctx)
    lead = core.get_lead(store, lead_id)
    if card:
        from leadcap.cli.cards import show_lead_card

        show_lead_card(ctx, lead)
        return
    if as_json:
        print_json(lead)
    else:
        print_lead(store, lead)


@with_field_options(model.LEAD_FIELDS)
@handle_errors
def edit(
    ctx: typer.Context,
    lead_id: LeadId,
    *,
    exhibitor: Annotated[str | None, typer.Option(help="Co-exhibitor")] = None,
    status: Annotated[
        str | None, typer.Option(help="new, contacted, meeting, offer, won or lost")
    ] = None,
    owner: Annotated[str | None, typer.Option(help="Who follows up")] = None,
    due: Annotated[
        str | None,
        typer.Option(help="Follow-up due date: YYYY-MM-DD, +3d, +2w (from today) or none"),
    ] = None,
    materials: Annotated[
        str | None,
        typer.Option(
            help="What you promised to send the visitor, items separated by ; (the only booth"
            " words a draft e-mail quotes); none clears"
        ),
    ] = None,
    reviewed: Annotated[
        bool, typer.Option("--reviewed", help="Mark as checked: clears the review flag")
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Allow the e-mail or badge of a person who was forgotten"),
    ] = False,
    as_json: JsonOption = False,
    **fields: str | None,
) -> None:
    """Change fields of a lead.

    Each change is logged (leadcap history) and can be undone."""
    store = open_db(ctx)
    changes: dict[str, object] = {k: v for k, v in fields.items() if v is not None}
    extra = {"exhibitor": exhibitor, "owner": owner}
    changes.update({k: v for k, v in extra.items() if v is not None})
    if status is not None:
        changes["status"] = model.check_choice(status, model.STATUSES, "status")
    if due is not None:
        changes["due"] = due_date(store, due)
    if materials is not None:
        cleared = materials.strip().lower() in ("none", "-")
        changes["materials"] = None if cleared else core.materials_text(materials)
    if reviewed:
        changes["reviewed"] = True
    if not changes:
        raise UsageError("nothing to change: give a field, e.g. leadcap edit 12 --email a@b.jp")
    # Typing a forgotten person's e-mail or badge into a lead would capture them again.
    identity = {k: changes[k] for k in ("email", "badge_id") if changes.get(k)}
    if identity:
        check_not_forgotten(store, identity, force=force, action="changed")
    lead = core.update_lead(store, lead_id, changes, command="edit")
    report(store, lead, as_json)


def report(store: Store, lead: model.Lead, as_json: bool) -> None:
    if as_json:
        print_json(lead)
    else:
        print_table(LIST_COLUMNS, [lead_row(store, lead)])


@handle_errors
def tag(
    ctx: typer.Context,
    lead_id: LeadId,
    tags: Annotated[list[str], typer.Argument(help="Tags to add (or remove)")],
    *,
    remove: Annotated[bool, typer.Option("--remove", help="Remove these tags instead")] = False,
    as_json: JsonOption = False,
) -> None:
    """Add interest tags to a lead (or remove them)."""
    store = open_db(ctx)
    report(store, core.add_tags(store, lead_id, tags, remove=remove), as_json)


@handle_errors
def rate(
    ctx: typer.Context,
    lead_id: LeadId,
    rating: Annotated[str, typer.Argument(help="hot, warm, cold, or none to clear")],
    *,
    as_json: JsonOption = False,
) -> None:
    """Rate a lead hot, warm or cold, or clear its rating with none."""
    store = open_db(ctx)
    value = (
        None if rating.lower() == "none" else model.check_choice(rating, model.RATINGS, "rating")
    )
    report(store, core.update_lead(store, lead_id, {"rating": value}, command="rate"), as_json)


@handle_errors
def note(
    ctx: typer.Context,
    lead_id: LeadId,
    text: Annotated[str, typer.Argument(help="The note to append")],
    *,
    as_json: JsonOption = False,
) -> None:
    """Append a note to a lead, stamped with the time and your name."""
    store = open_db(ctx)
    report(store, core.append_note(store, lead_id, text), as_json)


@handle_errors
def delete(ctx: typer.Context, lead_id: LeadId) -> None:
    """Delete a lead: hidden from lists and exports.

    The lead is kept, so `leadcap restore ID` or `leadcap undo` bring it back."""
    store = open_db(ctx)
    lead = core.update_lead(store, lead_id, {"deleted": True}, command="delete")
    typer.echo(f"Deleted lead {lead['id']} ({visible(model.label(lead))}). Undo: leadcap undo")


@handle_errors
def restore(ctx: typer.Context, lead_id: LeadId) -> None:
    """Bring back a deleted lead."""
    store = open_db(ctx)
    if not core.get_lead(store, lead_id)["deleted"]:
        typer.echo(f"Lead {lead_id} is not deleted: nothing to restore.")
        return
    lead = core.update_lead(store, lead_id, {"deleted": False}, command="restore")
    typer.echo(f"Restored lead {lead['id']} ({visible(model.label(lead))}).")


@handle_errors
def history(ctx: typer.Context, lead_id: LeadId, *, as_json: JsonOption = False) -> None:
    """Show every change made to a lead: field, old and new value, who, where, when."""
    store = open_db(ctx)
    changes = history_core.history(store, lead_id)
    if as_json:
        print_json(changes)
        return
    rows = [
        [
            show_time(store, c["changed_at"]),
            c["staff"],
            c["device"],
            c["command"] + (" (undone)" if c["undone_by"] else ""),
            c["field"],
            c["old_value"],
            c["new_value"],
        ]
        for c in changes
    ]
    print_table(["time", "staff", "device", "command", "field", "old", "new"], rows)


@handle_errors
def undo(ctx: typer.Context) -> None:
    """Revert the most recent change made on this laptop. Repeat to go further back."""
    store = open_db(ctx)
    reverted, changes = history_core.undo(store)
    fields = ", ".join(dict.fromkeys(name for name, _old, _new in changes))
    if len(reverted) == 1:
        typer.echo(
            f"Undid {fields} on lead {reverted[0]['id']} ({visible(model.label(reverted[0]))})."
        )
    else:
        typer.echo(f"Undid {fields} on {len(reverted)} leads.")


@handle_errors
def find(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="Text to look for (kanji, kana, Latin)")],
    *,
    limit: Annotated[int, typer.Option(min=1, max=MAX_INT, help="At most this many")] = 50,
    as_json: JsonOption = False,
) -> None:
    """Find leads by any part of name, reading, company, e-mail or notes."""
    store = open_db(ctx)
    print_leads(store, core.find(store, text, limit=limit), as_json)


def register(app: typer.Typer) -> None:
    app.command()(add)
    app.command("list")(list_)
    for command in (show, edit, tag, rate, note, delete, restore, history, undo, find):
        app.command()(command)
