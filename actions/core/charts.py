"""The staff console's bar charts as plain geometry in SVG units: scales, bars, ticks and labels.

Three charts: verdicts per day (stacked columns), the most frequent not-understood messages per
day (small multiples on one scale) and the votes per fact (stacked rows, yes then no). The
templates draw what these functions compute (rasa_plugins/channels/console/templates/charts.html):
nothing here writes markup. A chart's numbers are also in a table of its page.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from actions.core.console_queries import DailyCount, FactVotes, VerdictCount
from actions.core.eligibility import Verdict

WIDTH = 720.0
CHAR_WIDTH = 8.0  # the widest average width of a 12 px (bold) label character, to keep labels apart
MAX_DAYS = 60  # a day chart shows the latest this many days
MAX_FACTS = 30  # the votes chart shows the this many most voted facts
TONES = 6  # colours of console.css (.tone-0 … .tone-5); textures repeat every 3
NAME_LENGTH = 32  # characters of a fact id label
TEXT_LENGTH = 60  # characters of a not-understood message label
DAY_LABEL_WIDTH = 44.0  # a day label ("03-02") and the space around it
COLUMNS_HEIGHT = 260.0
ROW_HEIGHT = 26.0
BAR_THICKNESS = 16.0
PANEL_HEIGHT = 72.0  # a small multiple: its title, then its plot
PANEL_TITLE = 20.0
PANEL_GAP = 10.0
VALUE_LABEL_WIDTH = 130.0  # room right of a row of the votes chart for "12 yes · 3 no"


@dataclass(frozen=True)
class Box:
    """The plot area of a chart: its edges."""

    left: float
    top: float
    right: float
    bottom: float

    @property
    def width(self) -> float:
        """Horizontal size."""
        return self.right - self.left

    @property
    def height(self) -> float:
        """Vertical size."""
        return self.bottom - self.top


@dataclass(frozen=True)
class Bar:
    """A rectangle counting `value`; `tone` picks its colour and texture, `title` says what it counts."""

    x: float
    y: float
    width: float
    height: float
    tone: int
    value: int
    title: str


@dataclass(frozen=True)
class Line:
    """A gridline (`grid`) or an axis (`axis`)."""

    x1: float
    y1: float
    x2: float
    y2: float
    kind: str = "grid"


@dataclass(frozen=True)
class Label:
    """A text at a point; `anchor` is SVG's text-anchor, `kind` its style (tick, name, value)."""

    x: float
    y: float
    text: str
    anchor: str = "start"
    kind: str = "tick"


@dataclass(frozen=True)
class Series:
    """A legend entry: a series' name and its tone."""

    name: str
    tone: int


@dataclass(frozen=True)
class Chart:
    """Everything a chart template draws, its visible caption and a one-sentence summary of the data."""

    width: float
    height: float
    bars: tuple[Bar, ...]
    lines: tuple[Line, ...]
    labels: tuple[Label, ...]
    legend: tuple[Series, ...]
    caption: str
    summary: str

    @property
    def tones(self) -> tuple[int, ...]:
        """The tones used, each once (one fill pattern each)."""
        return tuple(sorted({bar.tone for bar in self.bars} | {entry.tone for entry in self.legend}))


@dataclass(frozen=True)
class Panel:
    """One plot of small multiples: its title, the name its bars' titles give, its counts per day."""

    title: str
    name: str
    counts: Mapping[date, int]


@dataclass(frozen=True)
class Table:
    """A chart's numbers: the column names, then each row's name and one count per column."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[int, ...]], ...]


# --- scales ----------------------------------------------------------------------------------------


def nice_step(raw: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, 100… that is at least `raw`: a tick step."""
    if raw <= 1:
        return 1
    power = 10 ** math.floor(math.log10(raw))
    return next(int(factor * power) for factor in (1, 2, 5, 10) if factor * power >= raw)


def value_ticks(maximum: int, steps: int = 4) -> tuple[int, ...]:
    """Tick values from 0 to a round top at or above `maximum`, in about `steps` steps."""
    step = nice_step(max(maximum, 1) / steps)
    top = max(1, math.ceil(maximum / step)) * step
    return tuple(range(0, top + 1, step))


