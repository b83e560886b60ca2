// The map: every word a WebGL point (three.js), labels and arrows on a 2D canvas above it.
// Words are drawn with fillText and shown with textContent: never parsed as HTML.

import * as THREE from "three";
import { OrbitControls } from "/static/vendor/OrbitControls.js";

const BASE = [0.42, 0.55, 0.72];           // an ordinary word
const ROLE_STYLE = {                        // highlighted words: colour (0-1 RGB), point size, CSS colour
  selected: { rgb: [0.84, 0.15, 0.16], size: 11, css: "#d62728" },
  neighbor: { rgb: [1.0, 0.5, 0.05], size: 8, css: "#c45a00" },
  analogy: { rgb: [0.58, 0.40, 0.74], size: 10, css: "#7b4fa8" },
  answer: { rgb: [0.17, 0.63, 0.17], size: 11, css: "#1d7a1d" },
  axis: { rgb: [0.09, 0.45, 0.70], size: 10, css: "#15608f" },
};
const MAX_LABELS = 220;                     // frequent-word labels on screen at once

const VERTEX = `
attribute float size;
attribute vec3 color;
varying vec3 vColor;
uniform float pixelRatio;
void main() {
  vColor = color;
  gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
  gl_PointSize = size * pixelRatio;
}`;
const FRAGMENT = `
varying vec3 vColor;
void main() {
  float r = length(gl_PointCoord - vec2(0.5));
  if (r > 0.5) discard;
  gl_FragColor = vec4(vColor, smoothstep(0.5, 0.38, r) * 0.85);
}`;

export class WordMap {
  constructor(stage, onPick) {
    this.stage = stage;
    this.onPick = onPick;
    this.glCanvas = stage.querySelector("#gl");
    this.overlay = stage.querySelector("#overlay");
    this.tooltip = stage.querySelector("#tooltip");
    this.renderer = new THREE.WebGLRenderer({ canvas: this.glCanvas, antialias: true, preserveDrawingBuffer: true });
    this.renderer.setPixelRatio(window.devicePixelRatio || 1);
    this.renderer.setClearColor(0xffffff, 1);
    this.scene = new THREE.Scene();
    this.words = [];
    this.roles = new Map();      // point index -> role name
    this.arrows = [];            // [[from index, to index], ...]
    this.fromNgrams = new Set(); // point indices of words placed by their character n-grams (labelled in italics)
    this.axisTitles = null;      // {x, y} strings shown along the edges
    this.showLabels = true;
    this.hover = -1;
    this.screen = new Float32Array(0);
    this.pending = false;
    this.dim = 2;
    this._makeCamera(2);
    new ResizeObserver(() => this.resize()).observe(stage);
    this.overlay.addEventListener("pointermove", (e) => this._onMove(e));
    this.overlay.addEventListener("pointerleave", () => { this.hover = -1; this.tooltip.hidden = true; this.draw(); });
    this.overlay.addEventListener("pointerdown", (e) => { this.downAt = [e.clientX, e.clientY]; });
    this.overlay.addEventListener("click", (e) => this._onClick(e));
    this.resize();
  }

  _makeCamera(dim) {
    if (this.controls) this.controls.dispose();
    const { w, h } = this._size();
    const aspect = w / Math.max(h, 1);
    if (dim === 3) {
      this.camera = new THREE.PerspectiveCamera(50, aspect, 0.01, 100);
      this.camera.position.set(0, 0, 2.4);
    } else {
      this.camera = new THREE.OrthographicCamera(-aspect * 1.15, aspect * 1.15, 1.15, -1.15, -10, 10);
      this.camera.position.set(0, 0, 5);
    }
    // The overlay canvas sits on top, so it is the element that receives the mouse.
    this.controls = new OrbitControls(this.camera, this.overlay);
    this.controls.enableDamping = false;
    this.controls.zoomToCursor = true;
    this.controls.screenSpacePanning = true;
    if (dim === 2) {
      this.controls.enableRotate = false;
      this.controls.mouseButtons = { LEFT: THREE.MOUSE.PAN, MIDDLE: THREE.MOUSE.DOLLY, RIGHT: THREE.MOUSE.PAN };
      this.controls.touches = { ONE: THREE.TOUCH.PAN, TWO: THREE.TOUCH.DOLLY_PAN };
    }
    this.controls.addEventListener("change", () => this.requestDraw());
    this.dim = dim;
  }

