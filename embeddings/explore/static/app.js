// The explorer page: panels that call the JSON API and a map that draws the answers.
// State lives in the URL (?word=king&method=umap...), so a view can be bookmarked and shared.
// Every word from the server is untrusted text: it is only ever set with textContent.

import { WordMap } from "/static/map.js";

const $ = (id) => document.getElementById(id);
const KEYS = ["method", "dim", "n", "word", "k", "metric", "isolate", "a", "b", "c", "am", "x", "y", "sa", "sb", "scale"];
const state = { method: "pca", dim: "2", n: "", word: "", k: "10", metric: "cosine", isolate: "",
                a: "", b: "", c: "", am: "add", x: "", y: "", sa: "", sb: "", scale: "2" };
let info = null;
let mapGeneration = 0;       // a newer map request makes older answers stale
let neighborWords = [];      // the selected word's neighbours, for highlights and isolate
let analogyView = null;      // {a, b, c, answer}

// --- helpers -------------------------------------------------------------------------------
async function api(path, params) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) if (v !== "" && v !== undefined && v !== null) url.searchParams.set(k, v);
  const r = await fetch(url);
  const body = await r.json().catch(() => ({ error: `${r.status} ${r.statusText}` }));
  if (!r.ok && r.status !== 202) throw Object.assign(new Error(body.error || r.statusText), { body, status: r.status });
  return { status: r.status, body };
}

function showError(e) { $("error").textContent = e ? (e.message || String(e)) : ""; }

function setStatus(text, progress) {
  $("status").textContent = text;
  const bar = $("progress");
  bar.hidden = progress === undefined;
  if (progress !== undefined) bar.value = progress;
}

function writeURL() {
  const p = new URLSearchParams();
  for (const k of KEYS) if (state[k] !== "" && !(k in DEFAULTS && DEFAULTS[k] === state[k])) p.set(k, state[k]);
  const q = p.toString();
  history.replaceState(null, "", q ? `?${q}` : location.pathname);
}
const DEFAULTS = { method: "pca", dim: "2", k: "10", metric: "cosine", am: "add", scale: "2" };

function readURL() {
  const p = new URLSearchParams(location.search);
  for (const k of KEYS) if (p.has(k)) state[k] = p.get(k);
}

function resultList(ol, rows, onPick, scoreLabel) {
  ol.replaceChildren();
  const max = Math.max(...rows.map((r) => Math.abs(r.score)), 1e-9);
  for (const r of rows) {
    const li = document.createElement("li");
    const btn = document.createElement("button");
    btn.type = "button";
    btn.className = "word";
    btn.textContent = r.word;
    btn.title = `Select ${r.word}`;
    btn.addEventListener("click", () => onPick(r.word));
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = r.score.toFixed(3);
    score.setAttribute("aria-label", `${scoreLabel} ${r.score.toFixed(3)}`);
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = `${Math.max(2, (Math.abs(r.score) / max) * 100)}%`;
    li.append(btn, score, bar);
    ol.append(li);
  }
}

// --- the map -------------------------------------------------------------------------------
const map = new WordMap($("stage"), (word) => selectWord(word));
window.embeddingsExplorer = { map, state };   // for scripts and tests that drive the page

function mapWords() {
  // the words an isolated view re-projects: the selected word and its neighbours, or the analogy's
  // words and its best five answers
  if (state.isolate === "analogy" && analogyView) {
    return [...new Set([analogyView.a, analogyView.b, analogyView.c, ...analogyView.answers.slice(0, 5)])].join(",");
  }
  if (state.isolate && state.isolate !== "analogy" && state.word && neighborWords.length) {
    return [state.word, ...neighborWords].join(",");
  }
  return "";
}

