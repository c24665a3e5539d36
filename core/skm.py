"""SKM (Survei Kepuasan Masyarakat) as PermenPANRB 14/2017 defines it: nine elements, the IKM.

The counter's four rating buttons are a *quick satisfaction rating* (hub.kpi), not an SKM:
the regulation's index is built from a questionnaire of nine *unsur*, each answered on a
1..4 scale, and is only meaningful with enough respondents (docs/skm.md cites the rules).

Arithmetic, as the regulation's Lampiran writes it:

* NRR per element = the sum of its answers / the number of respondents;
* NRR tertimbang = NRR x the weight, the weight being 1 / the number of elements (1/9,
  printed "0,111" in the regulation's worked example);
* IKM (unit) = the sum of the weighted NRRs (1..4); IKM = IKM (unit) x 25 (25..100);
* grade (mutu pelayanan) from the conversion table below.

``ikm(..., weight=Decimal("0.111"))`` reproduces the regulation's rounded worked example;
the default is the exact 1/9, so nine answers of 4 give 100.00 and not 99.90.

Stdlib only, like all of ``core``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

# (code, Indonesian name, English name, answer words 1..4 in Indonesian, in English)
UNSUR: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("U1", "Persyaratan", "Requirements",
     ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
     ("Not appropriate", "Less appropriate", "Appropriate", "Very appropriate")),
    ("U2", "Sistem, mekanisme, dan prosedur", "System, mechanism and procedure",
     ("Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah"),
     ("Not easy", "Less easy", "Easy", "Very easy")),
    ("U3", "Waktu penyelesaian", "Completion time",
     ("Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat"),
     ("Not fast", "Less fast", "Fast", "Very fast")),
    ("U4", "Biaya/tarif", "Cost/tariff",
     ("Sangat mahal", "Cukup mahal", "Murah", "Gratis"),
     ("Very expensive", "Rather expensive", "Cheap", "Free")),
    ("U5", "Produk spesifikasi jenis pelayanan", "Service product specification",
     ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
     ("Not as specified", "Partly as specified", "As specified", "Fully as specified")),
    ("U6", "Kompetensi pelaksana", "Staff competence",
     ("Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten"),
     ("Not competent", "Less competent", "Competent", "Very competent")),
    ("U7", "Perilaku pelaksana", "Staff behaviour",
     ("Tidak sopan dan ramah", "Kurang sopan dan ramah", "Sopan dan ramah",
      "Sangat sopan dan ramah"),
     ("Not polite and friendly", "Less polite and friendly", "Polite and friendly",
      "Very polite and friendly")),
    ("U8", "Sarana dan prasarana", "Facilities and infrastructure",
     ("Buruk", "Cukup", "Baik", "Sangat baik"),
     ("Poor", "Fair", "Good", "Very good")),
    ("U9", "Penanganan pengaduan, saran dan masukan", "Handling of complaints and suggestions",
     ("Tidak ada", "Ada tetapi tidak berfungsi", "Berfungsi kurang maksimal",
      "Dikelola dengan baik"),
     ("None", "Exists but does not work", "Works, not fully", "Well managed")),
)  # fmt: skip
N_UNSUR = len(UNSUR)

# The regulation's form asks these about the respondent; every one is optional.
RESPONDENT_CHOICES: dict[str, tuple[str, ...]] = {
    "jenis_kelamin": ("L", "P"),
    "pendidikan": ("sd", "smp", "sma", "s1", "s2", "s3"),
    "pekerjaan": ("pns", "tni", "polri", "swasta", "wirausaha", "lainnya"),
}
AGE_RANGE = (10, 120)

# (lower bound of the IKM 25..100, grade, Indonesian, English): "nilai interval konversi".
GRADES: tuple[tuple[Decimal, str, str, str], ...] = (
    (Decimal("88.31"), "A", "Sangat baik", "Very good"),
    (Decimal("76.61"), "B", "Baik", "Good"),
    (Decimal("65.00"), "C", "Kurang baik", "Poor"),
    (Decimal("25.00"), "D", "Tidak baik", "Very poor"),
)

# Krejcie & Morgan (1970) as the regulation's Lampiran prints it: population -> sample.
KREJCIE_MORGAN: tuple[tuple[int, int], ...] = (
    (10, 10), (15, 14), (20, 19), (25, 24), (30, 28), (35, 32), (40, 36), (45, 40),
    (50, 44), (55, 48), (60, 52), (65, 56), (70, 59), (75, 63), (80, 66), (85, 70),
    (90, 73), (95, 76), (100, 80), (110, 86), (120, 92), (130, 97), (140, 103),
    (150, 108), (160, 113), (170, 118), (180, 123), (190, 127), (200, 132), (210, 136),
    (220, 140), (230, 144), (240, 148), (250, 152), (260, 155), (270, 159), (280, 162),
    (290, 165), (300, 169), (320, 175), (340, 181), (360, 186), (380, 191), (400, 196),
    (420, 201), (440, 205), (460, 210), (480, 214), (500, 217), (550, 226), (600, 234),
    (650, 242), (700, 248), (750, 254), (800, 260), (850, 265), (900, 269), (950, 274),
    (1000, 278), (1100, 285), (1200, 291), (1300, 297), (1400, 302), (1500, 306),
    (1600, 310), (1700, 313), (1800, 317), (1900, 320), (2000, 322), (2200, 327),
    (2400, 331), (2600, 335), (2800, 338), (3000, 341), (3500, 346), (4000, 351),
    (4500, 354), (5000, 357), (6000, 361), (7000, 364), (8000, 367), (9000, 368),
    (10000, 370), (15000, 375), (20000, 377), (30000, 379), (40000, 380), (50000, 381),
    (75000, 382), (1000000, 384),
)  # fmt: skip

CENT = Decimal("0.01")


class SurveyError(ValueError):
    """A survey answer that is not what the questionnaire allows (problems listed)."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{path}: {why}" for path, why in problems))


