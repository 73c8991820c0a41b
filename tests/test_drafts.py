import email
import email.policy
import mailbox
from pathlib import Path

import pytest

from leadcap.errors import LeadcapError, UsageError
from leadcap.output import drafts
from leadcap.store.leads import add_lead

TEMPLATES = Path(__file__).parent / "data" / "templates"
GRANTED = {"followup": "granted"}


@pytest.fixture
def fair(store):
    """Three leads who agreed to follow-up (ja, de, en) and three who get no draft."""
    store.set_setting("timezone", "Asia/Tokyo")
    store.set_setting("event", "nano tech 2027")
    store.set_setting("card.email", "booth@example.org")
    people = [
        ({"family_name": "山田", "given_name": "太郎", "company": "山田製作所",
          "email": "taro@yamada.co.jp", "materials": "カタログと見積を送る",
          "notes": "[2027-01-29 10:02 anna] カタログと見積を送る\n"
          "[2027-01-29 10:03 anna] 来月訪問希望"}, ["センサー", "AI"], GRANTED),
        ({"family_name": "Schmidt", "given_name": "Anna", "company": "Müller GmbH",
          "email": "anna.schmidt@mueller.de", "materials": "Muster schicken",
          "notes": "Muster schicken, Jan anrufen"}, ["Sensorik", "KI"], GRANTED),
        ({"family_name": "Doe", "given_name": "Jane", "company": "Acme Ltd", "country": "US",
          "email": "jane@acme.com", "materials": "send brochure and price list",
          "notes": "sent brochure\nlikes golf"}, ["AI"], GRANTED),
        ({"family_name": "Muster", "email": "max@muster.de"}, [], {}),
        ({"family_name": "Refuser", "email": "no@thanks.com"}, [], {"followup": "refused"}),
        ({"family_name": "Nomail", "company": "Post Only"}, [], GRANTED),
    ]  # fmt: skip
    for fields, tags, consent in people:
        add_lead(store, fields, tags=tags, consent=consent)
    return store


def read(path: Path) -> email.message.EmailMessage:
    """The draft as a mail client reads it (lines end CRLF on disk; see test_eml_lines_end_crlf)."""
    data = path.read_bytes().replace(b"\r\n", b"\n")
    return email.message_from_bytes(data, policy=email.policy.default)


def run(cli, tmp_path, *args):
    result = cli("drafts", "-o", str(tmp_path / "out"), *args)
    return result, sorted((tmp_path / "out").glob("*.eml"))


def test_one_eml_per_consenting_lead_with_email(cli, fair, tmp_path):
    result, files = run(cli, tmp_path)
    assert [f.name for f in files] == ["1-山田-太郎.eml", "2-Anna-Schmidt.eml", "3-Jane-Doe.eml"]
    assert "Wrote 3 draft(s)" in result.stdout
    assert "Skipped 2 lead(s) without follow-up consent" in result.stderr
    assert "Skipped 1 lead(s) without a usable e-mail: 6" in result.stderr


def test_japanese_draft(cli, fair, tmp_path):
    message = read(run(cli, tmp_path)[1][0])
    assert message["To"].addresses[0].addr_spec == "taro@yamada.co.jp"
    assert message["To"].addresses[0].display_name == "山田 太郎"
    assert message["Subject"] == "nano tech 2027ご来場のお礼"
    assert message["X-Unsent"] == "1"
    assert (message.get_content_type(), message.get_content_charset()) == ("text/plain", "utf-8")
    body = message.get_content()
    assert body.startswith("山田製作所\n山田様\n")
    assert "AI、センサーにご関心" in body and "- カタログと見積を送る\n" in body
    assert "来月訪問希望" not in body


def test_german_draft(cli, fair, tmp_path):
    message = read(run(cli, tmp_path)[1][1])
    assert message["Subject"] == "Vielen Dank für Ihren Besuch auf der nano tech 2027"
    body = message.get_content()
    assert body.startswith("Guten Tag Anna Schmidt,\n\nvielen Dank")
    assert "Interesse an KI und Sensorik." in body and "anbei:\n- Muster schicken\n" in body


