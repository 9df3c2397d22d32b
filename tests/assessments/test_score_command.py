"""`manage.py score`: one sheet as JSON, a CSV in bulk, one-line errors."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from assessments.scoring.sheet import SCORE_COLUMNS

WAI_SR_ROW = ["5", "4", "3", "2", "1", "5", "4", "3", "2", "1", "5", "4"]
ITEMS = [f"item_{n}" for n in range(1, 13)]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("score", *args, stdout=out)
    return out.getvalue()


def fails(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        run(*args)
    message = str(caught.value)
    assert "\n" not in message
    return message


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# --- one answer sheet ---------------------------------------------------------------------------
def test_it_prints_one_json_object_for_one_sheet() -> None:
    output = run("wai-sr-client", *WAI_SR_ROW)
    assert output.count("\n") == 1
    data = json.loads(output)
    assert data == {
        "form": "wai-sr-client",
        "complete": True,
        "prorated": False,
        "goal": {"sum": 15.0, "mean": 3.75, "pomp": 68.75, "answered": 4, "items": 4},
        "task": {"sum": 14.0, "mean": 3.5, "pomp": 62.5, "answered": 4, "items": 4},
        "bond": {"sum": 10.0, "mean": 2.5, "pomp": 37.5, "answered": 4, "items": 4},
        "total": {"sum": 39.0, "mean": 3.25, "pomp": 56.25, "answered": 12, "items": 12},
    }


def test_a_dash_is_a_missing_answer_and_unscored_figures_are_null() -> None:
    answers = ["-" if n in (4, 6) else a for n, a in enumerate(WAI_SR_ROW, start=1)]
    data = json.loads(run("wai-sr-client", *answers))
    assert data["goal"] == {"sum": None, "mean": None, "pomp": None, "answered": 2, "items": 4}
    assert data["total"]["sum"] is None
    assert (data["complete"], data["prorated"]) == (False, False)


def test_the_form_may_be_given_as_an_option() -> None:
    assert run("--form", "wai-sr-client", *WAI_SR_ROW) == run("wai-sr-client", *WAI_SR_ROW)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["wai-99", "1"], "unknown form 'wai-99'"),
        (["wai-sr-client", "1", "2"], "wai-sr-client has 12 items; got 2 answers"),
        (["wai-sr-client", *WAI_SR_ROW, "3"], "wai-sr-client has 12 items; got 13 answers"),
        (["wai-sr-client", "9", *WAI_SR_ROW[1:]], "item 1: 9 is outside 1–5"),
        (["wai-sr-client", *WAI_SR_ROW[:3], "-1", *WAI_SR_ROW[4:]], "item 4: -1 is outside 1–5"),
        (["wai-sr-client", *WAI_SR_ROW[:11], "4.5"], "item 12: '4.5' is not a whole number"),
        (["wai-sr-client", "often", *WAI_SR_ROW[1:]], "item 1: 'often' is not a whole number"),
        ([], "give a form and its answers"),
        (["--output", "x.csv", "wai-sr-client"], "--output goes with --csv"),
        (["--csv", "in.csv"], "--csv needs --form FORM"),
        (["--form", "wai-sr-client", "--csv", "in.csv", "5"], "either answers or --csv"),
    ],
)
def test_it_stops_with_a_one_line_message_on_bad_input(args: list[str], message: str) -> None:
    assert message in fails(*args)


# --- a CSV file ---------------------------------------------------------------------------------
def test_it_scores_a_csv_and_passes_other_columns_through_unchanged(tmp_path: Path) -> None:
    missing_one = ["", *WAI_SR_ROW[1:]]
    invalid = ["9", *WAI_SR_ROW[1:11], "x"]
    source = write_csv(
        tmp_path / "in.csv",
        [
            ["client", *ITEMS, "note"],
            ["007", *WAI_SR_ROW, 'said: "fine", then left'],
            ["008", *missing_one, "NA"],
            ["009", *invalid, ""],
        ],
    )
    target = tmp_path / "out.csv"
    assert run("--form", "wai-sr-client", "--csv", str(source), "--output", str(target)) == ""
    rows = read_csv(target.read_text(encoding="utf-8"))
    assert list(rows[0]) == ["client", *ITEMS, "note", *SCORE_COLUMNS]
    assert [r["client"] for r in rows] == ["007", "008", "009"]
    assert [r["note"] for r in rows] == ['said: "fine", then left', "NA", ""]
    assert [r["item_1"] for r in rows] == ["5", "", "9"]
    first, second, third = rows
    assert (first["total_sum"], first["total_pomp"], first["answered"]) == ("39.0", "56.25", "12")
    assert (first["complete"], first["error"]) == ("True", "")
    assert (second["task_mean"], second["answered"], second["complete"]) == ("3.0", "11", "False")
    assert third["error"] == "item 1: 9 is outside 1–5; item 12: 'x' is not a whole number"
    assert all(third[c] == "" for c in SCORE_COLUMNS if c != "error")


def test_it_writes_the_scored_csv_to_stdout_by_default(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [ITEMS, WAI_SR_ROW])
    for extra in ([], ["--output", "-"]):
        rows = read_csv(run("--form", "wai-sr-client", "--csv", str(source), *extra))
        assert rows[0]["total_sum"] == "39.0"


def test_a_csv_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    source = tmp_path / "excel.csv"
    source.write_text(",".join(ITEMS) + "\n" + ",".join(WAI_SR_ROW) + "\n", encoding="utf-8-sig")
    rows = read_csv(run("--form", "wai-sr-client", "--csv", str(source)))
    assert "item_1" in rows[0]
    assert rows[0]["total_sum"] == "39.0"


def test_it_stops_on_a_file_it_cannot_read(tmp_path: Path) -> None:
    assert "cannot read" in fails("--form", "wai-sr-client", "--csv", str(tmp_path / "none.csv"))
    assert "cannot read" in fails("--form", "wai-sr-client", "--csv", str(tmp_path))
    latin = tmp_path / "latin.csv"
    latin.write_bytes(",".join(ITEMS).encode() + b"\n\xe9\xe9\n")
    assert "cannot read" in fails("--form", "wai-sr-client", "--csv", str(latin))
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "cannot read" in fails("--form", "wai-sr-client", "--csv", str(empty))
    ragged = write_csv(tmp_path / "ragged.csv", [ITEMS, WAI_SR_ROW, [*WAI_SR_ROW, "1", "2"]])
    assert "cannot read" in fails("--form", "wai-sr-client", "--csv", str(ragged))


def test_it_stops_when_item_columns_are_missing(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [ITEMS[:-1], WAI_SR_ROW[:-1]])
    message = fails("--form", "wai-sr-client", "--csv", str(source))
    assert message == "the table lacks the item columns item_12"


def test_it_stops_when_the_csv_already_has_score_columns(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [[*ITEMS, "total_sum"], [*WAI_SR_ROW, "1"]])
    assert "already has score columns (total_sum)" in fails(
        "--form", "wai-sr-client", "--csv", str(source)
    )


def test_it_stops_when_it_cannot_write_the_output(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "in.csv", [ITEMS, WAI_SR_ROW])
    target = tmp_path / "no" / "such" / "folder" / "out.csv"
    assert "cannot write" in fails(
        "--form", "wai-sr-client", "--csv", str(source), "--output", str(target)
    )


# --- as a process: exit status and no traceback --------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["wai-99", "1"],
        ["wai-sr-client", "1", "2"],
        ["--form", "wai-sr-client", "--csv", "/nonexistent/in.csv"],
    ],
)
def test_bad_input_exits_non_zero_with_one_line_and_no_traceback(args: list[str]) -> None:
    manage = Path(settings.BASE_DIR) / "manage.py"
    done = subprocess.run(
        [sys.executable, str(manage), "score", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("CommandError: ")
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr
