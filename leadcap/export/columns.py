"""Which columns an export has, what they are called (en/de/ja), and how leads map to CRMs.

Kept apart from the writers so the README can show the same tables the code uses."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from leadcap.store.model import country_code, normalise_phone

STATUSES = ("new", "contacted", "meeting", "offer", "won", "lost")
RATINGS = ("hot", "warm", "cold")
CONSENT_PURPOSES = ("followup", "marketing", "share")


@dataclass(frozen=True)
class Column:
    """One column of the follow-up list. `kind` decides how a value is written:
    text, code (digits that must stay text: phones, postcodes, ids), email, url, datetime,
    date, notes (wrapped), list (joined with ", "), status, int or bool."""

    key: str
    kind: str
    en: str
    de: str
    ja: str

    def label(self, lang: str) -> str:
        return getattr(self, lang, self.en)


def _col(key: str, kind: str, en: str, de: str, ja: str) -> Column:
    return Column(key, kind, en, de, ja)


# Order as a colleague reads a follow-up list: what to do first, who, how to reach them,
# what was said; bookkeeping last and `uuid` always last (it identifies the lead on re-import).
LEAD_COLUMNS: tuple[Column, ...] = (
    _col("rating", "text", "Rating", "Bewertung", "評価"),
    _col("status", "status", "Status", "Status", "ステータス"),
    _col("owner", "text", "Owner", "Zuständig", "担当者"),
    _col("due", "date", "Due", "Fällig", "期限"),
    _col("captured_at", "datetime", "Captured", "Erfasst", "取得日時"),
    _col("family_name", "text", "Family name", "Nachname", "姓"),
    _col("given_name", "text", "Given name", "Vorname", "名"),
    _col("full_name", "text", "Full name", "Name", "氏名"),
    _col("name_reading", "text", "Reading", "Aussprache", "フリガナ"),
    _col("company", "text", "Company", "Firma", "会社名"),
    _col("department", "text", "Department", "Abteilung", "部署"),
    _col("title", "text", "Title", "Position", "役職"),
    _col("email", "email", "E-mail", "E-Mail", "メール"),
    _col("phone", "code", "Phone", "Telefon", "電話"),
    _col("mobile", "code", "Mobile", "Mobil", "携帯"),
    _col("phone_e164", "code", "Phone (E.164)", "Telefon (E.164)", "電話 (E.164)"),
    _col("mobile_e164", "code", "Mobile (E.164)", "Mobil (E.164)", "携帯 (E.164)"),
    _col("website", "url", "Website", "Website", "ウェブサイト"),
    _col("street", "text", "Street", "Straße", "住所"),
    _col("postal_code", "code", "Postal code", "PLZ", "郵便番号"),
    _col("city", "text", "City", "Ort", "市区町村"),
    _col("region", "text", "Region", "Region", "都道府県"),
    _col("country", "text", "Country", "Land", "国"),
    _col("tags", "list", "Tags", "Tags", "タグ"),
    _col("notes", "notes", "Notes", "Notizen", "メモ"),
    _col("materials", "notes", "Materials promised", "Zugesagtes Material", "送付資料"),
    _col("consent_followup", "text", "Consent: follow-up", "Einw.: Nachfassen", "同意: フォロー"),
    _col("consent_marketing", "text", "Consent: marketing", "Einw.: Marketing", "同意: マーケ"),
    _col("consent_share", "text", "Consent: share", "Einw.: Weitergabe", "同意: 共有"),
    _col("exhibitor", "text", "Exhibitor", "Aussteller", "出展者"),
    _col("captured_by", "text", "Captured by", "Erfasst von", "取得者"),
    _col("device", "text", "Device", "Gerät", "端末"),
    _col("event", "text", "Event", "Messe", "イベント"),
    _col("badge_id", "code", "Badge ID", "Badge-ID", "バッジID"),
    _col("visits", "int", "Visits", "Besuche", "訪問回数"),
    _col("needs_review", "bool", "Needs review", "Prüfen", "要確認"),
    _col("review_reasons", "list", "Review reasons", "Prüfgründe", "確認理由"),
    _col("source", "text", "Source", "Quelle", "取得元"),
    _col("card", "file", "Card", "Visitenkarte", "名刺"),
    _col("id", "code", "ID", "ID", "ID"),
    _col("uuid", "text", "UUID", "UUID", "UUID"),
)

# Words on the summary sheet and in generated sheet names.
SUMMARY_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "summary": "Summary",
        "leads": "Leads",
        "event": "Event",
        "timezone": "Time zone",
        "exported_at": "Exported at",
        "filters": "Filters",
        "total": "Leads exported",
        "per_group": "Leads per sheet",
        "per_rating": "Leads per rating",
        "per_day": "Leads per day",
        "cut": "Cells cut at 32,767 characters (UUIDs)",
        "no_links": "Rows without links (link limit reached)",
        "no_tag": "(no tag)",
        "none": "(none)",
        "no_rating": "(no rating)",
        "no_answer": "(no answer)",
        "per_answer": "Leads per answer",
    },
    "de": {
        "summary": "Übersicht",
        "leads": "Leads",
        "event": "Messe",
        "timezone": "Zeitzone",
        "exported_at": "Exportiert am",
        "filters": "Filter",
        "total": "Exportierte Leads",
        "per_group": "Leads pro Blatt",
        "per_rating": "Leads pro Bewertung",
        "per_day": "Leads pro Tag",
        "cut": "Bei 32.767 Zeichen gekürzte Zellen (UUIDs)",
        "no_links": "Zeilen ohne Links (Link-Limit erreicht)",
        "no_tag": "(ohne Tag)",
        "none": "(keine)",
        "no_rating": "(ohne Bewertung)",
        "no_answer": "(ohne Antwort)",
        "per_answer": "Leads pro Antwort",
    },
    "ja": {
        "summary": "概要",
        "leads": "リード",
        "event": "イベント",
        "timezone": "タイムゾーン",
        "exported_at": "出力日時",
        "filters": "フィルター",
        "total": "出力リード数",
        "per_group": "シート別リード数",
        "per_rating": "評価別リード数",
        "per_day": "日別リード数",
        "cut": "32,767文字で切り詰めたセル (UUID)",
        "no_links": "リンクなしの行 (リンク上限)",
        "no_tag": "(タグなし)",
        "none": "(なし)",
        "no_rating": "(評価なし)",
        "no_answer": "(回答なし)",
        "per_answer": "回答別リード数",
    },
}


# Values as colleagues read them in their language (--lang): rating, status, consent and
# yes/no. English keeps leadcap's own words, which are also what the CLI accepts.
VALUE_LABELS: dict[str, dict[str, dict[object, str]]] = {
    "de": {
        "rating": {"hot": "heiß", "warm": "warm", "cold": "kalt"},
        "status": {
            "new": "neu",
            "contacted": "kontaktiert",
            "meeting": "Termin",
            "offer": "Angebot",
            "won": "gewonnen",
            "lost": "verloren",
        },
        "consent": {
            "granted": "erteilt",
            "refused": "abgelehnt",
            "withdrawn": "widerrufen",
            "not_asked": "nicht gefragt",
        },
        "bool": {True: "ja", False: "nein"},
    },
    "ja": {
        "rating": {"hot": "ホット", "warm": "ウォーム", "cold": "コールド"},
        "status": {
            "new": "新規",
            "contacted": "連絡済み",
            "meeting": "商談",
            "offer": "提案",
            "won": "受注",
            "lost": "失注",
        },
        "consent": {
            "granted": "同意",
            "refused": "拒否",
            "withdrawn": "撤回",
            "not_asked": "未確認",
        },
        "bool": {True: "はい", False: "いいえ"},
    },
}


def value_labels(key: str, kind: str, lang: str) -> dict[object, str] | None:
    """How a column's values read in `lang` (None: written as stored)."""
    words = VALUE_LABELS.get(lang)
    if words is None:
        return None
    if key.startswith("consent_"):
        return words["consent"]
    if key in ("rating", "status"):
        return words[key]
    if kind == "bool":
        return words["bool"]
    return None


