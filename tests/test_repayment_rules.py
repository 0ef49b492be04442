"""The repayment arithmetic, form by form, to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.service_commitment.rules import (
    Crediting,
    Interest,
    RepaymentForm,
    ServiceRules,
    add_months,
    compute_repayment,
    months_and_days,
    served_months,
)

GRADUATED = date(2028, 6, 15)
LEFT = date(2030, 12, 15)  # 2 years 6 months later
ASSISTANCE = 4_000_000  # $40,000.00


def rules(form: RepaymentForm, crediting: Crediting, **extra: object) -> ServiceRules:
    return ServiceRules(
        obligation_years=4,
        qualifying_roles=["teacher", "assistant_principal", "principal"],
        completion_window_years=6,
        crediting=crediting,
        repayment=form,
        **extra,  # type: ignore[arg-type]
    )


def owed(r: ServiceRules, served: int = 30) -> int:
    return compute_repayment(
        r, ASSISTANCE, served, graduated_on=GRADUATED, separated_on=LEFT
    ).owed_cents


def test_two_and_a_half_years_is_thirty_months() -> None:
    assert months_and_days(GRADUATED, LEFT) == (30, 0)
    assert served_months([(GRADUATED, LEFT)]) == 30


def test_pro_rata_by_month_owes_fifteen_thousand() -> None:
    assert owed(rules(RepaymentForm.PRO_RATA, Crediting.PRO_RATA_MONTHS)) == 1_500_000


def test_pro_rata_by_whole_years_credits_only_two_years() -> None:
    assert owed(rules(RepaymentForm.PRO_RATA, Crediting.WHOLE_YEARS)) == 2_000_000


@pytest.mark.parametrize("crediting", list(Crediting))
def test_all_or_nothing_owes_everything(crediting: Crediting) -> None:
    assert owed(rules(RepaymentForm.ALL_OR_NOTHING, crediting)) == 4_000_000


def test_fixed_per_year_with_cap_depends_on_crediting() -> None:
    fixed = {"fixed_amount_per_year_cents": 500_000, "cap_cents": 2_000_000}
    assert owed(rules(RepaymentForm.FIXED_PER_YEAR, Crediting.PRO_RATA_MONTHS, **fixed)) == 750_000
    assert owed(rules(RepaymentForm.FIXED_PER_YEAR, Crediting.WHOLE_YEARS, **fixed)) == 1_000_000


def test_fixed_per_year_is_capped() -> None:
    fixed = {"fixed_amount_per_year_cents": 900_000, "cap_cents": 2_000_000}
    computed = compute_repayment(
        rules(RepaymentForm.FIXED_PER_YEAR, Crediting.WHOLE_YEARS, **fixed),
        ASSISTANCE,
        0,
        graduated_on=GRADUATED,
        separated_on=GRADUATED,
    )
    assert computed.owed_cents == 2_000_000
    assert "capped at $20,000.00" in computed.explanation


@pytest.mark.parametrize("form", list(RepaymentForm))
def test_a_completed_obligation_owes_nothing(form: RepaymentForm) -> None:
    extra = {"fixed_amount_per_year_cents": 500_000} if form is RepaymentForm.FIXED_PER_YEAR else {}
    assert owed(rules(form, Crediting.WHOLE_YEARS, **extra), served=48) == 0


def test_simple_interest_from_graduation_to_separation() -> None:
    r = rules(
        RepaymentForm.PRO_RATA,
        Crediting.PRO_RATA_MONTHS,
        interest=Interest(annual_rate=Decimal("0.05")),
    )
    computed = compute_repayment(r, ASSISTANCE, 30, graduated_on=GRADUATED, separated_on=LEFT)
    days = (LEFT - GRADUATED).days  # 913
    assert computed.principal_cents == 1_500_000
    expected = (Decimal(1_500_000) * Decimal("0.05") * days / 365).quantize(Decimal(1))
    assert computed.interest_cents == int(expected) == 187_603
    assert computed.owed_cents == 1_500_000 + 187_603


def test_rounding_is_half_up_on_the_final_cent() -> None:
    r = ServiceRules(
        obligation_years=3,
        qualifying_roles=["teacher"],
        completion_window_years=3,
        crediting=Crediting.PRO_RATA_MONTHS,
        repayment=RepaymentForm.PRO_RATA,
    )
    # 1001 cents x 35/36 = 973.0277... -> 973; 1001 x 1/36 x 18 = 500.5 -> 501
    assert (
        compute_repayment(r, 1001, 1, graduated_on=GRADUATED, separated_on=LEFT).owed_cents == 973
    )
    assert (
        compute_repayment(r, 1001, 18, graduated_on=GRADUATED, separated_on=LEFT).owed_cents == 501
    )


def test_leftover_days_across_periods_add_up_to_months() -> None:
    periods = [(date(2028, 1, 1), date(2028, 1, 21)), (date(2028, 3, 1), date(2028, 3, 11))]
    assert served_months(periods) == 1  # 20 + 10 leftover days
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)


def test_rules_that_cannot_work_are_refused() -> None:
    with pytest.raises(ValidationError, match="fixed_amount_per_year_cents is required"):
        rules(RepaymentForm.FIXED_PER_YEAR, Crediting.WHOLE_YEARS)
    with pytest.raises(ValidationError, match="cannot be shorter than obligation_years"):
        ServiceRules(
            obligation_years=4,
            qualifying_roles=["teacher"],
            completion_window_years=3,
            crediting=Crediting.WHOLE_YEARS,
            repayment=RepaymentForm.PRO_RATA,
        )
