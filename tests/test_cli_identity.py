"""`add` of someone already captured, `duplicates` and `combine` from the command line."""


def test_add_of_a_known_email_counts_a_visit_instead_of_a_second_lead(cli):
    cli("add", "--email", "ken@example.jp", "--company", "ACME")
    result = cli("add", "--email", "KEN@example.jp", "--phone", "03-1234-5678")
    assert result.stdout.strip() == "1"
    assert "Already captured: lead 1 (ACME)" in result.stderr
    assert "Visit counted (2 visits); filled in: phone." in result.stderr
    (lead,) = cli.json("list")
    assert lead["visits"] == 2 and lead["phone"] == "03-1234-5678"


def test_add_new_makes_a_separate_lead(cli):
    cli("add", "--badge-id", "NT27-1")
    assert cli("add", "--badge-id", "nt27-1", "--new").stdout.strip() == "2"
    assert len(cli.json("list")) == 2


def test_duplicates_lists_the_command_and_combine_undo_round_trip(cli):
    cli("add", "--family-name", "Sato", "--email", "ken@example.jp", "--tag", "AI")
    cli("add", "--email", "other@example.jp", "--tag", "IoT")
    cli("edit", "2", "--email", "KEN@example.jp")
    listed = cli("duplicates").stdout
    assert "same e-mail" in listed and "leadcap combine 1 2" in listed
    assert cli.json("duplicates") == [
        {"ids": [1, 2], "reasons": ["same e-mail"], "command": "leadcap combine 1 2"}
    ]
    result = cli("combine", "1", "2")
    assert result.stdout.startswith("Combined lead 2 (KEN@example.jp) into lead 1 (Sato)")
    assert [(x["id"], x["tags"]) for x in cli.json("list")] == [(1, ["AI", "IoT"])]
    assert "No likely duplicates." in cli("duplicates").stdout
    cli("undo")
    assert sorted(x["id"] for x in cli.json("list")) == [1, 2]


def test_combine_an_unknown_lead_is_one_line(cli):
    cli("add", "--family-name", "Sato")
    result = cli("combine", "1", "7", code=1)
    assert result.stderr == (
        "Error: No lead with id 7. Use `leadcap list` or `leadcap find` to look it up.\n"
    )