def status_from_label(text: str) -> str | None:
    """A status as typed in a workbook, in any export language ("gewonnen" -> "won")."""
    folded = text.strip().casefold()
    if folded in STATUSES:
        return folded
    for words in VALUE_LABELS.values():
        for status, label in words["status"].items():
            if label.casefold() == folded:
                return str(status)
    return None


ANSWER_PREFIX = "answer:"
# How an answer's cell is written, by question type (lists join with ", ").
_ANSWER_KIND = {"number": "int", "date": "date", "text": "notes"}


def answer_columns(questions: Iterable[dict]) -> tuple[Column, ...]:
    """One column per question (`name`, `type`, `labels` as in Question.as_dict()), keyed
    `answer:<name>`; headings in each language from the question's labels."""
    found = []
    for question in questions:
        name, labels = question["name"], question.get("labels") or {}
        kind = _ANSWER_KIND.get(question["type"], "list")
        found.append(
            Column(
                ANSWER_PREFIX + name, kind, name, labels.get("de") or name, labels.get("ja") or name
            )
        )
    return tuple(found)


def with_answers(answers: tuple[Column, ...]) -> tuple[Column, ...]:
    """The lead columns with the question columns right after the tags."""
    at = [c.key for c in LEAD_COLUMNS].index("tags") + 1
    return LEAD_COLUMNS[:at] + answers + LEAD_COLUMNS[at:]


