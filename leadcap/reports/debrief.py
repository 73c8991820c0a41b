"""The end-of-day debrief: the day's counts and a fix-up queue of incomplete leads, each
problem with the command that fixes it, so the team lead can fix them the same evening.

Placeholders in the commands are in angle brackets (`<e-mail>`): a shell refuses to run a
command pasted with the placeholder still in it, instead of saving the placeholder."""

from __future__ import annotations

import os
import shlex
from dataclasses import replace
from datetime import date
from pathlib import Path

from leadcap.reports import stats
from leadcap.store import model
from leadcap.store.database import Store
from leadcap.store.leads import LeadFilter, iter_leads

# Review reasons that a corrected field clears by itself (see model.VALIDATION_PREFIXES).
_FIELD_REASONS = {"e-mail ": ("email", "<e-mail>"), "phone ": ("phone", "<phone>"),
                  "mobile ": ("mobile", "<mobile>")}  # fmt: skip
NO_COUNTRY = "(no country)"  # the end of a phone reason when no country was known


def returning_visitors(store: Store, since: str, until: str) -> int:
    """Live leads with a visit in [since, until) that are returning visitors. "Returning"
    is what `leadcap stats` counts: the lead's visits (every device's, merged ones and
    linked duplicates included, from the `visits` table) number more than one. Stats counts
    such leads by capture time; the debrief by their latest visit, so a visitor captured
    yesterday and scanned again today is one of today's returning visitors."""
    row = store.conn.execute(
        "SELECT COUNT(*) FROM ("
        " SELECT coalesce(a.lead_uuid, v.lead_uuid) AS lead_uuid,"
        " max(strftime('%Y-%m-%dT%H:%M:%S+00:00', v.last_at)) AS latest"
        " FROM visits v LEFT JOIN lead_aliases a ON a.alias_uuid = v.lead_uuid"
        " GROUP BY 1) seen JOIN leads l ON l.uuid = seen.lead_uuid"
        " WHERE l.deleted_at IS NULL AND l.visits > 1 AND seen.latest >= ? AND seen.latest < ?",
        [since, until],
    ).fetchall()[0]
    return row[0]


CONSENT_PROBLEM = "follow-up consent not recorded: record the answer only after asking the visitor"
# How the fix-up queue is grouped, in this order: one group per kind (review: one per fix).
GROUP_TITLES = {"email": "No e-mail", "consent": "Follow-up consent not recorded",
                "rating": "No rating", "tags": "No interest tag", "review": "Check"}  # fmt: skip


def problems(lead: model.Lead, command: str = "leadcap") -> list[dict[str, str]]:
    """What is missing or doubtful about a lead, each with the command that fixes it
    (`command`) and the same command for any lead (`template`, with `<id>`).
    Kinds: email, consent, rating, tags, review. A refused follow-up is the visitor's
    decision, not a gap, so only consent never asked is listed; its command has a
    placeholder for the visitor's answer, never a ready "granted" nobody gave."""
    n = lead["id"]
    found = []

    def add(kind: str, text: str, fix: str) -> None:
        found.append(
            {
                "kind": kind,
                "problem": text,
                "command": f"{command} {fix.format(id=n)}",
                "template": f"{command} {fix.format(id='<id>')}",
            }
        )

    if not lead["email"]:
        add("email", "no e-mail", "edit {id} --email <e-mail>")
    if lead["consent"].get("followup") == "not_asked":
        add("consent", CONSENT_PROBLEM, "consent {id} followup <granted|refused>")
    if not lead["rating"]:
        add("rating", "no rating", "rate {id} <hot|warm|cold>")
    if not lead["tags"]:
        add("tags", "no interest tag", "tag {id} <tag>")
    for reason in lead["review_reasons"]:
        if reason.startswith(("phone ", "mobile ")) and reason.endswith(NO_COUNTRY):
            # Not a typo: the number cannot be read without its country. One setting
            # fixes every such lead (the lead's own country, `edit --country`, one).
            add(
                "review",
                f"{reason}: set the country",
                "config set country <JP|DE|...> --revalidate",
            )
            continue
        for prefix, (field, placeholder) in _FIELD_REASONS.items():
            if reason.startswith(prefix):
                option = field.replace("_", "-")
                add("review", reason, f"edit {{id}} --{option} {placeholder}")
                break
        else:
            add("review", f"check: {reason}", "edit {id} --reviewed")
    if lead["needs_review"] and not lead["review_reasons"]:
        add("review", "flagged for review", "edit {id} --reviewed")
    return found


def fixup_groups(queue: list[dict]) -> list[dict]:
    """The fix-up queue by problem: one group per kind (and per fix for review problems),
    each with its leads and the command for any of them, so 85 leads read as a handful of
    groups rather than 250 lines."""
    groups: dict[tuple[str, str], dict] = {}
    order = list(GROUP_TITLES)
    for item in queue:
        for problem in item["problems"]:
            key = (problem["kind"], problem["template"])
            group = groups.setdefault(
                key,
                {"kind": problem["kind"], "title": GROUP_TITLES[problem["kind"]],
                 "command": problem["template"], "leads": []},
            )  # fmt: skip
            lead = {"id": item["id"], "name": item["name"], "company": item["company"]}
            if problem["kind"] == "review":
                lead["problem"] = problem["problem"]
            group["leads"].append(lead)
    return sorted(groups.values(), key=lambda g: order.index(g["kind"]))


