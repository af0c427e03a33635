// srs-scan review page. Plain JavaScript, no build step. Drawing a sheet's line and turning a click
// into millimetres is shared.js's (loaded first; the session page uses it too).
"use strict";

const KEEP_SHEETS = 8;      // sheet pictures kept in memory (never in the browser's disk cache)
const PRELOAD_AHEAD = 3;    // entries whose sheets are fetched before they are shown
const ZOOMS = [1, 1.5, 2, 3];  // whole-page view sizes
const NAME_KEY = "srs-reviewer";  // the reviewer's name, remembered on this computer
const PAGE_ACTIONS = ["accept", "not_a_form", "drop", "no_answer"];
const WHOLE_PAGE_OUTCOMES = ["not_a_form", "drop"];

const state = {
  pages: {}, entries: [], index: 0, busy: false, pageView: false, noteFor: null, zoom: 0, identityFor: null,
  reviewer: localStorage.getItem(NAME_KEY) || "",
  sheets: new Map(),        // page key -> Promise<object URL>
};

const $ = (id) => document.getElementById(id);

function words(code) { return code.replaceAll("_", " "); }

function fmt(value) {
  return value === null || value === undefined ? "no answer" : `${value.toFixed(1)} cm`;
}

// ------------------------------------------------------------------ data

function sheetUrl(page) {
  if (!page.has_sheet) return Promise.resolve(null);
  if (!state.sheets.has(page.key)) {
    const url = fetch(`/sheet/${page.key}.jpg`, {credentials: "omit", cache: "no-store", headers: authorised()})
      .then((r) => (r.ok ? r.blob() : null))
      .then((blob) => (blob ? URL.createObjectURL(blob) : null));
    state.sheets.set(page.key, url);
    while (state.sheets.size > KEEP_SHEETS) {
      const [oldest, promise] = state.sheets.entries().next().value;
      state.sheets.delete(oldest);
      promise.then((u) => u && URL.revokeObjectURL(u));
    }
  }
  return state.sheets.get(page.key);
}

function entry() { return state.entries[state.index]; }
function pageOf(e) { return state.pages[e.page_key]; }
function itemOf(e) {
  return identifying(e) ? null : pageOf(e).items.find((i) => i.item_id === e.item_id) || null;
}
// a sheet without a client code (after the flagged items): only its identity is typed here
function identifying(e) { return Boolean(e) && e.kind === "identify"; }

function settle(page) {
  // after a decision: the server's view of the page replaces ours, entries follow it
  state.pages[page.key] = page;
  for (const e of state.entries) {
    if (e.page_key !== page.key) continue;
    if (identifying(e)) {  // as the server's identity_queue: a client code typed, or the page left out
      e.settled = Boolean(page.client_code) || WHOLE_PAGE_OUTCOMES.includes(page.outcome);
      continue;
    }
    // as the server's is_settled: a later mark undoes "not a form" (page.outcome says what counts)
    const item = page.items.find((i) => i.item_id === e.item_id);
    e.settled = e.item_id === "" ? Boolean(page.outcome)
      : Boolean(item && item.decision) || WHOLE_PAGE_OUTCOMES.includes(page.outcome);
  }
}

function nextOpen(from) {
  const n = state.entries.length;
  for (let step = 1; step <= n; step++) {
    const i = (from + step) % n;
    if (!state.entries[i].settled) return i;
  }
  return -1;
}

// ------------------------------------------------------------------ drawing

async function drawSheet(svg, page, box) {
  drawSheetPicture(svg, page, box, await sheetUrl(page));
}

async function showFields(e) {
  // where the client code, session and date are written on the sheet (the whole page without fields)
  const page = pageOf(e);
  await drawSheet($("crop"), page, page.fields_mm || [0, 0, ...(page.sheet_mm || [180, 250])]);
}

async function showCrop(e) {
  const page = pageOf(e), item = itemOf(e), svg = $("crop");
  await drawSheet(svg, page, item.crop_mm);
  if (entry() !== e) return;  // moved on while the picture loaded
  drawItem(svg, item, {numbers: true, current: true});
  el("line", {x1: -10, x2: -10, y1: item.crop_mm[1], y2: item.crop_mm[1] + item.crop_mm[3],
              class: "hair", id: "hair"}, svg);
}

async function showPage(page, highlight) {
  const svg = $("page-svg");
  const box = [0, 0, ...(page.sheet_mm || [180, 250])];
  svg.style.setProperty("--zoom", ZOOMS[state.zoom]);
  $("zoom-level").textContent = `${Math.round(ZOOMS[state.zoom] * 100)} %`;
  await drawSheet(svg, page, box);
  for (const item of page.items) {
    if (item.y_mm === null) continue;
    drawItem(svg, item, {numbers: false, current: true});
    const d = item.decision, value = d ? d.new_value : item.value_cm;
    const label = el("text", {x: box[2] - 2, y: item.y_mm - 7, "text-anchor": "end",
                              class: "label" + (item.item_id === highlight ? " here" : "")}, svg);
    label.textContent = `${item.heading}: ${item.flags.length && !d ? "flagged" : fmt(value)}${d ? " ✓" : ""}`;
  }
}

// ------------------------------------------------------------------ screens

function render() {
  const open = state.entries.filter((e) => !e.settled).length;
  const total = state.entries.length;
  const noCode = state.entries.filter((e) => identifying(e) && !e.settled).length;
  $("who").textContent = state.reviewer ? `Reviewer: ${state.reviewer}` : "";
  if (!total || state.index < 0) {
    $("progress").textContent = total ? `all ${total} done` : "nothing was flagged";
    $("item").hidden = true; $("page-view").hidden = true; $("done").hidden = false;
    return;
  }
  $("done").hidden = true;
  $("progress").textContent = `${state.index + 1} of ${total} · ${open} left`
    + (noCode ? ` · ${noCode} sheet${noCode === 1 ? "" : "s"} without a client code` : "");
  const e = entry(), page = pageOf(e), item = itemOf(e), ident = identifying(e);
  if (state.noteFor !== state.index) { $("note").value = ""; state.noteFor = state.index; }  // a note is for one item
  $("sheet-id").textContent = `Sheet ${page.serial || "(no code)"}`;
  $("client").textContent = page.client_code ? `Client ${page.client_code}` : "";
  $("session").textContent = page.session ? `Session ${page.session}` : "";
  $("source").textContent = `${page.file}, page ${page.page}`;
  renderIdentity(page, ident);
  $("heading").textContent = ident ? "Whose sheet is this?" : item ? item.heading : "The whole page";
  $("prompt").textContent = item ? item.prompt : "";
  $("reason").textContent = e.reason + (page.flags.length && item ? ` (page: ${page.flags.join(", ")})` : "");
  const d = ident ? null : item ? item.decision : page.decision;
  const marked = WHOLE_PAGE_OUTCOMES.includes(page.outcome) ? `The page is marked ${words(page.outcome)}. ` : "";
  $("status").textContent = d
    ? `Decided by ${d.reviewer}: ${words(d.action)}${item ? ", " + fmt(d.new_value) : ""}. ${marked}`
      + "Any new decision is added to the audit trail."
    : marked;
  $("item").hidden = false;
  $("item").classList.toggle("settled", ident ? e.settled : Boolean(d));
  $("drop").hidden = !page.flags.includes("duplicate_sheet");
  for (const b of document.querySelectorAll("[data-action]")) b.classList.toggle("off", ident);
  $("note-line").hidden = ident;  // the decisions on a page are made at its flagged entries
  const showWhole = state.pageView || (!item && !ident);
  $("figure").hidden = showWhole;
  $("page-view").hidden = !showWhole;
  renderCandidates(item);
  if (showWhole) showPage(page, e.item_id); else if (ident) showFields(e); else showCrop(e);
  for (let k = 1; k <= PRELOAD_AHEAD; k++) {
    const ahead = state.entries[state.index + k];
    if (ahead) sheetUrl(pageOf(ahead));
  }
}

function renderIdentity(page, ident) {
  // a sheet printed blank: a person types its client code, session and date (checked on the server)
  $("identity").hidden = !ident && Boolean(page.client_code) && !page.identity_typed;
  const key = `${page.key}/${ident}`;
  if (state.identityFor === key) return;  // keep what is being typed
  state.identityFor = key;
  $("id-code").value = page.client_code || "";
  $("id-session").value = page.session || "";
  $("id-date").value = page.date || "";
  if (ident && !page.client_code) $("id-code").focus();  // Tab to the next field, Enter saves
}

async function saveIdentity(event) {
  event.preventDefault();
  if (!state.reviewer) { askName(); return; }
  const e = entry(); if (!e || state.index < 0) return;
  const page = pageOf(e);
  try {
    const out = await api("/api/identity", {hash: page.hash, page: page.page, reviewer: state.reviewer,
                                            client_code: $("id-code").value.trim(),
                                            session: $("id-session").value.trim(),
                                            date: $("id-date").value});
    settle(out.page);
    if (document.activeElement) document.activeElement.blur();  // the shortcuts work again
    state.identityFor = null;
    if (identifying(e)) { state.index = nextOpen(state.index); state.pageView = false; }
    render();
    flash(`Saved: client ${out.page.client_code}, session ${out.page.session}`
          + `${out.page.date ? ", " + out.page.date : ""} (sheet ${out.page.serial || "?"}).`);
  } catch (err) {
    flash(`Not saved: ${err.message}`, true);
  }
}

