"""docs/thresholds.md, generated from the shipped protocol files so it cannot drift.

    python -m dashboard.protocols --write-docs

A test (tests/test_protocol_docs.py) fails when the file is stale, or when a criterion of a
shipped protocol is missing from it or has no source.

Each protocol is shown *resolved*: the criteria it carries from a base it extends and from
the shared files it includes are listed with the others, each with its origin (the file it
is written in), and an extension's interpretation is written above its table.
"""

from __future__ import annotations

from pathlib import Path

from dashboard.protocols.models import DEFAULT_PROTOCOL_ID, Protocol, shipped_protocols
from dashboard.quantities import plain_number

#: In the repository's docs/ (a developer's tool: an installed package has no docs/).
THRESHOLDS_DOC = Path(__file__).resolve().parents[2] / "docs" / "thresholds.md"


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ").strip() or "—"


def composition_lines(protocol: Protocol) -> list[str]:
    """What the protocol carries from other files, in words (empty when nothing)."""
    lines = []
    if protocol.extends is not None:
        ext = protocol.extends
        lines.append(
            f"Extends `{ext.base_id}` (version {ext.base_version}): carries every "
            f"criterion of it except those it replaces "
            f"({', '.join(f'`{r}`' for r in ext.replaces) or 'none'})."
        )
        if ext.interpretation:
            lines.append(f"**Interpretation**: {_cell(ext.interpretation)}")
    if protocol.includes:
        lines.append(
            "Includes the shared criteria of "
            + ", ".join(f"`{name}`" for name in protocol.includes)
            + "."
        )
    return lines


def protocol_section(protocol: Protocol) -> list[str]:
    dosing = protocol.dosing
    interval = f"{plain_number(dosing.interval_hours)}"
    if dosing.interval_hours_max:
        interval += f"–{plain_number(dosing.interval_hours_max)}"
    lines = [
        f"## `{protocol.id}` — {protocol.title}",
        "",
        f"Version {protocol.version}; file `data/protocols/{protocol.id}.yaml`; reviewed by "
        f"{protocol.review.reviewed_by} on {protocol.review.date_reviewed}.",
        "",
        f"Dosing: {dosing.dose_iu_per_kg:,.0f} IU/kg every {interval} h; at most "
        f"{dosing.doses_per_cycle} doses per cycle, {dosing.cycles} cycle(s), "
        f"{dosing.max_doses_per_course} doses per course (then `cycle_complete`).",
        "",
    ]
    composition = composition_lines(protocol)
    for line in composition:
        lines += [line, ""]
    lines += [
        "| criterion | origin | system | outcome | trigger | restart | required (freshness) "
        "| source | interpretation | reviewed |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for criterion in protocol.criteria:
        outcomes = "<br>".join(
            f"`{g.outcome}`" + (f" ({g.label})" if g.label else "") for g in criterion.grades
        )
        triggers = "<br>".join(
            f"**{g.outcome}**: {_cell(g.trigger.describe())}"
            if len(criterion.grades) > 1
            else _cell(g.trigger.describe())
            for g in criterion.grades
        )
        restarts = [g.restart_words() for g in criterion.grades if g.outcome == "hold"]
        required = ", ".join(
            f"{r.parameter} ({plain_number(r.fresh_hours)} h)" for r in criterion.required
        )
        links = " ".join(f"<{link}>" for link in criterion.source.links)
        source = _cell(criterion.source.text()) + (f" {links}" if links else "")
        interpretation = (
            "**interpretation**: " + _cell(criterion.interpretation)
            if criterion.interpretation
            else "—"
        )
        lines.append(
            f"| `{criterion.id}` | {_cell(criterion.origin)} | {criterion.system} | {outcomes} | "
            f"{triggers} | "
            f"{_cell(restarts[0]) if restarts else '—'} | {required or '—'} | {source} | "
            f"{interpretation} | {criterion.review.date_reviewed} |"
        )
    lines.append("")
    return lines


def render_thresholds(protocols: list[Protocol] | None = None) -> str:
    if protocols is None:  # the default protocol first, then the others by id
        protocols = sorted(shipped_protocols(), key=lambda p: (p.id != DEFAULT_PROTOCOL_ID, p.id))
    lines = [
        "# Thresholds of the shipped protocols",
        "",
        "<!-- Generated from data/protocols/*.yaml and data/protocols/common/*.yaml by "
        "`python -m dashboard.protocols --write-docs`. Do not edit by hand: "
        "tests/test_protocol_docs.py fails when stale. -->",
        "",
        "Every criterion of every shipped protocol, with its trigger and restart in words, the "
        "parameters it needs and how fresh they must be, its source and whether it is an "
        "**interpretation** of the source (criteria.md). Ranges written `between a and b` "
        "include both ends. A hold without a written restart resumes when its trigger is no "
        "longer met (criteria.md section 2). `watch` criteria never change a dose's status. "
        "Each protocol is shown resolved: **origin** is the file a criterion is written in "
        "(the protocol itself, a protocol it extends, or a shared file such as "
        "`common/kdigo-watch`, with the KDIGO watch criteria every protocol carries).",
        "",
        "Provenance tags in the sources: `[PI-2.4]` current Proleukin label, section 2.4; "
        "`[PI-prior]` the earlier label's dose-modification table (check against the label in "
        "force).",
        "",
    ]
    for protocol in protocols:
        lines.extend(protocol_section(protocol))
    return "\n".join(lines)


def write_thresholds(path: Path = THRESHOLDS_DOC) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_thresholds(), encoding="utf-8")
    return path
