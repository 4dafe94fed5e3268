// A small SVG line chart: one series over time, its latest value and range in the title.
const NS = "http://www.w3.org/2000/svg";

export interface Point {
  t: number; // ms since epoch
  v: number;
}

export function lineChart(title: string, points: Point[], unit: string, max?: number): HTMLElement {
  const figure = document.createElement("figure");
  figure.className = "chart";
  const caption = document.createElement("figcaption");
  const last = points.length ? points[points.length - 1].v : undefined;
  caption.textContent = `${title}${last !== undefined ? `: ${format(last)}${unit}` : ": no data yet"}`;
  const w = 320;
  const hgt = 100;
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", `0 0 ${w} ${hgt}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${title} over time`);
  if (points.length > 1) {
    const t0 = points[0].t;
    const t1 = points[points.length - 1].t || t0 + 1;
    const top = max ?? Math.max(...points.map((p) => p.v), 1e-9) * 1.1;
    const x = (t: number) => ((t - t0) / Math.max(t1 - t0, 1)) * (w - 4) + 2;
    const y = (v: number) => hgt - 2 - (v / top) * (hgt - 4);
    const path = document.createElementNS(NS, "polyline");
    path.setAttribute("points", points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" "));
    path.setAttribute("class", "line");
    svg.appendChild(path);
    const axis = document.createElementNS(NS, "text");
    axis.setAttribute("x", "4");
    axis.setAttribute("y", "12");
    axis.setAttribute("class", "axis");
    axis.textContent = `${format(top)}${unit}`;
    svg.appendChild(axis);
  }
  figure.append(caption, svg);
  return figure;
}

function format(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2).replace(/\.?0+$/, "") || "0";
}
