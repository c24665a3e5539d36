"""core.skm: the IKM of PermenPANRB 14/2017, checked against arithmetic done by hand."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from core import skm

# Four questionnaires, answers U1..U9.
ANSWERS = [
    [4, 4, 3, 4, 3, 3, 4, 3, 2],
    [3, 4, 3, 4, 3, 4, 4, 3, 3],
    [4, 3, 2, 4, 3, 3, 4, 4, 3],
    [3, 3, 3, 4, 4, 3, 3, 3, 2],
]


def test_ikm_equals_the_hand_computed_value() -> None:
    # Sums per element: U1 14, U2 14, U3 11, U4 16, U5 13, U6 13, U7 15, U8 13, U9 10.
    # NRR = sum / 4: 3.50 3.50 2.75 4.00 3.25 3.25 3.75 3.25 2.50; their sum = 29.75.
    # NRR tertimbang = NRR x 1/9; IKM (unit) = 29.75 / 9 = 3.30555... -> 3.306
    # IKM = 29.75 x 25 / 9 = 743.75 / 9 = 82.6388... -> 82.64: 76.61..88.30, grade B.
    # Population 4 (fewer than 10: every visitor must answer) -> minimum 4 = n.
    r = skm.ikm(ANSWERS, population=4)
    assert [e.nrr for e in r.elements] == [
        Decimal(x) for x in "3.500 3.500 2.750 4.000 3.250 3.250 3.750 3.250 2.500".split()
    ]
    assert r.elements[0].weighted == Decimal("0.389")  # 3.5 / 9 = 0.3888...
    assert r.unit == Decimal("3.306")
    assert r.value == Decimal("82.64")
    assert (r.n, r.minimum, r.grade) == (4, 4, "B")
    # Element grades on the same scale: U4 4.00 x 25 = 100 A, U3 68.75 C, U9 62.50 D.
    grades = {e.code: (e.value, e.grade) for e in r.elements}
    assert grades["U4"] == (Decimal("100.00"), "A")
    assert grades["U3"] == (Decimal("68.75"), "C")
    assert grades["U9"] == (Decimal("62.50"), "D")
    assert grades["U7"] == (Decimal("93.75"), "A")


def test_the_regulations_rounded_weight_reproduces_its_worked_example() -> None:
    # With 0.111 for 1/9: 29.75 x 0.111 = 3.30225; x 25 = 82.55625 -> 82.56.
    r = skm.ikm(ANSWERS, population=4, weight=Decimal("0.111"))
    assert r.value == Decimal("82.56")
    assert skm.ikm([[4] * 9], 1, weight=Decimal("0.111")).value == Decimal("99.90")
    assert skm.ikm([[4] * 9], 1).value == Decimal("100.00")
    assert skm.ikm([[1] * 9], 1).value == Decimal("25.00")


def test_no_grade_below_the_minimum_sample() -> None:
    r = skm.ikm(ANSWERS, population=100)
    assert (r.n, r.minimum) == (4, 80)
    assert r.value == Decimal("82.64")  # the figure is there, the grade is not
    assert r.grade is None and not r.enough
    empty = skm.ikm([], population=100)
    assert (empty.n, empty.value, empty.grade) == (0, None, None)


@pytest.mark.parametrize(
    ("value", "grade"),
    [("100.00", "A"), ("88.31", "A"), ("88.30", "B"), ("76.61", "B"), ("76.60", "C"),
     ("65.00", "C"), ("64.99", "D"), ("25.00", "D")],
)  # fmt: skip
def test_conversion_table_boundaries(value: str, grade: str) -> None:
    assert skm.grade_of(Decimal(value)) == grade


def test_krejcie_morgan_minimum() -> None:
    assert skm.minimum_sample(0) == 0
    assert skm.minimum_sample(7) == 7
    assert skm.minimum_sample(100) == 80
    assert skm.minimum_sample(101) == 86  # between rows: the larger one
    assert skm.minimum_sample(1000) == 278
    assert skm.minimum_sample(5_000_000) == 384
    sizes = [size for size, _ in skm.KREJCIE_MORGAN]
    assert sizes == sorted(sizes)


def test_table_matches_its_formula() -> None:
    """A typo in the transcribed table shows here: each row is the formula, rounded."""
    for size, sample in skm.KREJCIE_MORGAN:
        assert abs(skm.krejcie_morgan_formula(size) - sample) < 1.0, size


def test_nine_elements_each_with_four_answer_words() -> None:
    assert [u[0] for u in skm.UNSUR] == [f"U{i}" for i in range(1, 10)]
    for _code, _name_id, _name_en, words_id, words_en in skm.UNSUR:
        assert len(words_id) == len(words_en) == 4


def test_answers_are_checked_and_every_problem_listed() -> None:
    assert skm.check_answers([1, 2, 3, 4, 4, 3, 2, 1, 4]) == [1, 2, 3, 4, 4, 3, 2, 1, 4]
    with pytest.raises(skm.SurveyError) as err:
        skm.check_answers([0, 2, 3, 4, 5, True, "3", 1, 4])
    assert [p for p, _ in err.value.problems] == [
        "answers[0]", "answers[4]", "answers[5]", "answers[6]"
    ]  # fmt: skip
    for bad in (None, [], [4] * 8, [4] * 10, "444444444"):
        with pytest.raises(skm.SurveyError):
            skm.check_answers(bad)


def test_respondent_fields_are_optional_and_checked() -> None:
    assert skm.check_respondent(None) is None
    assert skm.check_respondent({"umur": None, "pekerjaan": ""}) is None
    ok = {"jenis_kelamin": "P", "umur": 34, "pendidikan": "s1", "pekerjaan": "swasta"}
    assert skm.check_respondent(ok) == ok
    with pytest.raises(skm.SurveyError) as err:
        skm.check_respondent({"umur": 7, "jenis_kelamin": "X", "hobi": "catur"})
    paths = [p for p, _ in err.value.problems]
    assert paths == ["respondent.umur", "respondent.jenis_kelamin", "respondent.hobi"]


def test_weights_are_exact_fractions() -> None:
    assert skm.ikm([[3] * 9], 1, weight=Fraction(1, 9)).value == Decimal("75.00")
