"""From the store to export files: which leads, in which order, into which file, and which
leads count as exported afterwards.

The writers in `leadcap.export` know nothing about the database; this module feeds them.
Every file is written under a temporary name and renamed into place, and export marks are
recorded only after that rename, so a crash never leaves half a file and never marks leads
as exported that are not in a file."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from leadcap.errors import LeadcapError, UsageError
from leadcap.export.columns import answer_columns, with_answers
from leadcap.export.grouping import (
    ANSWER_PREFIX,
    SPLIT_KEYS,
    exhibitor_spellings,
    group_order,
    lead_groups,
)
from leadcap.store import model
from leadcap.store.database import Store
from leadcap.store.leads import LeadFilter, iter_leads
from leadcap.store.private import make_private_dirs
from leadcap.store.questions import CHOICE_TYPES, all_answers, get_question, list_questions
from leadcap.store.score import score_order

DEFAULT_PROFILE = "default"
LANGS = ("en", "de", "ja")

Progress = Callable[[int, int | None], None]


@dataclass
class Selection:
    """Which leads an export takes: the list filters, plus `new_only` (not yet exported
    under `profile`)."""

    filter: LeadFilter = field(default_factory=LeadFilter)
    new_only: bool = False
    profile: str = DEFAULT_PROFILE
    all_questions: bool = False  # removed questions' columns (and answers) too


@dataclass
class ExportResult:
    """What an export wrote: the files, and leads per sheet (one workbook) or per file."""

    paths: list[Path]
    total: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    cut_uuids: list[str] = field(default_factory=list)
    exported_at: str | None = None


# A lead as the export writers get it: model.Lead's keys, plus `answer:<question>` for
# each question's column and, with --with-cards, `card` (and `card_photo`).
ExportLead = dict[str, Any]


def marked_uuids(store: Store, profile: str) -> set[str]:
    rows = store.conn.execute("SELECT lead_uuid FROM export_marks WHERE profile = ?", [profile])
    return {row[0] for row in rows}


def select_leads(store: Store, selection: Selection) -> Generator[ExportLead, None, None]:
    """The selected leads in export order (hot first, then warm, cold, unrated, each by
    score, then newest first): the list filters (LeadFilter), then `--new`. Each lead
    carries its answers also as `answer:<question>` keys, for the question columns."""
    skip = marked_uuids(store, selection.profile) if selection.new_only else set()
    asked = list_questions(store, include_removed=selection.all_questions)
    hidden = all_answers(store) if any(q.removed for q in asked) else {}
    for lead in iter_leads(store, selection.filter, order=score_order(hot_first=True)):
        if lead["uuid"] in skip:
            continue
        kept = {model.fold(k): v for k, v in hidden.get(lead["id"], {}).items()}
        row: ExportLead = {**lead}
        for question in asked:
            if question.removed:
                value = kept.get(model.fold(question.name))
            else:
                value = lead["answers"].get(question.name)
            row[ANSWER_PREFIX + question.name] = value
        yield row


def question_columns(store: Store, selection: Selection) -> tuple[tuple, tuple]:
    """(a column per question, the columns whose answers the summary counts: choices)."""
    asked = list_questions(store, include_removed=selection.all_questions)
    columns = answer_columns(q.as_dict() for q in asked)
    counted = tuple(c for c, q in zip(columns, asked, strict=True) if q.type in CHOICE_TYPES)
    return columns, counted


def check_split(store: Store, split_by: str | None) -> str | None:
    """`answer:Cooperation` (any case, a label or the question's number) as the question's
    own name; other values as they are (check_xlsx_options checks them)."""
    if split_by and split_by.startswith(ANSWER_PREFIX):
        question = get_question(store, split_by.removeprefix(ANSWER_PREFIX), include_removed=True)
        return ANSWER_PREFIX + question.name
    return split_by


class _Recorder:
    """A re-readable lead source (a fresh query each call) that remembers the uuids it gave,
    so exactly the leads in the file get marked. Calls inside one read transaction all see
    the same snapshot, so the writer's two passes agree."""

    def __init__(self, store: Store, selection: Selection, progress: Progress | None = None):
        self.store = store
        self.selection = selection
        self.uuids: dict[str, None] = {}
        self.progress = progress
        self.total: int | None = None
        self.cards: CardFiles | None = None

    def __call__(self) -> Iterator[ExportLead]:
        count = 0
        for lead in select_leads(self.store, self.selection):
            self.uuids[lead["uuid"]] = None
            count += 1
            yield self.cards.attach(lead) if self.cards else lead
        self.total = count if self.total is None else self.total

    def report(self, done: int) -> None:
        if self.progress:
            self.progress(done, self.total)


class _Snapshot:
    """A read transaction around an export: every query sees the database as it was when the
    export started, even while a colleague's scanner keeps adding leads."""

    def __init__(self, store: Store):
        self.store = store
        self.own = False

    def __enter__(self):
        if not self.store.conn.in_transaction:
            self.store.conn.execute("BEGIN")
            self.own = True
        return self

    def __exit__(self, *exc) -> None:
        if self.own and self.store.conn.in_transaction:
            self.store.conn.execute("COMMIT")


def record_marks(store: Store, profile: str, uuids, exported_at: str) -> None:
    """Remember these leads as exported under `profile` (for `--new`), in one transaction."""
    with store.transaction():
        store.conn.executemany(
            "INSERT INTO export_marks (profile, lead_uuid, exported_at) VALUES (?, ?, ?)"
            " ON CONFLICT(profile, lead_uuid) DO UPDATE SET exported_at = excluded.exported_at",
            [(profile, uuid, exported_at) for uuid in uuids],
        )


# --- files appear whole or not at all -------------------------------------------------------


# File name endings each format may be written under: a workbook named .csv would open as
# garbage (or be "repaired") and a CSV named .xlsx not at all.
EXTENSIONS = {
    "xlsx": (".xlsx",),
    "csv": (".csv", ".tsv", ".txt"),
    "vcf": (".vcf", ".vcard"),
}


def is_stdout(path: str | Path | None) -> bool:
    """`-o -` (or no -o for formats that may stream) means standard output."""
    return path is None or str(path) == "-"


def check_output(path: Path, format: str, *, force: bool = False) -> None:
    """Refuse a file name whose ending does not match the format, and an existing file
    unless `force`: it may be a colleague's edited workbook."""
    endings = EXTENSIONS[format]
    if path.suffix.lower() not in endings:
        raise UsageError(
            f"{path} does not end in {' or '.join(endings)} but this writes {format}."
            f" Name the file e.g. {path.with_suffix(endings[0]).name}"
        )
    if path.exists() and not path.is_dir() and not force:
        raise LeadcapError(
            f"{path} already exists. Add --force to replace it, or choose another name"
        )


def _check_target(path: Path) -> None:
    if path.is_dir():
        raise LeadcapError(f"{path} is a folder. Give a file name, e.g. -o {path / 'leads.xlsx'}")
    if not path.parent.is_dir():
        raise LeadcapError(
            f"cannot write {path}: the folder {path.parent} does not exist."
            " Create it or choose another output path"
        )


def _write_atomically(path: Path, write: Callable[[Path], object]):
    """Call `write(temporary_path)` and rename the result to `path`; on any failure remove
    the temporary file and raise a LeadcapError that names the path."""
    _check_target(path)
    tmp = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        result = write(tmp)
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        reason = error.strerror or str(error)
        raise LeadcapError(
            f"cannot write {path} ({reason}). Check the folder is writable and has space"
        ) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return result


class CardFiles:
    """Business cards for `--with-cards`: each exported lead's card image is written once
    into `folder` (beside the export file) and named in the lead's `card` value as a path
    relative to the export file; `photo` also hands the image bytes on (vCard PHOTO)."""

    def __init__(self, store: Store, folder: Path | None, *, photo: bool = False):
        from leadcap.intake.cards.storage import lead_uuids_with_cards

        self.store, self.folder, self.photo = store, folder, photo
        self.index = lead_uuids_with_cards(store)
        self.written: set[str] = set()

    def attach(self, lead: ExportLead) -> ExportLead:
        from leadcap.intake.cards.storage import card_file_name, card_image

        uid = self.index.get(lead["uuid"])
        if uid is None:
            return lead
        lead = dict(lead)
        if self.folder is not None:
            name = card_file_name(lead)
            if uid not in self.written:
                self.folder.mkdir(parents=True, exist_ok=True)
                (self.folder / name).write_bytes(card_image(self.store, uid))
                self.written.add(uid)
            lead["card"] = f"{self.folder.name}/{name}"
        if self.photo:
            lead["card_photo"] = card_image(self.store, uid)
        return lead


def cards_folder(path: Path) -> Path:
    """Where `--with-cards` puts the images: `leads-cards/` beside `leads.xlsx`."""
    return path.parent / f"{path.stem}-cards"


def _exported(store: Store, selection: Selection, write, cards=None) -> ExportResult:
    """Run `write(recorder, now)` in a read snapshot, then mark what it wrote."""
    now = store.now()
    recorder = _Recorder(store, selection)
    recorder.cards = cards
    with _Snapshot(store):
        result = write(recorder, now)
    result.exported_at = now.isoformat()
    if recorder.uuids:
        record_marks(store, selection.profile, recorder.uuids, result.exported_at)
    return result


# --- formats --------------------------------------------------------------------------------


def check_csv_options(format: str, delimiter: str) -> str:
    """Validate --format and --delimiter (usage errors); returns the delimiter to use
    (`tab` and `\\t` mean a tab)."""
    from leadcap.export.csv import FORMATS

    if delimiter.lower() in ("tab", "\\t"):
        delimiter = "\t"
    if format not in FORMATS:
        raise UsageError(f"unknown CSV format {format!r}. Use one of: {', '.join(FORMATS)}")
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise UsageError(f"the delimiter must be one character such as , or ; not {delimiter!r}")
    return delimiter


def export_csv(
    store: Store,
    path: Path | None,
    selection: Selection,
    *,
    delimiter: str = ",",
    format="leadcap",
    lang: str = "en",
    force: bool = False,
    stream: TextIO | None = None,
    with_cards: bool = False,
) -> ExportResult:
    """Write the selection as CSV (leadcap's layout or a CRM import layout). `path` None or
    "-" writes to `stream` (standard output)."""
    from leadcap.export.csv import write_csv

    delimiter = check_csv_options(format, delimiter)
    check_lang(lang)
    answers, _counted = question_columns(store, selection)
    e164 = _e164_numbers(store) if format != "leadcap" else {}

    def leads(source: Callable[[], Iterable[ExportLead]]) -> Iterator[ExportLead]:
        """CRM layouts get the E.164 numbers the store computed (with the event's country)."""
        for lead in source():
            numbers = e164.get(lead["uuid"])
            if numbers:
                lead = dict(lead)
                for key, number in zip(("phone_e164", "mobile_e164"), numbers, strict=True):
                    lead[key] = lead.get(key) or number
            yield lead

    if path is None or is_stdout(path):
        out = stream if stream is not None else sys.stdout

        def write_out(source, now) -> ExportResult:
            total = write_csv(
                out, leads(source), delimiter=delimiter, format=format, lang=lang, answers=answers
            )
            return ExportResult(paths=[], total=total, counts={"-": total})

        return _exported(store, selection, write_out)
    path = Path(path)
    check_output(path, "csv", force=force)

    def write(source, now) -> ExportResult:
        total = _write_atomically(
            path,
            lambda tmp: write_csv(
                tmp, leads(source), delimiter=delimiter, format=format, lang=lang, answers=answers
            ),
        )
        return ExportResult(paths=[path], total=total, counts={path.name: total})

    cards = CardFiles(store, cards_folder(path)) if with_cards else None
    return _exported(store, selection, write, cards)


def _e164_numbers(store: Store) -> dict[str, tuple[str | None, str | None]]:
    """uuid -> (phone, mobile) in E.164 as the store normalised them on capture."""
    rows = store.conn.execute(
        "SELECT uuid, phone_e164, mobile_e164 FROM leads"
        " WHERE phone_e164 IS NOT NULL OR mobile_e164 IS NOT NULL"
    )
    return {uuid: (phone, mobile) for uuid, phone, mobile in rows}


def export_vcf(
    store: Store,
    path: Path,
    selection: Selection,
    *,
    version="3.0",
    force: bool = False,
    with_cards: bool = False,
) -> ExportResult:
    """Write the selection as one .vcf file for phones and address books."""
    from leadcap.export.vcard import write_vcf

    if version not in ("3.0", "4.0"):
        raise UsageError(f"vCard version must be 3.0 or 4.0, not {version!r}")
    path = Path(path)
    check_output(path, "vcf", force=force)

    def write(source, now) -> ExportResult:
        total = _write_atomically(path, lambda tmp: write_vcf(tmp, source(), version=version))
        return ExportResult(paths=[path], total=total, counts={path.name: total})

    cards = CardFiles(store, None, photo=True) if with_cards else None
    return _exported(store, selection, write, cards)


def check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise UsageError(f"unknown language {lang!r}. Use one of: {', '.join(LANGS)}")


def check_xlsx_options(split_by: str | None, lang: str) -> None:
    """Bad --split-by or --lang values are usage errors (exit 2), found before any work."""
    if split_by is not None and split_by not in SPLIT_KEYS:
        if not split_by.startswith(ANSWER_PREFIX):
            raise UsageError(
                f"cannot split by {split_by!r}. Use one of: {', '.join(SPLIT_KEYS)}"
                " or answer:QUESTION"
            )
    check_lang(lang)


def export_xlsx(
    store: Store,
    path: Path,
    selection: Selection,
    *,
    split_by: str | None = None,
    lang: str = "en",
    filters: dict[str, str] | None = None,
    progress: Progress | None = None,
    force: bool = False,
    with_cards: bool = False,
) -> ExportResult:
    """One workbook: a summary sheet, then one lead sheet or one per `split_by` group.
    A single workbook is for the organiser, so it holds every selected lead. `with_cards`
    writes the card images into a folder beside it, linked from each lead's row."""
    from leadcap.export.xlsx import write_workbook

    check_xlsx_options(split_by, lang)
    if is_stdout(path):
        raise UsageError("a workbook cannot go to standard output. Give a file: -o leads.xlsx")
    split_by = check_split(store, split_by)
    path = Path(path)
    check_output(path, "xlsx", force=force)
    answers, counted = question_columns(store, selection)

    def write(source, now) -> ExportResult:
        source.progress = progress
        summary = _write_atomically(
            path,
            lambda tmp: write_workbook(
                tmp, source, event=_event(store), filters=filters, split_by=split_by,
                lang=lang, progress=source.report, now=now, exhibitors=_exhibitor_names(store),
                columns=with_answers(answers), counted=counted,
            ),
        )  # fmt: skip
        return ExportResult(
            paths=[path], total=summary.total, counts=dict(summary.sheets),
            cut_uuids=list(summary.cut_uuids),
        )  # fmt: skip

    cards = CardFiles(store, cards_folder(path)) if with_cards else None
    return _exported(store, selection, write, cards)


def _event(store: Store) -> dict:
    return {"name": store.event or "", "timezone": store.timezone}


# --- one workbook per group -----------------------------------------------------------------


def _exhibitor_names(store: Store) -> dict[str, str]:
    """Exhibitor key -> the file's name: as the event's configured exhibitors spell it,
    else as the first-captured lead spells it."""
    rows = store.conn.execute(
        "SELECT trim(exhibitor) FROM leads WHERE trim(exhibitor) != '' AND deleted_at IS NULL"
        " GROUP BY trim(exhibitor) ORDER BY min(captured_utc), min(id)"
    )
    captured = [name for (name,) in rows]
    return exhibitor_spellings([*(store.setting("exhibitors") or []), *captured])


class _GroupSpools:
    """Leads per group in temporary JSON-lines files, so memory stays flat."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.paths: dict[str, Path] = {}

    def add(self, group: str, lead: ExportLead) -> None:
        path = self.paths.setdefault(group, self.directory / f"{len(self.paths)}.jsonl")
        # 0600: the spool holds every group's leads, raw payloads included.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with open(fd, "a", encoding="utf-8") as out:
            out.write(json.dumps(lead, ensure_ascii=False) + "\n")

    def reader(self, group: str) -> Callable[[], Iterator[ExportLead]]:
        def read() -> Iterator[ExportLead]:
            with self.paths[group].open(encoding="utf-8") as lines:
                for line in lines:
                    yield json.loads(line)

        return read


def work_folder(store: Store) -> Path:
    """A private (0700) folder for one export's spool files and unfinished workbooks,
    beside the database, never inside the folder being delivered to one co-exhibitor.
    Folders left by an export that was killed are removed here, on the next run."""
    parent = store.path.with_name(f".{store.path.name}-work")
    try:
        parent.mkdir(mode=0o700, exist_ok=True)
        parent.chmod(0o700)
    except OSError:
        parent = Path(tempfile.gettempdir()) / f"leadcap-work-{os.getuid()}"
        parent.mkdir(mode=0o700, exist_ok=True)
    for stale in parent.glob("export-*"):
        pid = stale.name.split("-")[1]
        if pid.isdigit() and not _running(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"export-{os.getpid()}-", dir=parent))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def file_names(groups: list[str]) -> dict[str, str]:
    """Group -> its workbook's file name: safe on every file system, and unique even where
    two groups differ only in case or in characters a file name cannot hold."""
    from leadcap.export.safety import safe_filename

    names: dict[str, str] = {}
    used: set[str] = set()
    for group in groups:
        name = stem = safe_filename(group)
        n = 1
        while name.casefold() in used:
            n += 1
            name = f"{stem} ({n})"
        used.add(name.casefold())
        names[group] = f"{name}.xlsx"
    return names


def deliver(work: Path, directory: Path, file_names: list[str], *, force: bool) -> list[Path]:
    """Move finished workbooks from the private work folder into `directory`: each is
    copied beside its target under a hidden name first (the work folder may be on another
    disk), then all are renamed into place. Existing files are replaced only with `force`."""
    existing = [n for n in file_names if (directory / n).exists()]
    if existing and not force:
        raise LeadcapError(
            f"{directory / existing[0]} already exists"
            + (f" (and {len(existing) - 1} more)" if len(existing) > 1 else "")
            + ". Add --force to replace them, or choose another folder"
        )
    partials = []
    delivered = []
    try:
        for file_name in file_names:
            partial = directory / f".{file_name}.partial"
            shutil.copyfile(work / file_name, partial)
            partials.append((partial, directory / file_name))
        for partial, target in partials:
            os.replace(partial, target)
            delivered.append(target)
    finally:
        for partial, _target in partials:
            partial.unlink(missing_ok=True)
    return delivered


def export_xlsx_files(
    store: Store,
    directory: Path,
    selection: Selection,
    *,
    split_by: str,
    lang: str = "en",
    filters: dict[str, str] | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> ExportResult:
    """One workbook per group, named after the group, so each co-exhibitor or colleague
    receives only their own leads (see `grouping.lead_groups` for the privacy rule). All files are
    written into a temporary folder first and moved into `directory` only when all worked."""
    from leadcap.export.columns import SUMMARY_LABELS
    from leadcap.export.xlsx import write_workbook

    check_xlsx_options(split_by, lang)
    if split_by is None:
        raise UsageError("--files needs --split-by: tag, exhibitor, staff or rating")
    split_by = check_split(store, split_by) or split_by
    answers, counted = question_columns(store, selection)
    directory = Path(directory)
    words = SUMMARY_LABELS[lang]
    exhibitors = _exhibitor_names(store) if split_by == "exhibitor" else {}
    if directory.exists() and not directory.is_dir():
        raise LeadcapError(f"{directory} is a file. Give a folder for --files")
    made_directory = not directory.exists()
    try:
        make_private_dirs(directory)
        work = work_folder(store)
    except OSError as error:
        raise LeadcapError(
            f"cannot write into {directory} ({error.strerror or error})."
            " Check the folder is writable"
        ) from None

    def write(source, now) -> ExportResult:
        spools = _GroupSpools(work)
        selected = 0
        for lead in source():
            selected += 1
            for group in lead_groups(lead, split_by, words, exhibitors, shared=True):
                spools.add(group, lead)
        result = ExportResult(paths=[], total=selected)
        done = 0
        for group, name in file_names(group_order(spools.paths, split_by, words)).items():
            offset = done

            def report(count: int, offset: int = offset) -> None:
                if progress:
                    progress(offset + count, None)

            summary = write_workbook(
                work / name, spools.reader(group), event=_event(store),
                filters={**(filters or {}), split_by: group}, split_by=None, lang=lang,
                progress=report, now=now, columns=with_answers(answers), counted=counted,
            )  # fmt: skip
            done += summary.total
            result.counts[name] = summary.total
            result.cut_uuids.extend(u for u in summary.cut_uuids if u not in result.cut_uuids)
        result.paths = deliver(work, directory, list(result.counts), force=force)
        return result

    try:
        return _exported(store, selection, write)
    except OSError as error:
        raise LeadcapError(
            f"cannot write into {directory} ({error.strerror or error})."
            " Check the folder is writable and has space"
        ) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if made_directory and directory.exists() and not any(directory.iterdir()):
            directory.rmdir()


def nothing_to_export(store: Store, selection: Selection) -> bool:
    """True when the selection is empty (the CLI then writes no file)."""
    leads = select_leads(store, selection)
    try:
        return next(leads, None) is None
    finally:
        leads.close()


def describe(selection: Selection, **options: str | None) -> dict[str, str]:
    """The filters as the summary sheet lists them."""
    flt = selection.filter
    shown = {
        "tag": ", ".join(flt.tags) or None,
        "rating": flt.rating,
        "staff": flt.staff,
        "exhibitor": flt.exhibitor,
        "since": flt.since,
        "until": flt.until,
        "status": flt.status,
        "owner": flt.owner,
        "consent": flt.consent,
        "review": "yes" if flt.review else None,
        "answer": "; ".join(f"{q}={v}" if v is not None else q for q, v, _ in flt.answers) or None,
        "min-score": flt.min_score,
        "new": f"not exported before (profile {selection.profile})" if selection.new_only else None,
        **options,
    }
    return {key: str(value) for key, value in shown.items() if value}
