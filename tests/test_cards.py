"""Business cards: reading (QR first, OCR), field extraction, storing the image with the
lead, and the image travelling with backup, merge and sync and erased by forget and purge."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadcap.errors import CardError, NotFound, OcrUnavailable
from leadcap.intake.cards import engine as card_engine
from leadcap.intake.cards import importing, storage
from leadcap.intake.cards.engine import OcrLine
from leadcap.intake.cards.fields import extract_fields
from leadcap.store import erasure, leads

DATA = Path(__file__).parent / "data" / "meishi"
AT = "2026-12-10T10:00:00+09:00"


def truth(number: str) -> dict:
    return json.loads((DATA / f"{number}.json").read_text(encoding="utf-8"))


def line(text: str, x: float, y: float, w: float, h: float, score: float = 0.99) -> OcrLine:
    return OcrLine(text, score, ((x, y), (x + w, y), (x + w, y + h), (x, y + h)))


@pytest.fixture
def no_ocr(monkeypatch):
    """As if the `ocr` extra were not installed."""
    monkeypatch.setattr(card_engine, "ocr_available", lambda: False)
    monkeypatch.setattr(card_engine, "_ENGINE", None)


def qr_card_png(tmp_path: Path, payload: str) -> Path:
    import qrcode
    from PIL import Image

    card = Image.new("RGB", (1075, 650), "white")
    code = qrcode.make(payload).get_image().convert("RGB").resize((300, 300))
    card.paste(code, (700, 300))
    path = tmp_path / "qr-card.png"
    card.save(path)
    return path


# -- field extraction (pure) ---------------------------------------------------------


def test_labelled_numbers_go_to_phone_fax_and_mobile():
    ocr = [
        line("Isartal Quantenoptik GmbH", 57, 56, 412, 33),
        line("Lea Meißner", 56, 161, 249, 45),
        line("Telefon +49 (0)89 4122-30", 498, 442, 239, 23),
        line("Telefax +49 (0)89 4122-99", 497, 468, 239, 26),
        line("Mobil +49 171 37234242", 498, 499, 222, 22),
    ]
    values = extract_fields(ocr, 1075, 650).values
    assert (values["phone"], values["fax"], values["mobile"]) == (
        "+49 (0)89 4122-30",
        "+49 (0)89 4122-99",
        "+49 171 37234242",
    )


def test_a_postal_mark_read_as_t_still_gives_the_postal_code():
    ocr = [line("T220-0012", 59, 491, 106, 22), line("TEL:+81-45-222-6500", 58, 544, 196, 19)]
    values = extract_fields(ocr, 1075, 650).values
    assert (values["postal_code"], values["phone"]) == ("220-0012", "+81-45-222-6500")


def test_hyphens_read_as_ones_in_a_vertical_number_column_are_restored():
    ocr = [line("電話082122814386", 232, 418, 26, 326), line("株式会社テスト", 553, 117, 38, 352)]
    assert extract_fields(ocr, 650, 1075).values["phone"] == "082-228-4386"


def test_department_and_title_on_one_line_are_split():
    ocr = [
        line("株式会社みらい分析センター", 115, 447, 371, 41),
        line("技術営業部 係長", 57, 276, 186, 31),
        line("和田 大輔", 54, 183, 369, 90),
    ]
    values = extract_fields(ocr, 1075, 650).values
    assert (values["department"], values["title"]) == ("技術営業部", "係長")
    assert (values["family_name"], values["given_name"]) == ("和田", "大輔")


def test_a_name_in_capitals_is_the_family_name():
    ocr = [
        line("TOKAI NANOCOAT CO., LTD.", 135, 54, 412, 39),
        line("Kaori IKEDA", 56, 152, 300, 52),
    ]
    values = extract_fields(ocr, 1075, 650).values
    assert (values["family_name"], values["given_name"]) == ("IKEDA", "Kaori")


def test_a_german_name_is_given_name_first_and_sharp_s_repaired():
    ocr = [
        line("Spree Analytik GmbH", 57, 57, 318, 33),
        line("Dr. Henrik RöBler", 58, 162, 346, 43),
    ]
    values = extract_fields(ocr, 1075, 650).values
    assert (values["family_name"], values["given_name"]) == ("Rößler", "Henrik")


def test_low_confidence_lines_give_low_confidence_fields():
    ocr = [line("Acme GmbH", 57, 56, 300, 33, score=0.55), line("Jan Weber", 56, 161, 249, 45)]
    fields = extract_fields(ocr, 1075, 650)
    assert fields.low_confidence() == ["company"]


# -- reading whole cards -------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "kind"), [("01", "scan.png"), ("01", "photo.jpg"), ("06", "scan.png")]
)
def test_a_card_is_read_by_ocr(number, kind):
    from PIL import Image

    from leadcap.intake.cards.reader import read_card

    expected = truth(number)
    with Image.open(DATA / f"{number}-{kind}") as image:
        reading = read_card(image)
    values = reading.fields.values
    assert reading.source == "ocr"
    for name in ("family_name", "given_name", "email", "phone", "postal_code", "website"):
        assert values.get(name) == expected[name], name


def test_an_upside_down_card_is_turned():
    from PIL import Image

    from leadcap.intake.cards.reader import read_card

    with Image.open(DATA / "06-scan.png") as image:
        reading = read_card(image.rotate(180))
    assert reading.fields.values["email"] == "lea.meissner@isartal-quantum.de"
    assert reading.fields.values["family_name"] == "Meißner"


@pytest.mark.parametrize("degrees", [90, 270])
def test_a_sideways_latin_card_is_turned_to_landscape(degrees):
    from PIL import Image

    from leadcap.intake.cards.reader import read_card

    with Image.open(DATA / "06-scan.png") as image:
        reading = read_card(image.rotate(degrees, expand=True))
    assert (reading.fields.layout, reading.width > reading.height) == ("horizontal", True)
    assert reading.fields.values["company"] == "Isartal Quantenoptik GmbH"


def test_a_vertical_card_is_read_in_columns():
    from PIL import Image

    from leadcap.intake.cards.reader import read_card

    with Image.open(DATA / "03-scan.png") as image:
        reading = read_card(image)
    assert reading.fields.layout == "vertical"
    assert reading.fields.values["company"] == "広島ナノファブ株式会社"
    assert reading.fields.values["postal_code"] == "730-0011"


def test_qr_fields_win_over_ocr(tmp_path):
    from PIL import Image

    from leadcap.intake.cards.reader import read_card

    path = qr_card_png(tmp_path, "MECARD:N:Suzuki,Ichiro;EMAIL:ichiro@example.jp;;")
    with Image.open(path) as image:
        reading = read_card(image, ocr=False)
    assert reading.source == "qr"
    assert reading.fields.values["email"] == "ichiro@example.jp"
    assert reading.fields.confidence["email"] == 1.0


def test_the_kept_image_is_a_small_jpeg():
    from PIL import Image

    from leadcap.intake.cards.reader import read_card

    with Image.open(DATA / "01-photo.jpg") as image:
        reading = read_card(image)
    assert reading.image[:3] == b"\xff\xd8\xff"
    assert len(reading.image) < 300_000
    assert max(reading.width, reading.height) <= 1200


def test_the_engine_writes_no_model_cache_into_the_working_directory(tmp_path, monkeypatch):
    from PIL import Image

    from leadcap.intake.cards.reader import read_card

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(card_engine, "_ENGINE", None)
    with Image.open(DATA / "06-scan.png") as image:
        read_card(image)
    assert list(tmp_path.iterdir()) == []


def test_without_the_extra_load_engine_says_what_to_install(no_ocr):
    with pytest.raises(OcrUnavailable, match=r"pip install 'leadcap\[ocr\]'"):
        card_engine.load_engine()


# -- importing into the store ----------------------------------------------------------


def test_import_creates_a_lead_flagged_for_review_with_the_card(store):
    [result] = importing.import_cards(store, [DATA / "06-scan.png"])
    lead = result.lead
    assert result.created and lead["source"] == "card"
    assert lead["email"] == "lea.meissner@isartal-quantum.de"
    assert lead["needs_review"] and "read from card by OCR" in lead["review_reasons"][0]
    [card] = storage.lead_cards(store, lead)
    assert card["fields"]["confidence"]["email"] > 0.9


def test_import_without_the_extra_keeps_the_card_and_flags_type_from_card(store, no_ocr):
    [result] = importing.import_cards(store, [DATA / "01-scan.png"])
    assert result.lead["review_reasons"] == [importing.TYPE_FROM_CARD]
    assert result.lead["family_name"] is None
    assert storage.lead_cards(store, result.lead)[0]["source"] == "none"


def test_import_with_lead_fills_only_empty_fields(store):
    lead = leads.add_lead(store, {"badge_id": "B-1", "email": "lea@isartal.example"})
    [result] = importing.import_cards(store, [DATA / "06-scan.png"], lead_id=lead["id"])
    assert not result.created
    assert result.lead["email"] == "lea@isartal.example"
    assert result.lead["company"] == "Isartal Quantenoptik GmbH"
    assert "email" not in result.filled


def test_importing_the_same_card_twice_for_a_lead_keeps_one_image(store, no_ocr):
    lead = leads.add_lead(store, {"company": "ACME"})
    for _ in range(2):
        importing.import_cards(store, [DATA / "01-scan.png"], lead_id=lead["id"])
    assert len(storage.lead_cards(store, lead)) == 1


def test_a_folder_imports_its_card_files(store, tmp_path, no_ocr):
    for name in ("01-scan.png", "06-scan.png"):
        (tmp_path / name).write_bytes((DATA / name).read_bytes())
    (tmp_path / "notes.txt").write_text("not a card")
    assert len(importing.import_cards(store, [tmp_path])) == 2


def test_a_broken_file_is_reported_and_the_others_imported(store, tmp_path, no_ocr):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    results = importing.import_cards(store, [broken, DATA / "01-scan.png"])
    assert "not an image" in results[0].error and results[1].lead


def test_a_missing_path_raises(store):
    with pytest.raises(CardError, match="does not exist"):
        importing.import_cards(store, [Path("nope.jpg")])


def test_an_unknown_lead_raises_before_reading(store):
    with pytest.raises(NotFound):
        importing.import_cards(store, [DATA / "01-scan.png"], lead_id=999)


def test_pdf_pages_are_imported_as_cards(store, tmp_path, no_ocr):
    from PIL import Image

    pdf = tmp_path / "scanner.pdf"
    pages = [Image.open(DATA / n).convert("RGB") for n in ("01-scan.png", "06-scan.png")]
    pages[0].save(pdf, save_all=True, append_images=pages[1:], resolution=300)
    results = importing.import_cards(store, [pdf])
    assert [r.page for r in results] == [1, 2]


def test_heic_without_pillow_heif_is_reported(store, tmp_path, monkeypatch, no_ocr):
    import sys

    monkeypatch.setitem(sys.modules, "pillow_heif", None)
    photo = tmp_path / "IMG_0001.HEIC"
    photo.write_bytes(b"\x00")
    [result] = importing.import_cards(store, [photo])
    assert "pillow-heif" in result.error


# -- the image travels with the lead and is erased with it ------------------------------


def card_lead(store):
    [result] = importing.import_cards(store, [DATA / "01-scan.png"], ocr=False)
    return leads.update_lead(store, result.lead["id"], {"email": "okada@example.jp"}, command="t")


def test_backup_and_restore_carry_the_card(store, tmp_path):
    from leadcap.store import backups, health

    lead = card_lead(store)
    image = storage.card_image(store, storage.lead_cards(store, lead)[0]["uid"])
    copy = backups.backup(store, tmp_path)
    with store.transaction():
        store.conn.execute("DELETE FROM cards")
    health.restore(store, copy, keep=2)
    [card] = storage.lead_cards(store, leads.get_lead(store, lead["uuid"]))
    assert storage.card_image(store, card["uid"]) == image


def test_merge_brings_the_other_laptops_cards(store, tmp_path):
    from leadcap.laptops import merge
    from leadcap.store.database import open_store

    other = open_store(tmp_path / "b.db", staff="ben", device="laptop-b")
    lead = card_lead(other)
    other.close()
    report = merge.merge_file(store, tmp_path / "b.db")
    assert report.new_cards == 1 and report.changed
    assert len(storage.lead_cards(store, leads.get_lead(store, lead["uuid"]))) == 1
    assert merge.merge_file(store, tmp_path / "b.db").new_cards == 0


def test_sync_carries_cards_both_ways(tmp_path):
    from leadcap.laptops.sync import sync_folder
    from leadcap.store.database import open_store

    folder = tmp_path / "share"
    folder.mkdir()
    a = open_store(tmp_path / "a.db", staff="anna", device="laptop-a")
    b = open_store(tmp_path / "b.db", staff="ben", device="laptop-b")
    lead = card_lead(a)
    sync_folder(a, folder)
    sync_folder(b, folder)
    assert len(storage.lead_cards(b, leads.get_lead(b, lead["uuid"]))) == 1
    a.close(), b.close()


def test_forget_erases_the_card_image_from_the_file(store, db_path):
    lead = card_lead(store)
    image = storage.card_image(store, storage.lead_cards(store, lead)[0]["uid"])
    report = erasure.forget_lead(store, lead, at=AT)
    assert report.rows["cards"] == 1
    assert store.conn.execute("SELECT count(*) FROM cards").fetchone()[0] == 0
    assert image[200:264] not in db_path.read_bytes()


def test_purge_erases_the_card(store):
    lead = card_lead(store)
    report = erasure.purge_leads(store, [lead], at=AT)
    assert report.rows["cards"] == 1


def test_merge_skips_cards_of_a_person_forgotten_here(store, tmp_path):
    from leadcap.laptops import merge
    from leadcap.store.database import open_store

    other = open_store(tmp_path / "b.db", staff="ben", device="laptop-b")
    lead = card_lead(other)
    other.close()
    erasure.forget_lead(store, {"email": lead["email"]}, at=AT)
    assert merge.merge_file(store, tmp_path / "b.db").new_cards == 0


def test_card_image_is_readable_as_jpeg(store):
    from PIL import Image

    lead = card_lead(store)
    data = storage.card_image(store, storage.lead_cards(store, lead)[0]["uid"])
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"


def test_the_same_card_imported_again_changes_nothing(store, no_ocr):
    first = importing.import_cards(store, [DATA / "01-scan.png"])[0]
    [again] = importing.import_cards(store, [DATA / "01-scan.png"])
    assert again.duplicate and again.lead["id"] == first.lead["id"]
    assert leads.counts(store)["leads"] == 1


def test_a_card_with_a_known_email_goes_to_that_lead(store):
    lead = leads.add_lead(store, {"email": "lea.meissner@isartal-quantum.de", "badge_id": "B-7"})
    [result] = importing.import_cards(store, [DATA / "06-scan.png"])
    assert not result.created and result.lead["id"] == lead["id"]


def test_a_card_of_a_forgotten_person_is_not_kept(store):
    erasure.forget_lead(store, {"email": "lea.meissner@isartal-quantum.de"}, at=AT)
    [result] = importing.import_cards(store, [DATA / "06-scan.png"])
    assert "asked to be forgotten" in result.error
    assert store.conn.execute("SELECT count(*) FROM cards").fetchone()[0] == 0


def test_a_card_of_a_person_merged_from_two_laptops_shows_on_the_kept_lead(store, tmp_path):
    from leadcap.laptops import merge
    from leadcap.store.database import open_store

    other = open_store(tmp_path / "b.db", staff="ben", device="laptop-b")
    card_lead(other)  # okada@example.jp, with the card, on laptop b
    other.close()
    leads.add_lead(store, {"email": "okada@example.jp", "company": "Mirai"})
    merge.merge_file(store, tmp_path / "b.db")
    [kept] = [lead for lead in leads.iter_leads(store) if lead["email"] == "okada@example.jp"]
    assert len(storage.lead_cards(store, kept)) == 1
    assert kept["uuid"] in storage.lead_uuids_with_cards(store)


@given(
    st.lists(
        st.tuples(
            st.text(max_size=40),
            st.floats(0, 1000),
            st.floats(0, 1000),
            st.floats(1, 500),
            st.floats(1, 500),
            st.floats(0, 1),
        ),
        max_size=12,
    ),
    st.sampled_from([(1075, 650), (650, 1075)]),
)
@settings(max_examples=200, deadline=None)
def test_extraction_never_raises_and_gives_known_fields(raw, size):
    from leadcap.intake.cards.fields import FIELDS

    ocr = [line(text, x, y, w, h, score) for text, x, y, w, h, score in raw]
    fields = extract_fields(ocr, *size)
    assert set(fields.values) <= set(FIELDS)
    assert all(0 <= c <= 1 for c in fields.confidence.values())


def test_merge_sets_aside_a_card_row_that_is_no_image(store, tmp_path):
    from leadcap.laptops import merge
    from leadcap.store.database import open_store

    other = open_store(tmp_path / "b.db", staff="ben", device="laptop-b")
    card_lead(other)
    with other.transaction():
        other.conn.execute("UPDATE cards SET image = x'00112233'")
    other.close()
    report = merge.merge_file(store, tmp_path / "b.db")
    assert report.new_cards == 0
    assert any("card of lead" in line and "not a JPEG" in line for line in report.rejected)


def test_a_card_attached_later_without_field_changes_is_merged_too(store, tmp_path):
    from leadcap.laptops import merge
    from leadcap.store.database import open_store

    other = open_store(tmp_path / "b.db", staff="ben", device="laptop-b")
    lead = leads.add_lead(other, {"email": "okada@example.jp", "family_name": "岡田"})
    merge.merge_file(store, tmp_path / "b.db")
    importing.import_cards(other, [DATA / "01-scan.png"], lead_id=lead["id"], ocr=False)
    other.close()
    report = merge.merge_file(store, tmp_path / "b.db")
    assert report.new_cards == 1
    assert len(storage.lead_cards(store, leads.get_lead(store, lead["uuid"]))) == 1