def scale(value: float, top: float, length: float) -> float:
    """A value of an axis from 0 to `top` as a distance along `length` units."""
    return length * value / top if top else 0.0


def rounded(value: float) -> float:
    """A coordinate to a tenth of a unit, which is all SVG needs."""
    return round(value, 1)


def shorten(text: str, length: int) -> str:
    """`text` cut to `length` characters, an ellipsis marking the cut."""
    return text if len(text) <= length else text[: length - 1] + "…"


def times(count: int) -> str:
    """How many times, in words: "1 time", "3 times"."""
    return f"{count} time" if count == 1 else f"{count} times"


def day_span(days: Iterable[date], limit: int = MAX_DAYS) -> tuple[date, ...]:
    """Every day from the first of `days` to the last, the latest `limit` of them at most."""
    found = sorted(set(days))
    if not found:
        return ()
    first = max(found[0], found[-1] - timedelta(days=limit - 1))
    return tuple(first + timedelta(days=n) for n in range((found[-1] - first).days + 1))


def day_label(day: date) -> str:
    """A day on an axis, month and day ("03-02"); the caption gives the years."""
    return day.isoformat()[5:]


def labelled(index: int, count: int, slot: float) -> bool:
    """Whether slot `index` of `count` is labelled: the last, and every few before it, never overlapping."""
    every = max(1, math.ceil(DAY_LABEL_WIDTH / slot)) if slot > 0 else 1
    return (count - 1 - index) % every == 0


def verdict_tone(verdict: str, others: Sequence[str] = ()) -> int:
    """A verdict's tone: always the same for the known verdicts; the tones left for `others`, in order."""
    known = [v.value for v in Verdict]
    if verdict in known:
        return known.index(verdict)
    index = list(others).index(verdict) if verdict in others else 0
    return len(known) + index % (TONES - len(known))


def verdict_order(verdicts: Iterable[str]) -> list[str]:
    """The verdicts as a stack, bottom first: the known ones in their order, then the others by name."""
    known = [v.value for v in Verdict]
    found = set(verdicts)
    return [v for v in known if v in found] + sorted(found - set(known))


# --- layouts ---------------------------------------------------------------------------------------


def value_grid_rows(box: Box, ticks: Sequence[int]) -> tuple[list[Line], list[Label]]:
    """Horizontal gridlines of a column plot, labelled on the left."""
    lines, labels = [], []
    for tick in ticks:
        y = rounded(box.bottom - scale(tick, ticks[-1], box.height))
        lines.append(Line(box.left, y, box.right, y, "axis" if tick == 0 else "grid"))
        labels.append(Label(box.left - 6, rounded(y + 4), str(tick), "end"))
    return lines, labels


def day_axis(box: Box, days: Sequence[date], slot: float) -> list[Label]:
    """The day labels under a column plot."""
    return [
        Label(rounded(box.left + (n + 0.5) * slot), box.bottom + 16, day_label(day), "middle")
        for n, day in enumerate(days)
        if labelled(n, len(days), slot)
    ]


def stacked_columns(
    days: Sequence[date],
    series: Sequence[Series],
    counts: Mapping[tuple[date, str], int],
    caption: str,
    summary: str,
) -> Chart:
    """One column per day, its series stacked bottom first; empty days keep their place."""
    box = Box(44, 12, WIDTH - 8, COLUMNS_HEIGHT - 28)
    totals = [sum(counts.get((day, s.name), 0) for s in series) for day in days]
    ticks = value_ticks(max(totals, default=0))
    slot = box.width / max(len(days), 1)
    thickness = min(slot * 0.7, 48.0)
    bars = []
    for n, day in enumerate(days):
        x = rounded(box.left + n * slot + (slot - thickness) / 2)
        below = 0
        for entry in series:
            value = counts.get((day, entry.name), 0)
            if value:
                top = rounded(box.bottom - scale(below + value, ticks[-1], box.height))
                bottom = rounded(box.bottom - scale(below, ticks[-1], box.height))
                title = f"{day.isoformat()}, {entry.name}: {value}"
                bars.append(Bar(x, top, rounded(thickness), rounded(bottom - top), entry.tone, value, title))
                below += value
    lines, labels = value_grid_rows(box, ticks)
    labels += day_axis(box, days, slot)
    return Chart(
        WIDTH, COLUMNS_HEIGHT, tuple(bars), tuple(lines), tuple(labels), tuple(series), caption, summary
    )


