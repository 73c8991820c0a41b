import pytest

from leadcap.store.leads import add_lead, update_lead

PAST = "2026-01-{}T{}:00:00+09:00"


def add(store, name, *, rating=None, day="28", hour="10", **changes):
    lead = add_lead(store, {"family_name": name}, rating=rating, captured_at=PAST.format(day, hour))
    if changes:
        update_lead(store, lead["id"], changes, command="edit")
    return lead["id"]


@pytest.fixture
def fair(store):
    """Six leads captured in January (so default due dates are past) with dues far ahead."""
    store.set_setting("timezone", "Asia/Tokyo")
    add(store, "Yamada", rating="hot")  # 1: no owner, default due 01-30
    add(store, "Schmidt", rating="warm", hour="11", owner="ken", due="2099-01-10")  # 2
    add(store, "Doe", rating="cold", hour="12", owner="Ken", status="offer")  # 3: due 02-27
    add(store, "Lee", day="29", status="won")  # 4: closed
    add(store, "Gone", rating="hot", deleted=True)  # 5: deleted
    add(store, "Brown", rating="hot", day="29", owner="mia", due="2099-01-05")  # 6
    return store


def worklist(cli, *args):
    return cli.json("followup", *args)


def test_worklist_json_values(cli, fair):
    rows = [
        (i["id"], i["rating"], i["owner"], i["due"], i["effective_due"], i["due_is_default"])
        for i in worklist(cli)
    ]
    assert rows == [
        (1, "hot", None, None, "2026-01-30", True),
        (6, "hot", "mia", "2099-01-05", "2099-01-05", False),
        (2, "warm", "ken", "2099-01-10", "2099-01-10", False),
        (3, "cold", "Ken", None, "2026-02-27", True),
    ]
    assert [i["overdue"] for i in worklist(cli)] == [True, False, False, True]


@pytest.mark.parametrize(
    ("args", "ids"),
    [
        (["--owner", "ken"], [2, 3]),
        (["--owner", "-"], [1]),
        (["--overdue"], [1, 3]),
        (["--rating", "warm"], [2]),
        (["--rating", "unrated"], []),
        (["--owner", "ken", "--overdue"], [3]),
    ],
)
def test_worklist_filters(cli, fair, args, ids):
    assert [item["id"] for item in worklist(cli, *args)] == ids


def test_worklist_is_tsv_when_piped(cli, fair):
    lines = cli("followup").stdout.splitlines()
    assert lines[0].split("\t") == [
        "id", "rating", "name", "company", "status", "owner", "due", "captured", "tags"
    ]  # fmt: skip
    assert lines[1].split("\t") == [
        "1", "hot", "Yamada", "", "new", "", "2026-01-30 (default) overdue", "2026-01-28", ""
    ]  # fmt: skip
    assert len(lines) == 5


def test_configured_service_level_moves_the_default(cli, fair):
    cli("config", "set", "followup-days.hot", "5")
    cli("config", "set", "followup-days.cold", "60")
    due = {item["id"]: item["effective_due"] for item in worklist(cli)}
    assert (due[1], due[3]) == ("2026-02-02", "2026-03-29")


def test_assign_stores_owner_and_default_due_in_history(cli, fair):
    assert "owner ken, due 2026-01-30" in cli("followup", "assign", "1", "ken").stdout
    changes = cli.json("history", "1")[-2:]
    assert [(c["command"], c["field"], c["new_value"]) for c in changes] == [
        ("followup assign", "owner", "ken"),
        ("followup assign", "due", "2026-01-30"),
    ]


def test_undo_reverts_assign(cli, fair):
    cli("followup", "assign", "1", "ken")
    cli("undo")
    lead = cli.json("show", "1")
    assert (lead["owner"], lead["due"]) == (None, None)


def test_assign_all_unassigned(cli, fair):
    result = cli("followup", "assign", "--all-unassigned", "sara")
    assert "Assigned 1 lead(s) to sara" in result.stdout
    assert [i["id"] for i in worklist(cli, "--owner", "sara")] == [1]


def test_due_sets_the_date_and_undo_puts_it_back(cli, fair):
    cli("followup", "due", "2", "2099-02-01")
    assert cli.json("show", "2")["due"] == "2099-02-01"
    assert cli.json("history", "2")[-1]["command"] == "followup due"
    cli("undo")
    assert cli.json("show", "2")["due"] == "2099-01-10"


def test_done_won_takes_the_lead_off_the_worklist_until_undone(cli, fair):
    lead = cli.json("followup", "done", "3", "--outcome", "won", "--note", "signed 500 units")
    assert lead["status"] == "won" and lead["notes"].endswith("anna] signed 500 units")
    assert 3 not in [item["id"] for item in worklist(cli)]
    assert {c["field"] for c in cli.json("history", "3") if c["command"] == "followup done"} == {
        "status",
        "notes",
    }
    cli("undo")
    assert cli.json("show", "3")["status"] == "offer" and cli.json("show", "3")["notes"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["due", "1", "2026-02-30"], "Error: Due date '2026-02-30' is not a date."),
        (["due", "1", "soon"], "Error: Due date 'soon' is not a date."),
        (["done", "1", "--outcome", "maybe"], "Error: Unknown outcome 'maybe'."),
        (["--rating", "lukewarm"], "Error: Unknown rating 'lukewarm'."),
        (["assign", "1"], "Error: Give the lead and the owner"),
    ],
)
def test_bad_values_exit_2_with_one_line(cli, fair, args, message):
    result = cli("followup", *args, code=2)
    assert result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    "args",
    [["assign", "99", "ken"], ["due", "99", "2099-01-01"], ["done", "99", "--outcome", "won"]],
)
def test_unknown_lead_exits_1(cli, fair, args):
    assert "No lead with id 99" in cli("followup", *args, code=1).stderr