function suggested(item) {
  if (!item || !item.candidates.length) return -1;
  // never a mark the reader judged crossed out or stray ink
  const live = (c) => !c.crossed_out && !c.stray;
  const good = item.candidates.findIndex((c) => live(c) && c.touches_line);
  return good >= 0 ? good : item.candidates.findIndex(live);
}

function renderCandidates(item) {
  const box = $("candidates");
  box.replaceChildren();
  if (!item || !item.candidates.length) return;
  const best = suggested(item);
  item.candidates.forEach((c, n) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "cand-btn" + (n === best ? " best" : "") + (c.crossed_out || c.stray ? " crossed" : "");
    const kbd = document.createElement("kbd"); kbd.textContent = String(n + 1);
    b.append(kbd, ` ${c.value_cm.toFixed(1)} cm · ${c.kind}${c.crossed_out ? " · crossed out" : ""}`
      + `${c.stray ? " · stray ink, no mark" : ""}`
      + `${c.touches_line ? "" : " · off the line"}`);
    b.addEventListener("click", () => decide({action: "candidate", candidate: n}));
    box.appendChild(b);
  });
}

// ------------------------------------------------------------------ actions

async function decide(what) {
  if (state.busy || state.index < 0) return;
  if (!state.reviewer) { askName(); return; }
  const e = entry(), page = pageOf(e);
  if (identifying(e)) return;  // its page's decisions are made at its flagged entries
  if (!PAGE_ACTIONS.includes(what.action) && !e.item_id) return;  // a mark needs an item
  state.busy = true;
  document.body.classList.add("busy");
  try {
    const out = await api("/api/decide", {hash: page.hash, page: page.page, item_id: e.item_id,
                                          reviewer: state.reviewer, note: $("note").value.trim(),
                                          seen: page.seen, ...what});
    settle(out.page);
    const item = out.page.items.find((i) => i.item_id === e.item_id);
    const said = item && item.decision ? `${item.heading} = ${fmt(item.decision.new_value)}`
                                       : words(what.action);
    state.pageView = false;
    state.index = nextOpen(state.index);
    render();
    flash(`Saved: ${said} (sheet ${out.page.serial || "?"}). Back with ←.`);
  } catch (err) {
    // 409: someone else decided on this page meanwhile; show what they decided, then say so
    if (err.data && err.data.page) { settle(err.data.page); render(); }
    flash(`Not saved: ${err.message}`, true);
  } finally {
    state.busy = false;
    document.body.classList.remove("busy");
  }
}

function flash(text, bad = false) {
  const s = $("status");
  s.textContent = text;
  s.classList.toggle("bad", bad);
  $("done-status").textContent = bad ? "" : text;
}

function move(step) {
  if (!state.entries.length) return;
  if (state.index < 0) state.index = step < 0 ? state.entries.length - 1 : 0;
  else state.index = Math.min(state.entries.length - 1, Math.max(0, state.index + step));
  state.pageView = false;
  render();
}

function hover(event) {
  const e = entry(); const item = e && itemOf(e);
  if (!item || !item.ends_mm) return;
  const svg = $("crop"), p = pointerMm(svg, event), hair = $("hair"), live = $("live");
  if (hair) { hair.setAttribute("x1", p.x); hair.setAttribute("x2", p.x); }
  live.textContent = `${valueAt(p.x, item.ends_mm, item.scale_max, item.step_cm).toFixed(1)} cm`;
  const rect = svg.getBoundingClientRect();
  live.style.left = `${event.clientX - rect.left}px`;
  live.hidden = false;
}

function click(event) {
  const e = entry(); const item = e && itemOf(e);
  if (!item || !item.ends_mm) return;
  decide({action: "value", x_mm: Math.round(pointerMm($("crop"), event).x * 100) / 100});
}

function key(event) {
  if ($("name-dialog").open || $("confirm-dialog").open || event.target.tagName === "INPUT"
      || event.repeat) return;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const e = entry(); const item = e && state.index >= 0 ? itemOf(e) : null;
  const k = event.key;
  let handled = true;
  if (/^[1-9]$/.test(k) && item && item.candidates[Number(k) - 1]) decide({action: "candidate", candidate: Number(k) - 1});
  else if (k === "Enter" && item && suggested(item) >= 0) decide({action: "candidate", candidate: suggested(item)});
  else if (k === "n" || k === "N") decide({action: "no_answer"});
  else if (k === "f" || k === "F") confirmNotAForm();
  else if (k === "a" || k === "A") decide({action: "accept"});
  else if ((k === "d" || k === "D") && e && pageOf(e).flags.includes("duplicate_sheet")) decide({action: "drop"});
  else if (k === "p" || k === "P") { state.pageView = !state.pageView; render(); }
  else if ((k === "+" || k === "=") && showsWholePage()) zoom(1);
  else if ((k === "-" || k === "_") && showsWholePage()) zoom(-1);
  else if (k === "Escape" && state.pageView) { state.pageView = false; render(); }
  else if (k === "ArrowRight") move(1);
  else if (k === "ArrowLeft") move(-1);
  else handled = false;
  if (handled) event.preventDefault();
}