def stacked_rows(
    names: Sequence[str],
    series: Sequence[Series],
    counts: Mapping[tuple[str, str], int],
    values: Sequence[str],
    caption: str,
    summary: str,
) -> Chart:
    """One row per name, its series stacked left first, each row's `values` text after its bar."""
    longest = max((len(shorten(name, NAME_LENGTH)) for name in names), default=0)
    label_width = min(max(longest * CHAR_WIDTH + 14, 80.0), 280.0)
    box = Box(label_width, 8, WIDTH - VALUE_LABEL_WIDTH, 8 + len(names) * ROW_HEIGHT)
    totals = [sum(counts.get((name, s.name), 0) for s in series) for name in names]
    ticks = value_ticks(max(totals, default=0))
    bars, lines, labels = [], [], []
    for n, name in enumerate(names):
        y = rounded(box.top + n * ROW_HEIGHT + (ROW_HEIGHT - BAR_THICKNESS) / 2)
        before = 0
        for entry in series:
            value = counts.get((name, entry.name), 0)
            if value:
                left = rounded(box.left + scale(before, ticks[-1], box.width))
                right = rounded(box.left + scale(before + value, ticks[-1], box.width))
                title = f"{name}, {entry.name}: {value}"
                bars.append(Bar(left, y, rounded(right - left), BAR_THICKNESS, entry.tone, value, title))
                before += value
        middle = rounded(y + BAR_THICKNESS / 2 + 4)
        labels.append(Label(box.left - 8, middle, shorten(name, NAME_LENGTH), "end", "name"))
        end = rounded(box.left + scale(before, ticks[-1], box.width))
        labels.append(Label(end + 6, middle, values[n], "start", "value"))
    for tick in ticks:
        x = rounded(box.left + scale(tick, ticks[-1], box.width))
        lines.append(Line(x, box.top, x, box.bottom, "axis" if tick == 0 else "grid"))
        labels.append(Label(x, box.bottom + 16, str(tick), "middle"))
    height = box.bottom + 24
    return Chart(WIDTH, height, tuple(bars), tuple(lines), tuple(labels), tuple(series), caption, summary)


def small_multiples(panels: Sequence[Panel], days: Sequence[date], caption: str, summary: str) -> Chart:
    """One small column plot per (title, counts per day), one under the other, on one scale and day axis."""
    peak = max((n for panel in panels for day, n in panel.counts.items() if day in days), default=0)
    ticks = value_ticks(peak, 2)
    slot = (WIDTH - 8 - 44) / max(len(days), 1)
    thickness = min(slot * 0.7, 24.0)
    bars, lines, labels = [], [], []
    bottom = 8.0
    for n, panel in enumerate(panels):
        top = 8 + n * (PANEL_HEIGHT + PANEL_GAP)
        labels.append(Label(44, top + 13, panel.title, "start", "name"))
        box = Box(44, top + PANEL_TITLE, WIDTH - 8, top + PANEL_HEIGHT)
        for m, day in enumerate(days):
            value = panel.counts.get(day, 0)
            if value:
                height = rounded(scale(value, ticks[-1], box.height))
                x = rounded(box.left + m * slot + (slot - thickness) / 2)
                text = f"{panel.name}, {day.isoformat()}: {value}"
                bars.append(Bar(x, rounded(box.bottom - height), rounded(thickness), height, 0, value, text))
        grid, tick_labels = value_grid_rows(box, ticks)
        lines += grid
        labels += tick_labels
        bottom = box.bottom
    labels += day_axis(Box(44, 0, WIDTH - 8, bottom), days, slot)
    return Chart(WIDTH, bottom + 24, tuple(bars), tuple(lines), tuple(labels), (), caption, summary)


