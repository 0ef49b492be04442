"""Service commitment rules and the repayment arithmetic.

A fellow who received financial assistance commits to serve a number of years in qualifying
roles and schools after graduating. Leaving early is a breach, and the repayment is computed by
one of the forms districts and states use:

- ``pro_rata``: the share of the assistance matching the unserved share of the obligation
  (Troops-to-Teachers style). Owed = assistance x (1 - credited / obligation).
- ``all_or_nothing``: everything unless the obligation was completed (TEACH Grant style).
- ``fixed_per_year``: a fixed amount per unserved year, capped (California Ed. Code 70003
  style). Owed = min(cap, amount per year x unserved years).

Crediting decides what counts as served: ``whole_years`` credits only completed years of
service; ``pro_rata_months`` credits every whole month. Service is counted in calendar months
within each continuous qualifying period; the leftover days of all periods are added up and
every 30 of them count as one more month. Optional simple interest runs on the amount owed from
a stated date (or graduation) to the separation date. All money is integer cents, rounded half
up once at the end.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain import definitions
from domain.calendar import DEFAULT_TIME_ZONE, TimeZone
from domain.money import dollars
from domain.refusals import DefinitionError


class RepaymentForm(StrEnum):
    PRO_RATA = "pro_rata"
    ALL_OR_NOTHING = "all_or_nothing"
    FIXED_PER_YEAR = "fixed_per_year"


class Crediting(StrEnum):
    WHOLE_YEARS = "whole_years"
    PRO_RATA_MONTHS = "pro_rata_months"


class Interest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    annual_rate: Decimal = Field(gt=0, le=Decimal("0.25"), description="simple, e.g. 0.05")
    runs_from: Literal["graduation"] | date = "graduation"


class ServiceRules(BaseModel):
    """The obligation a fellow signs up to; validated, and carried in the workflow input."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    obligation_years: int = Field(ge=1, le=10)
    time_zone: TimeZone = DEFAULT_TIME_ZONE
    qualifying_roles: list[str] = Field(min_length=1, description="HR job titles that count")
    qualifying_schools: list[str] = Field(
        default_factory=list, description="school ids that count; empty means any school"
    )
    completion_window_years: int = Field(ge=1, le=15)
    crediting: Crediting
    repayment: RepaymentForm
    fixed_amount_per_year_cents: int | None = Field(None, gt=0)
    cap_cents: int | None = Field(None, gt=0)
    interest: Interest | None = None
    deferment_reasons: list[str] = Field(default_factory=lambda: ["leave", "full_time_study"])
    waiver_window_days: int = Field(30, ge=0, le=365)

    @model_validator(mode="after")
    def _coherent(self) -> ServiceRules:
        if self.completion_window_years < self.obligation_years:
            raise ValueError(
                f"completion_window_years ({self.completion_window_years}) cannot be shorter "
                f"than obligation_years ({self.obligation_years})"
            )
        if (
            self.repayment is RepaymentForm.FIXED_PER_YEAR
            and self.fixed_amount_per_year_cents is None
        ):
            raise ValueError("fixed_amount_per_year_cents is required for fixed_per_year repayment")
        if self.repayment is not RepaymentForm.FIXED_PER_YEAR and (
            self.fixed_amount_per_year_cents is not None or self.cap_cents is not None
        ):
            raise ValueError("fixed_amount_per_year_cents and cap_cents apply to fixed_per_year")
        return self

    def qualifies(self, role: str | None, school_id: str | None) -> bool:
        if role is None or role not in self.qualifying_roles:
            return False
        return not self.qualifying_schools or school_id in self.qualifying_schools

    @property
    def obligation_months(self) -> int:
        return self.obligation_years * 12


