"""Server-side SVG charts: no JavaScript library, no internet, readable in print (patterns and dash styles, not only
colour), accessible (role="img" with <title>/<desc>; every chart has a data table on the same page).

Only SVG presentation attributes are used (fill=, stroke=, font-size=), never style= (CSP).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from wir_portal.money import format_eur

FONT = "Helvetica, Arial, sans-serif"
INK = "#212529"
GRID = "#adb5bd"
BLUE = "#003a70"
MID_BLUE = "#5b8ac4"


def _fmt_mio(value: Decimal | float) -> str:
    """Axis labels: 10,05 Mio. € / 250.000 €."""
    value = Decimal(str(value))
    if abs(value) >= 1_000_000:
        text = f"{value / 1_000_000:.2f}".rstrip("0").rstrip(".").replace(".", ",")
        return f"{text} Mio. €"
    return format_eur(value).replace(",00 €", " €")


def _nice_step(maximum: float, ticks: int = 5) -> float:
    if maximum <= 0:
        return 1.0
    raw = maximum / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _svg_open(chart_id: str, width: int, height: int, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" font-family="{FONT}" font-size="14" '
        f'fill="{INK}">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
    ]


@dataclass(frozen=True)
class Bar:
    label: str
    paid: Decimal
    committed: Decimal
    allocation: Decimal


def stacked_bars(bars: Sequence[Bar], *, chart_id: str, title: str, table_hint: str = "") -> SafeString:
    """Horizontal stacked bar per funding line: paid | committed but not yet paid | still available.

    The bar's full length is the allocation (or the committed sum, if more was committed than allocated)."""
    width, label_w, right_w = 960, 360, 140
    bar_h, gap, top = 22, 14, 52
    plot_w = width - label_w - right_w
    height = top + len(bars) * (bar_h + gap) + 30
    maximum = max([float(max(b.allocation, b.committed)) for b in bars] + [1.0])
    scale = plot_w / maximum
    desc_parts = [
        f"{b.label}: Mittelansatz {format_eur(b.allocation)}, gebunden {format_eur(b.committed)}, "
        f"ausgezahlt {format_eur(b.paid)}" for b in bars
    ]
    desc = "Je Förderbereich: ausgezahlte, gebundene und noch verfügbare Mittel. " + "; ".join(desc_parts) + ". " + table_hint
    out = _svg_open(chart_id, width, height, title, desc)
    pid = f"{chart_id}-hatch"
    out.append(
        f'<defs><pattern id="{pid}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#dbe6f3"/><line x1="0" y1="0" x2="0" y2="6" stroke="{MID_BLUE}" '
        f'stroke-width="3"/></pattern></defs>'
    )
    # Legend
    legend = [("ausgezahlt", f'fill="{BLUE}"'), ("gebunden, noch nicht ausgezahlt", f'fill="url(#{pid})"'),
              ("noch verfügbar", 'fill="#ffffff" stroke="#495057"')]
    x = label_w
    for text, attrs in legend:
        out.append(f'<rect x="{x}" y="12" width="16" height="16" {attrs}/>')
        out.append(f'<text x="{x + 22}" y="25">{escape(text)}</text>')
        x += 22 + len(text) * 7 + 28
    for i, b in enumerate(bars):
        y = top + i * (bar_h + gap)
        paid = float(min(b.paid, b.committed))
        committed_only = float(max(b.committed - b.paid, 0))
        available = float(max(b.allocation - b.committed, 0))
        label = b.label if len(b.label) <= 44 else b.label[:42] + "…"
        out.append(f'<text x="{label_w - 8}" y="{y + bar_h / 2 + 5:.1f}" text-anchor="end">{escape(label)}</text>')
        x = float(label_w)
        for value, attrs in ((paid, f'fill="{BLUE}"'), (committed_only, f'fill="url(#{pid})"'),
                             (available, 'fill="#ffffff" stroke="#495057"')):
            w = value * scale
            if w > 0:
                out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" {attrs}/>')
            x += w
        share = f"{(b.committed * 100 / b.allocation):.0f} % gebunden".replace(".", ",") if b.allocation else "kein Ansatz"
        out.append(f'<text x="{x + 8:.1f}" y="{y + bar_h / 2 + 5:.1f}">{escape(share)}</text>')
    axis_y = top + len(bars) * (bar_h + gap) - gap + 6
    out.append(f'<line x1="{label_w}" y1="{top - 4}" x2="{label_w}" y2="{axis_y}" stroke="{INK}"/>')
    out.append("</svg>")
    return mark_safe("".join(out))


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[Decimal | int | None]
    stroke: str
    dash: str = ""
    marker: str = "circle"  # circle | square | none