def lead_value(lead: Mapping[str, Any], key: str) -> object:
    """The raw value of a column for a lead; consent columns read the consent dict."""
    if key.startswith("consent_"):
        return (lead.get("consent") or {}).get(key.removeprefix("consent_"))
    return lead.get(key)


def joined(values: Iterable[object] | str | None) -> str | None:
    """Tags and review reasons as one cell: "a, b"."""
    if not values:
        return None
    if isinstance(values, str):
        return values
    return ", ".join(str(v) for v in values)


# --- CRM import files -----------------------------------------------------------------------

NOT_PROVIDED = "[not provided]"

# leadcap status -> Salesforce default Lead Status picklist values. The import wizard refuses
# leads with a converted status ("Closed - Converted"): a lead is converted inside Salesforce,
# into an account, contact and opportunity. So `won` imports as a working lead and the
# description says it was won at the fair, for the sales rep to convert.
SALESFORCE_STATUS = {
    "new": "Open - Not Contacted",
    "contacted": "Working - Contacted",
    "meeting": "Working - Contacted",
    "offer": "Working - Contacted",
    "won": "Working - Contacted",
    "lost": "Closed - Not Converted",
}
# leadcap status -> HubSpot default "Lead status" options.
HUBSPOT_STATUS = {
    "new": "New",
    "contacted": "Attempted to contact",
    "meeting": "Connected",
    "offer": "Open deal",
    "won": "Open deal",
    "lost": "Unqualified",
}


def description(lead: Mapping[str, Any]) -> str:
    """Notes, materials promised, interests (tags) and rating in one text, for CRMs
    without those fields."""
    parts = []
    if lead.get("notes"):
        parts.append(str(lead["notes"]))
    if lead.get("materials"):
        parts.append("Materials promised: " + "; ".join(str(lead["materials"]).splitlines()))
    if lead.get("tags"):
        parts.append(f"Interests: {joined(lead['tags'])}")
    if lead.get("rating"):
        parts.append("Rating: " + str(lead["rating"]))
    for question, answer in (lead.get("answers") or {}).items():
        parts.append(f"{question}: {joined(answer) if isinstance(answer, list) else answer}")
    if lead.get("answers") and lead.get("score") is not None:
        parts.append(f"Score: {lead['score']}")
    return "\n".join(parts)