def add_months(start: date, months: int) -> date:
    """The same day `months` later, clamped to the end of a shorter month."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, monthrange(year, month)[1]))


def months_and_days(start: date, end: date) -> tuple[int, int]:
    """Whole calendar months from `start` to `end`, and the days left over."""
    if end <= start:
        return 0, 0
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if add_months(start, months) > end:
        months -= 1
    return months, (end - add_months(start, months)).days


def served_months(periods: list[tuple[date, date]]) -> int:
    """Credited months over qualifying periods: calendar months per period, plus every 30
    leftover days across periods."""
    months, days = 0, 0
    for start, end in periods:
        m, d = months_and_days(start, end)
        months, days = months + m, days + d
    return months + days // 30


class RepaymentComputation(BaseModel):
    """The repayment with every input an auditor needs to recompute it."""

    model_config = ConfigDict(frozen=True)

    form: RepaymentForm
    crediting: Crediting
    assistance_cents: int
    obligation_months: int
    served_months: int
    credited_months: int
    unserved_fraction: Decimal
    principal_cents: int
    interest_cents: int
    owed_cents: int
    explanation: str


def _cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def compute_repayment(
    rules: ServiceRules,
    assistance_cents: int,
    served: int,
    *,
    graduated_on: date,
    separated_on: date,
) -> RepaymentComputation:
    """What a fellow who served `served` credited months owes when leaving on `separated_on`."""
    obligation = rules.obligation_months
    served = min(served, obligation)
    credited = (served // 12) * 12 if rules.crediting is Crediting.WHOLE_YEARS else served
    unserved_months = Decimal(obligation - credited)
    unserved = unserved_months / Decimal(obligation)
    assistance = Decimal(assistance_cents)
    if credited >= obligation:
        principal = Decimal(0)
        why = "the obligation was served in full"
    elif rules.repayment is RepaymentForm.PRO_RATA:
        principal = assistance * unserved_months / Decimal(obligation)  # multiply first: exact
        why = (
            f"pro rata: {obligation - credited} of {obligation} months unserved "
            f"x {dollars(assistance_cents)}"
        )
    elif rules.repayment is RepaymentForm.ALL_OR_NOTHING:
        principal = assistance
        why = "all or nothing: the obligation was not completed, so all assistance is repaid"
    else:
        assert rules.fixed_amount_per_year_cents is not None
        unserved_years = unserved_months / Decimal(12)
        principal = Decimal(rules.fixed_amount_per_year_cents) * unserved_months / Decimal(12)
        why = (
            f"fixed per year: {unserved_years.normalize():f} unserved year(s) x "
            f"{dollars(rules.fixed_amount_per_year_cents)}"
        )
        if rules.cap_cents is not None and principal > rules.cap_cents:
            principal = Decimal(rules.cap_cents)
            why += f", capped at {dollars(rules.cap_cents)}"
    interest = Decimal(0)
    if rules.interest is not None and principal > 0:
        start = (
            graduated_on if rules.interest.runs_from == "graduation" else rules.interest.runs_from
        )
        assert isinstance(start, date)
        days = max((separated_on - start).days, 0)
        interest = principal * rules.interest.annual_rate * Decimal(days) / Decimal(365)
        why += f"; simple interest {rules.interest.annual_rate} a year over {days} days"
    # One rounding, of the total; the principal is shown rounded and interest is the rest.
    owed_cents = _cents(principal + interest)
    principal_cents = min(_cents(principal), owed_cents)
    interest_cents = owed_cents - principal_cents
    return RepaymentComputation(
        form=rules.repayment,
        crediting=rules.crediting,
        assistance_cents=assistance_cents,
        obligation_months=obligation,
        served_months=served,
        credited_months=credited,
        unserved_fraction=unserved,
        principal_cents=principal_cents,
        interest_cents=interest_cents,
        owed_cents=owed_cents,
        explanation=why,
    )


class ServiceRulesDefinitionError(DefinitionError):
    """A service rules file cannot work; the message names the field."""


def load_service_rules(path: Path) -> ServiceRules:
    return definitions.load(ServiceRules, path, ServiceRulesDefinitionError)
