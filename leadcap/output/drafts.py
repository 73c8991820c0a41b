"""First follow-up e-mails as drafts: one RFC 5322 message per lead, never sent.

The messages carry `X-Unsent: 1`, so Outlook and Thunderbird open a `.eml` file as a draft
to edit and send by hand; nothing here talks to a mail server. Only leads whose follow-up
consent is granted get a draft. A draft goes to the customer, so it quotes only what staff
marked for the visitor (the lead's `materials`, its interest tags), never the free notes
("call Jan", "sent brochure") meant for colleagues. Lines end CRLF (RFC 5322); domains go
through IDNA 2008 (`straße.de` stays straße, not strasse).

Language per lead (unless forced): kana or kanji in the name or company -> ja; country
DE/AT/CH (or its name) or an e-mail ending in .de/.at/.ch -> de; otherwise en.

A template is text: a first line `Subject: ...`, a blank line, then the body. Placeholders
in braces are filled with `str.format_map`; unknown ones stay as written (`{typo}`), and
blank lines left by empty placeholders are collapsed. Placeholders: salutation, company,
interests, promised, promised_paragraph, event, staff, name, given_name, family_name, title,
and `{answer:QUESTION}` (the lead's answer to a qualifying question). A block between a
line `[if QUESTION=CHOICE]` (or `[if QUESTION]`: any answer) and a line `[end]` stays only
for leads who gave that answer: a paragraph per cooperation type."""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

from leadcap.errors import LeadcapError, UsageError
from leadcap.store import model
from leadcap.store.database import Store
from leadcap.store.private import make_private_dirs

LANGUAGES = ("en", "de", "ja")
_GERMAN_COUNTRIES = {
    "de", "at", "ch", "deutschland", "germany", "österreich", "austria", "schweiz",
    "switzerland", "suisse", "svizzera",
}  # fmt: skip

WORDS = {
    "en": {
        "and": " and ",
        "no_interests": "our products",
        "event": "the fair",
        "promised": "As promised at our booth, please find attached:",
    },
    "de": {
        "and": " und ",
        "no_interests": "unseren Produkten",
        "event": "Messe",
        "promised": "Wie am Stand versprochen, finden Sie anbei:",
    },
    "ja": {
        "and": "、",
        "no_interests": "弊社製品",
        "event": "展示会",
        "promised": "ブースにてお約束いたしました下記をお送りいたします。",
    },
}

TEMPLATES = {
    "en": """Subject: Thank you for visiting us at {event}

{salutation},

Thank you for stopping by our booth at {event}
and for your interest in {interests}.

{promised_paragraph}

I would be glad to answer your questions or to arrange a call:
just reply to this e-mail.

Best regards,
{staff}
""",
    "de": """Subject: Vielen Dank für Ihren Besuch auf der {event}

{salutation},

vielen Dank für Ihren Besuch an unserem Stand auf der {event}
und für Ihr Interesse an {interests}.

{promised_paragraph}

Gerne beantworte ich Ihre Fragen oder vereinbare einen Termin mit Ihnen:
Antworten Sie einfach auf diese E-Mail.

Mit freundlichen Grüßen
{staff}
""",
    "ja": """Subject: {event}ご来場のお礼

{company}
{salutation}

このたびは{event}にて弊社ブースにお立ち寄りいただき、誠にありがとうございました。
{interests}にご関心をお寄せいただき、重ねて御礼申し上げます。

{promised_paragraph}

ご不明な点やお打ち合わせのご希望がございましたら、本メールにご返信ください。
今後ともよろしくお願い申し上げます。

{staff}
""",
}


@dataclass
class Template:
    subject: str
    body: str


@dataclass
class Sender:
    name: str
    email: str


@dataclass
class DraftRun:
    written: int = 0
    paths: list[Path] = field(default_factory=list)
    no_consent: list[int] = field(default_factory=list)
    no_email: list[int] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)  # outdated drafts of an earlier run