async function loadMap() {
  const gen = ++mapGeneration;
  showError(null);
  const words = mapWords();
  const dim = state.method === "custom" ? 2 : Number(state.dim);
  $("dim").disabled = state.method === "custom";
  try {
    if (state.method === "custom") {
      const [xf, xt] = state.x.split(","), [yf, yt] = state.y.split(",");
      if (!xt || !yt) { setStatus("Custom axes: choose two words for x and two for y, then Apply axes."); return; }
      setStatus("placing words on the custom axes…");
      const { body } = await api("/api/axes", { x: state.x, y: state.y, n: words ? "" : state.n, words });
      if (gen !== mapGeneration) return;
      map.axisTitles = { x: `${xf}  ←  x  →  ${xt}`, y: `${yf}  ←  y  →  ${yt}` };
      show(body, 2, `${body.words.length.toLocaleString()} words on custom axes`);
      return;
    }
    const params = { method: state.method, dim, n: words ? "" : state.n, words };
    let { status, body } = await api("/api/projection", params);
    if (status === 202) {
      // t-SNE / UMAP still computing: show PCA meanwhile, poll until ready
      const label = state.method === "tsne" ? "t-SNE" : "UMAP";
      const pca = await api("/api/projection", { ...params, method: "pca" });
      if (gen !== mapGeneration) return;
      map.axisTitles = null;
      show(pca.body, dim, null);
      while (status === 202) {
        const shown = `${label}: ${body.stage} (${Math.round((body.progress || 0) * 100)}%, ${Math.round(body.elapsed || 0)} s); PCA shown meanwhile`;
        setStatus(shown, body.progress || 0);
        await new Promise((r) => setTimeout(r, 700));
        if (gen !== mapGeneration) return;
        ({ status, body } = await api("/api/projection", params));
      }
    }
    if (gen !== mapGeneration) return;
    const names = { pca: "PCA", tsne: "t-SNE", umap: "UMAP" };
    const ev = body.explained_variance_ratio;
    map.axisTitles = ev && dim === 2 ? { x: `PC1 (${(ev[0] * 100).toFixed(1)}% of variance)`, y: `PC2 (${(ev[1] * 100).toFixed(1)}% of variance)` } : null;
    const total = ev ? `, ${(ev.reduce((a, b) => a + b, 0) * 100).toFixed(1)}% of variance` : "";
    show(body, dim, `${names[state.method]} ${dim}D of ${body.words.length.toLocaleString()} words${total}` +
         (words ? " (isolated)" : ""));
  } catch (e) {
    if (gen !== mapGeneration) return;
    setStatus("");
    showError(e);
  }
}

function show(body, dim, caption) {
  map.setData(body, dim, body.words.length > 2000 && state.method !== "custom" && state.method !== "pca");
  const unseen = (body.from_ngrams || []).length;   // a subword model's words outside its vocabulary
  if (caption && unseen) caption += ` · in italics: ${unseen === 1 ? "a word" : `${unseen} words`} not in the vocabulary, placed by character n-grams`;
  if (caption !== null) setStatus(caption);
  $("map-caption").textContent = caption || "";
  $("map-help").textContent = dim === 3 ? "drag to rotate · right-drag to pan · scroll to zoom · click a point to select it"
                                        : "drag to pan · scroll to zoom · click a point to select it";
  paintHighlights();
}

function paintHighlights() {
  const roles = new Map();
  const arrows = [];
  if (analogyView) {
    for (const w of [analogyView.a, analogyView.b, analogyView.c]) roles.set(w, "analogy");
    if (analogyView.answers.length) roles.set(analogyView.answers[0], "answer");
    arrows.push([analogyView.a, analogyView.b]);
    if (analogyView.answers.length) arrows.push([analogyView.c, analogyView.answers[0]]);
  }
  if (state.method === "custom") for (const w of [...state.x.split(","), ...state.y.split(",")]) if (w) roles.set(w, "axis");
  for (const w of neighborWords) roles.set(w, "neighbor");
  if (state.word) roles.set(state.word, "selected");
  map.setHighlights(roles, arrows);
  const missing = [...roles.keys()].filter((w) => !map.index || !map.index.has(w));
  $("search-note").textContent = missing.length && map.index
    ? `Not on this map: ${missing.slice(0, 6).join(", ")}${missing.length > 6 ? "…" : ""}. Isolate shows them, or put more words on the map.`
    : "";
}

// --- search and neighbours -----------------------------------------------------------------
async function selectWord(word) {
  state.word = word;
  $("search").value = word;
  closeSuggestions();
  writeURL();
  await loadNeighbors();
  if (state.isolate && state.isolate !== "analogy") await loadMap();
}

async function loadNeighbors() {
  showError(null);
  $("isolate").disabled = !state.word;
  if (!state.word) { neighborWords = []; $("neighbors").replaceChildren(); paintHighlights(); return; }
  try {
    const { body } = await api("/api/neighbors", { word: state.word, k: state.k, metric: state.metric });
    neighborWords = body.neighbors.map((r) => r.word);
    $("unseen-note").textContent = body.from_ngrams
      ? `“${body.word}” is not in the vocabulary: its vector is the mean of its character n-grams' vectors.` : "";
    resultList($("neighbors"), body.neighbors, selectWord, state.metric === "dot" ? "dot product" : "cosine");
  } catch (e) {
    neighborWords = [];
    $("neighbors").replaceChildren();
    $("unseen-note").textContent = "";
    showError(e);
  }
  paintHighlights();
}

let suggestTimer = null, active = -1;
function closeSuggestions() {
  $("suggestions").hidden = true;
  $("search").setAttribute("aria-expanded", "false");
  $("search").removeAttribute("aria-activedescendant");
  active = -1;
}