def test_english_draft(cli, fair, tmp_path):
    message = read(run(cli, tmp_path)[1][2])
    assert message["To"].addresses[0].addr_spec == "jane@acme.com"
    assert message["Subject"] == "Thank you for visiting us at nano tech 2027"
    body = message.get_content()
    assert body.startswith("Dear Jane Doe,\n") and "interest in AI." in body
    assert "attached:\n- send brochure and price list\n\nI would" in body


def test_headers_of_a_draft(cli, fair, tmp_path):
    cli("config", "set", "card.email", "sales@example.org")
    cli("config", "set", "card.name", "Ken Sato")
    message = read(run(cli, tmp_path)[1][0])
    assert message["From"].addresses[0].addr_spec == "sales@example.org"
    assert message["From"].addresses[0].display_name == "Ken Sato"
    assert message["Message-ID"].endswith("@example.org>")
    assert message["Date"].datetime.utcoffset().total_seconds() == 9 * 3600
    assert message.get_content().rstrip().endswith("Ken Sato")


def test_sender_from_this_laptops_card(cli, fair, tmp_path):
    fair.conn.execute("DELETE FROM settings WHERE key = 'card.email'")
    cli("config", "set", "my-card.email", "anna@example.org")
    result, files = run(cli, tmp_path)
    assert read(files[0])["From"].addresses[0].addr_spec == "anna@example.org"
    assert "Warning" not in result.stderr


def test_no_sender_is_refused_naming_the_settings(cli, fair, tmp_path):
    fair.conn.execute("DELETE FROM settings WHERE key = 'card.email'")
    result = cli("drafts", "-o", str(tmp_path / "out"), code=1)
    assert result.stderr.startswith("Error: No sender address for the drafts.")
    assert "config set card.email" in result.stderr and "my-card.email" in result.stderr
    assert not (tmp_path / "out").exists()


def test_sender_refusal_in_the_core(store):
    with pytest.raises(LeadcapError, match="no sender address"):
        drafts.sender(store, {})


def test_free_notes_never_reach_the_customer(cli, fair, tmp_path):
    bodies = [read(path).get_content() for path in run(cli, tmp_path)[1]]
    for internal in ("来月訪問希望", "Jan anrufen", "sent brochure", "likes golf"):
        assert not any(internal in body for body in bodies)


def test_materials_promised_by_command_code_reach_the_draft(cli, fair, tmp_path):
    codes = ["LEADCAP:CONSENT:followup", "LEADCAP:PROMISE:white paper", "LEADCAP:PROMISE:samples"]
    cli("scan", input="MECARD:N:Roe,Jo;EMAIL:roe@example.com;;\n" + "\n".join(codes) + "\n")
    (lead,) = [x for x in cli.json("list") if x["family_name"] == "Roe"]
    assert lead["materials"] == "white paper\nsamples"
    body = read(run(cli, tmp_path, str(lead["id"]))[1][0]).get_content()
    assert "attached:\n- white paper\n- samples\n" in body


def test_materials_set_with_edit(cli, fair):
    assert cli.json("edit", "3", "--materials", "quote; data sheet")["materials"] == (
        "quote\ndata sheet")  # fmt: skip
    assert cli.json("edit", "3", "--materials", "none")["materials"] is None


def test_eml_lines_end_crlf(cli, fair, tmp_path):
    raw = run(cli, tmp_path)[1][2].read_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")


def test_mbox_holds_exactly_the_consenting_leads(cli, fair, tmp_path):
    cli("drafts", "-o", str(tmp_path / "out"), "--mbox")
    box = mailbox.mbox(tmp_path / "out" / "drafts.mbox")
    to = sorted(email.message_from_bytes(m.as_bytes(), policy=email.policy.default)["To"]
                .addresses[0].addr_spec for m in box)  # fmt: skip
    assert to == ["anna.schmidt@mueller.de", "jane@acme.com", "taro@yamada.co.jp"]
    assert not list((tmp_path / "out").glob("*.eml"))


