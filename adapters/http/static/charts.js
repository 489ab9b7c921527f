// Hand-written SVG charts: nothing is fetched from outside the API at run time.
(() => {
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";

function svgEl(name, attrs, text) {
  const el = document.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// A value in a KPI catalogue entry's number format (GET /v1/kpis); anything else as a decimal.
function formatValue(format, v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (format === "percent") return (v * 100).toFixed(1) + "%";
  if (format === "seconds") return Math.round(v) + " s";
  if (format === "integer") return Math.round(v).toLocaleString();
  return v.toFixed(2);
}

// A line chart of one KPI (a catalogue entry) over [{x: "2026-10-05", y: number|null}],
// with an optional target line.
function lineChart(kpi, points, target) {
  const W = 300, H = 130, L = 44, R = 8, T = 22, B = 20;
  const title = kpi.label, format = kpi.number_format;
  const svg = svgEl("svg", {viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img",
                            "aria-label": title, "data-kpi": kpi.name});
  const data = points.filter((p) => p.y !== null && p.y !== undefined);
  svg.setAttribute("data-points", String(data.length));
  svg.appendChild(svgEl("text", {x: 4, y: 14, class: "chart-title"}, title));
  if (!data.length) {
    svg.appendChild(svgEl("text", {x: W / 2, y: H / 2 + 6, class: "empty", "text-anchor": "middle"}, "no data yet"));
    return svg;
  }
  const ys = data.map((p) => p.y).concat(target === null || target === undefined ? [] : [target]);
  let lo = Math.min(...ys), hi = Math.max(...ys);
  if (lo === hi) { lo -= 1; hi += 1; }
  const pad = (hi - lo) * 0.1; lo -= pad; hi += pad;
  if (lo < 0 && Math.min(...ys) >= 0) lo = 0;
  const n = points.length;
  const x = (i) => L + (n === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (n - 1));
  const y = (v) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
  for (const v of [lo, (lo + hi) / 2, hi]) {
    svg.appendChild(svgEl("line", {x1: L, x2: W - R, y1: y(v), y2: y(v), class: "grid"}));
    svg.appendChild(svgEl("text", {x: L - 4, y: y(v) + 4, class: "axis", "text-anchor": "end"}, formatValue(format, v)));
  }
  svg.appendChild(svgEl("text", {x: L, y: H - 4, class: "axis"}, points[0].x.slice(5)));
  svg.appendChild(svgEl("text", {x: W - R, y: H - 4, class: "axis", "text-anchor": "end"}, points[n - 1].x.slice(5)));
  if (target !== null && target !== undefined) {
    svg.appendChild(svgEl("line", {x1: L, x2: W - R, y1: y(target), y2: y(target), class: "target"}));
  }
  let path = "", pen = false;
  points.forEach((p, i) => {
    if (p.y === null || p.y === undefined) { pen = false; return; }
    path += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(p.y).toFixed(1)} `;
    pen = true;
  });
  svg.appendChild(svgEl("path", {d: path.trim(), class: "line"}));
  points.forEach((p, i) => {
    if (p.y === null || p.y === undefined) return;
    const dot = svgEl("circle", {cx: x(i), cy: y(p.y), r: 2.4, class: "dot"});
    dot.appendChild(svgEl("title", {}, `${p.x}: ${formatValue(format, p.y)}`));
    svg.appendChild(dot);
  });
  return svg;
}

// A horizontal bar for a share (0..1.5), e.g. goal attainment, with the 100% mark.
function attainmentBar(value) {
  const svg = svgEl("svg", {viewBox: "0 0 120 12", class: "bar-chart"});
  svg.appendChild(svgEl("rect", {x: 0, y: 2, width: 120, height: 8, class: "bar-bg", rx: 3}));
  if (value !== null && value !== undefined) {
    const w = Math.max(0, Math.min(value, 1.5)) / 1.5 * 120;
    svg.appendChild(svgEl("rect", {x: 0, y: 2, width: w, height: 8, rx: 3,
                                   class: value >= 1 ? "bar-good" : "bar-bad"}));
  }
  svg.appendChild(svgEl("line", {x1: 80, x2: 80, y1: 0, y2: 12, class: "bar-mark"}));
  return svg;
}

window.perfCharts = {lineChart, attainmentBar, formatValue};
})();
