// srs-scan session page: the camera (or a dropped photo) in, a confident reading out, stored on
// confirm. Plain JavaScript, no build step; the token, the API call and the sheet drawing are
// shared.js's. The server decides everything: this page sends frames and shows what comes back.
"use strict";

const FRAME_MS = 250;          // one frame every 250 ms at most (4 a second): see camera.CameraParams
const MAX_FRAME_PX = 1920;     // longest side of a frame sent: a 1080p camera's frame is sent as it is
const MAX_PHOTO_PX = 2400;     // a dropped phone photo is scaled down to this before it is sent
const NAME_KEY = "srs-reviewer";  // the same name as on the review page, remembered on this computer

const state = {live: false, reading: null, page: null, therapist: localStorage.getItem(NAME_KEY) || "",
               canvas: document.createElement("canvas"), sheetUrl: null};
const $ = (id) => document.getElementById(id);

function setState(name) { document.body.dataset.state = name; }

function say(text, bad = false) {
  $("status").textContent = text;
  $("status").classList.toggle("bad", bad);
}

async function post(path, blob) {
  // a picture, not JSON: the server takes image/jpeg and image/png on these two paths only
  const response = await fetch(path, {method: "POST", credentials: "omit", cache: "no-store", body: blob,
    headers: authorised({"Content-Type": blob.type, "X-CSRF-Token": CSRF})});
  const data = await response.json().catch(() => ({error: response.statusText}));
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function jpeg(source, width, height, limit) {
  const k = Math.min(1, limit / Math.max(width, height));
  const c = state.canvas;
  c.width = Math.round(width * k);
  c.height = Math.round(height * k);
  c.getContext("2d").drawImage(source, 0, 0, c.width, c.height);
  return new Promise((resolve) => c.toBlob(resolve, "image/jpeg", 0.9));
}

// ------------------------------------------------------------------ camera

async function startCamera() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    $("hint").textContent = "This browser gives no camera here: drop a photo of the sheet on the page.";
    return;
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia(
      {video: {width: {ideal: 1920}, height: {ideal: 1080}}, audio: false});
    $("video").srcObject = stream;
    await $("video").play();
    state.live = true;
    setState("live");
    $("hint").textContent = "Hold the sheet up to the camera, the whole sheet in view.";
    loop();
  } catch (err) {
    $("hint").textContent = `No camera (${err.name === "NotAllowedError" ? "not allowed in the browser"
      : err.message}): allow it and reload, or drop a photo of the sheet on the page.`;
  }
}

async function loop() {
  const video = $("video");
  while (state.live) {
    const began = performance.now();
    if (video.videoWidth && !state.reading) {
      try {
        const blob = await jpeg(video, video.videoWidth, video.videoHeight, MAX_FRAME_PX);
        if (state.live && !state.reading) show(await post("/api/frame", blob));
      } catch (err) {
        $("hint").textContent = `The frame was not read: ${err.message}`;
      }
    }
    await new Promise((r) => setTimeout(r, Math.max(0, FRAME_MS - (performance.now() - began))));
  }
}

function show(answer) {
  if (answer.state === "confident") { showReading(answer.reading); return; }
  setState(answer.state);  // "hint" or "reading": never a value
  $("hint").textContent = answer.state === "hint" ? answer.hint
    : `Reading… ${answer.agree} of ${answer.needed} frames agree. Hold still.`;
}

// ------------------------------------------------------------------ a dropped photo