class _KeepUnknown(dict):
    """format_map dict that leaves `{unknown}` visible instead of raising KeyError."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def check_language(lang: str | None) -> str | None:
    if lang is None:
        return None
    value = lang.strip().lower()
    if value not in LANGUAGES:
        raise UsageError(f"unknown language {lang!r}. Use one of: {', '.join(LANGUAGES)}")
    return value


def parse_template(text: str) -> Template:
    """`Subject: ...` on the first line, a blank line, then the body."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    first = lines[0]
    if not first.lower().startswith("subject:"):
        raise UsageError(
            "a template starts with a line 'Subject: ...', then a blank line, then the body"
        )
    if len(lines) > 1 and lines[1].strip():
        raise UsageError("put a blank line between the template's Subject line and its body")
    return Template(subject=first[len("subject:") :].strip(), body="\n".join(lines[2:]))


def builtin_template(lang: str) -> Template:
    return parse_template(TEMPLATES[lang])


def language(lead: Mapping[str, Any]) -> str:
    """ja for kana/kanji in name or company, de for DE/AT/CH, otherwise en."""
    names = ("family_name", "given_name", "full_name", "name_reading", "company")
    if any(model.JAPANESE_SCRIPT.search(lead.get(key) or "") for key in names):
        return "ja"
    if (lead.get("country") or "").strip().lower() in _GERMAN_COUNTRIES:
        return "de"
    email = (lead.get("email") or "").strip().lower()
    if email.endswith((".de", ".at", ".ch")):
        return "de"
    return "en"


def salutation(lead: Mapping[str, Any], lang: str) -> str:
    """ja: 山田様 (family name, else ご担当者様); de: Guten Tag Anna Schmidt (no gender is
    known, so no Frau/Herr), else Sehr geehrte Damen und Herren; en: Dear Jane Doe."""
    name = model.display_name(lead)
    if lang == "ja":
        family = lead.get("family_name") or lead.get("full_name")
        return f"{family}様" if family else "ご担当者様"
    if lang == "de":
        return f"Guten Tag {name}" if name else "Sehr geehrte Damen und Herren"
    return f"Dear {name}" if name else "Dear Sir or Madam"


def join_words(items: list[str], lang: str) -> str:
    """A, B and C / A, B und C / A、B、C."""
    if lang == "ja":
        return WORDS["ja"]["and"].join(items)
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + WORDS[lang]["and"] + items[-1]


def promised_material(materials: str | None) -> list[str]:
    """The items staff marked as promised to the visitor (`edit --materials`, the
    LEADCAP:PROMISE: code), one per line; never anything from the notes."""
    return [line.strip() for line in (materials or "").splitlines() if line.strip()]


class _Answers:
    """`{answer:Cooperation}` in a template: format() hands over the text after the colon
    as the format spec, which names the question."""

    def __init__(self, answers: dict):
        self.answers = {model.fold(k): v for k, v in answers.items()}

    def get(self, question: str):
        return self.answers.get(model.fold(question.strip()))

    def __format__(self, spec: str) -> str:
        value = self.get(spec)
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return "" if value is None else str(value)


_BLOCK = re.compile(
    r"^\[if ([^\]=]+?)(?:=([^\]]*))?\][ \t]*\n(.*?)^\[end\][ \t]*(?:\n|\Z)", re.M | re.S
)


def choose_blocks(body: str, answers: dict) -> str:
    """Keep each `[if QUESTION=CHOICE]` ... `[end]` block whose answer the lead gave
    (any case; for multi-choice, one of the chosen), drop the others."""
    known = _Answers(answers)

    def keep(match: re.Match) -> str:
        value = known.get(match.group(1))
        if match.group(2) is None:
            return match.group(3) if value not in (None, "", []) else ""
        given = value if isinstance(value, list) else [value]
        wanted = model.fold(match.group(2).strip())
        return match.group(3) if any(model.fold(str(v)) == wanted for v in given if v) else ""

    return _BLOCK.sub(keep, body)