  _size() {
    const r = this.stage.getBoundingClientRect();
    return { w: Math.max(1, Math.floor(r.width)), h: Math.max(1, Math.floor(r.height)) };
  }

  resize() {
    const { w, h } = this._size();
    this.renderer.setSize(w, h, false);
    const ratio = window.devicePixelRatio || 1;
    this.overlay.width = w * ratio;
    this.overlay.height = h * ratio;
    this.overlay.style.width = this.glCanvas.style.width = w + "px";
    this.overlay.style.height = this.glCanvas.style.height = h + "px";
    const aspect = w / h;
    if (this.camera.isPerspectiveCamera) this.camera.aspect = aspect;
    else { this.camera.left = -aspect * 1.15; this.camera.right = aspect * 1.15; }
    this.camera.updateProjectionMatrix();
    this.requestDraw();
  }

  // data: {words, coords: [[x, y(, z)]...], rows, counts}; dim 2 or 3
  // robust: scale to 99% of the points (big t-SNE/UMAP maps), else to all of them
  setData(data, dim, robust = false) {
    const n = data.words.length;
    if (dim !== this.dim) this._makeCamera(dim);
    else this.resetView();
    this.words = data.words;
    this.rows = data.rows;
    // the old map's highlights and hover are indices into its points, not these: the caller
    // highlights again (setHighlights) once the new points exist
    this.roles = new Map();
    this.arrows = [];
    this.hover = -1;
    const pos = new Float32Array(n * 3);
    // centre and scale into [-1, 1]; with `robust`, 99% of the points fill it, so that a few
    // outliers (UMAP's strands of numbers) do not shrink the rest. One scale for every axis keeps
    // shapes honest.
    const lo = [0, 0, 0], hi = [0, 0, 0];
    for (let d = 0; d < dim; d++) {
      const v = Float64Array.from(data.coords, (c) => c[d]).sort();
      const cut = robust ? Math.floor(n * 0.005) : 0;
      lo[d] = v[cut]; hi[d] = v[n - 1 - cut];
    }
    const mid = lo.map((l, d) => (d < dim ? (l + hi[d]) / 2 : 0));
    const half = Math.max(...lo.map((l, d) => (d < dim ? (hi[d] - l) / 2 : 0)), 1e-9);
    data.coords.forEach((c, i) => { for (let d = 0; d < dim; d++) pos[i * 3 + d] = (c[d] - mid[d]) / half; });
    this.positions = pos;
    this.origin = { mid, half };
    if (this.points) { this.scene.remove(this.points); this.points.geometry.dispose(); }
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute("position", new THREE.BufferAttribute(pos, 3));
    geometry.setAttribute("color", new THREE.BufferAttribute(new Float32Array(n * 3), 3));
    geometry.setAttribute("size", new THREE.BufferAttribute(new Float32Array(n), 1));
    this.material = this.material || new THREE.ShaderMaterial({
      vertexShader: VERTEX, fragmentShader: FRAGMENT, transparent: true, depthWrite: false,
      uniforms: { pixelRatio: { value: window.devicePixelRatio || 1 } },
    });
    this.points = new THREE.Points(geometry, this.material);
    this.scene.add(this.points);
    this.index = new Map(data.words.map((w, i) => [w, i]));
    this.fromNgrams = new Set((data.from_ngrams || []).map((w) => this.index.get(w)));
    this.baseSize = n > 30000 ? 2.5 : n > 5000 ? 3.5 : n > 500 ? 5 : 8;
    this._paint();
  }

  resetView() {
    this.controls.reset();
    if (this.dim === 3) this.camera.position.set(0, 0, 2.4);
    this.camera.zoom = 1;
    this.camera.updateProjectionMatrix();
    this.requestDraw();
  }

  // roles: Map word -> role; arrows: [[word, word]]
  setHighlights(roles, arrows) {
    if (!this.index) return;     // no map yet: setData's caller paints them once it has one
    this.roles = new Map();
    for (const [word, role] of roles) if (this.index.has(word)) this.roles.set(this.index.get(word), role);
    this.arrows = (arrows || []).filter(([a, b]) => this.index.has(a) && this.index.has(b))
      .map(([a, b]) => [this.index.get(a), this.index.get(b)]);
    this._paint();
  }

