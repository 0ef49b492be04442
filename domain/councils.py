"""A council with stakeholder representation: who sits on it, whether its composition holds, and
each member's training. Today the school site council (seed 000: "significantly increase support
and accountability for school site councils").

- A member is seated with their stakeholder group (administrator, teacher, classified staff,
  parent, student, community member); a person sits once (`council.already_member`), and a
  group at its maximum takes nobody more (`council.group_full`).
- A member who leaves is recorded with the reason (`council.not_a_member` for someone who does
  not sit on it); their training stays in the log, and they no longer count.
- **Composition** is the program's rule, checked whenever it is asked: at least (and at most)
  the members each group needs; the two sides of a parity rule equal in size (school staff on
  one side, parents, community members and students on the other, as California's site
  councils require); and a group that must be the majority of its side (classroom teachers of
  the staff). `composition_problems` says each way it falls short, in words.
- **Training**: each member completes every topic the program names once
  (`council.training_recorded` for a topic already done; `council.unknown_topic`); the council
  is trained when every seated member has every topic.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from domain.refusals import Refusal


class StakeholderGroup(StrEnum):
    ADMINISTRATOR = "administrator"
    TEACHER = "teacher"
    CLASSIFIED = "classified"
    PARENT = "parent"
    STUDENT = "student"
    COMMUNITY = "community"


@dataclass(frozen=True)
class Member:
    member_id: str
    full_name: str
    group: StakeholderGroup
    trained: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Composition:
    minimum: Mapping[StakeholderGroup, int] = field(default_factory=dict)
    maximum: Mapping[StakeholderGroup, int] = field(default_factory=dict)
    parity: tuple[Sequence[StakeholderGroup], Sequence[StakeholderGroup]] | None = None
    majority: tuple[StakeholderGroup, Sequence[StakeholderGroup]] | None = None
    """A group that must be more than half of the members of the groups listed with it."""


def _count(members: Collection[Member], groups: Collection[StakeholderGroup]) -> int:
    return sum(m.group in groups for m in members)


def composition_problems(members: Collection[Member], rules: Composition) -> list[str]:
    """Each way the council's membership falls short of its rules; empty when it holds."""
    problems = []
    for group, least in rules.minimum.items():
        have = _count(members, {group})
        if have < least:
            problems.append(
                f"{least - have} more {group.value} member(s) needed ({have} of {least})"
            )
    for group, most in rules.maximum.items():
        have = _count(members, {group})
        if have > most:
            problems.append(f"{have} {group.value} members, at most {most}")
    if rules.parity is not None:
        one, other = rules.parity
        left, right = _count(members, set(one)), _count(members, set(other))
        if left != right:
            problems.append(
                f"{'/'.join(g.value for g in one)} ({left}) and "
                f"{'/'.join(g.value for g in other)} ({right}) must be equal in number"
            )
    if rules.majority is not None:
        group, of = rules.majority
        have, side = _count(members, {group}), _count(members, set(of))
        if side and have * 2 <= side:
            problems.append(
                f"{group.value} members ({have}) must be the majority of "
                f"{'/'.join(g.value for g in of)} ({side})"
            )
    return problems


def check_seat(
    members: Mapping[str, Member],
    member_id: str,
    group: StakeholderGroup,
    rules: Composition,
    refusal: type[Refusal],
) -> None:
    if member_id in members:
        sits = members[member_id]
        raise refusal(
            f"{sits.full_name} ({member_id}) already sits on the council as {sits.group.value}",
            code="council.already_member",
        )
    most = rules.maximum.get(group)
    if most is not None and _count(members.values(), {group}) >= most:
        raise refusal(
            f"the council already has its {most} {group.value} member(s)", code="council.group_full"
        )


def check_member(members: Mapping[str, Member], member_id: str, refusal: type[Refusal]) -> Member:
    member = members.get(member_id)
    if member is None:
        raise refusal(f"{member_id} does not sit on the council", code="council.not_a_member")
    return member


def check_training(
    members: Mapping[str, Member],
    member_id: str,
    topic: str,
    topics: Sequence[str],
    refusal: type[Refusal],
) -> None:
    member = check_member(members, member_id, refusal)
    if topic not in topics:
        raise refusal(
            f"the council's training has no topic {topic!r} ({', '.join(topics)})",
            code="council.unknown_topic",
        )
    if topic in member.trained:
        raise refusal(
            f"{member.full_name} already completed {topic}", code="council.training_recorded"
        )


def untrained(members: Collection[Member], topics: Sequence[str]) -> list[str]:
    """Each seated member who still lacks a topic, with what they lack."""
    return [
        f"{m.full_name} ({m.group.value}): {', '.join(t for t in topics if t not in m.trained)}"
        for m in members
        if any(t not in m.trained for t in topics)
    ]
