"""A ward whose every free-text field is hostile markup (issue 12, item 3): a name, a bed
and a held dose's reason that would render bold, an image fetched from a server, maths,
a link and colour if any screen treated them as markdown or HTML; ids with '#' and '&'
that a link must encode."""

from __future__ import annotations

from pathlib import Path

from tests.app_wards import write_ward

#: Every kind of markup the issue names; 127.0.0.1:9 (discard) so a fetch never leaves.
HOSTILE = "**bold** <img src=http://127.0.0.1:9/x> $x$ [x](http://127.0.0.1:9/y) :red[x]"
HOSTILE_BED = ":red[7]"
HOSTILE_ID = "P#1"
AMPERSAND_ID = "A&B"


def write_hostile_ward(folder: Path) -> Path:
    """write_ward's two patients as P#1 (hostile name and bed; dose 2 held for a hostile
    reason) and A&B."""
    write_ward(folder)
    for file in folder.glob("*.csv"):
        text = file.read_text(encoding="utf-8")
        file.write_text(
            text.replace("\nP1,", f"\n{HOSTILE_ID},").replace("\nP2,", f"\n{AMPERSAND_ID},"),
            encoding="utf-8",
        )
    patients = folder / "patients.csv"
    patients.write_text(
        patients.read_text(encoding="utf-8")
        .replace('"Test, Missing"', f'"{HOSTILE}"')
        .replace(",1A,", f",{HOSTILE_BED},"),
        encoding="utf-8",
    )
    doses = folder / "doses.csv"
    lines = doses.read_text(encoding="utf-8").splitlines()
    held = lines[2].split(",")  # P#1's dose 2
    held[4:8] = ["held", "", held[6], f'"{HOSTILE}"']
    lines[2] = ",".join(held)
    doses.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder
