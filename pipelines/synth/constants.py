"""Code lists shared by the population model and the writers (names as the publications spell them)."""
from __future__ import annotations

import numpy as np

# Staff groups of NHS Workforce Statistics (turnover benchmarking STAFF_GROUP_1_NAME), in the publication's order.
STAFF_GROUPS: tuple[str, ...] = (
    "HCHS Doctors (exc. Resident doctors and equivalents)",
    "Nurses & health visitors",
    "Midwives",
    "Ambulance staff",
    "Scientific, therapeutic & technical staff",
    "Support to doctors, nurses & midwives",
    "Support to ambulance staff",
    "Support to ST&T staff",
    "Senior managers",
    "Managers",
    "Central functions",
    "Hotel, property & estates",
    "Unknown classification",
)
ALL_STAFF_GROUPS = "All staff groups"
N_GROUPS = len(STAFF_GROUPS)

# Share of staff in each group by kind of organisation (normalised when used).
STAFF_MIX: dict[str, tuple[float, ...]] = {
    "Acute": (0.10, 0.30, 0.03, 0.002, 0.14, 0.18, 0.002, 0.04, 0.012, 0.012, 0.11, 0.065, 0.004),
    "Mental Health": (0.04, 0.28, 0.0, 0.0, 0.18, 0.25, 0.0, 0.02, 0.015, 0.015, 0.15, 0.045, 0.004),
    "Community Provider Trust": (0.02, 0.30, 0.01, 0.0, 0.25, 0.15, 0.0, 0.03, 0.015, 0.02, 0.17, 0.03, 0.004),
    "Ambulance": (0.002, 0.03, 0.0, 0.50, 0.01, 0.01, 0.30, 0.0, 0.01, 0.02, 0.10, 0.015, 0.003),
    "Integrated Care Board": (0.03, 0.06, 0.0, 0.0, 0.05, 0.005, 0.0, 0.005, 0.06, 0.25, 0.54, 0.0, 0.0),
    "Commissioning Support Unit": (0.0, 0.02, 0.0, 0.0, 0.03, 0.0, 0.0, 0.01, 0.04, 0.25, 0.64, 0.01, 0.0),
}
# Relative sickness onset and leaving hazard by staff group (support and ambulance staff higher, doctors lower).
GROUP_SICKNESS = np.array([0.45, 1.05, 1.1, 1.35, 0.8, 1.3, 1.3, 1.1, 0.6, 0.75, 0.9, 1.35, 1.0])
GROUP_LEAVING = np.array([0.7, 0.95, 0.9, 0.9, 1.0, 1.25, 1.2, 1.15, 0.9, 1.0, 1.05, 1.2, 1.3])
# Share of part-time staff by group.
GROUP_PART_TIME = np.array([0.2, 0.35, 0.45, 0.15, 0.3, 0.4, 0.2, 0.35, 0.08, 0.15, 0.3, 0.45, 0.3])

# ESR-style occupation codes per staff group (first character names the broad group).
OCCUPATION_CODES: tuple[tuple[str, ...], ...] = (
    ("M1A", "M1C", "M2G"),
    ("N0A", "N1C", "N1H", "N3D"),
    ("N6A", "N6C"),
    ("A1A", "A2B"),
    ("S1A", "S2C", "S4D", "S6P"),
    ("H1A", "H2C"),
    ("A3C", "A4D"),
    ("S9A", "S9C"),
    ("G0A",),
    ("G1A", "G1C"),
    ("G2A", "G2C", "G2D"),
    ("G3A", "G3C"),
    ("X9X",),
)
# Staff Survey occupation group each staff group reports under.
SURVEY_OCCUPATION: tuple[str, ...] = (
    "Medical and Dental",
    "Registered Nurses and Midwives",
    "Registered Nurses and Midwives",
    "Ambulance (Operational)",
    "Allied Health Professionals",
    "Nursing or Healthcare Assistants",
    "Wider healthcare team",
    "Wider healthcare team",
    "General Management",
    "General Management",
    "Admin and Clerical",
    "Estates and Ancillary",
    "Other",
)