function showsWholePage() { return !$("page-view").hidden; }

function zoom(step) {
  state.zoom = Math.min(ZOOMS.length - 1, Math.max(0, state.zoom + step));
  $("page-svg").style.setProperty("--zoom", ZOOMS[state.zoom]);
  $("zoom-level").textContent = `${Math.round(ZOOMS[state.zoom] * 100)} %`;
}

function confirmNotAForm() {
  // one key must not throw a good sheet away: F asks first (F or Enter again to confirm)
  if (state.busy || state.index < 0 || identifying(entry())) return;
  const dialog = $("confirm-dialog");
  dialog.returnValue = "";  // Esc leaves it so: nothing is decided
  if (!dialog.open) dialog.showModal();
  $("confirm-yes").focus();
}

function askName() {
  const dialog = $("name-dialog");
  $("name").value = state.reviewer;
  if (!dialog.open) dialog.showModal();
  $("name").focus();
}

async function start() {
  $("name-form").addEventListener("submit", () => {
    // the closed dialog's input would keep the focus until the browser's next frame, and the
    // shortcuts ignore keys typed into an input: a quick next key was lost
    $("name").blur();
    state.reviewer = $("name").value.trim().slice(0, 60);
    localStorage.setItem(NAME_KEY, state.reviewer);  // not asked again on this computer
    render();
  });
  $("name-dialog").addEventListener("close", () => { if (!state.reviewer) setTimeout(askName, 0); });
  $("change-name").addEventListener("click", askName);
  $("confirm-dialog").addEventListener("close", () => {
    // as with the name dialog: the browser moves the focus out only at its next frame, and a
    // quick next key would land on the closed dialog's button (its F below swallowed the key)
    if ($("confirm-dialog").contains(document.activeElement)) document.activeElement.blur();
    if ($("confirm-dialog").returnValue === "yes") decide({action: "not_a_form"});
  });
  $("confirm-dialog").addEventListener("keydown", (ev) => {
    if (!$("confirm-dialog").open) return;
    if (ev.key === "f" || ev.key === "F") {
      ev.preventDefault();
      ev.stopPropagation();  // the page's own F would ask again
      $("confirm-dialog").close("yes");
    }
  });
  $("zoom-in").addEventListener("click", (ev) => { ev.currentTarget.blur(); zoom(1); });
  $("zoom-out").addEventListener("click", (ev) => { ev.currentTarget.blur(); zoom(-1); });
  document.querySelectorAll("[data-action]").forEach((b) =>
    b.addEventListener("click", () => {
      b.blur();
      if (b.dataset.action === "not_a_form") confirmNotAForm(); else decide({action: b.dataset.action});
    }));
  $("toggle-page").addEventListener("click", (ev) => { ev.currentTarget.blur(); state.pageView = !state.pageView; render(); });
  $("prev").addEventListener("click", (ev) => { ev.currentTarget.blur(); move(-1); });
  $("next").addEventListener("click", (ev) => { ev.currentTarget.blur(); move(1); });
  const crop = $("crop");
  crop.addEventListener("mousemove", hover);
  crop.addEventListener("mouseleave", () => {
    $("live").hidden = true;
    const hair = $("hair");
    if (hair) { hair.setAttribute("x1", -10); hair.setAttribute("x2", -10); }
  });
  crop.addEventListener("click", click);
  $("identity").addEventListener("submit", saveIdentity);
  // Escape in a field of the identity box hands the keys back to the shortcuts (arrows to move on)
  $("identity").addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") { ev.preventDefault(); ev.target.blur(); }
  });
  document.addEventListener("keydown", key);
  // Enter or Escape in the note hands the keys back to the shortcuts; the note stays until used
  $("note").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" || ev.key === "Escape") { ev.preventDefault(); ev.currentTarget.blur(); }
  });

  if (!TOKEN) throw new Error("open the link that `srs-scan review` printed (it carries the access token)");
  const data = await api("/api/queue");
  CSRF = data.csrf;
  state.pages = data.pages;
  state.entries = data.entries;
  state.index = state.entries.findIndex((e) => !e.settled);
  if (state.index < 0 && state.entries.length) state.index = -1;
  render();
  document.body.dataset.ready = "yes";
  if (!state.reviewer) askName();
}

start().catch((err) => flash(`Could not load the queue: ${err.message}`, true));
