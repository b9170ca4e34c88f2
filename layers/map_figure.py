"""Plotly map of the province: outlines, national roads, sites and cameras.

Two base layers, the same traces on both:
- tile-free (default): cartesian lon/lat axes with an equirectangular aspect correction,
  drawn as SVG. Needs no network, no WebGL, and every marker is a DOM node.
- tiles: MapLibre (``scattermap``) over the configured XYZ raster tile URL.

Contract: ``camera_map_figure`` is pure — it reads only its arguments. Camera traces
carry ``meta="camera"`` and ``customdata[0]`` = camera id, so callbacks and tests can
find them; other traces carry ``meta`` "province", "road" or "site".
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import plotly.graph_objects as go
from shapely.geometry import LineString, MultiLineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

KIND_COLOURS: Mapping[str, str] = {"violation": "#d62728", "anpr": "#1f77b4", "security": "#2ca02c"}
STATUS_COLOURS: Mapping[str, str] = {
    "online": "#2ca02c", "offline": "#d62728", "frozen": "#9467bd", "black": "#111111",
    "blurred": "#8c564b", "dark": "#7f7f7f", "occluded": "#e377c2", "view_shifted": "#ff7f0e",
    "unknown": "#aaaaaa",
}
SEA = "#dbe9f4"
LAND = "#f7f5ef"
CONTEXT_LAND = "#eceae4"


@dataclass(frozen=True, kw_only=True, slots=True)
class MapText:
    """Everything the figure shows in words, already translated by the caller."""

    kind_labels: Mapping[str, str]
    status_labels: Mapping[str, str]
    roads: str
    sites: str
    hover_kind: str
    hover_status: str
    hover_site: str
    hover_last_check: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Tiles:
    url: str
    attribution: str


def _line_coords(geom: BaseGeometry) -> tuple[list[float | None], list[float | None]]:
    """Exterior rings / lines as lon, lat lists separated by None (plotly's gap marker)."""
    lons: list[float | None] = []
    lats: list[float | None] = []

    def add(coords: object) -> None:
        for x, y in coords:  # type: ignore[attr-defined]
            lons.append(x)
            lats.append(y)
        lons.append(None)
        lats.append(None)

    parts: list[BaseGeometry]
    if isinstance(geom, (MultiPolygon, MultiLineString)):
        parts = list(geom.geoms)
    else:
        parts = [geom]
    for part in parts:
        if isinstance(part, Polygon):
            add(part.exterior.coords)
        elif isinstance(part, LineString):
            add(part.coords)
    return lons, lats


def _view(bounds: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    minx, miny, maxx, maxy = bounds
    padx, pady = max((maxx - minx) * 0.05, 0.02), max((maxy - miny) * 0.05, 0.02)
    return minx - padx, miny - pady, maxx + padx, maxy + pady


def _fit_zoom(x0: float, y0: float, x1: float, y1: float, canvas_px: float = 700.0) -> float:
    """Web-Mercator zoom at which the box spans about ``canvas_px`` (MapLibre: 512 px tiles)."""

    def merc_y(lat: float) -> float:
        return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))

    span = max(x1 - x0, merc_y(y1) - merc_y(y0), 1e-4)
    return max(1.0, min(17.0, math.log2(canvas_px * 360.0 / (512.0 * span))))


def _hover(df: pd.DataFrame, text: MapText) -> tuple[list[list[str]], str]:
    # Plotly renders hover templates as (a subset of) HTML: stored text is escaped so a
    # camera or site name can never inject markup.
    esc = html.escape
    custom = [
        [row.camera_id, esc(row.name), text.kind_labels.get(row.kind, row.kind),
         text.status_labels.get(row.status, row.status),
         esc(row.site_name) if isinstance(row.site_name, str) else "", row.last_check]
        for row in df.itertuples(index=False)
    ]
    template = (
        "<b>%{customdata[1]}</b><br>%{customdata[0]}<br>"
        f"{text.hover_kind}: %{{customdata[2]}}<br>"
        f"{text.hover_status}: %{{customdata[3]}}<br>"
        f"{text.hover_site}: %{{customdata[4]}}<br>"
        f"{text.hover_last_check}: %{{customdata[5]}}<extra></extra>"
    )
    return custom, template