def test_custom_template_keeps_unknown_placeholders(cli, fair, tmp_path):
    _result, files = run(cli, tmp_path, "--template", str(TEMPLATES / "visit-en.txt"), "3")
    message = read(files[0])
    assert message["Subject"] == "Your visit to nano tech 2027: Acme Ltd"
    assert message.get_content() == (
        "Dear Jane Doe,\n\nyou asked us about AI.\n\n"
        "As promised at our booth, please find attached:\n- send brochure and price list\n\n"
        "{signature}\nanna\n"
    )


def test_windows_saved_japanese_template(cli, fair, tmp_path):
    _result, files = run(cli, tmp_path, "--template", str(TEMPLATES / "visit-ja-windows.txt"))
    message = read(files[0])
    assert message["Subject"] == "nano tech 2027 お礼（山田製作所）"
    assert message.get_content() == (
        "山田製作所\n山田様\n\nAI、センサーについてご案内いたします。\n- カタログと見積を送る\n"
    )


@pytest.mark.parametrize(
    ("email", "addr_spec"),
    [("Taro@Yamada.co.jp", "Taro@Yamada.co.jp"), ("info@bücher.de", "info@xn--bcher-kva.de"),
     ("info@straße.de", "info@xn--strae-oqa.de")],  # IDNA 2008: not strasse.de
)  # fmt: skip
def test_address_in_to_header(store, email, addr_spec):
    lead = add_lead(store, {"family_name": "A\nB", "email": email}, consent=GRANTED)
    sender = drafts.Sender("Ken", "ken@example.org")
    message = drafts.build_message(store, lead, drafts.builtin_template("en"), sender, "en")
    assert (message["To"].addresses[0].addr_spec, message["To"].addresses[0].display_name) == (
        addr_spec,
        "A B",
    )


@pytest.mark.parametrize("email", ["taro@@x", "山田@example.jp", "no-at-sign"])
def test_unusable_address_gives_no_message(store, email):
    lead = add_lead(store, {"family_name": "A", "email": email}, consent=GRANTED)
    sender = drafts.Sender("Ken", "ken@example.org")
    assert drafts.build_message(store, lead, drafts.builtin_template("en"), sender, "en") is None


def test_forced_language(cli, fair, tmp_path):
    _result, files = run(cli, tmp_path, "--lang", "en", "1")
    assert read(files[0]).get_content().startswith("Dear 山田 太郎,\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lang", "fr"], "Error: Unknown language 'fr'."),
        (["--template", "missing.txt"], "Error: Cannot read template missing.txt"),
    ],
)
def test_drafts_usage_errors(cli, fair, tmp_path, args, message):
    result = cli("drafts", "-o", str(tmp_path), *args, code=2)
    assert result.stderr.startswith(message)


@pytest.mark.parametrize(
    ("lead", "expected"),
    [
        ({"family_name": "Yamada", "company": "株式会社ヤマダ"}, "ja"),
        ({"full_name": "ﾔﾏﾀﾞ"}, "ja"),
        ({"family_name": "Huber", "country": "AT"}, "de"),
        ({"family_name": "Keller", "country": "Schweiz"}, "de"),
        ({"family_name": "Weber", "email": "weber@firma.ch"}, "de"),
        ({"family_name": "Smith", "email": "smith@firma.de.example.com"}, "en"),
        ({"family_name": "Tanaka", "country": "JP"}, "en"),
    ],
)
def test_language(lead, expected):
    assert drafts.language(lead) == expected


@pytest.mark.parametrize(
    ("lead", "lang", "expected"),
    [
        ({"family_name": "山田", "given_name": "太郎"}, "ja", "山田様"),
        ({"family_name": "Yamada"}, "ja", "Yamada様"),
        ({"company": "山田製作所"}, "ja", "ご担当者様"),
        ({"family_name": "Schmidt", "given_name": "Anna"}, "de", "Guten Tag Anna Schmidt"),
        ({"company": "Müller GmbH"}, "de", "Sehr geehrte Damen und Herren"),
        ({"family_name": "Doe", "given_name": "Jane"}, "en", "Dear Jane Doe"),
        ({}, "en", "Dear Sir or Madam"),
    ],
)
def test_salutation(lead, lang, expected):
    assert drafts.salutation(lead, lang) == expected


