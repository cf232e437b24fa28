// The swift-clip page: search an index by text or image, "more like this", zero-shot
// classification, and duplicate groups — against this server's own API, without dependencies.
"use strict";

const state = { key: sessionStorage.getItem("clip-api-key"), index: null };
const $ = (id) => document.getElementById(id);

// --- Talking to the server -------------------------------------------------------------------

async function api(path, body) {
  const headers = { "Content-Type": "application/json" };
  if (state.key) headers.Authorization = "Bearer " + state.key;
  const response = await fetch(path, body === undefined ? { headers } : { method: "POST", headers, body: JSON.stringify(body) });
  if (response.status === 401) {
    const key = prompt("This server needs an API key:");
    if (key) {
      state.key = key;
      sessionStorage.setItem("clip-api-key", key);
      return api(path, body);
    }
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(data && data.error ? data.error.message : response.status + " " + response.statusText);
  return data;
}

// Images need the key too when there is one, and <img> cannot send it: fetch them as blobs then.
async function showImage(img, path) {
  if (!state.key) { img.src = path; return; }
  const response = await fetch(path, { headers: { Authorization: "Bearer " + state.key } });
  if (response.ok) img.src = URL.createObjectURL(await response.blob());
}

function readAsDataURL(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

function indexQuery() {
  return state.index ? "?index=" + encodeURIComponent(state.index) : "";
}

// --- Tabs ------------------------------------------------------------------------------------

const tabs = ["search", "classify", "duplicates"];

function selectTab(name, focus) {
  for (const tab of tabs) {
    const selected = tab === name;
    $("tab-" + tab).setAttribute("aria-selected", String(selected));
    $("tab-" + tab).tabIndex = selected ? 0 : -1;
    $("view-" + tab).hidden = !selected;
  }
  if (focus) $("tab-" + name).focus();
}

for (const tab of tabs) {
  $("tab-" + tab).addEventListener("click", () => selectTab(tab, false));
  $("tab-" + tab).addEventListener("keydown", (event) => {
    const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
    if (step) selectTab(tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length], true);
  });
}

// File pickers open with Enter or Space from their label.
for (const label of document.querySelectorAll(".file-button")) {
  label.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); label.querySelector("input").click(); }
  });
}

function acceptDrops(zone, onFile) {
  zone.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    const file = event.dataTransfer.files[0];
    if (file) onFile(file);
  });
}

// --- Search ----------------------------------------------------------------------------------

function tile(hit) {
  const item = document.createElement("li");
  item.className = "tile";
  const link = document.createElement("a");
  link.href = "/images/" + hit.id + indexQuery();
  link.target = "_blank";
  link.rel = "noopener";
  const img = document.createElement("img");
  img.alt = hit.path;
  img.loading = "lazy";
  showImage(img, "/thumbnails/" + hit.id + indexQuery());
  link.append(img);
  const meta = document.createElement("div");
  meta.className = "meta";
  const score = document.createElement("span");
  score.className = "score";
  score.textContent = hit.score.toFixed(3);
  const path = document.createElement("span");
  path.className = "path";
  path.textContent = hit.path;
  const more = document.createElement("button");
  more.type = "button";
  more.textContent = "More like this";
  more.addEventListener("click", () => search([{ id: hit.id }], "more like " + hit.path));
  meta.append(score, path, more);
  item.append(link, meta);
  return item;
}

async function search(query, description) {
  const status = $("search-status");
  status.textContent = "Searching…";
  try {
    const started = performance.now();
    const result = await api("/v1/search", { query, index: state.index, top_k: 48 });
    const results = $("results");
    results.replaceChildren(...result.data.map(tile));
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    status.textContent = result.data.length + " results for " + description + " (" + seconds + " s)";
  } catch (error) {
    status.textContent = error.message;
  }
}

$("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = $("query").value.trim();
  if (!text) return;
  history.replaceState(null, "", "?q=" + encodeURIComponent(text));
  search(text, "“" + text + "”");
});