def camera_map_figure(
    *,
    provinces: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    sites: pd.DataFrame,
    cameras: pd.DataFrame,
    color_by: str,
    text: MapText,
    focus: BaseGeometry | None = None,
    context: BaseGeometry | None = None,
    tiles: Tiles | None = None,
) -> go.Figure:
    """Build the map.

    ``cameras`` columns: camera_id, name, kind, status, site_name, lon, lat and
    ``last_check`` (already formatted for display). ``sites``: name, lon, lat.
    ``focus`` is the area to fit the view to (default: all provinces); ``context`` is
    drawn underneath on the tile-free base (the national outline).
    """
    if color_by not in ("kind", "status"):
        raise ValueError(f"color_by must be 'kind' or 'status', got {color_by!r}")
    on_tiles = tiles is not None
    Scatter = go.Scattermap if on_tiles else go.Scatter
    xy = ("lon", "lat") if on_tiles else ("x", "y")
    traces: list[go.BaseTraceType] = []
    if context is not None and not on_tiles:
        lons, lats = _line_coords(context)
        traces.append(go.Scatter(x=lons, y=lats, mode="lines", fill="toself", fillcolor=CONTEXT_LAND,
                                 line={"color": "#c3c7cc", "width": 0.6}, hoverinfo="skip",
                                 showlegend=False, meta="context"))

    for row in provinces.itertuples(index=False):
        lons, lats = _line_coords(row.geometry)
        traces.append(Scatter(**{xy[0]: lons, xy[1]: lats}, mode="lines", fill="toself",
                              fillcolor="rgba(247,245,239,0.55)" if on_tiles else LAND,
                              line={"color": "#8a7f6a", "width": 1.2}, name=row.name,
                              hoverinfo="skip", showlegend=False, meta="province"))
    road_lons: list[float | None] = []
    road_lats: list[float | None] = []
    for geom in roads.geometry:
        lons, lats = _line_coords(geom)
        road_lons += lons
        road_lats += lats
    traces.append(Scatter(**{xy[0]: road_lons, xy[1]: road_lats}, mode="lines", name=text.roads,
                          line={"color": "#e08a2c", "width": 1.5}, hoverinfo="skip", meta="road"))
    if not sites.empty:
        traces.append(Scatter(**{xy[0]: sites["lon"], xy[1]: sites["lat"]}, mode="markers", name=text.sites,
                              marker={"size": 5, "color": "#555555", "symbol": "circle" if on_tiles else "square"},
                              text=[html.escape(n) for n in sites["name"]], hovertemplate="%{text}<extra></extra>",
                              meta="site",
                              visible="legendonly"))

    labels = text.kind_labels if color_by == "kind" else text.status_labels
    colours = KIND_COLOURS if color_by == "kind" else STATUS_COLOURS
    # Draw order: for kinds the first label ends on top (violation cameras); for status the
    # healthy majority goes underneath so every fault stays visible.
    order = list(labels) if color_by == "status" else list(reversed(list(labels)))
    for key in order:
        part = cameras[cameras[color_by] == key]
        if part.empty:
            continue
        custom, template = _hover(part, text)
        traces.append(Scatter(**{xy[0]: part["lon"], xy[1]: part["lat"]}, mode="markers",
                              name=f"{labels[key]} ({len(part)})", customdata=custom, hovertemplate=template,
                              marker={"size": 9, "color": colours.get(key, "#444444"),
                                      "line": {"width": 0.8, "color": "#ffffff"}} if not on_tiles
                              else {"size": 10, "color": colours.get(key, "#444444")},
                              meta="camera"))

    area = focus if focus is not None and not focus.is_empty else provinces.geometry.union_all()
    x0, y0, x1, y1 = _view(area.bounds)
    fig = go.Figure(traces)
    fig.update_layout(
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        legend={"orientation": "h", "traceorder": "reversed", "yanchor": "bottom", "y": 0.01, "xanchor": "left", "x": 0.01,
                "bgcolor": "rgba(255,255,255,0.85)"},
        clickmode="event",
        hovermode="closest",
        uirevision=f"{x0:.3f},{y0:.3f},{x1:.3f},{y1:.3f}",
    )
    if on_tiles:
        fig.update_layout(map={
            "style": "white-bg",
            "center": {"lon": (x0 + x1) / 2, "lat": (y0 + y1) / 2},
            "zoom": _fit_zoom(x0, y0, x1, y1),
            "layers": [{"sourcetype": "raster", "source": [tiles.url], "below": "traces",
                        "sourceattribution": tiles.attribution}],
        })
    else:
        mid_lat = (y0 + y1) / 2
        fig.update_layout(plot_bgcolor=SEA, paper_bgcolor=SEA)
        # constrain="range": the canvas is filled by widening whichever range is short,
        # keeping the equirectangular aspect.
        fig.update_xaxes(range=[x0, x1], visible=False, constrain="range")
        fig.update_yaxes(range=[y0, y1], visible=False, scaleanchor="x",
                         scaleratio=1.0 / math.cos(math.radians(mid_lat)), constrain="range")
    return fig