async function readPhoto(file) {
  if (!file || !/^image\//.test(file.type)) { say("Drop a photo (JPEG or PNG) of the sheet.", true); return; }
  try {
    const bitmap = await createImageBitmap(file);  // turned upright by its orientation tag
    const blob = await jpeg(bitmap, bitmap.width, bitmap.height, MAX_PHOTO_PX);
    const answer = await post("/api/photo", blob);
    if (answer.state === "confident") showReading(answer.reading);
    else { $("hint").textContent = `The photo: ${answer.hint}`; say(`The photo could not be read: ${answer.hint}`, true); }
  } catch (err) {
    say(`The photo was not read: ${err.message}`, true);
  }
}

// ------------------------------------------------------------------ the reading

function cm(value) { return value === null || value === undefined ? "" : `${value.toFixed(1)} cm`; }

function showReading(reading) {
  state.reading = reading;
  setState("confident");
  $("hint").textContent = reading.source === "photo" ? "Read from the photo." : "Read: you can put the sheet down.";
  $("result").hidden = false;
  const who = [reading.client_code ? `Client ${reading.client_code}` : "No client code on the sheet",
               reading.session ? `session ${reading.session}` : "", reading.date,
               `${reading.form.toUpperCase()} sheet ${reading.serial || "(no serial)"}`];
  $("sheet-line").textContent = who.filter(Boolean).join(" · ");
  const body = $("values").tBodies[0];
  body.replaceChildren();
  for (const item of reading.items) {
    const row = body.insertRow();
    row.dataset.item = item.item_id;
    row.className = item.flags.length ? "flagged" : "";
    row.insertCell().textContent = item.heading;
    const value = row.insertCell();
    value.className = "value";
    value.dataset.value = item.value_cm === null ? "" : String(item.value_cm);
    value.textContent = item.flags.length ? `check: ${item.flags.join(", ")}` : cm(item.value_cm);
  }
  $("total").textContent = reading.total === null ? "Total: when every item has a value"
    : `Total ${reading.total.toFixed(1)} of 40`;
  showClinical(reading);
  $("identity").hidden = !reading.needs_identity;
  $("store-it").hidden = false; $("again").hidden = false; $("next-sheet").hidden = true;
  $("flagged").replaceChildren();
  const pageFlags = reading.page_flags.length ? ` The page: ${reading.page_flags.join(", ")}.` : "";
  say((reading.items.some((i) => i.flags.length)
    ? "Some items need you: store the reading, then click the mark on each line below." : "") + pageFlags);
}

function showClinical(view) {
  const list = $("alerts");
  list.replaceChildren();
  for (const a of view.alerts) {
    const li = document.createElement("li");
    li.textContent = `Alert: ${a.because}`;
    li.title = a.code;
    list.appendChild(li);
  }
  if (state.chartUrl) URL.revokeObjectURL(state.chartUrl);
  state.chartUrl = view.chart ? URL.createObjectURL(new Blob([view.chart], {type: "image/svg+xml"})) : null;
  $("chart-box").hidden = !state.chartUrl;
  if (state.chartUrl) $("chart").src = state.chartUrl;
  $("chart-note").textContent = state.reading && state.page === null
    ? "With this session added (not stored yet)." : "As stored.";
}

async function storeIt() {
  if (!state.reading) return;
  if (!state.therapist) { askName(); return; }
  const body = {reading: state.reading.id, therapist: state.therapist};
  if (state.reading.needs_identity) {
    Object.assign(body, {client_code: $("id-code").value.trim(), session: $("id-session").value.trim(),
                         date: $("id-date").value});
  }
  $("store-it").disabled = true;
  try {
    const out = await api("/api/confirm", body);
    state.page = out.page;
    setState("stored");
    $("hint").textContent = "Stored.";
    $("store-it").hidden = true; $("again").hidden = true; $("next-sheet").hidden = false;
    $("identity").hidden = true;
    showClinical(out.clinical);
    await showFlagged();
    say(`Stored: sheet ${out.page.serial || "(no serial)"}${out.page.client_code ? ", client " + out.page.client_code : ""}.`);
  } catch (err) {
    say(`Not stored: ${err.message}`, true);
  } finally {
    $("store-it").disabled = false;
  }
}

// ------------------------------------------------------------------ flagged items, as in review

async function sheetPicture(page) {
  if (!page.has_sheet) return null;
  if (!state.sheetUrl) {
    const r = await fetch(`/sheet/${page.key}.jpg`, {credentials: "omit", cache: "no-store", headers: authorised()});
    state.sheetUrl = r.ok ? URL.createObjectURL(await r.blob()) : null;
  }
  return state.sheetUrl;
}

async function showFlagged() {
  const box = $("flagged"), page = state.page;
  box.replaceChildren();
  const url = await sheetPicture(page);
  for (const item of page.items) {
    if (!item.flags.length || !item.crop_mm) continue;
    const div = document.createElement("div");
    div.className = "flag-item" + (item.decision ? " done" : "");
    div.dataset.item = item.item_id;
    const h = document.createElement("h3");
    h.textContent = item.decision ? `${item.heading}: ${cm(item.decision.new_value)} (you clicked)`
      : `${item.heading}: click where the mark meets the line`;
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `the ${item.heading} line on the sheet`);
    div.append(h, svg);
    box.appendChild(div);
    drawSheetPicture(svg, page, item.crop_mm, url);
    drawItem(svg, item, {numbers: true, current: true});
    if (!item.decision) svg.addEventListener("click", (ev) => clickMark(item, pointerMm(svg, ev).x));
  }
}

