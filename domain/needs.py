"""The needs assessment of seed 000: for each stakeholder group, which programs exist, who
takes part, and where the district's leadership needs are not met.

The district writes its needs in a CSV file (`group,need,programs,source`: the stakeholder
group, the need in words, the program or pathway keys meant to meet it, separated by `;`, and
where the need was found); the catalog's definitions say whom each program develops
(`stakeholder_groups`), the pathways' entries below whom theirs do.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from domain.councils import StakeholderGroup
from domain.definitions import problems
from domain.refusals import DefinitionError

SAMPLE_NEEDS = Path(__file__).parent / "programs" / "leadership_needs.csv"
COLUMNS = ("group", "need", "programs", "source")

#: Whom each pathway (not a catalog definition) develops.
PATHWAY_GROUPS: Mapping[str, tuple[StakeholderGroup, ...]] = {
    "teacher_leader": (StakeholderGroup.TEACHER,),
    "fellowship": (StakeholderGroup.TEACHER, StakeholderGroup.ADMINISTRATOR),
    "aspiring_principal": (StakeholderGroup.TEACHER, StakeholderGroup.ADMINISTRATOR),
}

GROUP_LABELS = {
    StakeholderGroup.ADMINISTRATOR: "administrators",
    StakeholderGroup.TEACHER: "teachers",
    StakeholderGroup.CLASSIFIED: "classified staff",
    StakeholderGroup.STUDENT: "students",
    StakeholderGroup.PARENT: "parents",
    StakeholderGroup.COMMUNITY: "community members",
}


class NeedsError(DefinitionError):
    """A needs file that cannot be read, in words naming the line."""


class Need(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    group: StakeholderGroup
    need: str = Field(min_length=3, max_length=500)
    programs: tuple[str, ...] = ()
    source: str = ""


def parse_needs(text: str, source: str = "needs file") -> list[Need]:
    rows = list(csv.DictReader(io.StringIO(text)))
    if rows and set(COLUMNS[:2]) - set(rows[0]):
        raise NeedsError(f"{source}: the header needs the columns {', '.join(COLUMNS)}")
    found = []
    for line, row in enumerate(rows, start=2):
        try:
            found.append(
                Need(
                    group=row.get("group") or "", need=row.get("need") or "",
                    programs=tuple(p.strip() for p in (row.get("programs") or "").split(";")
                                   if p.strip()),
                    source=row.get("source") or "",
                )
            )  # fmt: skip
        except ValidationError as error:
            raise NeedsError(f"{source} line {line}: {problems(error)}") from None
    return found


def load_needs(path: Path) -> list[Need]:
    return parse_needs(path.read_text(encoding="utf-8"), str(path))


@dataclass(frozen=True)
class Offered:
    """A program or pathway that develops a group, and how many take part in it."""

    key: str
    title: str
    participants: int


@dataclass(frozen=True)
class Verdict:
    need: Need
    met: bool
    why: str


@dataclass(frozen=True)
class GroupAssessment:
    group: StakeholderGroup
    offered: list[Offered]
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def participants(self) -> int:
        return sum(o.participants for o in self.offered)

    @property
    def unmet(self) -> int:
        return sum(1 for v in self.verdicts if not v.met)


def assess(
    offered: Mapping[StakeholderGroup, Sequence[Offered]], needs: Sequence[Need]
) -> list[GroupAssessment]:
    """Each group's programs and needs. A need is met when a program meant for it (or, when it
    names none, any program for its group) exists and has participants."""
    found = []
    for group in StakeholderGroup:
        programs = list(offered.get(group, ()))
        verdicts = []
        for need in (n for n in needs if n.group is group):
            meant = [o for o in programs if not need.programs or o.key in need.programs]
            if not meant:
                named = ", ".join(need.programs) if need.programs else "any program"
                why = f"no program for {GROUP_LABELS[group]} offers it ({named})"
                verdicts.append(Verdict(need, False, why))
            elif not any(o.participants for o in meant):
                titles = "; ".join(o.title for o in meant)
                verdicts.append(Verdict(need, False, f"offered ({titles}) but nobody takes part"))
            else:
                taking = sum(o.participants for o in meant)
                titles = "; ".join(o.title for o in meant if o.participants)
                verdicts.append(Verdict(need, True, f"{taking} take part in {titles}"))
        found.append(GroupAssessment(group, programs, verdicts))
    return found