# --- the console's three charts -------------------------------------------------------------------


def period(days: Sequence[date], clipped: bool) -> str:
    """The days a chart covers, for its caption."""
    span = days[0].isoformat() if len(days) == 1 else f"{days[0].isoformat()} to {days[-1].isoformat()}"
    return f"{span} (the latest {len(days)} days)" if clipped else span


def verdict_chart(per_day: Sequence[VerdictCount]) -> Chart | None:
    """Verdicts per day: a column per day, its verdicts stacked; None without assessments."""
    if not per_day:
        return None
    days = day_span(row.day for row in per_day)
    shown = [row for row in per_day if row.day >= days[0]]
    names = verdict_order(row.verdict for row in shown)
    others = [name for name in names if name not in {v.value for v in Verdict}]
    series = [Series(name, verdict_tone(name, others)) for name in names]
    counts = {(row.day, row.verdict): row.count for row in shown}
    totals: dict[str, int] = defaultdict(int)
    for row in shown:
        totals[row.verdict] += row.count
    clipped = len(shown) < len(per_day)
    caption = f"Verdicts per day (UTC), {period(days, clipped)}, one colour and texture per verdict."
    summary = (
        f"Stacked column chart of {sum(totals.values())} assessments over {len(days)} days, "
        f"{period(days, clipped)}: " + ", ".join(f"{name} {totals[name]}" for name in names) + "."
    )
    return stacked_columns(days, series, counts, caption, summary)


def not_understood_chart(per_day: Sequence[DailyCount]) -> Chart | None:
    """The most frequent not-understood messages, one small column plot per message; None without any."""
    if not per_day:
        return None
    days = day_span(row.day for row in per_day)
    by_text: dict[str, dict[date, int]] = {}
    for row in per_day:
        by_text.setdefault(row.text, {})[row.day] = row.count
    clipped = any(row.day < days[0] for row in per_day)
    panels = []
    for text, counts in by_text.items():
        name = f"“{shorten(text, TEXT_LENGTH)}”"
        panels.append(Panel(f"{name}: {times(sum(counts.values()))}", name, counts))
    caption = (
        f"The {len(panels)} most frequent not-understood messages per day (UTC), {period(days, clipped)}, "
        "one plot per message on the same scale."
    )
    summary = (
        f"Column charts of the {len(panels)} most frequent not-understood messages per day, "
        f"{period(days, clipped)}: " + "; ".join(panel.title for panel in panels) + "."
    )
    return small_multiples(panels, days, caption, summary)


def not_understood_table(per_day: Sequence[DailyCount]) -> Table:
    """The chart's numbers: a row per day with any (newest first), a column per message."""
    texts = tuple(dict.fromkeys(row.text for row in per_day))
    counts = {(row.text, row.day): row.count for row in per_day}
    days = sorted({row.day for row in per_day}, reverse=True)
    rows = tuple((day.isoformat(), tuple(counts.get((text, day), 0) for text in texts)) for day in days)
    return Table(texts, rows)


def votes_chart(votes: Sequence[FactVotes]) -> Chart | None:
    """Votes per fact: a row per fact, yes then no; None without votes."""
    if not votes:
        return None
    shown = list(votes[:MAX_FACTS])
    series = [Series("yes", 0), Series("no", 1)]
    counts: dict[tuple[str, str], int] = {}
    for v in shown:
        counts[(v.fact_id, "yes")], counts[(v.fact_id, "no")] = v.yes, v.no
    values = [f"{v.yes} yes · {v.no} no" for v in shown]
    yes, no = sum(v.yes for v in shown), sum(v.no for v in shown)
    which = f"the {len(shown)} most voted facts" if len(shown) < len(votes) else f"{len(shown)} facts"
    caption = f"Votes per fact, {which}: yes, then no, most voted first."
    summary = f"Stacked bar chart of {yes + no} votes on {which}: {yes} yes, {no} no."
    return stacked_rows([v.fact_id for v in shown], series, counts, values, caption, summary)
