"""Horizontal bar charts for `leadcap stats` on a terminal, sized to the terminal.

The bars are rich renderables that measure the width they get when drawn, not when built,
so `stats --watch` redraws them to fit after the window is resized. Labels are measured in
terminal cells: a Japanese tag is two cells per character."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.table import Table
from rich.text import Text

EIGHTHS = " ▏▎▍▌▋▊▉"
TWO_COLUMNS = 110  # from this many cells wide, the charts stand side by side
TOP = 15


def bar_text(count: int, most: int, width: int) -> str:
    """A bar `width` cells long for the largest count, in eighths of a cell; any count
    above zero shows at least a sliver."""
    if count <= 0 or most <= 0 or width <= 0:
        return ""
    eighths = max(1, round(count * width * 8 / most))
    full, rest = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[rest] if rest else "")


class Bars:
    """One titled chart: a line per label with its count and a bar."""

    def __init__(self, title: str, counts: dict):
        self.title = title
        self.counts = counts

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        yield Text(self.title, style="bold")
        labels = [str(label) for label in self.counts]
        label_width = min(max(cell_len(label) for label in labels), max(width // 3, 4))
        most = max(self.counts.values())
        digits = len(str(most))
        bar_width = max(width - label_width - digits - 5, 1)
        for label, count in zip(labels, self.counts.values(), strict=True):
            line = Text("  " + set_cell_size(label, label_width), overflow="crop", no_wrap=True)
            line.append(f" {count:>{digits}} ")
            line.append(bar_text(count, most, bar_width), style="cyan")
            yield line
        yield Text("")


class Dashboard:
    """The charts, stacked, or two side by side when the terminal is wide enough."""

    def __init__(self, charts: list[Bars]):
        self.charts = charts

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if options.max_width < TWO_COLUMNS:
            yield Group(*self.charts)
            return
        grid = Table.grid(expand=True, padding=(0, 2))
        grid.add_column(ratio=1)
        grid.add_column(ratio=1)
        for n in range(0, len(self.charts), 2):
            grid.add_row(*self.charts[n : n + 2])
        yield grid


def dashboard(sections: list[tuple[str, dict]]) -> Dashboard:
    """Bars for every section with counts, each cut to the largest `TOP` plus "other"."""
    from leadcap.reports.stats import ranked

    charts = []
    for title, counts in sections:
        if not counts:
            continue
        keep_order = title in ("per day", "per hour", "per rating")  # time and scale order
        shown = dict(counts.items() if keep_order else ranked(counts, "other", TOP))
        charts.append(Bars(title, shown))
    return Dashboard(charts)