async function clickMark(item, xMm) {
  const page = state.page;
  try {
    const out = await api("/api/decide", {hash: page.hash, page: page.page, item_id: item.item_id,
                                          action: "value", x_mm: Math.round(xMm * 100) / 100,
                                          reviewer: state.therapist, note: "", seen: page.seen});
    state.page = out.page;
    const done = out.page.items.find((i) => i.item_id === item.item_id);
    const row = document.querySelector(`#values tr[data-item="${item.item_id}"]`);
    if (row && done.decision) {
      row.className = "";
      row.cells[1].dataset.value = String(done.decision.new_value);
      row.cells[1].textContent = `${cm(done.decision.new_value)} (clicked)`;
    }
    await showFlagged();
    say(`Saved: ${item.heading} = ${cm(done.decision && done.decision.new_value)}.`);
  } catch (err) {
    say(`Not saved: ${err.message}`, true);
  }
}

// ------------------------------------------------------------------ again, names, start

async function again() {
  try { await api("/api/again", {}); } catch (err) { say(err.message, true); return; }
  state.reading = null; state.page = null;
  if (state.sheetUrl) { URL.revokeObjectURL(state.sheetUrl); state.sheetUrl = null; }
  $("result").hidden = true;
  say("");
  setState(state.live ? "live" : "starting");
  $("hint").textContent = state.live ? "Hold the next sheet up to the camera." : "Drop a photo of the sheet on the page.";
}

function askName() {
  $("name").value = state.therapist;
  if (!$("name-dialog").open) $("name-dialog").showModal();
  $("name").focus();
}

function showName() { $("who").textContent = state.therapist ? `Therapist: ${state.therapist}` : ""; }

async function start() {
  $("name-form").addEventListener("submit", () => {
    state.therapist = $("name").value.trim().slice(0, 60);
    localStorage.setItem(NAME_KEY, state.therapist);
    showName();
  });
  $("change-name").addEventListener("click", askName);
  $("store-it").addEventListener("click", storeIt);
  $("again").addEventListener("click", again);
  $("next-sheet").addEventListener("click", again);
  $("identity").addEventListener("submit", (ev) => { ev.preventDefault(); storeIt(); });
  document.addEventListener("dragover", (ev) => { ev.preventDefault(); document.body.classList.add("dragging"); });
  document.addEventListener("dragleave", () => document.body.classList.remove("dragging"));
  document.addEventListener("drop", (ev) => {
    ev.preventDefault();
    document.body.classList.remove("dragging");
    readPhoto(ev.dataTransfer.files[0]);
  });
  if (!TOKEN) throw new Error("open the link that `srs-scan session` printed (it carries the access token)");
  const data = await api("/api/start");
  CSRF = data.csrf;
  $("store").textContent = `results store: ${data.store}`;
  showName();
  document.body.dataset.ready = "yes";
  if (!state.therapist) askName();
  await startCamera();
}

start().catch((err) => { $("hint").textContent = `Could not start: ${err.message}`; });
