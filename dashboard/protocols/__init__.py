"""Protocols as data (criteria.md sections 3-8): models, the rule language, the loader.

What a rule *is* lives here; how rules are *evaluated* lives in :mod:`dashboard.assessment`.
"""

from dashboard.protocols.models import (
    CRITERION_OUTCOMES,
    DEFAULT_PROTOCOL_ID,
    PROTOCOL_DIR,
    Criterion,
    Dosing,
    Extension,
    Grade,
    Protocol,
    Reference,
    Requirement,
    Review,
    Source,
    load_protocol,
    parse_protocol_text,
    shared_file_names,
    shipped_protocol_ids,
    shipped_protocols,
)

__all__ = [
    "CRITERION_OUTCOMES",
    "DEFAULT_PROTOCOL_ID",
    "PROTOCOL_DIR",
    "Criterion",
    "Dosing",
    "Extension",
    "Grade",
    "Protocol",
    "Reference",
    "Requirement",
    "Review",
    "Source",
    "load_protocol",
    "parse_protocol_text",
    "shared_file_names",
    "shipped_protocol_ids",
    "shipped_protocols",
]
