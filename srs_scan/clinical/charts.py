"""The report's charts, drawn by ReportLab's graphics (LinePlot) as Drawings.

A Drawing goes into the PDF as it is and into the HTML as SVG (`svg`, via
ReportLab's renderSVG): no SVG is assembled by hand. Axes are fixed (0-40 for
totals, 0-10 for items) so that cut-off lines and the reliable-change band are
ReportLab shapes placed with the plot's own axis scale.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.graphics import renderSVG
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors

from srs_scan.clinical.report import SRS_ITEMS, ClientSeries

ORS_COLOUR = colors.HexColor("#1f5fa8")
SRS_COLOUR = colors.HexColor("#b8561b")
BAND_COLOUR = colors.HexColor("#dce8f5")


def _points(series: ClientSeries, values: Sequence[float | None]) -> list[tuple[float, float]]:
    return [(float(row.session), v) for row, v in zip(series.rows, values)
            if row.session is not None and v is not None]


def _x_range(series: ClientSeries) -> tuple[float, float]:
    numbers = [row.session for row in series.rows if row.session is not None] or [1]
    low, high = min(numbers), max(numbers)
    return float(low), float(max(high, low + 1))


def _plot(x: float, y: float, width: float, height: float, series: ClientSeries,
          top: float, step: float) -> LinePlot:
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = x, y, width, height
    low, high = _x_range(series)
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax, plot.xValueAxis.valueStep = low, high, 1
    plot.xValueAxis.labelTextFormat = "%d"
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax, plot.yValueAxis.valueStep = 0, top, step
    plot.xValueAxis.labels.fontSize = plot.yValueAxis.labels.fontSize = 7
    return plot


def _hline(d: Drawing, plot: LinePlot, value: float, top: float, colour, text: str,
           dash: Sequence[float] = (4, 3)) -> None:
    y = plot.y + plot.height * value / top
    d.add(Line(plot.x, y, plot.x + plot.width, y, strokeColor=colour, strokeWidth=0.8,
               strokeDashArray=list(dash)))
    if text:
        d.add(String(plot.x + plot.width + 3, y - 2.5, text, fontSize=6.5, fillColor=colour))


def totals_chart(series: ClientSeries, width: float = 460, height: float = 220) -> Drawing:
    """ORS and SRS totals by session, the ORS cut-off for the age band, the SRS cut-off, and a shaded
    band of +/- the RCI around the intake ORS."""
    d = Drawing(width, height)
    plot = _plot(34, 28, width - 140, height - 48, series, 40, 5)
    if series.intake_ors is not None:
        low = max(0.0, series.intake_ors - series.rci)
        high = min(40.0, series.intake_ors + series.rci)
        d.add(Rect(plot.x, plot.y + plot.height * low / 40, plot.width, plot.height * (high - low) / 40,
                   fillColor=BAND_COLOUR, strokeColor=None))
        d.add(String(plot.x + plot.width + 3, plot.y + plot.height * high / 40 - 2.5,
                     f"intake ORS +/- {series.rci:g}", fontSize=6.5, fillColor=colors.grey))
    data = [_points(series, [r.ors for r in series.rows]), _points(series, [r.srs for r in series.rows])]
    shown = [(pts, colour) for pts, colour in zip(data, (ORS_COLOUR, SRS_COLOUR)) if pts]
    if shown:
        plot.data = [pts for pts, _ in shown]
        for n, (_, colour) in enumerate(shown):
            plot.lines[n].strokeColor = colour
            plot.lines[n].strokeWidth = 1.6
            plot.lines[n].symbol = makeMarker("FilledCircle", size=4, fillColor=colour, strokeColor=colour)
    else:
        plot.data = [[(_x_range(series)[0], 0.0)]]
        plot.lines[0].strokeColor = None
    d.add(plot)
    _hline(d, plot, series.cutoff, 40, ORS_COLOUR, f"ORS cut-off {series.cutoff:g} ({series.band})")
    _hline(d, plot, series.srs_cutoff, 40, SRS_COLOUR, f"SRS cut-off {series.srs_cutoff:g}", (1, 2))
    d.add(String(plot.x, height - 12, "ORS", fontSize=8, fillColor=ORS_COLOUR, fontName="Helvetica-Bold"))
    d.add(String(plot.x + 26, height - 12, "SRS", fontSize=8, fillColor=SRS_COLOUR, fontName="Helvetica-Bold"))
    d.add(String(plot.x + 52, height - 12, "totals 0-40 by session", fontSize=8))
    d.add(String(plot.x + plot.width / 2, 6, "session", fontSize=7, textAnchor="middle"))
    return d


def srs_items_chart(series: ClientSeries, width: float = 460, height: float = 110) -> Drawing:
    """Small multiples: each SRS item (0-10) by session with the low-item line (default 9.0)."""
    d = Drawing(width, height)
    cell = width / len(SRS_ITEMS)
    for n, item in enumerate(SRS_ITEMS):
        plot = _plot(n * cell + 22, 20, cell - 32, height - 38, series, 10, 5)
        pts = _points(series, [r.srs_items[n] for r in series.rows])
        plot.data = [pts or [(_x_range(series)[0], 0.0)]]
        plot.lines[0].strokeColor = SRS_COLOUR if pts else None
        plot.lines[0].symbol = makeMarker("FilledCircle", size=3, fillColor=SRS_COLOUR, strokeColor=SRS_COLOUR)
        d.add(plot)
        _hline(d, plot, series.low_item, 10, colors.red, "")
        d.add(String(plot.x, height - 12, f"SRS {item}", fontSize=7.5))
    d.add(String(width - 4, 4, f"dashed: {series.low_item:g}", fontSize=6.5, textAnchor="end",
                 fillColor=colors.red))
    return d


def svg(drawing: Drawing) -> str:
    """The drawing as an inline <svg> element (renderSVG's text without its XML prologue)."""
    text = renderSVG.drawToString(drawing)
    return text[text.index("<svg"):]