def _salesforce_description(lead: Mapping[str, Any]) -> str:
    text = description(lead)
    if lead.get("status") == "won":
        text = "Won at the fair: convert this lead in Salesforce." + ("\n" + text if text else "")
    return text


def e164(lead: Mapping[str, Any], key: str) -> str | None:
    """A phone as CRMs store it: E.164 from the database where the store computed it,
    else normalised here (with the lead's country when it is an ISO code), else as typed."""
    stored = lead.get(f"{key}_e164")
    if stored:
        return stored
    raw = lead.get(key)
    if not raw:
        return None
    region = lead.get("country_code") or country_code(lead.get("country"))
    number, _problem = normalise_phone(raw, region)
    return number or raw


def _phone(key: str) -> Callable[[Mapping[str, Any]], object]:
    return lambda lead: e164(lead, key)


def _opt_out(lead: Mapping[str, Any]) -> str:
    """Salesforce Email Opt Out: "1" unless marketing consent was granted."""
    return "0" if (lead.get("consent") or {}).get("marketing") == "granted" else "1"


def _get(key: str) -> Callable[[Mapping[str, Any]], object]:
    return lambda lead: lead.get(key)


def hubspot_columns(answers: tuple[Column, ...]) -> tuple[tuple[str, Callable], ...]:
    """HubSpot's columns, then one per question named after it, for custom properties."""
    return HUBSPOT_COLUMNS + tuple((column.en, _get(column.key)) for column in answers)


# Header -> how to get the value. Headers are the labels the Salesforce Data Import Wizard
# maps automatically ("Field Mapping for Importing Leads"); Company is required there, so an
# empty one becomes "[not provided]".
SALESFORCE_COLUMNS: tuple[tuple[str, Callable[[Mapping[str, Any]], object]], ...] = (
    ("First Name", _get("given_name")),
    ("Last Name", lambda lead: lead.get("family_name") or lead.get("full_name")),
    ("Company", lambda lead: lead.get("company") or NOT_PROVIDED),
    ("Title", _get("title")),
    ("Email", _get("email")),
    ("Phone", _phone("phone")),
    ("Mobile Phone", _phone("mobile")),
    ("Street", _get("street")),
    ("City", _get("city")),
    ("State/Province", _get("region")),
    ("Postal Code", _get("postal_code")),
    ("Country", _get("country")),
    ("Website", _get("website")),
    ("Lead Source", _get("event")),
    ("Lead Status", lambda lead: SALESFORCE_STATUS.get(lead.get("status") or "new")),
    ("Rating", lambda lead: (lead.get("rating") or "").capitalize() or None),
    ("Description", _salesforce_description),
    ("Email Opt Out", _opt_out),
)

# HubSpot contact import: headers match HubSpot's default contact property labels so the
# import wizard maps them; "Marketing consent" and "leadcap UUID" need a custom property.
HUBSPOT_COLUMNS: tuple[tuple[str, Callable[[Mapping[str, Any]], object]], ...] = (
    ("First Name", _get("given_name")),
    ("Last Name", lambda lead: lead.get("family_name") or lead.get("full_name")),
    ("Email", _get("email")),
    ("Company Name", _get("company")),
    ("Job Title", _get("title")),
    ("Phone Number", _phone("phone")),
    ("Mobile Phone Number", _phone("mobile")),
    ("Street Address", _get("street")),
    ("City", _get("city")),
    ("State/Region", _get("region")),
    ("Postal Code", _get("postal_code")),
    ("Country/Region", _get("country")),
    ("Website URL", _get("website")),
    ("Lead Status", lambda lead: HUBSPOT_STATUS.get(lead.get("status") or "new")),
    ("Message", description),
    ("Marketing consent", lambda lead: (lead.get("consent") or {}).get("marketing")),
    ("leadcap UUID", _get("uuid")),
)
