"""ACLED sub-event types -> our incident types, shared by the ACLED and CASE 2021 converters."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from train.sources.base import Conversion

# Sentinel: the sub-type is too ambiguous for our taxonomy; its rows are dropped (and counted),
# because both a forced label and [] ("not an attack report") would often be wrong.
DROP = None

# ACLED sub_event_type (codebook spelling) -> incident types; () = not an attack report.
SUB_EVENT_TYPES: dict[str, tuple[str, ...] | None] = {
    # Battles
    "Armed clash": ("armed_assault",),
    # why: territory changing hands says nothing about how (fighting, withdrawal, negotiation).
    "Government regains territory": DROP,
    "Non-state actor overtakes territory": DROP,
    # Explosions/Remote violence (why: all explosive attacks, the GTD's bombing/explosion)
    "Air/drone strike": ("bombing",),
    "Suicide bomb": ("bombing",),
    "Shelling/artillery/missile attack": ("bombing",),
    "Remote explosive/landmine/IED": ("bombing",),
    "Grenade": ("bombing",),
    # why: the GTD codes chemical attacks as unarmed assault, which our taxonomy lacks.
    "Chemical weapon": DROP,
    # Violence against civilians
    "Attack": ("armed_assault",),
    "Abduction/forced disappearance": ("kidnap",),
    # why: violence against people, but none of our types; [] would call it "not an attack".
    "Sexual violence": DROP,
    # Protests
    "Peaceful protest": (),
    "Protest with intervention": (),
    # why: state forces firing on or beating protesters: violent, but not a GTD attack type.
    "Excessive force against protesters": DROP,
    # Riots (why: riots mix stone throwing, arson and lynching; no single type fits them)
    "Violent demonstration": DROP,
    "Mob violence": DROP,
    # Strategic developments
    "Agreement": (),
    "Arrests": (),
    "Change to group/activity": (),
    # why: a defused bomb or seized weapons cache is not an attack.
    "Disrupted weapons use": (),
    "Headquarters or base established": (),
    "Looting/property destruction": ("facility_attack",),
    "Non-violent transfer of territory": (),
    # why: ACLED's catch-all; its events range from statements to massacres.
    "Other": DROP,
    # CASE 2021 additions (not in ACLED's codebook)
    "Natural disaster": (),
    "Man-made disaster": (),
    "Diplomatic event": (),
    # why: CASE's organised-crime snippets are mostly smuggling, seizures and fraud.
    "Organized crime": (),
    # why: a claim or denial of responsibility refers to an attack of an unstated type.
    "Attribution of responsibility": DROP,
}

# CASE 2021 task 2 SubType codes -> ACLED sub_event_type names.
CASE_CODES: dict[str, str] = {
    "ARMED_CLASH": "Armed clash",
    "GOV_REGAINS_TERIT": "Government regains territory",
    "NON_STATE_ACTOR_OVERTAKES_TER": "Non-state actor overtakes territory",
    "AIR_STRIKE": "Air/drone strike",
    "SUIC_BOMB": "Suicide bomb",
    "ART_MISS_ATTACK": "Shelling/artillery/missile attack",
    "REM_EXPLOS": "Remote explosive/landmine/IED",
    "GRENADE": "Grenade",
    "CHEM_WEAP": "Chemical weapon",
    "ATTACK": "Attack",
    "ABDUCT_DISSAP": "Abduction/forced disappearance",
    "SEX_VIOL": "Sexual violence",
    "PEACE_PROTEST": "Peaceful protest",
    "PROTEST_WITH_INTER": "Protest with intervention",
    "FORCE_AGAINST_PROTEST": "Excessive force against protesters",
    "VIOL_DEMONSTR": "Violent demonstration",
    "MOB_VIOL": "Mob violence",
    "AGREEMENT": "Agreement",
    "ARREST": "Arrests",
    "CHANGE_TO_GROUP_ACT": "Change to group/activity",
    "DISR_WEAP": "Disrupted weapons use",
    "HQ_ESTABLISHED": "Headquarters or base established",
    "PROPERTY_DISTRUCT": "Looting/property destruction",
    "NON_VIOL_TERRIT_TRANSFER": "Non-violent transfer of territory",
    "OTHER": "Other",
    "NATURAL_DISASTER": "Natural disaster",
    "MAN_MADE_DISASTER": "Man-made disaster",
    "DIPLO": "Diplomatic event",
    "ORG_CRIME": "Organized crime",
    "ATTRIB": "Attribution of responsibility",
}

_BY_KEY: dict[str, str] = {name.casefold(): name for name in SUB_EVENT_TYPES}


def sub_event_labels(name: str) -> tuple[str, ...] | None:
    """Labels of an ACLED sub-event type (case-insensitive); None when it is to be dropped."""
    return SUB_EVENT_TYPES[_BY_KEY[name.strip().casefold()]]


def is_known_sub_event(name: str) -> bool:
    """Tell whether name is an ACLED sub-event type of the table (case-insensitive)."""
    return name.strip().casefold() in _BY_KEY


def labels_or_drop(result: Conversion, name: str, column: str, raw: str) -> tuple[str, ...] | None:
    """The labels of an ACLED sub-event, or None after counting why its row is dropped.

    `column` and `raw` name the source's own column and value in the counts (ACLED's
    `sub_event_type`, CASE's `SubType` code), so each converter reports in its own terms.
    """
    if not is_known_sub_event(name):
        result.unmapped[f"{column}: {raw}"] += 1
        result.dropped[f"{column} unmapped"] += 1
        return None
    labels = sub_event_labels(name)
    if labels is None:
        result.dropped[f"ambiguous {column} {raw}"] += 1
    return labels