@pytest.mark.parametrize(
    ("tags", "lang", "expected"),
    [
        (["A", "B", "C"], "en", "A, B and C"),
        (["A", "B"], "de", "A und B"),
        (["センサー", "AI"], "ja", "センサー、AI"),
        (["A"], "en", "A"),
    ],
)
def test_join_words(tags, lang, expected):
    assert drafts.join_words(tags, lang) == expected


def test_promised_material_is_the_materials_field_only():
    assert drafts.promised_material("quote for 50 units\n\nDatenblatt Sensor X\n") == [
        "quote for 50 units",
        "Datenblatt Sensor X",
    ]


@pytest.mark.parametrize(
    "text", ["Dear {name}\n\nbody", "Subject: Hi\nno blank line\nbody", "Hello"]
)
def test_parse_template_rejects(text):
    with pytest.raises(UsageError):
        drafts.parse_template(text)


def test_stray_brace_in_template_is_a_usage_error():
    with pytest.raises(UsageError, match="literal braces"):
        drafts.render(drafts.Template("Hi", "{0} {"), {})


def test_nothing_in_leadcap_can_send_mail():
    sources = Path(drafts.__file__).parent.rglob("*.py")
    assert not [path.name for path in sources if "smtplib" in path.read_text(encoding="utf-8")]


def test_a_withdrawn_consent_removes_the_old_draft(cli, fair, tmp_path):
    run(cli, tmp_path)
    cli("consent", "2", "followup", "withdrawn")
    result, files = run(cli, tmp_path)
    assert [f.name for f in files] == ["1-山田-太郎.eml", "3-Jane-Doe.eml"]
    assert "Removed 1 outdated draft(s)" in result.stdout


def test_drafts_never_remove_files_leadcap_did_not_write(cli, fair, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "9-Mine.eml").write_text("my own draft")
    (out / "notes.txt").write_text("keep")
    (out / ".leadcap-drafts").write_text("../outside.eml\nnotes.txt\n")
    (tmp_path / "outside.eml").write_text("keep")
    cli("consent", "2", "followup", "withdrawn")
    result, files = run(cli, tmp_path)
    assert [f.name for f in files] == ["1-山田-太郎.eml", "3-Jane-Doe.eml", "9-Mine.eml"]
    assert (out / "notes.txt").exists() and (tmp_path / "outside.eml").exists()
    assert "Removed" not in result.stdout


def test_an_mbox_run_removes_the_drafts_of_an_eml_run(cli, fair, tmp_path):
    run(cli, tmp_path)
    result, files = run(cli, tmp_path, "--mbox")
    assert files == [] and (tmp_path / "out" / "drafts.mbox").exists()
    assert "Removed 3 outdated draft(s)" in result.stdout


ANSWER_TEMPLATE = """Subject: {answer:Cooperation} at {event}

{salutation},
[if Cooperation=R&D]
We would be glad to plan a joint research project.
[end]
[if cooperation=distribution]
Our distribution terms are attached.
[end]
[if Decision maker]
Decision maker: {answer:Decision maker}
[end]
Regards
"""


def test_a_template_has_a_paragraph_per_answer(cli, fair, tmp_path):
    from leadcap.store import answers, questions

    questions.add_question(fair, "Cooperation", "multi", choices=["R&D", "Distribution"])
    questions.add_question(fair, "Decision maker", "yesno")
    answers.answer(fair, 3, "Cooperation", ["R&D"])
    answers.answer(fair, 2, "Cooperation", ["Distribution", "R&D"])
    answers.answer(fair, 2, "Decision maker", ["yes"])
    template = tmp_path / "answers.txt"
    template.write_text(ANSWER_TEMPLATE, encoding="utf-8")
    files = run(cli, tmp_path, "--template", str(template))[1]
    jane, anna = read(files[2]), read(files[1])
    assert jane["Subject"] == "R&D at nano tech 2027"
    assert jane.get_content() == (
        "Dear Jane Doe,\nWe would be glad to plan a joint research project.\nRegards\n"
    )
    body = anna.get_content()
    assert "joint research" in body and "distribution terms" in body
    assert "Decision maker: yes" in body
    assert "[if" not in read(files[0]).get_content()