async function suggest() {
  const prefix = $("search").value.trim();
  if (!prefix) { closeSuggestions(); return; }
  try {
    const { body } = await api("/api/words", { prefix, limit: 10 });
    if ($("search").value.trim() !== prefix) return;
    const ul = $("suggestions");
    ul.replaceChildren();
    const items = body.words.length ? body.words.map((w) => w.word) : body.suggestions;
    if (!body.words.length && body.suggestions.length) {
      const li = document.createElement("li");
      li.className = "hint"; li.textContent = "no word starts so; did you mean:";
      ul.append(li);
    }
    items.forEach((w, i) => {
      const li = document.createElement("li");
      li.id = `sugg-${i}`;
      li.setAttribute("role", "option");
      li.textContent = w;
      li.addEventListener("mousedown", (e) => { e.preventDefault(); selectWord(w); });
      ul.append(li);
    });
    ul.hidden = items.length === 0;
    $("search").setAttribute("aria-expanded", String(items.length > 0));
    active = -1;
  } catch (e) { showError(e); }
}

function moveActive(step) {
  const options = [...$("suggestions").querySelectorAll("[role=option]")];
  if (!options.length) return;
  active = (active + step + options.length) % options.length;
  options.forEach((o, i) => o.setAttribute("aria-selected", String(i === active)));
  $("search").setAttribute("aria-activedescendant", options[active].id);
}

// --- analogy -------------------------------------------------------------------------------
async function solveAnalogy() {
  showError(null);
  const [a, b, c] = [state.a, state.b, state.c];
  if (!(a && b && c)) { analogyView = null; $("analogy-results").replaceChildren(); paintHighlights(); return; }
  $("analogy-expr").textContent = `${b} − ${a} + ${c} = ?`;
  try {
    const { body } = await api("/api/analogy", { a, b, c, k: 10, method: state.am });
    analogyView = { a, b, c, answers: body.results.map((r) => r.word) };
    if (body.from_ngrams.length) {
      $("analogy-expr").textContent += ` (not in the vocabulary, built from character n-grams: ${body.from_ngrams.join(", ")})`;
    }
    resultList($("analogy-results"), body.results, selectWord, "score");
  } catch (e) {
    analogyView = null;
    $("analogy-results").replaceChildren();
    showError(e);
  }
  $("an-isolate").disabled = !analogyView;
  paintHighlights();
}

// --- dot vs cosine -------------------------------------------------------------------------
let simAnswer = null;
async function compare() {
  showError(null);
  if (!(state.sa && state.sb)) { $("sim-table").hidden = true; return; }
  try {
    ({ body: simAnswer } = await api("/api/similarity", { a: state.sa, b: state.sb }));
    renderSimilarity();
  } catch (e) { $("sim-table").hidden = true; showError(e); }
}

function renderSimilarity() {
  const s = Number(state.scale), r = simAnswer;
  $("scale-value").textContent = `×${s}`;
  $("scaled-head").textContent = `${state.sa} ×${s}`;
  if (!r) return;
  $("sim-norm-a-label").textContent = `|${r.a}|`;
  $("sim-norm-b-label").textContent = `|${r.b}|`;
  $("sim-norm-a").textContent = r.norm_a.toFixed(3);
  $("sim-norm-a2").textContent = (s * r.norm_a).toFixed(3);
  $("sim-norm-b").textContent = $("sim-norm-b2").textContent = r.norm_b.toFixed(3);
  $("sim-dot").textContent = r.dot.toFixed(3);
  $("sim-dot2").textContent = (s * r.dot).toFixed(3);            // (s a) · b = s (a · b)
  $("sim-cos").textContent = $("sim-cos2").textContent = r.cosine.toFixed(3);  // direction unchanged
  $("sim-table").hidden = false;
}