def fill_ins(store: Store, lead: model.Lead, lang: str, sender: Sender) -> dict[str, object]:
    """The placeholder values for one lead."""
    words = WORDS[lang]
    promised = "\n".join(f"- {line}" for line in promised_material(lead.get("materials")))
    return {
        "salutation": salutation(lead, lang),
        "company": lead.get("company") or "",
        "interests": join_words(lead.get("tags") or [], lang) or words["no_interests"],
        "promised": promised,
        "promised_paragraph": f"{words['promised']}\n{promised}" if promised else "",
        "event": store.event or words["event"],
        "staff": sender.name,
        "name": model.display_name(lead),
        "given_name": lead.get("given_name") or "",
        "family_name": lead.get("family_name") or "",
        "title": lead.get("title") or "",
        "answer": _Answers(lead.get("answers") or {}),
    }


def render(template: Template, values: dict[str, object]) -> Template:
    """Fill the placeholders; blank lines left by empty ones are collapsed."""
    try:
        subject = template.subject.format_map(_KeepUnknown(values))
        body = template.body.format_map(_KeepUnknown(values))
    except (ValueError, IndexError, AttributeError) as error:
        raise UsageError(
            f"the template has a placeholder Python cannot fill ({error}). Write {{{{ and }}}}"
            " for literal braces"
        ) from None
    body = re.sub(r"\n[ \t]*(\n[ \t]*)+\n", "\n\n", body.replace("\r\n", "\n")).strip("\n")
    return Template(subject=" ".join(subject.split()), body=body + "\n")


def sender(store: Store, device_config: dict) -> Sender:
    """From: the event's card (card.email, card.name), else this laptop's card
    (my-card.email, my-card.name); the name falls back to the staff name. Without an
    address there are no drafts: a customer must never get `From: root <you@example.com>`."""
    email = store.setting("card.email") or device_config.get("my-card.email")
    name = store.setting("card.name") or device_config.get("my-card.name") or store.staff
    if not email or not str(email).strip():
        raise LeadcapError(
            "no sender address for the drafts. Set the booth's: leadcap config set card.email"
            " sales@example.com (and card.name 'Anna Schmidt'), or this laptop's:"
            " leadcap config set my-card.email anna@example.com"
        )
    return Sender(name=name, email=str(email).strip())


def idna_domain(domain: str) -> str:
    """A domain as it goes into a header: IDNA 2008 with UTS #46 mapping (non-transitional,
    so `straße.de` becomes `xn--strae-oqa.de`, not `strasse.de`). UnicodeError if invalid."""
    import idna

    if domain.isascii():
        return domain
    try:
        return idna.encode(domain, uts46=True, transitional=False).decode("ascii")
    except idna.IDNAError as error:
        raise UnicodeError(str(error)) from None


def _address(name: str, email: str | None) -> Address | None:
    """An address the headers can carry, or None. A non-ASCII domain goes as punycode;
    a non-ASCII local part cannot go without SMTPUTF8, so it is refused."""
    email = (email or "").strip()
    if email.count("@") != 1:
        return None
    local, domain = email.split("@")
    try:
        domain = idna_domain(domain)
        # A line break typed into a name must not end the header (or the lead's draft).
        return Address(display_name=" ".join((name or "").split()), addr_spec=f"{local}@{domain}")
    except (UnicodeError, ValueError, IndexError):
        return None


def build_message(
    store: Store, lead: model.Lead, template: Template, sender: Sender, lang: str
) -> EmailMessage | None:
    """The draft for one lead, or None when its e-mail address is unusable."""
    to = _address(model.display_name(lead), lead.get("email"))
    if to is None or not to.username.isascii():
        return None
    frm = _address(sender.name, sender.email)
    if frm is None:
        raise LeadcapError(
            f"the sender address {sender.email!r} is not an e-mail address."
            " Fix it: leadcap config set card.email sales@example.com"
        )
    chosen = Template(template.subject, choose_blocks(template.body, lead.get("answers") or {}))
    filled = render(chosen, fill_ins(store, lead, lang, sender))
    message = EmailMessage(policy=policy.default)
    message["From"] = frm
    message["To"] = to
    message["Subject"] = filled.subject
    message["Date"] = format_datetime(store.now())
    message["Message-ID"] = make_msgid(domain=frm.domain or "leadcap.invalid")
    message["X-Unsent"] = "1"
    message.set_content(filled.body, charset="utf-8")
    return message


