// Simple horizontal bar charts as SVG elements (no library, no markup parsed), with a text equivalent.

import { el } from "/shared/dom.js";
import { t } from "/shared/i18n.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

/**
 * A bar chart of `rows` ({label, value, second?}): one bar per row, a second red bar (refusals) when
 * given. The SVG is an image with an aria-label listing every value; the numbers are printed too.
 */
export function barChart(id, title, rows) {
  const width = 600;
  const labelWidth = 210;
  const rowHeight = rows.some((r) => r.second !== undefined) ? 30 : 22;
  const height = Math.max(rows.length, 1) * rowHeight + 8;
  const max = Math.max(1, ...rows.map((r) => Number(r.value)));
  const span = width - labelWidth - 60;
  const items = rows.map((r) => `${r.label} ${r.value}${r.second !== undefined ? ` / ${r.second}` : ""}`).join("；");
  const chart = svg("svg", {
    class: "bars",
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": t("chartLabel", { title, items: items || t("none") }),
  });
  rows.forEach((row, i) => {
    const y = 4 + i * rowHeight;
    const label = row.label.length > 28 ? `${row.label.slice(0, 27)}…` : row.label;
    chart.append(svg("text", { x: 0, y: y + 14 }, label));
    const w = Math.max(1, (Number(row.value) / max) * span);
    chart.append(svg("rect", { class: "bar", x: labelWidth, y, width: w, height: 14 }));
    chart.append(svg("text", { x: labelWidth + w + 4, y: y + 12 }, row.value));
    if (row.second !== undefined) {
      const w2 = Number(row.second) > 0 ? Math.max(1, (Number(row.second) / max) * span) : 0;
      chart.append(svg("rect", { class: "bar refused", x: labelWidth, y: y + 15, width: w2, height: 8 }));
    }
  });
  return el("div", { class: "chart", id }, el("h3", {}, title), chart);
}
