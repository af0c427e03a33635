// What the review page (review.js) and the session page (session.js) share: the access token and
// the API call, a stored sheet's picture and one line on it in the form frame. Plain JavaScript,
// loaded before either.
// Geometry: every SVG here uses the form frame in millimetres as its viewBox, so a click is turned
// into x_mm by the browser's own transform; the server recomputes the value from x_mm (it is the
// authority), the number shown while hovering is only a preview.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const TOKEN = takeToken();
let CSRF = "";              // from the first answer: proof that a change comes from this page
const LABEL_MM = 3.6;       // a candidate number's distance above the line
const LABEL_GAP_MM = 3.0;   // centre to centre of two candidate numbers: they never overlap

function takeToken() {
  // The printed link carries the token in its fragment (#token=...), which the browser never
  // sends anywhere. Keep it in this tab's sessionStorage (this port only), then take it out of
  // the address bar and the history entry.
  const found = location.hash.match(/token=([A-Za-z0-9_-]+)/);
  if (found) {
    sessionStorage.setItem("srs-token", found[1]);
    history.replaceState(null, "", location.pathname);
  }
  return sessionStorage.getItem("srs-token") || "";
}

function authorised(headers = {}) {
  return {"X-SRS-Token": TOKEN, ...headers};
}

async function api(path, body) {
  const options = body === undefined ? {headers: authorised()} : {
    method: "POST",
    headers: authorised({"Content-Type": "application/json", "X-CSRF-Token": CSRF}),
    body: JSON.stringify(body),
  };
  const response = await fetch(path, {credentials: "omit", cache: "no-store", ...options});
  const data = await response.json().catch(() => ({error: response.statusText}));
  if (!response.ok) throw Object.assign(new Error(data.error || response.statusText), {data});
  return data;
}

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

// A copy of Python's value formula (sheets/spec.py value_cm, review/decisions.py value_from_x);
// tests/test_value_formula.py runs this function in node and holds it equal to Python's.
function valueAt(xMm, ends, scaleMax, stepCm) {
  const v = scaleMax * (xMm - ends[0]) / (ends[1] - ends[0]);
  return Math.round(Math.min(scaleMax, Math.max(0, v)) / stepCm) * stepCm;
}

function drawItem(svg, item, {numbers, current}) {
  const y = item.y_mm;
  if (item.ends_mm) {
    for (const x of item.ends_mm) el("line", {x1: x, x2: x, y1: y - 3.2, y2: y + 3.2, class: "end"}, svg);
  }
  const box = svg.viewBox.baseVal;
  const at = numbers ? labelPlaces(item.candidates, box.x, box.x + box.width) : [];
  item.candidates.forEach((c, n) => {
    const g = el("g", {class: "cand" + (c.crossed_out || c.stray ? " crossed" : "")}, svg);
    el("circle", {cx: c.x_mm, cy: y, r: 2.2}, g);
    if (numbers) {
      if (Math.abs(at[n] - c.x_mm) > 0.3) {  // moved aside: a thin line leads to its mark
        el("line", {x1: at[n], y1: y - LABEL_MM + 0.4, x2: c.x_mm, y2: y - 2.2, class: "leader"}, g);
      }
      const t = el("text", {x: at[n], y: y - LABEL_MM, "text-anchor": "middle"}, g);
      t.textContent = String(n + 1);
    }
  });
  const d = item.decision;
  const value = d ? d.new_value : item.value_cm;
  if (current && value !== null && value !== undefined && item.ends_mm) {
    const x = item.ends_mm[0] + (item.ends_mm[1] - item.ends_mm[0]) * value / item.scale_max;
    el("line", {x1: x, x2: x, y1: y - 5, y2: y + 5, class: d ? "decided" : "read"}, svg);
  }
}

function labelPlaces(candidates, left, right) {
  // one row of numbers above the line, in the marks' order, each at least LABEL_GAP_MM from the
  // next (pushed right, then back left where the picture ends): close marks' numbers never overlap
  const order = candidates.map((c, n) => n).sort((a, b) => candidates[a].x_mm - candidates[b].x_mm);
  const xs = order.map((n) => candidates[n].x_mm);
  for (let i = 1; i < xs.length; i++) xs[i] = Math.max(xs[i], xs[i - 1] + LABEL_GAP_MM);
  const last = xs.length - 1;
  if (last >= 0) xs[last] = Math.min(xs[last], right - LABEL_GAP_MM / 2);
  for (let i = last - 1; i >= 0; i--) xs[i] = Math.min(xs[i], xs[i + 1] - LABEL_GAP_MM);
  if (xs.length) xs[0] = Math.max(xs[0], left + LABEL_GAP_MM / 2);
  const places = [];
  order.forEach((n, i) => { places[n] = xs[i]; });
  return places;
}

function drawSheetPicture(svg, page, box, url) {
  // the picture kept for the page (the sheet warped into the form frame), or a note that there is none
  svg.replaceChildren();
  svg.setAttribute("viewBox", box.join(" "));
  svg.style.aspectRatio = `${box[2]} / ${box[3]}`;
  el("rect", {x: box[0], y: box[1], width: box[2], height: box[3], class: "paper"}, svg);
  if (url) {
    el("image", {href: url, x: 0, y: 0, width: page.sheet_mm[0], height: page.sheet_mm[1],
                 preserveAspectRatio: "none"}, svg);
  } else {
    const t = el("text", {x: box[0] + box[2] / 2, y: box[1] + box[3] / 2, "text-anchor": "middle",
                          class: "nopic"}, svg);
    t.textContent = "no picture was kept for this page";
  }
}

function pointerMm(svg, event) {
  const p = svg.createSVGPoint();
  p.x = event.clientX; p.y = event.clientY;
  return p.matrixTransform(svg.getScreenCTM().inverse());
}