def trend_lines(years: Sequence[int], series: Sequence[Series], *, chart_id: str, title: str, table_hint: str = "",
                value_format: Callable = _fmt_mio, desc_format: Callable = format_eur) -> SafeString:
    """Line chart across years; each series distinguishable by dash pattern and marker as well as colour."""
    width, height = 960, 380
    left, right, top, bottom = 110, 20, 56, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [float(v) for s in series for v in s.values if v is not None]
    step = _nice_step(max(values + [0.0]))
    maximum = step * max(1, math.ceil(max(values + [0.0]) / step))
    n = max(len(years) - 1, 1)

    def px(i: int) -> float:
        return left + plot_w * i / n

    def py(v: float) -> float:
        return top + plot_h - plot_h * v / maximum

    desc_parts = []
    for s in series:
        points = ", ".join(f"{y}: {desc_format(v)}" for y, v in zip(years, s.values, strict=True) if v is not None)
        desc_parts.append(f"{s.label} – {points}")
    out = _svg_open(chart_id, width, height, title, "; ".join(desc_parts) + ". " + table_hint)
    # Grid and y axis
    tick = 0.0
    while tick <= maximum + 1e-9:
        y = py(tick)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}" stroke-width="0.6"/>')
        out.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{escape(value_format(Decimal(str(tick))))}</text>')
        tick += step
    for i, year in enumerate(years):
        out.append(f'<text x="{px(i):.1f}" y="{height - bottom + 20}" text-anchor="middle">{year}</text>')
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="{INK}"/>')
    # Legend
    x = left
    for s in series:
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        out.append(f'<line x1="{x}" y1="22" x2="{x + 34}" y2="22" stroke="{s.stroke}" stroke-width="3"{dash}/>')
        out.append(_marker(s, x + 17, 22))
        out.append(f'<text x="{x + 40}" y="27">{escape(s.label)}</text>')
        x += 40 + len(s.label) * 7 + 30
    # Lines
    for s in series:
        pts = [(px(i), py(float(v))) for i, v in enumerate(s.values) if v is not None]
        if not pts:
            continue
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{s.stroke}" stroke-width="2.5"{dash}/>')
        out.extend(_marker(s, x, y) for x, y in pts)
    out.append("</svg>")
    return mark_safe("".join(out))


def _marker(s: Series, x: float, y: float) -> str:
    if s.marker == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{s.stroke}"/>'
    if s.marker == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="#ffffff" stroke="{s.stroke}" stroke-width="2"/>'
    return ""


def count_format(value) -> str:
    return f"{int(value):,}".replace(",", ".")


# --- The report's charts ---------------------------------------------------------------------------------------


def overview_chart(overview, chart_id: str = "chart-lines"):
    bars = [Bar(label=r.name, paid=r.paid, committed=r.committed, allocation=r.allocation) for r in overview.rows]
    return stacked_bars(bars, chart_id=chart_id, title=f"Mittel je Förderbereich {overview.year}",
                               table_hint="Alle Werte stehen auch in der Tabelle „Förderbereiche“.")


def trend_charts(rows, chart_prefix: str = "chart-trend"):
    years = [r.year for r in rows]
    money_chart = trend_lines(
        years,
        [
            Series("Programmvolumen", [r.volume for r in rows], stroke="#212529", dash="8 5", marker="none"),
            Series("Mittelansätze", [r.allocation for r in rows], stroke="#6c757d", dash="3 4", marker="square"),
            Series("Gebunden", [r.committed for r in rows], stroke="#003a70", marker="circle"),
            Series("Ausgezahlt", [r.paid for r in rows], stroke="#b35900", dash="12 4 3 4", marker="square"),
        ],
        chart_id=f"{chart_prefix}-money", title="Mittel je Programmjahr",
        table_hint="Alle Werte stehen auch in der Tabelle „Programmjahre“.",
    )
    count_chart = trend_lines(
        years,
        [
            Series("Eingegangen", [r.received for r in rows], stroke="#003a70", marker="circle"),
            Series("Bewilligt", [r.approved for r in rows], stroke="#1e6b34", dash="8 4", marker="square"),
            Series("Abgelehnt", [r.rejected for r in rows], stroke="#a4161a", dash="3 3", marker="circle"),
        ],
        chart_id=f"{chart_prefix}-counts", title="Anträge je Programmjahr",
        table_hint="Alle Werte stehen auch in der Tabelle „Programmjahre“.",
        value_format=count_format, desc_format=count_format,
    )
    return money_chart, count_chart


def simple_bars(items: Sequence[tuple[str, Decimal]], *, chart_id: str, title: str, intro: str,
                table_hint: str = "") -> SafeString:
    """One horizontal bar per item (label, amount), labelled with the amount."""
    width, label_w, right_w = 960, 300, 160
    bar_h, gap, top = 18, 8, 12
    plot_w = width - label_w - right_w
    height = top + len(items) * (bar_h + gap) + 10
    maximum = max([float(v) for _, v in items] + [1.0])
    desc = intro + " " + "; ".join(f"{label}: {format_eur(v)}" for label, v in items) + ". " + table_hint
    out = _svg_open(chart_id, width, height, title, desc)
    for i, (label, value) in enumerate(items):
        y = top + i * (bar_h + gap)
        w = float(value) * plot_w / maximum
        out.append(f'<text x="{label_w - 8}" y="{y + bar_h / 2 + 5:.1f}" text-anchor="end">{escape(label)}</text>')
        out.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{BLUE}"/>')
        out.append(f'<text x="{label_w + w + 8:.1f}" y="{y + bar_h / 2 + 5:.1f}">{escape(format_eur(value))}</text>')
    out.append(f'<line x1="{label_w}" y1="{top - 4}" x2="{label_w}" y2="{height - 6}" stroke="{INK}"/>')
    out.append("</svg>")
    return mark_safe("".join(out))


def regions_chart(regions, chart_id: str = "chart-districts"):
    """Committed money per district (largest first); districts without commitments are left out (and said so)."""
    items = sorted(((d.name, d.committed) for d in regions.districts if d.committed > 0), key=lambda x: -x[1])
    if not items:
        return None
    return simple_bars(items, chart_id=chart_id, title="Gebundene Mittel je Landkreis / Stadt",
                       intro="Gebundene Mittel je Landkreis bzw. Stadt, größte zuerst; ohne Landkreise und Städte "
                             "ohne gebundene Mittel.",
                       table_hint="Alle Werte stehen auch in der Tabelle „Landkreise, kreisfreie Städte und "
                                  "Sonderstatusstädte“.")