def debrief(
    store: Store, day: date, *, command: str = "leadcap", flt: LeadFilter | None = None
) -> dict:
    """The day's counts and fix-up queue for the leads `flt` selects (its dates are
    replaced by the day's). `command` starts every fix command (it carries `--db FILE`
    when the debrief was made for a file other than the default)."""
    since, until = stats.day_bounds(store.zone(), day)
    day_filter = replace(flt or LeadFilter(), since=since, until=until)
    counts = stats.totals(store, day_filter)
    groups = stats.breakdowns(store, day_filter)
    leads = list(iter_leads(store, day_filter, order="id"))
    queue = []
    for lead in leads:
        found = problems(lead, command)
        if found:
            queue.append(
                {
                    "id": lead["id"],
                    "uuid": lead["uuid"],
                    "name": model.display_name(lead),
                    "company": lead["company"],
                    "captured_at": lead["captured_at"],
                    "captured_by": lead["captured_by"],
                    "problems": found,
                }
            )
    return {
        "date": day.isoformat(),
        "timezone": store.timezone,
        "new_leads": counts["total"],
        "returning_visitors": returning_visitors(store, since, until),
        "per_rating": counts["per_rating"],
        "per_staff": groups["per_staff"],
        "per_tag": groups["per_tag"],
        "untagged": counts["untagged"],
        "per_exhibitor": groups["per_exhibitor"],
        "per_answer": groups["per_answer"],
        "consent_granted": counts["consent_granted"],
        "consent_rate": counts["consent_rate"],
        "needs_review": counts["needs_review"],
        "fixups": queue,
        "fixup_groups": fixup_groups(queue),
    }


def fix_command_prefix(db_path: Path | None) -> str:
    """`leadcap`, or `leadcap --db FILE` when the commands must reach a particular file."""
    return f"leadcap --db {shlex.quote(str(db_path))}" if db_path else "leadcap"


def summary_rows(report: dict) -> list[tuple[str, object]]:
    """The counts as (label, value) rows, in the order the debrief shows them."""
    rows: list[tuple[str, object]] = [
        ("date", report["date"]),
        ("time zone", report["timezone"]),
        ("new leads", report["new_leads"]),
        ("returning visitors", report["returning_visitors"]),
    ]
    rows += [(f"rating: {k}", v) for k, v in report["per_rating"].items()]
    for purpose, rate in report["consent_rate"].items():
        granted = report["consent_granted"][purpose]
        shown = "-" if rate is None else f"{granted} of {report['new_leads']} ({rate:.0%})"
        rows.append((f"consent: {purpose}", shown))
    rows.append(("needs review", report["needs_review"]))
    rows += [(f"staff: {k}", v) for k, v in report["per_staff"].items()]
    rows += [(f"tag: {k}", v) for k, v in report["per_tag"].items()]
    rows.append(("untagged", report["untagged"]))
    rows += [(f"exhibitor: {k}", v) for k, v in report["per_exhibitor"].items()]
    for question, counts in report.get("per_answer", {}).items():
        rows += [(f"{question}: {answer}", n) for answer, n in counts.items()]
    rows.append(("leads to fix", len(report["fixups"])))
    return rows


FIXUP_COLUMNS = ("id", "name", "company", "missing", "fix")


def fixup_rows(report: dict) -> list[tuple]:
    """One row per lead of the queue: what is missing and the commands, one per line."""
    return [
        (
            item["id"],
            item["name"],
            item["company"] or "",
            "; ".join(p["problem"] for p in item["problems"]),
            "\n".join(p["command"] for p in item["problems"]),
        )
        for item in report["fixups"]
    ]


def write_workbook(report: dict, path: str | Path) -> Path:
    """The debrief as a workbook: sheet "Summary" (the counts) and sheet "Fix-up" (a row per
    lead), written by the project's one xlsx writer (export/sheetxml.py). Every text is a
    text cell, never a formula: names come from badges and QR codes anyone can print.
    Written beside the target, then moved into place."""
    import tempfile
    from datetime import UTC, datetime

    from leadcap.export import sheetxml

    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    with tempfile.TemporaryDirectory(prefix="leadcap-debrief-") as tmpdir:
        book = sheetxml.Workbook(partial, Path(tmpdir))
        try:
            rows = summary_rows(report)
            summary = book.add_sheet("Summary", [28, 20], expected_rows=len(rows))
            for r, (label, value) in enumerate(rows, 1):
                cells = [sheetxml.value_cell(f"A{r}", str(label)),
                         sheetxml.value_cell(f"B{r}", value)]  # fmt: skip
                summary.add_row(f'<row r="{r}">{"".join(cells)}</row>')
            fixups = fixup_rows(report)
            sheet = book.add_sheet(
                "Fix-up", [6, 24, 24, 40, 44], expected_rows=len(fixups) + 1, header=True
            )
            titles = [sheetxml.value_cell(f"{sheetxml.column_letter(c)}1", t, "header")
                      for c, t in enumerate(FIXUP_COLUMNS, 1)]  # fmt: skip
            sheet.add_row(f'<row r="1">{"".join(titles)}</row>')
            for r, row in enumerate(fixups, 2):
                cells = [
                    sheetxml.value_cell(f"{sheetxml.column_letter(c)}{r}", value, "notes")
                    for c, value in enumerate(row, 1)
                ]
                sheet.add_row(f'<row r="{r}">{"".join(cells)}</row>')
            book.close(created=datetime.now(UTC))
            os.replace(partial, path)
        except BaseException:
            book.abort()
            partial.unlink(missing_ok=True)
            raise
    return path