  _paint() {
    if (!this.points) return;
    const color = this.points.geometry.getAttribute("color"), size = this.points.geometry.getAttribute("size");
    const c = this.roles.size ? BASE.map((v) => v + (1 - v) * 0.45) : BASE;  // fade the rest while words are highlighted
    for (let i = 0; i < this.words.length; i++) {
      color.array.set(c, i * 3);
      size.array[i] = this.baseSize;
    }
    for (const [i, role] of this.roles) {
      color.array.set(ROLE_STYLE[role].rgb, i * 3);
      size.array[i] = ROLE_STYLE[role].size;
    }
    // highlighted points drawn last, so they sit on top of the crowd
    const order = [...Array(this.words.length).keys()];
    if (this.roles.size) {
      const top = new Set(this.roles.keys());
      const idx = order.filter((i) => !top.has(i)).concat([...top]);
      this.points.geometry.setIndex(idx);
    } else this.points.geometry.setIndex(null);
    color.needsUpdate = size.needsUpdate = true;
    this.requestDraw();
  }

  requestDraw() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.draw(); });
  }

  _project() {
    // screen position of every point: one pass with the camera's matrices (used by labels and hover)
    const n = this.words.length;
    if (this.screen.length !== n * 2) this.screen = new Float32Array(n * 2);
    this.camera.updateMatrixWorld();
    const m = new THREE.Matrix4().multiplyMatrices(this.camera.projectionMatrix, this.camera.matrixWorldInverse).elements;
    const { w, h } = this._size();
    const p = this.positions, s = this.screen;
    for (let i = 0; i < n; i++) {
      const x = p[i * 3], y = p[i * 3 + 1], z = p[i * 3 + 2];
      const cw = m[3] * x + m[7] * y + m[11] * z + m[15];
      if (cw <= 1e-6) { s[i * 2] = NaN; s[i * 2 + 1] = NaN; continue; }
      s[i * 2] = ((m[0] * x + m[4] * y + m[8] * z + m[12]) / cw + 1) * 0.5 * w;
      s[i * 2 + 1] = (1 - (m[1] * x + m[5] * y + m[9] * z + m[13]) / cw) * 0.5 * h;
    }
  }

  draw() {
    this.renderer.render(this.scene, this.camera);
    const ctx = this.overlay.getContext("2d");
    const ratio = window.devicePixelRatio || 1;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    const { w, h } = this._size();
    ctx.clearRect(0, 0, w, h);
    if (!this.points) return;
    this._project();
    this._drawArrows(ctx);
    this.placed = this._placeLabels(ctx, w, h);
    for (const l of this.placed) this._label(ctx, l);
    this._drawAxes(ctx, w, h);
  }

  _drawArrows(ctx) {
    const s = this.screen;
    ctx.lineWidth = 2;
    this.arrows.forEach(([a, b], k) => {
      const x0 = s[a * 2], y0 = s[a * 2 + 1];
      if (!isFinite(x0) || !isFinite(s[b * 2])) return;
      const length = Math.hypot(s[b * 2] - x0, s[b * 2 + 1] - y0), stop = Math.max(0, length - 7) / (length || 1);
      const x1 = x0 + (s[b * 2] - x0) * stop, y1 = y0 + (s[b * 2 + 1] - y0) * stop;   // the head stops at the dot
      const colour = k === 0 ? "#7b4fa8" : "#1d7a1d";
      ctx.strokeStyle = ctx.fillStyle = colour;
      ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke();
      const ang = Math.atan2(y1 - y0, x1 - x0), len = 11;
      ctx.beginPath();
      ctx.moveTo(x1, y1);
      ctx.lineTo(x1 - len * Math.cos(ang - 0.4), y1 - len * Math.sin(ang - 0.4));
      ctx.lineTo(x1 - len * Math.cos(ang + 0.4), y1 - len * Math.sin(ang + 0.4));
      ctx.closePath(); ctx.fill();
    });
  }

  _placeLabels(ctx, w, h) {
    // highlighted words first, then the hovered one, then by frequency (row order); a label that
    // would overlap one already placed is skipped, so zooming in reveals more words
    // Occupied screen space is a grid of 8 x 4 px cells: checking a label costs a few cells, not
    // a comparison with every label placed, so 75k candidates are scanned within a frame.
    const s = this.screen, placed = [], CW = 8, CH = 4;
    const gw = Math.ceil(w / CW) + 1, gh = Math.ceil(h / CH) + 1, grid = new Uint8Array(gw * gh);
    const cells = (b, mark) => {
      const x0 = Math.max(0, Math.floor(b[0] / CW)), x1 = Math.min(gw - 1, Math.floor(b[2] / CW));
      const y0 = Math.max(0, Math.floor(b[1] / CH)), y1 = Math.min(gh - 1, Math.floor(b[3] / CH));
      for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) {
        if (mark) grid[y * gw + x] = 1; else if (grid[y * gw + x]) return false;
      }
      return true;
    };
    if (!this.widths || this.widths.length !== this.words.length) this.widths = new Float32Array(this.words.length);
    const width = (i, role) => {
      ctx.font = this._font(i, role);
      if (role) return ctx.measureText(this.words[i]).width;
      if (!this.widths[i]) this.widths[i] = ctx.measureText(this.words[i]).width || 0.01;
      return this.widths[i];
    };
    const tryLabel = (i, role, force) => {
      const x = s[i * 2], y = s[i * 2 + 1];
      if (!(x >= 0 && x <= w && y >= 0 && y <= h)) return;
      if (!force && !cells([x + 5, y - 15, x + 12, y + 2], false)) return;   // crowded: skip cheaply
      const tw = width(i, role);
      // right and above the point; a highlighted word that collides tries the other corners
      const spots = force ? [[6, -4], [6, 13], [-tw - 6, -4], [-tw - 6, 13], [6, -21], [6, 30], [-tw - 6, -21], [-tw - 6, 30]]
                          : [[6, -4]];
      for (const [dx, dy] of spots) {
        const b = [x + dx - 1, y + dy - 11, x + dx + tw + 3, y + dy + 6];
        if (cells(b, false)) { cells(b, true); placed.push({ i, x: x + dx - 6, y: y + dy + 4, role }); return; }
      }
      if (force) { cells([x + 5, y - 15, x + 9 + tw, y + 2], true); placed.push({ i, x, y, role }); }
    };
    for (const [i, role] of this.roles) tryLabel(i, role, true);
    if (this.hover >= 0 && !this.roles.has(this.hover)) tryLabel(this.hover, "hover", true);
    if (!this.showLabels) return placed;
    let frequent = 0;
    for (let i = 0; i < this.words.length && frequent < MAX_LABELS; i++) {
      if (this.roles.has(i) || i === this.hover) continue;
      const before = placed.length;
      tryLabel(i, null, false);
      if (placed.length > before) frequent++;
    }
    return placed;
  }

  _font(i, role) {
    return `${this.fromNgrams.has(i) ? "italic " : ""}${role ? "bold 13px" : "12px"} system-ui, sans-serif`;
  }

  _label(ctx, { i, x, y, role }) {
    ctx.font = this._font(i, role);
    ctx.lineWidth = 3;
    ctx.strokeStyle = "rgba(255,255,255,0.9)";
    ctx.strokeText(this.words[i], x + 6, y - 4);
    ctx.fillStyle = role && ROLE_STYLE[role] ? ROLE_STYLE[role].css : role === "hover" ? "#000" : "#3a3f47";
    ctx.fillText(this.words[i], x + 6, y - 4);
  }

  _drawAxes(ctx, w, h) {
    if (!this.axisTitles) return;
    ctx.font = "13px system-ui, sans-serif";
    ctx.fillStyle = "#555";
    ctx.textAlign = "center";
    if (this.axisTitles.x) ctx.fillText(this.axisTitles.x, w / 2, h - 10);
    if (this.axisTitles.y) {
      ctx.save(); ctx.translate(16, h / 2); ctx.rotate(-Math.PI / 2);
      ctx.fillText(this.axisTitles.y, 0, 0); ctx.restore();
    }
    ctx.textAlign = "start";
  }

  nearest(clientX, clientY, radius = 10) {
    const r = this.overlay.getBoundingClientRect();
    const x = clientX - r.left, y = clientY - r.top, s = this.screen;
    let best = -1, bestD = radius * radius;
    for (let i = 0; i < this.words.length; i++) {
      const dx = s[i * 2] - x, dy = s[i * 2 + 1] - y, d = dx * dx + dy * dy;
      if (d < bestD) { bestD = d; best = i; }
    }
    return best;
  }

  _onMove(e) {
    if (!this.points || e.buttons) return;
    const i = this.nearest(e.clientX, e.clientY);
    if (i !== this.hover) {
      this.hover = i;
      this.overlay.style.cursor = i >= 0 ? "pointer" : "";
      this.requestDraw();
    }
    if (i >= 0) {
      const r = this.stage.getBoundingClientRect();
      this.tooltip.textContent = this.words[i];
      this.tooltip.style.left = `${e.clientX - r.left + 12}px`;
      this.tooltip.style.top = `${e.clientY - r.top + 12}px`;
      this.tooltip.hidden = false;
    } else this.tooltip.hidden = true;
  }

  _onClick(e) {
    if (this.downAt && Math.hypot(e.clientX - this.downAt[0], e.clientY - this.downAt[1]) > 4) return; // a drag
    const i = this.nearest(e.clientX, e.clientY);
    if (i >= 0 && this.onPick) this.onPick(this.words[i]);
  }

  // --- export --------------------------------------------------------------------------------
  toPNG() {
    this.draw();
    const out = document.createElement("canvas");
    out.width = this.overlay.width; out.height = this.overlay.height;
    const ctx = out.getContext("2d");
    ctx.drawImage(this.glCanvas, 0, 0, out.width, out.height);
    ctx.drawImage(this.overlay, 0, 0);
    return new Promise((resolve) => out.toBlob(resolve, "image/png"));
  }

  toSVG() {
    // what is on screen, as vectors: points inside the view, arrows, the placed labels, axis titles
    this.draw();
    const NS = "http://www.w3.org/2000/svg";
    const { w, h } = this._size();
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("xmlns", NS);
    svg.setAttribute("width", w); svg.setAttribute("height", h); svg.setAttribute("viewBox", `0 0 ${w} ${h}`);
    const el = (name, attrs, text) => {
      const e = document.createElementNS(NS, name);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      if (text !== undefined) e.textContent = text;
      svg.appendChild(e);
      return e;
    };
    el("rect", { width: w, height: h, fill: "#ffffff" });
    const s = this.screen;
    const hex = (rgb) => "#" + rgb.map((v) => Math.round(v * 255).toString(16).padStart(2, "0")).join("");
    const base = hex(this.roles.size ? BASE.map((v) => v + (1 - v) * 0.45) : BASE);
    for (let i = 0; i < this.words.length; i++) {
      if (this.roles.has(i)) continue;
      const x = s[i * 2], y = s[i * 2 + 1];
      if (x >= 0 && x <= w && y >= 0 && y <= h) el("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: this.baseSize / 2, fill: base, "fill-opacity": 0.85 });
    }
    for (const [i, role] of this.roles) {
      const x = s[i * 2], y = s[i * 2 + 1];
      if (isFinite(x)) el("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: ROLE_STYLE[role].size / 2, fill: ROLE_STYLE[role].css });
    }
    this.arrows.forEach(([a, b], k) => {
      if (!isFinite(s[a * 2]) || !isFinite(s[b * 2])) return;
      el("line", { x1: s[a * 2], y1: s[a * 2 + 1], x2: s[b * 2], y2: s[b * 2 + 1], stroke: k === 0 ? "#7b4fa8" : "#1d7a1d", "stroke-width": 2 });
    });
    for (const { i, x, y, role } of this.placed || []) {
      const fill = role && ROLE_STYLE[role] ? ROLE_STYLE[role].css : "#3a3f47";
      el("text", { x: (x + 6).toFixed(1), y: (y - 4).toFixed(1), "font-family": "system-ui, sans-serif",
                   "font-size": role ? 13 : 12, "font-weight": role ? "bold" : "normal", fill,
                   "font-style": this.fromNgrams.has(i) ? "italic" : "normal",
                   stroke: "#fff", "stroke-width": 3, "paint-order": "stroke" }, this.words[i]);
    }
    if (this.axisTitles && this.axisTitles.x) el("text", { x: w / 2, y: h - 10, "text-anchor": "middle", "font-family": "system-ui, sans-serif", "font-size": 13, fill: "#555" }, this.axisTitles.x);
    if (this.axisTitles && this.axisTitles.y) el("text", { x: 0, y: 0, transform: `translate(16 ${h / 2}) rotate(-90)`, "text-anchor": "middle", "font-family": "system-ui, sans-serif", "font-size": 13, fill: "#555" }, this.axisTitles.y);
    return new Blob([new XMLSerializer().serializeToString(svg)], { type: "image/svg+xml" });
  }
}
