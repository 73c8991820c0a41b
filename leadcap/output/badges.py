"""Test badges to rehearse the counter set-up: invented visitors, their badge payloads (vCard,
MECARD or a bare badge id) and a folder of badge PNGs.

Pure core, never prints; drawn with the QR helpers of leadcap.output.qr.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from leadcap.errors import LeadcapError, UsageError
from leadcap.export.vcard import card_text
from leadcap.output.qr import SheetItem, save_code
from leadcap.store import model

BADGE_FORMATS = ("vcard", "mecard", "id")

LATIN_GIVEN = ("Anna", "Lukas", "Sophie", "Jonas", "Emily", "David", "Marie", "Kenji", "Yuki")
LATIN_FAMILY = ("Müller", "Schmidt", "Weber", "Fischer", "Wagner", "Smith", "Tanaka", "Sato")
JAPANESE_FAMILY = (
    ("山田", "ヤマダ", "yamada"), ("佐藤", "サトウ", "sato"), ("鈴木", "スズキ", "suzuki"),
    ("高橋", "タカハシ", "takahashi"), ("田中", "タナカ", "tanaka"),
    ("渡辺", "ワタナベ", "watanabe"), ("伊藤", "イトウ", "ito"), ("中村", "ナカムラ", "nakamura"),
    ("小林", "コバヤシ", "kobayashi"),
)  # fmt: skip
JAPANESE_GIVEN = (
    ("太郎", "タロウ", "taro"), ("花子", "ハナコ", "hanako"), ("健一", "ケンイチ", "kenichi"),
    ("美咲", "ミサキ", "misaki"), ("翔太", "ショウタ", "shota"), ("由美", "ユミ", "yumi"),
    ("大輔", "ダイスケ", "daisuke"), ("直樹", "ナオキ", "naoki"), ("さくら", "サクラ", "sakura"),
)  # fmt: skip
# Invented companies on reserved example domains, so a rehearsal never mails anyone real.
LATIN_COMPANIES = (
    ("Nanoform Materials GmbH", "nanoform.example.de", "+49 30 5550 1"),
    ("Kleinwerk Sensorik AG", "kleinwerk.example.de", "+49 89 5550 2"),
    ("Brightlayer Coatings Ltd.", "brightlayer.example.com", "+44 20 7946 0"),
    ("Tokyo Thin Film Co., Ltd.", "thinfilm.example.jp", "+81 3 5550 3"),
)
JAPANESE_COMPANIES = (
    ("株式会社ナノフォーム東京", "nanoform.example.jp", "03-5550-1"),
    ("さくら精密工業株式会社", "sakura-seimitsu.example.jp", "06-5550-2"),
    ("東和マテリアル株式会社", "towa-material.example.jp", "045-555-3"),
    ("北斗センサー株式会社", "hokuto-sensor.example.jp", "011-555-4"),
)
TITLES = ("Head of R&D", "Purchasing Manager", "Research Engineer", "CTO", "Sales Director")
JAPANESE_TITLES = ("研究開発部長", "購買課長", "主任研究員", "技術営業", "代表取締役")


@dataclass
class Badge:
    """One invented visitor, as an organiser would print them on a badge."""

    badge_id: str
    family_name: str
    given_name: str
    company: str
    title: str
    email: str
    phone: str
    reading: tuple[str, str] | None = None

    @property
    def full_name(self) -> str:
        if self.reading:
            return f"{self.family_name} {self.given_name}"
        return f"{self.given_name} {self.family_name}"

    def payload(self, badge_format: str) -> str:
        if badge_format == "id":
            return self.badge_id
        if badge_format == "mecard":
            fields = [
                f"N:{_mecard_esc(self.family_name)},{_mecard_esc(self.given_name)}",
                f"SOUND:{_mecard_esc(self.reading[0])},{_mecard_esc(self.reading[1])}"
                if self.reading
                else "",
                f"TEL:{_mecard_esc(self.phone)}",
                f"EMAIL:{_mecard_esc(self.email)}",
                f"ORG:{_mecard_esc(self.company)}",
                f"TITLE:{_mecard_esc(self.title)}",
            ]
            return "MECARD:" + ";".join(f for f in fields if f) + ";;"

        return card_text(
            {
                "family_name": self.family_name,
                "given_name": self.given_name,
                "full_name": self.full_name,
                "name_reading": " ".join(self.reading) if self.reading else None,
                "company": self.company,
                "title": self.title,
                "email": self.email,
                "phone": self.phone,
                "badge_id": self.badge_id,
            }
        )

    def sheet_item(self, badge_format: str) -> SheetItem:

        name = self.full_name + (f" ({' '.join(self.reading)})" if self.reading else "")
        return SheetItem(self.payload(badge_format), [self.badge_id], [name, self.company])


def _mecard_esc(value: str) -> str:
    return re.sub(r"([\\;:,])", r"\\\1", value)


def sample_badges(
    count: int, *, japanese: bool = False, seed: int = 27, prefix: str = "NT27"
) -> list[Badge]:
    """`count` invented visitors, the same ones for the same seed; ids NT27-000001 on."""
    if count < 1:
        raise UsageError(f"--count must be at least 1, not {count}")
    chooser = random.Random(seed)
    badges = []
    for number in range(1, count + 1):
        badge_id = f"{prefix}-{number:06d}"
        if japanese:
            ja_family, ja_given = chooser.choice(JAPANESE_FAMILY), chooser.choice(JAPANESE_GIVEN)
            company, domain, phone = chooser.choice(JAPANESE_COMPANIES)
            badges.append(
                Badge(
                    badge_id, ja_family[0], ja_given[0], company, chooser.choice(JAPANESE_TITLES),
                    f"{ja_given[2]}.{ja_family[2]}@{domain}", f"{phone}{number:03d}",
                    reading=(ja_family[1], ja_given[1]),
                )
            )  # fmt: skip
            continue
        given, family = chooser.choice(LATIN_GIVEN), chooser.choice(LATIN_FAMILY)
        company, domain, phone = chooser.choice(LATIN_COMPANIES)
        local = model.fold(f"{given}.{family}") or "visitor"
        local = local.replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")
        badges.append(
            Badge(
                badge_id, family, given, company, chooser.choice(TITLES),
                f"{local}@{domain}", f"{phone}{number:03d}",
            )
        )  # fmt: skip
    return badges


def save_badge_pngs(badges: Sequence[Badge], badge_format: str, folder: Path) -> list[Path]:
    """badge-001.png ... in `folder` (created if needed), one code each at 10 px a module."""

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise LeadcapError(f"cannot create {folder} ({error.strerror})") from None
    paths = []
    for number, badge in enumerate(badges, start=1):
        path = folder / f"badge-{number:03d}.png"
        save_code(badge.payload(badge_format), path)
        paths.append(path)
    return paths