# ESR sickness reasons: code, episode weight, P(long-term, >= 28 days), median short episode (days),
# mean extra length of a long episode beyond 28 days, winter sensitivity.
REASONS: tuple[tuple[str, float, float, float, float, float], ...] = (
    ("S10", 0.085, 0.336, 6.0, 75.0, 0.0),   # anxiety/stress/depression/other psychiatric illnesses
    ("S11", 0.045, 0.14, 3.0, 40.0, 0.0),   # back problems
    ("S12", 0.055, 0.196, 3.0, 50.0, 0.0),   # other musculoskeletal problems
    ("S13", 0.230, 0.006, 2.5, 20.0, 1.0),  # cold, cough, flu - influenza
    ("S14", 0.010, 0.042, 2.0, 30.0, 0.3),   # asthma
    ("S15", 0.060, 0.042, 3.0, 30.0, 0.8),   # chest and respiratory problems
    ("S16", 0.060, 0.007, 1.0, 20.0, 0.0),  # headache / migraine
    ("S17", 0.004, 0.9, 10.0, 100.0, 0.0), # benign and malignant tumours, cancers
    ("S18", 0.003, 0.14, 3.0, 40.0, 0.0),   # blood disorders
    ("S19", 0.005, 0.35, 4.0, 50.0, 0.0),   # heart, cardiac and circulatory problems
    ("S20", 0.002, 0.07, 2.0, 30.0, 0.0),   # burns, poisoning, frostbite, hypothermia
    ("S21", 0.030, 0.028, 2.0, 25.0, 0.4),   # ear, nose, throat
    ("S22", 0.015, 0.014, 1.0, 20.0, 0.0),   # dental and oral problems
    ("S23", 0.010, 0.042, 2.0, 30.0, 0.0),   # eye problems
    ("S24", 0.005, 0.168, 3.0, 40.0, 0.0),   # endocrine / glandular problems
    ("S25", 0.160, 0.028, 2.0, 30.0, 0.3),   # gastrointestinal problems
    ("S26", 0.025, 0.252, 3.0, 40.0, 0.0),   # genitourinary and gynaecological disorders
    ("S27", 0.055, 0.014, 4.0, 25.0, 0.8),   # infectious diseases
    ("S28", 0.025, 0.42, 4.0, 50.0, 0.0),   # injury, fracture
    ("S29", 0.006, 0.28, 3.0, 50.0, 0.0),   # nervous system disorders
    ("S30", 0.018, 0.28, 3.0, 40.0, 0.0),   # pregnancy related disorders
    ("S31", 0.007, 0.07, 2.0, 30.0, 0.0),   # skin disorders
    ("S32", 0.001, 0.28, 3.0, 40.0, 0.0),   # substance abuse
    ("S98", 0.040, 0.112, 3.0, 40.0, 0.0),   # other known causes - not elsewhere classified
    ("S99", 0.05, 0.042, 2.0, 30.0, 0.0),   # unknown causes / not specified
)
REASON_CODES: tuple[str, ...] = tuple(r[0] for r in REASONS)
S10 = 0

LEAVING_REASONS: tuple[str, ...] = (
    "Voluntary Resignation - Work Life Balance",
    "Voluntary Resignation - Relocation",
    "Voluntary Resignation - Promotion",
    "Voluntary Resignation - Better Reward Package",
    "Voluntary Resignation - Health",
    "Voluntary Resignation - Other/Not Known",
    "End of Fixed Term Contract",
    "Dismissal - Capability",
    "Retirement Age",
    "Flexi Retirement",
)
RETIREMENT = (8, 9)
DESTINATIONS: tuple[str, ...] = ("NHS Organisation", "No Longer Working", "Other", "")

QZZ = "QZZ"
QZZ_NAME = "Special Health Authorities and other statutory bodies"

# Commissioning support units (ODS pseudo-ICS QZZ in the publication); the first n are used per scale.
CSUS: tuple[tuple[str, str], ...] = (
    ("0DE", "NHS Arden and Greater East Midlands Commissioning Support Unit"),
    ("0AR", "NHS North of England Commissioning Support Unit"),
    ("0CX", "NHS Midlands and Lancashire Commissioning Support Unit"),
    ("0DF", "NHS South, Central and West Commissioning Support Unit"),
)


def survey_questions(year: int) -> tuple[str, ...]:
    """Question codes of a Staff Survey year: stress, burnout (CBI) and the four raising-concerns items."""
    concerns = {2021: ("q17a", "q17b", "q21e", "q21f"), 2022: ("q19a", "q19b", "q23e", "q23f")}
    return ("q11c", *(f"q12{x}" for x in "abcdefg"), *concerns.get(year, ("q20a", "q20b", "q25e", "q25f")))
