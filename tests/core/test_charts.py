"""The console charts' geometry: scales, day spans, bar positions, labels, captions and summaries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from actions.core import charts as c
from actions.core.console_queries import DailyCount, FactVotes, VerdictCount

D1, D2, D3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)


@pytest.mark.parametrize(
    ("raw", "step"), [(0, 1), (0.75, 1), (1, 1), (1.5, 2), (2.5, 5), (7, 10), (11, 20), (25, 50), (260, 500)]
)
def test_nice_step_is_one_two_or_five_times_a_power_of_ten(raw: float, step: int) -> None:
    assert c.nice_step(raw) == step


@pytest.mark.parametrize(
    ("maximum", "ticks"),
    [
        (0, (0, 1)),
        (1, (0, 1)),
        (3, (0, 1, 2, 3)),
        (7, (0, 2, 4, 6, 8)),
        (23, (0, 10, 20, 30)),
        (100, (0, 50, 100)),
        (101, (0, 50, 100, 150)),
    ],
)
def test_value_ticks_start_at_zero_and_reach_the_maximum(maximum: int, ticks: tuple[int, ...]) -> None:
    assert c.value_ticks(maximum) == ticks
    assert ticks[-1] >= maximum


def test_scale_and_rounding() -> None:
    assert c.scale(3, 4, 200) == 150
    assert c.scale(3, 0, 200) == 0
    assert c.rounded(131.3333) == 131.3


def test_times_in_words() -> None:
    assert [c.times(n) for n in (0, 1, 2)] == ["0 times", "1 time", "2 times"]


def test_shorten_marks_the_cut() -> None:
    assert c.shorten("fees", 4) == "fees"
    assert c.shorten("permit_duration", 8) == "permit_…" and len(c.shorten("permit_duration", 8)) == 8


def test_day_span_fills_the_gaps_and_keeps_the_latest_days() -> None:
    assert c.day_span([]) == ()
    assert c.day_span([D3, D1, D1]) == (D1, D2, D3)
    many = [D1 + timedelta(days=n) for n in range(0, 100, 7)]
    span = c.day_span(many, limit=30)
    assert len(span) == 30 and span[-1] == many[-1]
    assert c.day_label(D2) == "03-02"


def test_day_labels_never_overlap_and_the_last_day_is_labelled() -> None:
    assert all(c.labelled(n, 3, 200) for n in range(3))
    labelled = [n for n in range(60) if c.labelled(n, 60, 11)]  # 44 units a label: one in 4
    assert labelled[-1] == 59 and labelled[1] - labelled[0] == 4


def test_verdicts_keep_their_tone_and_their_place_in_the_stack() -> None:
    assert c.verdict_order(["not_eligible", "zz", "cannot_tell", "aa", "eligible"]) == [
        "eligible",
        "not_eligible",
        "cannot_tell",
        "aa",
        "zz",
    ]
    assert [c.verdict_tone(v) for v in ("eligible", "not_eligible", "cannot_tell")] == [0, 1, 2]
    assert [c.verdict_tone(v, ["aa", "bb", "cc", "dd"]) for v in ("aa", "bb", "cc", "dd")] == [3, 4, 5, 3]


def test_the_verdict_chart_stacks_each_day_on_one_scale() -> None:
    chart = c.verdict_chart(
        [
            VerdictCount(D1, "eligible", 2),
            VerdictCount(D1, "not_eligible", 1),
            VerdictCount(D3, "cannot_tell", 1),
            VerdictCount(D3, "eligible", 1),
        ]
    )
    assert chart is not None
    assert [(b.title, b.tone) for b in chart.bars] == [
        ("2026-03-01, eligible: 2", 0),
        ("2026-03-01, not_eligible: 1", 1),
        ("2026-03-03, eligible: 1", 0),
        ("2026-03-03, cannot_tell: 1", 2),
    ]
    eligible, not_eligible, later, cannot_tell = chart.bars
    # a column: segments one on the other, from the axis (y 232) to the top of the scale (y 12, 3)
    assert eligible.y + eligible.height == 232 and not_eligible.y + not_eligible.height == eligible.y
    assert not_eligible.y == 12 and eligible.height == pytest.approx(2 * not_eligible.height, abs=0.2)
    assert eligible.x == not_eligible.x < later.x == cannot_tell.x  # the empty day keeps its place
    assert later.x - eligible.x == pytest.approx(2 * (c.WIDTH - 52) / 3, abs=0.2)
    assert [label.text for label in chart.labels if label.anchor == "middle"] == ["03-01", "03-02", "03-03"]
    assert [label.text for label in chart.labels if label.anchor == "end"] == ["0", "1", "2", "3"]
    assert [(s.name, s.tone) for s in chart.legend] == [
        ("eligible", 0),
        ("not_eligible", 1),
        ("cannot_tell", 2),
    ]
    assert chart.tones == (0, 1, 2)
    assert chart.caption.startswith("Verdicts per day (UTC), 2026-03-01 to 2026-03-03")
    assert chart.summary == (
        "Stacked column chart of 5 assessments over 3 days, 2026-03-01 to 2026-03-03: "
        "eligible 3, not_eligible 1, cannot_tell 1."
    )
    assert all(c.rounded(value) == value for b in chart.bars for value in (b.x, b.y, b.width, b.height))


def test_the_verdict_chart_shows_the_latest_days_only() -> None:
    old = VerdictCount(D1 - timedelta(days=200), "eligible", 9)
    chart = c.verdict_chart([old, VerdictCount(D1, "eligible", 1)])
    assert chart is not None
    assert len(chart.bars) == 1 and chart.bars[0].value == 1
    assert f"(the latest {c.MAX_DAYS} days)" in chart.caption and "eligible 1." in chart.summary
    assert c.verdict_chart([]) is None


def test_the_not_understood_chart_is_one_plot_per_message_on_one_scale() -> None:
    per_day = [DailyCount("blorp", D1, 4), DailyCount("blorp", D3, 1), DailyCount("zap", D2, 2)]
    chart = c.not_understood_chart(per_day)
    assert chart is not None
    assert [b.title for b in chart.bars] == [
        "“blorp”, 2026-03-01: 4",
        "“blorp”, 2026-03-03: 1",
        "“zap”, 2026-03-02: 2",
    ]
    first, small, other = chart.bars
    assert first.height == pytest.approx(4 * small.height, abs=0.2)  # one scale for every plot
    assert other.height == pytest.approx(2 * small.height, abs=0.2)
    assert first.y + first.height == small.y + small.height < other.y + other.height  # its own plot, below
    titles = [label.text for label in chart.labels if label.kind == "name"]
    assert titles == ["“blorp”: 5 times", "“zap”: 2 times"]
    assert [label.text for label in chart.labels if label.anchor == "middle"] == ["03-01", "03-02", "03-03"]
    assert chart.legend == () and chart.height == 8 + 2 * c.PANEL_HEIGHT + c.PANEL_GAP + 24
    assert chart.summary.endswith("2026-03-01 to 2026-03-03: “blorp”: 5 times; “zap”: 2 times.")
    assert c.not_understood_chart([]) is None


def test_a_long_message_is_cut_in_the_chart_not_in_the_table() -> None:
    text = "x" * 200
    chart = c.not_understood_chart([DailyCount(text, D1, 1)])
    assert chart is not None and f"“{'x' * (c.TEXT_LENGTH - 1)}…”: 1 time" in chart.summary
    table = c.not_understood_table([DailyCount(text, D1, 1)])
    assert table.columns == (text,)


def test_the_not_understood_table_has_a_row_per_day_newest_first() -> None:
    table = c.not_understood_table(
        [DailyCount("blorp", D1, 4), DailyCount("blorp", D3, 1), DailyCount("zap", D1, 2)]
    )
    assert table.columns == ("blorp", "zap")
    assert table.rows == (("2026-03-03", (1, 0)), ("2026-03-01", (4, 2)))
    assert c.not_understood_table([]) == c.Table((), ())


def test_the_votes_chart_has_a_row_per_fact_yes_then_no() -> None:
    chart = c.votes_chart([FactVotes("fees", 3, 1), FactVotes("cap", 0, 2)])
    assert chart is not None
    yes, no, cap_no = chart.bars
    assert (yes.title, yes.tone, no.title, no.tone, cap_no.tone) == ("fees, yes: 3", 0, "fees, no: 1", 1, 1)
    assert no.x == pytest.approx(yes.x + yes.width, abs=0.1) and yes.y == no.y < cap_no.y
    assert cap_no.x == yes.x and cap_no.width == pytest.approx(2 * no.width, abs=0.2)
    names = [label.text for label in chart.labels if label.kind == "name"]
    values = [label.text for label in chart.labels if label.kind == "value"]
    assert names == ["fees", "cap"] and values == ["3 yes · 1 no", "0 yes · 2 no"]
    value = next(label for label in chart.labels if label.kind == "value")
    assert value.x == pytest.approx(no.x + no.width + 6, abs=0.2)  # just after its bar
    assert chart.summary == "Stacked bar chart of 6 votes on 2 facts: 3 yes, 3 no."
    assert [(s.name, s.tone) for s in chart.legend] == [("yes", 0), ("no", 1)]
    assert c.votes_chart([]) is None


def test_the_votes_chart_shows_the_most_voted_facts_and_fits_its_labels() -> None:
    votes = [FactVotes(f"fact_{n:02d}_" + "y" * 40, 100 - n, 1) for n in range(c.MAX_FACTS + 5)]
    chart = c.votes_chart(votes)
    assert chart is not None and len(chart.bars) == 2 * c.MAX_FACTS
    assert f"the {c.MAX_FACTS} most voted facts" in chart.caption
    names = [label for label in chart.labels if label.kind == "name"]
    assert all(len(label.text) == c.NAME_LENGTH for label in names)
    assert min(b.x for b in chart.bars) >= c.NAME_LENGTH * c.CHAR_WIDTH  # room for the names
    assert max(b.x + b.width for b in chart.bars) <= c.WIDTH - c.VALUE_LABEL_WIDTH + 0.1  # and the values
    assert chart.height == 8 + c.MAX_FACTS * c.ROW_HEIGHT + 24