def eml_bytes(message: EmailMessage) -> bytes:
    """The message as an .eml file: every line ends CRLF, as RFC 5322 requires."""
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def safe_name(lead: model.Lead) -> str:
    """A file-name part from the lead's name or company: letters and digits (any
    script), the rest as '-', at most 40 characters."""
    text = unicodedata.normalize("NFKC", model.label(lead))
    text = re.sub(r"[^\w]+", "-", text).strip("-_")[:40].strip("-_")
    return text or "lead"


def write_drafts(
    store: Store,
    leads: Iterable[model.Lead],
    out: Path,
    *,
    sender: Sender,
    template: Template | None = None,
    lang: str | None = None,
    mbox: bool = False,
) -> DraftRun:
    """One `<id>-<name>.eml` per consenting lead with an e-mail in `out` (replacing a file
    of the same name), or with `mbox` one `drafts.mbox` (or `out` itself if it ends in
    .mbox). Leads without follow-up consent get nothing and are counted. Drafts an earlier
    run wrote to the folder and this one did not (consent withdrawn, lead deleted or
    renamed) are removed, so nothing outdated is left ready to send."""
    run = DraftRun()
    messages: list[tuple[model.Lead, EmailMessage]] = []
    for lead in leads:
        if lead["consent"].get("followup") != "granted":
            run.no_consent.append(lead["id"])
            continue
        lead_lang = lang or language(lead)
        message = build_message(
            store, lead, template or builtin_template(lead_lang), sender, lead_lang
        )
        if message is None:
            run.no_email.append(lead["id"])
            continue
        messages.append((lead, message))
    try:
        if mbox:
            path = out if out.suffix == ".mbox" else out / "drafts.mbox"
            _write_mbox(path, [message for _lead, message in messages])
            run.paths.append(path)
            if out.suffix != ".mbox":
                run.removed = _remove_outdated(out, [])
        else:
            make_private_dirs(out)
            names = [f"{lead['id']}-{safe_name(lead)}.eml" for lead, _message in messages]
            # Listed before writing: a run cut short still knows every file it wrote.
            _write_manifest(out, sorted(set(names) | set(_read_manifest(out))))
            for name, (_lead, message) in zip(names, messages, strict=True):
                _write_atomic(out / name, eml_bytes(message))
                run.paths.append(out / name)
            run.removed = _remove_outdated(out, names)
    except OSError as error:
        raise LeadcapError(
            f"cannot write the drafts to {out} ({error.strerror}). Choose another folder with -o"
        ) from None
    run.written = len(messages)
    return run


MANIFEST = ".leadcap-drafts"  # in the drafts folder: the .eml files leadcap wrote there


def _read_manifest(folder: Path) -> list[str]:
    """The draft files an earlier run wrote here. Only plain `.eml` names count, so an
    edited manifest cannot point leadcap at a file outside the folder or of another kind."""
    try:
        lines = (folder / MANIFEST).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    return [
        name
        for name in (line.strip() for line in lines)
        if name.endswith(".eml")
        and not name.startswith(".")
        and Path(name).name == name
        and "\\" not in name
    ]


def _write_manifest(folder: Path, names: list[str]) -> None:
    header = "# Drafts leadcap wrote here; the next run removes those it does not write again.\n"
    _write_atomic(folder / MANIFEST, (header + "".join(f"{n}\n" for n in names)).encode())


def _remove_outdated(folder: Path, written: list[str]) -> list[Path]:
    """Remove the drafts an earlier run listed and this one did not write; never a file
    leadcap did not write. Returns the files removed."""
    earlier = _read_manifest(folder)
    removed = []
    for name in sorted(set(earlier) - set(written)):
        path = folder / name
        if path.is_file() and not path.is_symlink():
            path.unlink()
            removed.append(path)
    if earlier or written:
        _write_manifest(folder, sorted(set(written)))
    return removed


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _write_mbox(path: Path, messages: list[EmailMessage]) -> None:
    """Written beside the target and renamed, so an old mbox is replaced, not appended to."""
    import mailbox

    make_private_dirs(path.parent)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    box = mailbox.mbox(tmp)
    try:
        for message in messages:
            box.add(message)
        box.flush()
    finally:
        box.close()
    os.replace(tmp, path)