async function searchByImage(file) {
  search([{ image: await readAsDataURL(file) }], file.name);
}
$("search-file").addEventListener("change", (event) => { if (event.target.files[0]) searchByImage(event.target.files[0]); });
acceptDrops($("search-drop"), searchByImage);

// --- Zero-shot -------------------------------------------------------------------------------

let classifyImage = null;

async function chooseClassifyImage(file) {
  classifyImage = await readAsDataURL(file);
  $("classify-preview").src = classifyImage;
  $("classify-preview").alt = file.name;
  $("classify-preview").hidden = false;
  if ($("labels").value.trim()) classify();
}

async function classify() {
  const status = $("classify-status");
  const labels = $("labels").value.split(",").map((label) => label.trim()).filter(Boolean);
  if (!classifyImage) { status.textContent = "Choose or drop an image first."; return; }
  if (!labels.length) { status.textContent = "Type some labels, separated by commas."; return; }
  status.textContent = "Classifying…";
  try {
    const result = await api("/v1/classify", { images: [classifyImage], labels, top_k: labels.length });
    const bars = result.data[0].predictions.map((prediction) => {
      const row = document.createElement("li");
      const label = document.createElement("span");
      label.textContent = prediction.label;
      const bar = document.createElement("div");
      bar.className = "bar";
      bar.style.width = (prediction.score * 100).toFixed(1) + "%";
      bar.setAttribute("role", "img");
      bar.setAttribute("aria-label", prediction.label + " " + (prediction.score * 100).toFixed(1) + "%");
      const value = document.createElement("span");
      value.className = "value";
      value.textContent = (prediction.score * 100).toFixed(1) + "%";
      row.append(label, bar, value);
      return row;
    });
    $("bars").replaceChildren(...bars);
    status.textContent = "";
  } catch (error) {
    status.textContent = error.message;
  }
}

$("classify-form").addEventListener("submit", (event) => { event.preventDefault(); classify(); });
$("classify-file").addEventListener("change", (event) => { if (event.target.files[0]) chooseClassifyImage(event.target.files[0]); });
acceptDrops($("classify-drop"), chooseClassifyImage);

// --- Duplicates ------------------------------------------------------------------------------

async function findDuplicates() {
  const status = $("duplicates-status");
  status.textContent = "Comparing every image with every other…";
  try {
    const threshold = Number($("threshold").value);
    const result = await api("/v1/duplicates", { index: state.index, threshold });
    const groups = result.data.map((group, number) => {
      const section = document.createElement("section");
      section.className = "group";
      const title = document.createElement("h2");
      title.textContent = "Group " + (number + 1) + ": " + group.files.length + " " + (group.kind === "exact" ? "identical files" : "similar images");
      const list = document.createElement("ol");
      list.className = "grid";
      list.append(...group.files.map((file) => tile({ id: file.id, path: file.path, score: file.similarity })));
      section.append(title, list);
      return section;
    });
    $("groups").replaceChildren(...groups);
    status.textContent = groups.length ? groups.length + " groups" : "No duplicates at this threshold.";
  } catch (error) {
    status.textContent = error.message;
  }
}
$("duplicates-form").addEventListener("submit", (event) => { event.preventDefault(); findDuplicates(); });

// --- Start -----------------------------------------------------------------------------------

async function start() {
  try {
    const info = await api("/info");
    const choice = $("index");
    choice.replaceChildren(...info.indexes.map((index) => new Option(index.name + " (" + index.files + " files)", index.name)));
    state.index = info.indexes.length ? info.indexes[0].name : null;
    choice.addEventListener("change", () => { state.index = choice.value; });
    if (!info.indexes.length) $("search-status").textContent = "This server has no index: start it with --index DIR to search.";
  } catch (error) {
    $("search-status").textContent = error.message;
  }
  const query = new URLSearchParams(location.search).get("q");
  if (query) {
    $("query").value = query;
    search(query, "“" + query + "”");
  }
}
start();
