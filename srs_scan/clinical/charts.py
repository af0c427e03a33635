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


MAX_SESSION_TICKS = 12  # more session numbers than this on the axis are labelled every 2nd, 5th, ...
MARKER_SIZE = 4         # a point marker on every value: a client with one session still shows it


def _sessions(series: ClientSeries) -> list[int]:
    return [row.session for row in series.rows if row.session is not None] or [1]


def _x_range(series: ClientSeries) -> tuple[float, float]:
    """Half a session beyond the first and the last, so no point sits on the axis or the edge."""
    numbers = _sessions(series)
    return min(numbers) - 0.5, max(numbers) + 0.5


def _x_ticks(series: ClientSeries) -> list[int]:
    """Whole session numbers only (never 1.5), every one while they fit, else every 2nd, 5th, 10th."""
    numbers = _sessions(series)
    low, high = min(numbers), max(numbers)
    step = next((s for s in (1, 2, 5, 10, 20, 50, 100, 500, 1000) if (high - low) / s < MAX_SESSION_TICKS),
                10000)
    return list(range(low - low % step if low % step else low, high + 1, step)) or [low]


def _plot(x: float, y: float, width: float, height: float, series: ClientSeries,
          top: float, step: float) -> LinePlot:
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = x, y, width, height
    low, high = _x_range(series)
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = low, high
    plot.xValueAxis.valueSteps = [t for t in _x_ticks(series) if low <= t <= high]
    plot.xValueAxis.labelTextFormat = "%d"
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax, plot.yValueAxis.valueStep = 0, top, step
    plot.xValueAxis.labels.fontSize = plot.yValueAxis.labels.fontSize = 7
    return plot


LABEL_GAP = 8.0  # points between two labels right of the plot: they never overlap


def _hline(d: Drawing, plot: LinePlot, value: float, top: float, colour,
           dash: Sequence[float] = (4, 3)) -> None:
    y = plot.y + plot.height * value / top
    d.add(Line(plot.x, y, plot.x + plot.width, y, strokeColor=colour, strokeWidth=0.8,
               strokeDashArray=list(dash)))


def _side_labels(d: Drawing, plot: LinePlot, labels: list[tuple[float, str, object]], top: float) -> None:
    """Labels right of the plot at their values' heights (value, text, colour), moved apart where
    two would overlap (a cut-off at the edge of the intake band), kept in value order."""
    labels = sorted(labels)
    ys = [plot.y + plot.height * value / top - 2.5 for value, _, _ in labels]
    for n in range(1, len(ys)):
        ys[n] = max(ys[n], ys[n - 1] + LABEL_GAP)
    for y, (_, text, colour) in zip(ys, labels):
        d.add(String(plot.x + plot.width + 3, y, text, fontSize=6.5, fillColor=colour))


def _markers(plot: LinePlot, n: int, colour, size: float) -> None:
    """A filled circle on every point of line `n`: LinePlot draws no line through a single point."""
    plot.lines[n].symbol = makeMarker("FilledCircle", size=size, fillColor=colour, strokeColor=colour)


def totals_chart(series: ClientSeries, width: float = 460, height: float = 220) -> Drawing:
    """ORS and SRS totals by session, the ORS cut-off for the age band, the SRS cut-off, and a shaded
    band of +/- the RCI around the intake ORS."""
    d = Drawing(width, height)
    plot = _plot(34, 28, width - 140, height - 48, series, 40, 5)
    labels = [(series.cutoff, f"ORS cut-off {series.cutoff:g} ({series.band})", ORS_COLOUR),
              (series.srs_cutoff, f"SRS cut-off {series.srs_cutoff:g}", SRS_COLOUR)]
    if series.intake_ors is not None:
        low = max(0.0, series.intake_ors - series.rci)
        high = min(40.0, series.intake_ors + series.rci)
        d.add(Rect(plot.x, plot.y + plot.height * low / 40, plot.width, plot.height * (high - low) / 40,
                   fillColor=BAND_COLOUR, strokeColor=None))
        labels.append((high, f"intake ORS +/- {series.rci:g}", colors.grey))
    data = [_points(series, [r.ors for r in series.rows]), _points(series, [r.srs for r in series.rows])]
    shown = [(pts, colour) for pts, colour in zip(data, (ORS_COLOUR, SRS_COLOUR)) if pts]
    if shown:
        plot.data = [pts for pts, _ in shown]
        for n, (_, colour) in enumerate(shown):
            plot.lines[n].strokeColor = colour
            plot.lines[n].strokeWidth = 1.6
            _markers(plot, n, colour, MARKER_SIZE)
    else:
        plot.data = [[(_x_range(series)[0], 0.0)]]
        plot.lines[0].strokeColor = None
    d.add(plot)
    _hline(d, plot, series.cutoff, 40, ORS_COLOUR)
    _hline(d, plot, series.srs_cutoff, 40, SRS_COLOUR, (1, 2))
    _side_labels(d, plot, labels, 40)
    d.add(String(plot.x, height - 12, "ORS", fontSize=8, fillColor=ORS_COLOUR))
    d.add(String(plot.x + 22, height - 12, "SRS", fontSize=8, fillColor=SRS_COLOUR))
    d.add(String(plot.x + 44, height - 12, "totals 0-40 by session", fontSize=8))
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
        if pts:
            _markers(plot, 0, SRS_COLOUR, MARKER_SIZE - 1)
        d.add(plot)
        _hline(d, plot, series.low_item, 10, colors.red)
        d.add(String(plot.x, height - 12, f"SRS {item}", fontSize=7.5))
    d.add(String(width - 4, height - 12, f"dashed: {series.low_item:g}", fontSize=6.5, textAnchor="end",
                 fillColor=colors.red))
    return d


def svg(drawing: Drawing) -> str:
    """The drawing as an inline <svg> element (renderSVG's text without its XML prologue)."""
    text = renderSVG.drawToString(drawing)
    return text[text.index("<svg"):]
