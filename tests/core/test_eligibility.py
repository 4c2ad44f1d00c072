"""Every combination of eligibility answers, checked against the rules as the fact sheet words them."""

from __future__ import annotations

import itertools

import pytest

from actions.core.eligibility import (
    CRITERIA,
    Answer,
    Answers,
    CsqProgram,
    PrStatus,
    Residence,
    Status,
    Verdict,
    assess,
)

ALL_ANSWERS = [
    Answers(residence, program, valid, invitation, pr)
    for residence, program, valid, invitation, pr in itertools.product(
        Residence, CsqProgram, Answer, Answer, PrStatus
    )
]


def expected_verdict(a: Answers) -> Verdict:
    """The fact sheet's rules, written independently of the implementation."""
    excluded = (
        a.residence is Residence.QUEBEC
        or a.csq_program in (CsqProgram.NONE, CsqProgram.OTHER)
        or a.invitation_letter is Answer.NO
        or a.pr_status in (PrStatus.APPROVED, PrStatus.REFUSED)
        # a CSQ that expired before any PR application was filed
        or (a.csq_valid is Answer.NO and a.pr_status is PrStatus.NOT_APPLIED)
    )
    if excluded:
        return Verdict.NOT_ELIGIBLE
    certain = (
        a.residence in (Residence.ABROAD, Residence.ANOTHER_PROVINCE)
        and a.csq_program in (CsqProgram.PRTQ, CsqProgram.AI_IT_VFX_PILOT)
        and a.csq_valid is Answer.YES
        and a.invitation_letter is Answer.YES
        and a.pr_status in (PrStatus.NOT_APPLIED, PrStatus.IN_PROCESS)
    )
    return Verdict.ELIGIBLE if certain else Verdict.CANNOT_TELL


def test_every_combination_is_covered() -> None:
    assert len(ALL_ANSWERS) == 4 * 6 * 3 * 3 * 5


@pytest.mark.parametrize("answers", ALL_ANSWERS, ids=lambda a: "-".join(a.as_dict().values()))
def test_verdict_matches_the_rules(answers: Answers) -> None:
    assert assess(answers).verdict is expected_verdict(answers)


@pytest.mark.parametrize("answers", ALL_ANSWERS, ids=lambda a: "-".join(a.as_dict().values()))
def test_verdict_follows_from_the_criteria(answers: Answers) -> None:
    assessment = assess(answers)
    statuses = [result.status for result in assessment.criteria]
    assert [result.criterion for result in assessment.criteria] == list(CRITERIA)
    if Status.NOT_MET in statuses:
        assert assessment.verdict is Verdict.NOT_ELIGIBLE
    elif Status.UNKNOWN in statuses:
        assert assessment.verdict is Verdict.CANNOT_TELL
    else:
        assert assessment.verdict is Verdict.ELIGIBLE
    assert ("apply_online" in assessment.next_steps) == (assessment.verdict is Verdict.ELIGIBLE)
    assert ("bridging_permit" in assessment.next_steps) == (answers.residence is Residence.QUEBEC)
    assert ("confirm_unknowns" in assessment.next_steps) == (assessment.verdict is Verdict.CANNOT_TELL)
    assert ("wait_for_invitation" in assessment.next_steps) == (answers.invitation_letter is Answer.NO)
    assert assessment.next_steps[-1] == "check_official_pages"


def criterion(answers: Answers, name: str) -> tuple[Status, str]:
    result = next(r for r in assess(answers).criteria if r.criterion == name)
    return result.status, result.reason


def test_another_province_is_accepted_with_its_caveat() -> None:
    answers = Answers(residence=Residence.ANOTHER_PROVINCE)
    assert criterion(answers, "residence") == (Status.MET, "residence_another_province")


def test_expired_csq_with_pr_in_process_depends_on_the_filing_date() -> None:
    answers = Answers(Residence.ABROAD, CsqProgram.PRTQ, Answer.NO, Answer.YES, PrStatus.IN_PROCESS)
    assert criterion(answers, "csq") == (Status.UNKNOWN, "csq_expired_pr_in_process")
    assert assess(answers).verdict is Verdict.CANNOT_TELL


def test_pstq_is_unknown_not_refused() -> None:
    answers = Answers(Residence.ABROAD, CsqProgram.PSTQ, Answer.YES, Answer.YES, PrStatus.NOT_APPLIED)
    assert criterion(answers, "csq") == (Status.UNKNOWN, "csq_pstq")


def test_a_typical_eligible_applicant() -> None:
    answers = Answers(Residence.ABROAD, CsqProgram.PRTQ, Answer.YES, Answer.YES, PrStatus.IN_PROCESS)
    assert assess(answers).verdict is Verdict.ELIGIBLE


def test_unrecognised_values_become_unknown() -> None:
    answers = Answers.from_values({"residence": "mars", "csq_program": None, "pr_status": "approved"})
    assert answers.residence is Residence.UNKNOWN
    assert answers.csq_program is CsqProgram.UNKNOWN
    assert answers.pr_status is PrStatus.APPROVED
    assert Answers.from_values(answers.as_dict()) == answers