def minimum_sample(population: int) -> int:
    """The least number of respondents for ``population`` service users (Krejcie-Morgan).

    A population between two rows of the table takes the larger row (never too few); a
    population smaller than 10 must all answer.
    """
    if population <= 0:
        return 0
    for size, sample in KREJCIE_MORGAN:
        if population <= size:
            return min(sample, population)
    return KREJCIE_MORGAN[-1][1]


def krejcie_morgan_formula(population: int) -> float:
    """The table's source: X2 N P(1-P) / (d2 (N-1) + X2 P(1-P)), X2=3.841, P=0.5, d=0.05."""
    x2, p, d = 3.841, 0.5, 0.05
    return x2 * population * p * (1 - p) / (d * d * (population - 1) + x2 * p * (1 - p))


def check_answers(answers: Any) -> list[int]:
    """The nine answers as ints 1..4, or SurveyError listing every bad one."""
    if not isinstance(answers, list) or len(answers) != N_UNSUR:
        raise SurveyError([("answers", f"a list of {N_UNSUR} answers (U1..U9), each 1..4")])
    problems = []
    for i, a in enumerate(answers):
        if isinstance(a, bool) or not isinstance(a, int) or not 1 <= a <= 4:
            problems.append((f"answers[{i}]", f"{UNSUR[i][0]} must be an integer 1..4, got {a!r}"))
    if problems:
        raise SurveyError(problems)
    return list(answers)


def check_respondent(respondent: Any) -> dict[str, Any] | None:
    """The optional respondent fields, cleaned (empty ones dropped), or SurveyError."""
    if respondent is None:
        return None
    if not isinstance(respondent, Mapping):
        raise SurveyError([("respondent", "an object with optional " + ", ".join(_FIELDS))])
    problems, out = [], {}
    for key, value in respondent.items():
        if value in (None, ""):
            continue
        if key == "umur":
            if isinstance(value, bool) or not isinstance(value, int):
                problems.append(("respondent.umur", f"years as an integer, got {value!r}"))
            elif not AGE_RANGE[0] <= value <= AGE_RANGE[1]:
                problems.append(("respondent.umur", f"{AGE_RANGE[0]}..{AGE_RANGE[1]} years"))
            else:
                out[key] = value
        elif key in RESPONDENT_CHOICES:
            if value not in RESPONDENT_CHOICES[key]:
                allowed = ", ".join(RESPONDENT_CHOICES[key])
                problems.append((f"respondent.{key}", f"one of {allowed}, got {value!r}"))
            else:
                out[key] = value
        else:
            problems.append((f"respondent.{key}", "unknown field; known: " + ", ".join(_FIELDS)))
    if problems:
        raise SurveyError(problems)
    return out or None


_FIELDS = ("jenis_kelamin", "umur", "pendidikan", "pekerjaan")


@dataclass(frozen=True)
class Element:
    """One unsur of a result: its NRR (mean answer), weighted NRR, and its own grade."""

    code: str
    nrr: Decimal
    weighted: Decimal
    value: Decimal  # NRR x 25, graded like the IKM
    grade: str


@dataclass(frozen=True)
class Result:
    """IKM of a set of questionnaires: n against the minimum; grade only when n is enough."""

    n: int
    population: int
    minimum: int
    elements: tuple[Element, ...]
    unit: Decimal | None  # sum of weighted NRRs, 1..4
    value: Decimal | None  # IKM, 25..100
    grade: str | None  # None when n < minimum (or no answers)

    @property
    def enough(self) -> bool:
        return self.n > 0 and self.n >= self.minimum


def grade_of(value: Decimal) -> str:
    """A..D for an IKM (or element value) already rounded to 0.01."""
    for lower, grade, _id, _en in GRADES:
        if value >= lower:
            return grade
    return "D"


def grade_words(grade: str, lang: str = "id") -> str:
    for _lower, g, words_id, words_en in GRADES:
        if g == grade:
            return words_en if lang == "en" else words_id
    return ""


def ikm(
    answer_sets: Iterable[Sequence[int]],
    population: int,
    *,
    weight: Decimal | Fraction | None = None,
) -> Result:
    """The IKM of questionnaires (each nine answers 1..4) from ``population`` service users."""
    sets = [check_answers(list(a)) for a in answer_sets]
    n = len(sets)
    minimum = minimum_sample(max(population, n))
    if n == 0:
        return Result(0, population, minimum, (), None, None, None)
    w = Fraction(1, N_UNSUR) if weight is None else Fraction(weight)
    elements, unit = [], Fraction(0)
    for i, (code, *_rest) in enumerate(UNSUR):
        nrr = Fraction(sum(s[i] for s in sets), n)
        unit += nrr * w
        value = _round(nrr * 25)
        elements.append(Element(code, _round(nrr, 3), _round(nrr * w, 3), value, grade_of(value)))
    value = _round(unit * 25)
    grade = grade_of(value) if n >= minimum else None
    return Result(n, population, minimum, tuple(elements), _round(unit, 3), value, grade)


def _round(x: Fraction, places: int = 2) -> Decimal:
    # Fractions keep the arithmetic exact; only the printed figure is rounded (half up, as
    # a hand calculation would round 88.305 to 88.31).
    exact = Decimal(x.numerator) / Decimal(x.denominator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
