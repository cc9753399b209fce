"""How statuses and finding outcomes look: word + icon + colour, never colour alone.

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies); each status also has its own word and its own symbol so that a grey-scale
print or a colour-blind reader loses nothing. Symbols are plain Unicode that the DejaVu
fonts of a Debian ward PC render (emoji fonts are often absent there).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from dashboard.assessment.results import (
    FINDING_SEVERITY,
    NO_DOSE_DUE,
    STANDING_OUTCOMES,
    STATUS_SEVERITY,
)

#: How a clear status with a watch finding is shown (criteria.md 9.2): it looks different
#: from a plain clear and sorts above it; it is not a status of the engine.
CLEAR_WATCH = "clear_watch"
#: The order of the ward list, most severe first.
DISPLAY_ORDER = (
    "discontinue",
    "stop_cycle",
    "cycle_complete",
    "hold",
    "incomplete",
    CLEAR_WATCH,
    "clear",
    NO_DOSE_DUE,
)
DISPLAY_RANK = {key: rank for rank, key in enumerate(DISPLAY_ORDER)}

# Okabe & Ito (2008), "Color Universal Design".
OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
    "grey": "#999999",
}


@dataclass(frozen=True)
class Look:
    word: str  # what is read aloud at handover
    icon: str
    colour: str  # background
    ink: str  # text colour on that background (contrast)
    meaning: str  # one line for the legend

    def label(self) -> str:
        return f"{self.icon} {self.word}"


STATUS_LOOKS: dict[str, Look] = {
    "discontinue": Look(
        "DISCONTINUED",
        "✖",
        OKABE_ITO["vermillion"],
        "#000000",
        "a permanent-discontinuation criterion was met: no further IL-2",
    ),
    "stop_cycle": Look(
        "CYCLE STOPPED",
        "■",
        OKABE_ITO["reddish_purple"],
        "#000000",
        "a criterion ends the current cycle",
    ),
    "cycle_complete": Look(
        "CYCLE COMPLETE",
        "◆",
        OKABE_ITO["blue"],
        "#FFFFFF",
        "the protocol's maximum doses for the cycle were given",
    ),
    "hold": Look(
        "HOLD",
        "▲",
        OKABE_ITO["orange"],
        "#000000",
        "withhold this dose until the restart condition is met",
    ),
    "incomplete": Look(
        "INCOMPLETE",
        "?",
        OKABE_ITO["yellow"],
        "#000000",
        "a required value is missing or too old: cannot be assessed",
    ),
    CLEAR_WATCH: Look(
        "CLEAR · WATCH",
        "◔",
        OKABE_ITO["sky_blue"],
        "#000000",
        "no criterion met, but an early warning (KDIGO stage, low urine per kg): look at it",
    ),
    "clear": Look(
        "CLEAR", "✔", OKABE_ITO["bluish_green"], "#000000", "no criterion met and nothing missing"
    ),
    NO_DOSE_DUE: Look("NO DOSE DUE", "–", "#E0E0E0", "#000000", "every scheduled dose is decided"),
}

FINDING_LOOKS: dict[str, Look] = {
    **{key: STATUS_LOOKS[key] for key in STATUS_SEVERITY if key != "clear"},
    "discontinue": replace(STATUS_LOOKS["discontinue"], word="DISCONTINUE"),
    "stop_cycle": replace(STATUS_LOOKS["stop_cycle"], word="STOP CYCLE"),
    "resolved": Look(
        "RESOLVED",
        "↺",
        OKABE_ITO["sky_blue"],
        "#000000",
        "was met in the interval; its restart condition is now met",
    ),
    "watch": Look("WATCH", "◔", "#DDEEFF", "#000000", "early warning; does not change the status"),
    "info": Look("NOTE", "i", "#EEEEEE", "#000000", "information; does not change the status"),
    "clear": STATUS_LOOKS["clear"],
    # A criterion not assessed because no dose waits (checklist of a stopped course).
    NO_DOSE_DUE: Look(
        "NOT ASSESSED",
        "–",
        "#E0E0E0",
        "#000000",
        "no dose waits: only criteria that stand for the cycle or course apply",
    ),
}


def status_look(status: str) -> Look:
    """The look of a dose status; an unknown status is shown as such, never as clear."""
    return STATUS_LOOKS.get(status) or Look(
        status.upper(), "!", OKABE_ITO["grey"], "#000000", "unknown status"
    )


def finding_look(outcome: str) -> Look:
    return FINDING_LOOKS.get(outcome) or Look(
        outcome.upper(), "!", OKABE_ITO["grey"], "#000000", "unknown outcome"
    )


def status_rank(status: str) -> int:
    """Sort key, most severe first (:data:`DISPLAY_ORDER`); unknown statuses first (a
    status the screen does not know must not sink to the bottom of the ward list)."""
    return DISPLAY_RANK.get(status, -1)


def display_status(status: str, outcomes: list[str]) -> str:
    """What a patient's status is shown as (criteria.md 9.1, 9.2).

    A patient with no dose due whose course or cycle was ended by a criterion (a standing
    discontinue or stop-cycle finding) shows that outcome, never "no dose due" (the engine
    now says so itself; this keeps the screens right with either shape). A clear status
    with a watch finding shows as :data:`CLEAR_WATCH`."""
    if status == NO_DOSE_DUE:
        standing = [o for o in outcomes if o in STANDING_OUTCOMES]
        if standing:
            return min(standing, key=STATUS_SEVERITY.__getitem__)
    if status == "clear" and "watch" in outcomes:
        return CLEAR_WATCH
    return status


def ward_rank(status: str, outcomes: list[str]) -> int:
    """Where a patient sorts on the ward list, most severe first: by what is shown
    (:func:`display_status`), so that a stopped course sorts with its outcome and a clear
    with an early warning above a plain clear."""
    return status_rank(display_status(status, outcomes))


def finding_rank(outcome: str) -> int:
    return FINDING_SEVERITY.get(outcome, -1)


def cell_style(look: Look) -> str:
    """CSS for a table cell (pandas Styler)."""
    return f"background-color: {look.colour}; color: {look.ink}; font-weight: 600"