// --- export --------------------------------------------------------------------------------
function openBlob(blob) {
  // the browser saves the image as a download
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = `embeddings-${state.method}.${blob.type === "image/png" ? "png" : "svg"}`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

// --- wiring --------------------------------------------------------------------------------
function syncInputs() {
  $("method").value = state.method;
  $("dim").value = state.dim;
  $("k").value = state.k;
  $("metric").value = state.metric;
  $("search").value = state.word;
  for (const [id, key] of [["an-a", "a"], ["an-b", "b"], ["an-c", "c"], ["sim-a", "sa"], ["sim-b", "sb"]]) $(id).value = state[key];
  $("an-method").value = state.am;
  const [xf = "", xt = ""] = state.x.split(","), [yf = "", yt = ""] = state.y.split(",");
  $("x-from").value = xf; $("x-to").value = xt; $("y-from").value = yf; $("y-to").value = yt;
  $("scale").value = state.scale;
  const wordAlone = !!state.isolate && state.isolate !== "analogy", analogyAlone = state.isolate === "analogy";
  $("isolate").setAttribute("aria-pressed", String(wordAlone));
  $("isolate").textContent = wordAlone ? "Show all" : "Isolate";
  $("an-isolate").setAttribute("aria-pressed", String(analogyAlone));
  $("an-isolate").textContent = analogyAlone ? "Show all" : "Show alone";
}

function wire() {
  const on = (id, ev, fn) => $(id).addEventListener(ev, fn);
  on("method", "change", () => { state.method = $("method").value; writeURL(); loadMap(); });
  on("dim", "change", () => { state.dim = $("dim").value; writeURL(); loadMap(); });
  on("n", "change", () => { state.n = $("n").value; writeURL(); loadMap(); });
  on("labels", "change", () => { map.showLabels = $("labels").checked; map.requestDraw(); });
  on("k", "change", () => { state.k = String(Math.min(200, Math.max(1, Number($("k").value) || 10))); $("k").value = state.k; writeURL(); loadNeighbors().then(() => state.isolate === "word" && loadMap()); });
  on("metric", "change", () => { state.metric = $("metric").value; writeURL(); loadNeighbors(); });
  on("search", "input", () => { clearTimeout(suggestTimer); suggestTimer = setTimeout(suggest, 120); });
  on("search", "blur", () => setTimeout(closeSuggestions, 150));
  on("search", "keydown", (e) => {
    if (e.key === "ArrowDown") { e.preventDefault(); moveActive(1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); moveActive(-1); }
    else if (e.key === "Escape") closeSuggestions();
    else if (e.key === "Enter") {
      e.preventDefault();
      const options = [...$("suggestions").querySelectorAll("[role=option]")];
      const word = active >= 0 && options[active] ? options[active].textContent : $("search").value.trim();
      if (word) selectWord(word);
    }
  });
  on("isolate", "click", () => { state.isolate = state.isolate === "word" ? "" : "word"; syncInputs(); writeURL(); loadMap(); });
  on("an-isolate", "click", () => { state.isolate = state.isolate === "analogy" ? "" : "analogy"; syncInputs(); writeURL(); loadMap(); });
  on("clear", "click", () => {
    Object.assign(state, { word: "", isolate: "", a: "", b: "", c: "" });
    neighborWords = []; analogyView = null;
    $("neighbors").replaceChildren(); $("analogy-results").replaceChildren(); $("analogy-expr").textContent = "";
    syncInputs(); writeURL(); paintHighlights(); loadMap();
  });
  on("analogy-form", "submit", (e) => {
    e.preventDefault();
    [state.a, state.b, state.c] = ["an-a", "an-b", "an-c"].map((id) => $(id).value.trim());
    state.am = $("an-method").value;
    writeURL();
    solveAnalogy().then(() => state.isolate === "analogy" && loadMap());
  });
  on("axes-form", "submit", (e) => {
    e.preventDefault();
    state.x = [$("x-from").value.trim(), $("x-to").value.trim()].join(",");
    state.y = [$("y-from").value.trim(), $("y-to").value.trim()].join(",");
    state.method = "custom";
    syncInputs(); writeURL(); loadMap();
  });
  on("sim-form", "submit", (e) => {
    e.preventDefault();
    state.sa = $("sim-a").value.trim(); state.sb = $("sim-b").value.trim();
    writeURL(); compare();
  });
  on("scale", "input", () => { state.scale = $("scale").value; writeURL(); renderSimilarity(); });
  on("export-png", "click", async () => openBlob(await map.toPNG()));
  on("export-svg", "click", () => openBlob(map.toSVG()));
  on("copy-link", "click", async () => {
    try { await navigator.clipboard.writeText(location.href); setStatus("link copied"); }
    catch { setStatus(location.href); }
  });
}

async function start() {
  readURL();
  if (state.isolate && state.isolate !== "analogy") state.isolate = "word";
  wire();
  try {
    ({ body: info } = await api("/api/info"));
  } catch (e) { showError(e); return; }
  $("model-info").textContent = `${info.name}: ${info.words.toLocaleString()} words × ${info.dim} dimensions`;
  const choices = [1000, 5000, 10000, 25000, 50000].filter((v) => v < info.words).concat([info.words]);
  if (!state.n) state.n = String(info.default_n);
  if (!choices.includes(Number(state.n))) choices.push(Number(state.n));
  for (const v of choices.sort((a, b) => a - b)) {
    const o = document.createElement("option");
    o.value = String(v);
    o.textContent = v === info.words ? `all ${v.toLocaleString()}` : v.toLocaleString();
    $("n").append(o);
  }
  $("n").value = state.n;
  syncInputs();
  await Promise.all([state.word ? loadNeighbors() : null, solveAnalogy(), compare()]);
  await loadMap();
  renderSimilarity();
  document.body.dataset.ready = "1";   // for tests and scripts: the first map is drawn
}

start();
