"""The fair report's sheets: each a table of counts from `fair_report.gather()` and a native
chart beside it whose series and categories point at that table's cells. Imported only when
a report is written (it loads openpyxl)."""

from __future__ import annotations

from datetime import date, datetime

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, NumRef, StrRef
from openpyxl.chart.label import DataLabelList
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname

from leadcap.export.safety import clean_xml
from leadcap.reports.fair_words import SERVICE_KEYS
from leadcap.reports.stats import NO_ANSWER, NO_STAFF, ranked
from leadcap.store import model

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
DAY = "yyyy-mm-dd"
MOMENT = "yyyy-mm-dd hh:mm"
HOUR = '00":00"'
PERCENT = "0%"
CHART_COLUMN = 5  # charts start in column E, beside tables of up to three columns


class Sheets:
    """Writes every sheet of one report into `book`."""

    def __init__(self, book, data: dict, words: dict[str, str], filters: dict[str, str]):
        self.book, self.data, self.w, self.filters = book, data, words, filters
        self.stats = data["stats"]
        self.zone = _zone(self.stats["timezone"])

    def write_all(self) -> None:
        self.cover()
        self.days()
        self.hours()
        s, w = self.stats, self.w
        exhibitors = dict(s["per_exhibitor"])
        own = s["total"] - sum(exhibitors.values())
        if own:
            exhibitors[w["organiser"]] = own
        self.ranked_sheet("exhibitors", "exhibitor", exhibitors)
        staff = {w["unknown"] if k == NO_STAFF else k: n for k, n in s["per_staff"].items()}
        self.ranked_sheet("staff", "staff", staff)
        tags = dict(s["per_tag"])
        if s["untagged"]:
            tags[w["untagged"]] = s["untagged"]
        self.ranked_sheet("tags", "tag", tags)
        ratings = {w[f"{k}_r"]: n for k, n in s["per_rating"].items()}  # hot..unrated, in order
        self.ranked_sheet("ratings", "rating", ratings, keep_order=True)
        countries = {k or w["unknown"]: n for k, n in self.data["per_country"].items()}
        self.ranked_sheet("countries", "country", countries)
        self.consent()
        self.answers()
        self.visits()
        self.followup()

    # -- helpers ----------------------------------------------------------------------

    def sheet(self, key: str):
        ws = self.book.create_sheet(self.w[f"sheet_{key}"])
        # Printed (or made a PDF), each topic is one landscape page.
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 1
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.column_dimensions["A"].width = 28
        for letter in "BCD":
            ws.column_dimensions[letter].width = 14
        return ws

    def table(self, ws, top: int, headers: list[str], rows: list[list], formats=()) -> int:
        """Headers in row `top`, rows below; returns the last row written."""
        for column, header in enumerate(headers, start=1):
            cell = ws.cell(top, column, header)
            cell.font = BOLD
            cell.alignment = Alignment(wrap_text=True, vertical="bottom")
        for r, row in enumerate(rows, start=top + 1):
            for column, value in enumerate(row, start=1):
                cell = ws.cell(r, column, _value(value))
                if isinstance(value, str):
                    cell.data_type = "s"  # a tag called "=1+1" is text, never a formula
                if column - 1 < len(formats) and formats[column - 1]:
                    cell.number_format = formats[column - 1]
        return top + len(rows)

    def chart(
        self,
        ws,
        *,
        title: str,
        x_title: str,
        y_title: str,
        header: int,
        last: int,
        values: tuple[int, int] = (2, 2),
        horizontal: bool = False,
        stacked: bool = False,
        percent: bool = False,
        text_categories: bool = True,
        labels: bool = True,
        anchor: str | None = None,
    ) -> BarChart:
        """A bar (horizontal) or column chart of columns `values` of rows header+1..last,
        categories from column A, placed beside the table."""
        chart = BarChart()
        chart.type = "bar" if horizontal else "col"
        chart.title = title
        chart.style = 10
        chart.x_axis.title = x_title
        chart.y_axis.title = y_title
        chart.x_axis.delete = False  # openpyxl 3.1 otherwise leaves the axes out in Excel
        chart.y_axis.delete = False
        chart.y_axis.majorGridlines = None if horizontal else chart.y_axis.majorGridlines
        data = Reference(ws, min_col=values[0], max_col=values[1], min_row=header, max_row=last)
        chart.add_data(data, titles_from_data=True)
        cats = f"{quote_sheetname(ws.title)}!$A${header + 1}:$A${last}"
        for series in chart.series:
            series.cat = AxDataSource(
                strRef=StrRef(f=cats) if text_categories else None,
                numRef=None if text_categories else NumRef(f=cats),
            )
        if stacked:
            chart.grouping = "stacked"
            chart.overlap = 100
        else:
            chart.legend = None
        if labels and not stacked:
            chart.dataLabels = DataLabelList(
                showVal=True,
                showCatName=False,
                showSerName=False,
                showLegendKey=False,
                showPercent=False,
            )
        if percent:
            chart.y_axis.number_format = PERCENT
            chart.y_axis.scaling.min = 0
            chart.y_axis.scaling.max = 1
        if horizontal:
            chart.x_axis.scaling.orientation = "maxMin"  # largest (first row) at the top
        rows = last - header
        chart.width = 18
        chart.height = max(7.5, 0.65 * rows + 3) if horizontal else 8.5
        ws.add_chart(chart, anchor or f"{get_column_letter(CHART_COLUMN)}{header}")
        return chart

    # -- sheets -----------------------------------------------------------------------

    def cover(self) -> None:
        ws, w, d, s = self.sheet("cover"), self.w, self.data, self.stats
        ws.column_dimensions["A"].width = 44
        ws.column_dimensions["B"].width = 36
        ws.column_dimensions["C"].width = 18
        ws.column_dimensions["D"].width = 18
        ws.cell(1, 1, f"{w['title_cover']}: {d['event']}" if d["event"] else w["title_cover"])
        ws["A1"].font = TITLE
        rate = s["consent_rate"]["followup"]
        hot = d["service_level"]["hot"]
        filters = "; ".join(f"{k} {v}" for k, v in self.filters.items()) or w["all"]
        rows = [
            (w["event"], d["event"], None),
            (w["pavilion"], d["pavilion"], None),
            *(
                (w["exhibitors"] if n == 0 else None, name, None)
                for n, name in enumerate(d["exhibitors"] or [None])
            ),
            (w["timezone"], s["timezone"], None),
            (w["first_day"], _day(d["first_day"]), DAY),
            (w["last_day"], _day(d["last_day"]), DAY),
            (w["fair_days"], sum(1 for n in s["per_day"].values() if n), None),
            (w["total"], s["total"], None),
            (w["hot"], s["per_rating"]["hot"], None),
            (w["returning"], s["returning_visitors"], None),
            (w["followup_consent"], rate, PERCENT),
            (w["hot_in_time"], hot["in_time"], None),
            (w["made_at"], _local(d["made_at"], self.zone), MOMENT),
            (w["filters"], filters, None),
        ]
        for r, (label, value, fmt) in enumerate(rows, start=3):
            ws.cell(r, 1, label).font = BOLD
            cell = ws.cell(r, 2, _value(value))
            if isinstance(value, str):
                cell.data_type = "s"
            cell.alignment = Alignment(horizontal="left")
            if fmt:
                cell.number_format = fmt
        top = 3 + len(rows) + 1
        ws.cell(top, 1, w["laptops"]).font = BOLD
        devices = [
            [
                x["device"] or w["unknown"],
                x["leads"],
                x["changes"],
                _local(x["last_change"], self.zone),
            ]
            for x in d["devices"]
        ]
        head = [w["device"], w["captured"], w["changes"], w["last_change"]]
        last = self.table(ws, top + 1, head, devices, (None, None, None, MOMENT))
        ws.cell(last + 2, 1, w["aggregates"]).font = Font(italic=True)

    def days(self) -> None:
        ws, w = self.sheet("days"), self.w
        ws.column_dimensions["A"].width = 14
        rows = [[date.fromisoformat(day), n] for day, n in self.stats["per_day"].items()]
        last = self.table(ws, 1, [w["day"], w["leads"]], rows, (DAY, None))
        if rows:
            chart = self.chart(
                ws,
                title=w["title_days"],
                x_title=w["day"],
                y_title=w["leads"],
                header=1,
                last=last,
                text_categories=False,
            )
            chart.x_axis.number_format = DAY

    def hours(self) -> None:
        ws, w = self.sheet("hours"), self.w
        ws.column_dimensions["A"].width = 10
        rows = [[int(hour), n] for hour, n in self.stats["per_hour"].items()]
        last = self.table(ws, 1, [w["hour"], w["leads"]], rows, (HOUR, None))
        chart = self.chart(
            ws,
            title=w["title_hours"],
            x_title=w["hour"],
            y_title=w["leads"],
            header=1,
            labels=False,
            last=last,
            text_categories=False,
        )
        chart.x_axis.number_format = HOUR
        chart.width = 24

    def ranked_sheet(self, key: str, label: str, counts: dict, keep_order: bool = False) -> None:
        ws, w = self.sheet(key), self.w
        items = list(counts.items()) if keep_order else ranked(counts, w["other"])
        rows = [[str(name), n] for name, n in items]
        last = self.table(ws, 1, [w[label], w["leads"]], rows)
        if rows:
            self.chart(
                ws,
                title=w[f"title_{key}"],
                x_title=w[label],
                y_title=w["leads"],
                header=1,
                last=last,
                horizontal=True,
            )

    def consent(self) -> None:
        ws, w, s = self.sheet("consent"), self.w, self.stats
        rows = [
            [w[f"{p}_p"], s["consent_granted"][p], s["consent_rate"][p]]
            for p in model.CONSENT_PURPOSES
        ]
        last = self.table(
            ws, 1, [w["purpose"], w["granted"], w["rate"]], rows, (None, None, PERCENT)
        )
        if s["total"]:
            self.chart(
                ws,
                title=w["title_consent"],
                x_title=w["purpose"],
                y_title=w["rate"],
                header=1,
                last=last,
                values=(3, 3),
                horizontal=True,
                percent=True,
            )

    def answers(self) -> None:
        """One table and bar chart per choice question: leads per answer in the question's
        order, then those without an answer; question and choices in the report's language."""
        per_answer = self.stats.get("per_answer") or {}
        if not per_answer:
            return
        ws, w, lang = self.sheet("answers"), self.w, self.w["language"]
        asked = self.data.get("questions") or {}
        top = 1
        for name, counts in per_answer.items():
            question = asked.get(name) or {}
            label = (question.get("labels") or {}).get(lang) or name
            choices = {c["value"]: c.get(lang) or c["value"] for c in question.get("choices", [])}
            rows = [
                [w["no_answer"] if value == NO_ANSWER else choices.get(value, value), n]
                for value, n in counts.items()
            ]
            last = self.table(ws, top, [label, w["leads"]], rows)
            chart = self.chart(
                ws, title=f"{w['title_answers']}: {label}", x_title=w["answer"],
                y_title=w["leads"], header=top, last=last, horizontal=True,
            )  # fmt: skip
            top = max(last + 3, top + int(chart.height * 2) + 2)  # below the chart (~0.5 cm a row)

    def visits(self) -> None:
        ws, w = self.sheet("visits"), self.w
        rows = [[bucket, n] for bucket, n in self.data["visits"].items()]
        last = self.table(ws, 1, [w["visits"], w["leads"]], rows)
        ws.cell(last + 2, 1, w["returning"]).font = BOLD
        ws.cell(last + 2, 2, self.stats["returning_visitors"])
        self.chart(
            ws,
            title=w["title_visits"],
            x_title=w["visits"],
            y_title=w["leads"],
            header=1,
            last=last,
        )

    def followup(self) -> None:
        ws, w, d = self.sheet("followup"), self.w, self.data
        for letter in "EFG":
            ws.column_dimensions[letter].width = 14
        # 1. leads by status per owner (stacked bars), past 15 owners the rest summed up.
        # Leads nobody owns yet come last and stay out of the chart when others have owners:
        # after a fair they are most leads, and their bar would flatten everyone else's.
        owners = {o: v for o, v in d["status_per_owner"].items() if o is not None}
        shown = dict(ranked({name: sum(v.values()) for name, v in owners.items()}, w["other"]))
        rows = [[name, *owners[name].values()] for name in shown if name in owners]
        if len(rows) < len(shown):  # the "other" row
            rest = [v for name, v in owners.items() if name not in shown]
            rows.append([w["other"], *(sum(v[s] for v in rest) for s in model.STATUSES)])
        charted = len(rows)
        if None in d["status_per_owner"]:
            rows.append([w["nobody"], *d["status_per_owner"][None].values()])
        head = [w["owner"], *(w[f"{s}_s"] for s in model.STATUSES)]
        last = self.table(ws, 1, head, rows)
        anchor_col = get_column_letter(len(head) + 2)
        if rows:
            self.chart(
                ws,
                title=w["title_owner"],
                x_title=w["owner"],
                y_title=w["leads"],
                header=1,
                last=1 + (charted or len(rows)),
                values=(2, len(head)),
                horizontal=True,
                stacked=True,
                anchor=f"{anchor_col}1",
            )
        # 2. the funnel: leads that reached each stage
        top = max(last + 3, 20)
        rows = [[w[f"{stage}_s"], n] for stage, n in d["funnel"].items()]
        last = self.table(ws, top, [w["stage"], w["leads"]], rows)
        ws.cell(last + 1, 1, w["lost"]).font = BOLD
        ws.cell(last + 1, 2, d["lost"])
        self.chart(
            ws,
            title=w["title_funnel"],
            x_title=w["stage"],
            y_title=w["leads"],
            header=top,
            last=last,
            horizontal=True,
            anchor=f"{anchor_col}{top}",
        )
        # 3. service level per rating: contacted in time, late, not yet
        top = last + 14
        rows = [
            [w[f"{rating}_r"], row["days"], *(row[k] for k in SERVICE_KEYS)]
            for rating, row in d["service_level"].items()
        ]
        head = [w["rating"], w["days_allowed"], *(w[k] for k in SERVICE_KEYS)]
        last = self.table(ws, top, head, rows)
        self.chart(
            ws,
            title=w["title_service"],
            x_title=w["rating"],
            y_title=w["leads"],
            header=top,
            last=last,
            values=(3, len(head)),
            horizontal=True,
            stacked=True,
            anchor=f"{anchor_col}{top}",
        )


def _zone(name: str):
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(name)
    except Exception:
        return ZoneInfo("UTC")


def _value(value):
    if isinstance(value, str):
        return clean_xml(value)[:32767]
    return value


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _local(text: str | None, zone) -> datetime | None:
    """An ISO time as an Excel date-time (no zone) in the event's time zone."""
    if not text:
        return None
    return datetime.fromisoformat(text).astimezone(zone).replace(tzinfo=None)
