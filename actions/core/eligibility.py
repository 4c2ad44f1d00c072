"""IMP+ eligibility rules: a pure function from a person's answers to a verdict."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Residence(str, Enum):
    """Where the person lives when applying."""

    ABROAD = "abroad"
    ANOTHER_PROVINCE = "another_province"
    QUEBEC = "quebec"
    UNKNOWN = "unknown"


class CsqProgram(str, Enum):
    """The program a person's Quebec Selection Certificate was issued under."""

    PRTQ = "prtq"
    AI_IT_VFX_PILOT = "ai_it_vfx_pilot"
    PSTQ = "pstq"
    OTHER = "other"
    NONE = "none"
    UNKNOWN = "unknown"


class Answer(str, Enum):
    """A yes / no / don't-know answer."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class PrStatus(str, Enum):
    """Status of the person's permanent residence application."""

    NOT_APPLIED = "not_applied"
    IN_PROCESS = "in_process"
    APPROVED = "approved"
    REFUSED = "refused"
    UNKNOWN = "unknown"


class Status(str, Enum):
    """Outcome of one criterion."""

    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


class Verdict(str, Enum):
    """Overall outcome of a check."""

    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    CANNOT_TELL = "cannot_tell"


QUALIFYING_PROGRAMS = frozenset({CsqProgram.PRTQ, CsqProgram.AI_IT_VFX_PILOT})
CRITERIA = ("residence", "csq", "invitation_letter", "pr_application")


@dataclass(frozen=True)
class Answers:
    """Everything the eligibility form asks; UNKNOWN where the person does not know."""

    residence: Residence = Residence.UNKNOWN
    csq_program: CsqProgram = CsqProgram.UNKNOWN
    csq_valid: Answer = Answer.UNKNOWN
    invitation_letter: Answer = Answer.UNKNOWN
    pr_status: PrStatus = PrStatus.UNKNOWN

    @classmethod
    def from_values(cls, values: dict[str, str | None]) -> Answers:
        """Build answers from slot values, treating missing or unrecognised values as UNKNOWN."""

        def pick(enum: type[Enum], key: str) -> Enum:
            try:
                return enum(values.get(key))
            except ValueError:
                return enum("unknown")

        return cls(
            residence=pick(Residence, "residence"),  # type: ignore[arg-type]
            csq_program=pick(CsqProgram, "csq_program"),  # type: ignore[arg-type]
            csq_valid=pick(Answer, "csq_valid"),  # type: ignore[arg-type]
            invitation_letter=pick(Answer, "invitation_letter"),  # type: ignore[arg-type]
            pr_status=pick(PrStatus, "pr_status"),  # type: ignore[arg-type]
        )

    def as_dict(self) -> dict[str, str]:
        """Plain values, for storage."""
        return {name: value.value for name, value in self.__dict__.items()}


@dataclass(frozen=True)
class CriterionResult:
    """One criterion's outcome and the reason code that explains it."""

    criterion: str
    status: Status
    reason: str


@dataclass(frozen=True)
class Assessment:
    """A verdict with the per-criterion results and next-step codes."""

    verdict: Verdict
    criteria: tuple[CriterionResult, ...]
    next_steps: tuple[str, ...]


def _residence(answers: Answers) -> CriterionResult:
    outcome = {
        Residence.ABROAD: (Status.MET, "residence_abroad"),
        Residence.ANOTHER_PROVINCE: (Status.MET, "residence_another_province"),
        Residence.QUEBEC: (Status.NOT_MET, "residence_quebec"),
        Residence.UNKNOWN: (Status.UNKNOWN, "residence_unknown"),
    }[answers.residence]
    return CriterionResult("residence", *outcome)


def _csq(answers: Answers) -> CriterionResult:
    program = answers.csq_program
    if program is CsqProgram.NONE:
        return CriterionResult("csq", Status.NOT_MET, "csq_none")
    if program is CsqProgram.OTHER:
        return CriterionResult("csq", Status.NOT_MET, "csq_other_program")
    if answers.csq_valid is Answer.NO:
        if answers.pr_status is PrStatus.IN_PROCESS:
            return CriterionResult("csq", Status.UNKNOWN, "csq_expired_pr_in_process")
        if answers.pr_status is PrStatus.UNKNOWN:
            return CriterionResult("csq", Status.UNKNOWN, "csq_expired_pr_unknown")
        return CriterionResult("csq", Status.NOT_MET, "csq_expired")
    if program is CsqProgram.UNKNOWN:
        return CriterionResult("csq", Status.UNKNOWN, "csq_unknown")
    if program is CsqProgram.PSTQ:
        return CriterionResult("csq", Status.UNKNOWN, "csq_pstq")
    if answers.csq_valid is not Answer.YES:
        return CriterionResult("csq", Status.UNKNOWN, "csq_validity_unknown")
    return CriterionResult("csq", Status.MET, "csq_qualifying")


def _invitation(answers: Answers) -> CriterionResult:
    outcome = {
        Answer.YES: (Status.MET, "invitation_received"),
        Answer.NO: (Status.NOT_MET, "invitation_missing"),
        Answer.UNKNOWN: (Status.UNKNOWN, "invitation_unknown"),
    }[answers.invitation_letter]
    return CriterionResult("invitation_letter", *outcome)


def _pr_application(answers: Answers) -> CriterionResult:
    outcome = {
        PrStatus.NOT_APPLIED: (Status.MET, "pr_not_decided"),
        PrStatus.IN_PROCESS: (Status.MET, "pr_not_decided"),
        PrStatus.APPROVED: (Status.NOT_MET, "pr_decided"),
        PrStatus.REFUSED: (Status.NOT_MET, "pr_decided"),
        PrStatus.UNKNOWN: (Status.UNKNOWN, "pr_unknown"),
    }[answers.pr_status]
    return CriterionResult("pr_application", *outcome)


def _verdict(results: tuple[CriterionResult, ...]) -> Verdict:
    statuses = {result.status for result in results}
    if Status.NOT_MET in statuses:
        return Verdict.NOT_ELIGIBLE
    if Status.UNKNOWN in statuses:
        return Verdict.CANNOT_TELL
    return Verdict.ELIGIBLE


def _next_steps(answers: Answers, verdict: Verdict) -> tuple[str, ...]:
    steps: list[str] = []
    if verdict is Verdict.ELIGIBLE:
        steps.append("apply_online")
    if answers.residence is Residence.QUEBEC:
        steps.append("bridging_permit")
    if answers.invitation_letter is Answer.NO and verdict is not Verdict.ELIGIBLE:
        steps.append("wait_for_invitation")
    if verdict is Verdict.CANNOT_TELL:
        steps.append("confirm_unknowns")
    steps.append("check_official_pages")
    return tuple(steps)


def assess(answers: Answers) -> Assessment:
    """Judge the four IMP+ conditions (the fourth, applying, is the next step) and exclusions."""
    results = (_residence(answers), _csq(answers), _invitation(answers), _pr_application(answers))
    verdict = _verdict(results)
    return Assessment(verdict, results, _next_steps(answers, verdict))
