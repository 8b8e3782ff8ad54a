// The interpolation explorer in the page: one ES module for both of the series' explorers.
//
// - The live widget (helpers.widgets.InterpolationExplorer, an anywidget: `export default {render}`).
//   For each setting (model, axis, class pair, digit) the kernel decodes and judges every step of
//   alpha in one batch and sends them in one message; the slider only looks frames up, so an alpha
//   move never waits on the kernel.
// - The page-only block (helpers.browser_explorer: `mountPage`), for nbviewer, the HTML pages and the
//   decks: the model's Dense decoder and a logistic-regression judge run here, one frame at a time.
//
// `mount` draws what both show: the controls, the decoded digit and the judge's bars. The page gains
// one global, window.latentExplorers: per explorer its state(), the time of every alpha move
// (timings) and benchmark(n).

const PAIR = "class pair";

const CSS = `
.lx-explorer{display:inline-block;box-sizing:border-box;max-width:940px;margin:4px 0;padding:8px 10px;
 border:1px solid #ccc;border-radius:4px;background:#fff;color:#222;text-align:left;
 font:13px/1.35 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
.lx-explorer *{box-sizing:border-box;font:inherit;color:inherit;letter-spacing:normal;text-transform:none}
.lx-explorer .lx-title{font-weight:600;margin:0 0 6px}
.lx-explorer .lx-body{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
.lx-explorer canvas.lx-image{width:168px;height:168px;border:1px solid #bbb;image-rendering:pixelated;
 image-rendering:crisp-edges;flex:none;margin:0}
.lx-explorer .lx-chart{position:relative;width:250px;height:196px;flex:none}
.lx-explorer .lx-plot{position:absolute;left:40px;right:4px;top:6px;height:150px;border-left:1px solid #777;
 border-bottom:1px solid #777}
.lx-explorer .lx-grid{position:absolute;left:0;right:0;border-top:1px solid #e6e6e6}
.lx-explorer .lx-grid span{position:absolute;right:100%;margin-right:4px;transform:translateY(-50%);font-size:11px;color:#555}
.lx-explorer .lx-bar{position:absolute;bottom:0;width:7%;background:#aaa}
.lx-explorer .lx-ticks{position:absolute;left:40px;right:4px;top:158px;height:16px}
.lx-explorer .lx-ticks span{position:absolute;width:10%;text-align:center}
.lx-explorer .lx-ylabel{position:absolute;left:0;top:6px;height:150px;writing-mode:vertical-rl;transform:rotate(180deg);
 text-align:center;font-size:11px;color:#555}
.lx-explorer .lx-xlabel{position:absolute;left:40px;right:4px;top:176px;text-align:center;font-size:11px;color:#555}
.lx-explorer .lx-bar.lx-target{background:#d62728}.lx-explorer .lx-ticks .lx-target{color:#d62728;font-weight:600}
.lx-explorer .lx-bar.lx-start{background:#1f77b4}.lx-explorer .lx-ticks .lx-start{color:#1f77b4;font-weight:600}
.lx-explorer .lx-bar.lx-own{background:#333}.lx-explorer .lx-ticks .lx-own{color:#000;font-weight:700}
.lx-explorer .lx-controls{display:flex;flex-direction:column;gap:6px;min-width:0;max-width:440px}
.lx-explorer .lx-row{display:flex;flex-wrap:wrap;gap:6px 10px;align-items:center;margin:0}
.lx-explorer select{padding:1px 2px;border:1px solid #aaa;border-radius:3px;background:#fff;max-width:260px;margin:0}
.lx-explorer .lx-thumbs{display:flex;flex-wrap:wrap;gap:2px}
.lx-explorer .lx-thumbs canvas{width:24px;height:24px;border:1px solid #ddd;cursor:pointer;
 image-rendering:pixelated;image-rendering:crisp-edges;margin:0}
.lx-explorer .lx-thumbs canvas.lx-on{border-color:#d62728;outline:1px solid #d62728}
.lx-explorer input.lx-slider{width:260px;margin:0;vertical-align:middle}
.lx-explorer .lx-value{display:inline-block;min-width:3.6em;font-variant-numeric:tabular-nums}
.lx-explorer .lx-status{color:#555;font-size:12px;min-height:3em}
.lx-explorer .lx-pair.lx-off{opacity:.45}`;

function make(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  for (const child of children || []) node.append(child);
  return node;
}

// The alpha of step i of a range {low, step}: rounded as Python rounds the kernel's frames.
const alphaAt = (range, i) => Math.round((range.low + i * range.step) * 1e9) / 1e9;
const steps = range => Math.round((range.high - range.low) / range.step) + 1;
const sameSetting = (s, t) => ["model", "axis", "b", "a", "digit"].every(k => String(s[k]) === String(t[k]));
const signed = alpha => (alpha >= 0 ? "+" : "\u2212") + Math.abs(alpha).toFixed(2);

// VALUES (784) in [0, 1] as dark ink on white (SCALE 255 for bytes).
function paint(canvas, values, scale = 1) {
  const ctx = canvas.getContext("2d"), image = ctx.createImageData(28, 28), px = image.data;
  for (let p = 0; p < 784; p++) {
    px[4 * p] = px[4 * p + 1] = px[4 * p + 2] = Math.round(255 * (1 - Math.min(1, Math.max(0, values[p] / scale))));
    px[4 * p + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

// The judge's ten bars: judged probability (0 to 1) per digit class, highlighted classes coloured.
function barChart(classes) {
  const plot = make("div", {class: "lx-plot"}), ticks = make("div", {class: "lx-ticks"}), bars = [], labels = [];
  for (const p of [0, 0.5, 1]) plot.append(make("div", {class: "lx-grid", style: `bottom:${100 * p}%`}, [make("span", {}, [String(p)])]));
  for (let k = 0; k < classes; k++) {
    bars.push(make("div", {class: "lx-bar", style: `left:${(100 * k + 15) / classes}%;width:${70 / classes}%`}));
    labels.push(make("span", {style: `left:${100 * k / classes}%;width:${100 / classes}%`}, [String(k)]));
  }
  plot.append(...bars);
  ticks.append(...labels);
  const node = make("div", {class: "lx-chart"}, [make("div", {class: "lx-ylabel"}, ["judged probability"]), plot, ticks,
    make("div", {class: "lx-xlabel"}, ["digit class"])]);
  return {node, draw(probs, colours) {
    for (let k = 0; k < classes; k++) {
      bars[k].style.height = `${(100 * Math.min(1, Math.max(0, probs[k]))).toFixed(2)}%`;
      bars[k].className = colours[k] ? `lx-bar ${colours[k]}` : "lx-bar";
      labels[k].className = colours[k] || "";
    }
  }};
}

// Builds the explorer in ROOT. META: title, models, axes {model: [names]}, classes, labels and names of the
// digits, ranges {pair, axis: {low, high, step}}, settings (the first: model, axis, b, a, digit, alpha).
// SOURCE.request(settings, done) calls done(frames) now or later; frames = {settings, low, step, count,
// frame(i) -> {alpha, image (784 values in [0, 1]), probs (10) or null, code?}}. SOURCE.thumbs: the digits' bytes.
export function mount(root, meta, source) {
  const registry = window.latentExplorers = window.latentExplorers || {byId: {}, all: []};
  const inst = {id: root.getAttribute("data-lx-id"), element: root, timings: [], shown: 0, requests: 0,
                frames: null, frame: null, index: 0};
  registry.byId[inst.id] = inst;
  registry.all.push(inst);

  const menu = (cls, label, entries) => make("select", {class: cls, "aria-label": label},
    entries.map(([value, text]) => make("option", {value}, [text])));
  const classes = Array.from({length: meta.classes}, (_, c) => [c, String(c)]);
  const modelMenu = menu("lx-model", "model", meta.models.map(m => [m, m]));
  const axisMenu = menu("lx-axis", "axis", []);
  const bMenu = menu("lx-b", "start class b", classes), aMenu = menu("lx-a", "target class a", classes);
  const digitMenu = menu("lx-digit", "start digit", meta.labels.map((label, i) => [i, `${meta.names[i]} (a ${label})`]));
  const slider = make("input", {class: "lx-slider", type: "range", "aria-label": "alpha"});
  const readout = make("span", {class: "lx-value"}), status = make("div", {class: "lx-status"});
  const canvas = make("canvas", {class: "lx-image", width: 28, height: 28, "aria-label": "decoded image"});
  const chart = barChart(meta.classes), thumbs = make("div", {class: "lx-thumbs"});
  const pairBox = make("span", {class: "lx-pair"}, [make("label", {}, ["from b ", bMenu]), " \u2192 ",
    make("label", {}, ["to a ", aMenu])]);
  const hasAxes = Object.values(meta.axes).some(names => names.length);
  const thumbCanvases = meta.labels.map((label, i) => {
    const t = make("canvas", {width: 28, height: 28, title: `${meta.names[i]} (a ${label})`});
    paint(t, source.thumbs.subarray(784 * i, 784 * (i + 1)), 255);
    t.addEventListener("click", () => { digitMenu.value = i; changed(); });
    return t;
  });
  thumbs.append(...thumbCanvases);
  const controls = make("div", {class: "lx-controls"}, [
    make("div", {class: "lx-row"}, [make("label", {}, ["model ", modelMenu]),
      ...(hasAxes ? [make("label", {}, ["axis ", axisMenu])] : [])]),
    make("div", {class: "lx-row"}, [pairBox]),
    make("div", {class: "lx-row"}, [make("label", {}, ["start digit ", digitMenu])]),
    thumbs,
    make("div", {class: "lx-row"}, [make("label", {}, ["\u03b1 ", slider]), readout]),
    status]);
  root.replaceChildren(make("style", {}, [CSS]), make("div", {class: "lx-title"}, [meta.title]),
    make("div", {class: "lx-body"}, [canvas, chart.node, controls]));
  chart.node.hidden = !meta.judge;
  // Keys pressed in the explorer are its own: reveal.js must not turn them into slide changes.
  // Escape hands the keyboard back (the focused control lets go, the next arrow changes slides).
  for (const type of ["keydown", "keypress", "keyup"]) {
    root.addEventListener(type, e => {
      e.stopPropagation();
      if (type === "keydown" && e.key === "Escape" && root.contains(document.activeElement)) document.activeElement.blur();
    });
  }

  const current = () => ({model: modelMenu.value, axis: axisMenu.value, b: +bMenu.value, a: +aMenu.value,
                          digit: +digitMenu.value, alpha: +slider.value});

  // Controls to SETTINGS: the model's own axes on offer (class pair when it lacks the axis), alpha's range per axis kind.
  function apply(s) {
    modelMenu.value = s.model;
    const names = [PAIR, ...(meta.axes[s.model] || [])];
    axisMenu.replaceChildren(...names.map(n => make("option", {value: n}, [n === PAIR ? "class pair b \u2192 a" : n])));
    axisMenu.value = names.includes(s.axis) ? s.axis : PAIR;
    const pair = axisMenu.value === PAIR, range = pair ? meta.ranges.pair : meta.ranges.axis;
    bMenu.value = s.b; aMenu.value = s.a; digitMenu.value = s.digit;
    bMenu.disabled = aMenu.disabled = !pair;
    pairBox.classList.toggle("lx-off", !pair);
    Object.assign(slider, {min: range.low, max: range.high, step: range.step});
    slider.value = Math.min(range.high, Math.max(range.low, s.alpha));
    thumbCanvases.forEach((t, k) => { t.className = k === +s.digit ? "lx-on" : ""; });
  }

  // The frame of the slider's alpha: a lookup (the page-only block decodes it the first time).
  function show() {
    const fs = inst.frames;
    if (!fs) return;
    const s = current(), i = Math.max(0, Math.min(fs.count - 1, Math.round((s.alpha - fs.low) / fs.step)));
    const f = inst.frame = fs.frame(i), own = meta.labels[s.digit], probs = f.probs, pair = s.axis === PAIR;
    inst.index = i;
    paint(canvas, f.image);
    readout.textContent = signed(f.alpha);
    let text = pair ? `${meta.names[s.digit]} (a ${own}) moved ${s.b} \u2192 ${s.a}, \u03b1 ${signed(f.alpha)}`
      : `${meta.names[s.digit]} (a ${own}) along ${s.axis}, \u03b1 ${signed(f.alpha)} SD`;
    if (probs) {
      const colours = {[own]: "lx-own"};
      if (pair) Object.assign(colours, {[s.b]: "lx-start", [s.a]: "lx-target"});
      chart.draw(probs, colours);
      const p = k => `p(${k}) = ${probs[k].toFixed(2)}`, judged = probs.indexOf(Math.max(...probs));
      text += `: ${pair ? `${p(s.a)}, ${p(s.b)}` : p(own)}, judged ${judged}. ` +
        (pair ? "Red: to a, blue: from b, black: the digit's class." : "Black: the digit's class.");
    }
    status.textContent = text;
    root.setAttribute("data-lx-shown", ++inst.shown);
  }

  // A setting other than alpha changed: its frames come from the source (the kernel, or this page).
  function changed() {
    apply(current());
    const s = current(), serial = ++inst.requests;
    if (s.axis === PAIR && s.a === s.b) {
      inst.frames = null;
      status.textContent = "Pick two different classes: the vector z\u0304_a \u2212 z\u0304_b is zero when a = b.";
      return;
    }
    status.textContent = source.pending || "";
    source.request(s, fs => { if (serial === inst.requests) { inst.frames = fs; show(); } });
  }

  inst.load = (s, fs) => { inst.requests++; apply(s); inst.frames = fs; show(); };  // settings and frames from elsewhere
  inst.fail = message => { status.textContent = message; };
  inst.state = () => {
    const f = inst.frame, s = current();
    return {...s, index: inst.index, alpha: f ? f.alpha : s.alpha, image: f && Array.from(f.image),
            probs: f && f.probs && Array.from(f.probs), code: f && f.code ? Array.from(f.code) : null};
  };
  // N alpha moves as a reader makes them (value set, input event), back and forth over the range.
  inst.benchmark = n => {
    const low = +slider.min, count = Math.round((+slider.max - low) / +slider.step), first = inst.timings.length;
    for (let k = 0; k < n; k++) {
      const pos = k % (2 * count);
      slider.value = low + (pos <= count ? pos : 2 * count - pos) * +slider.step;
      slider.dispatchEvent(new Event("input", {bubbles: true}));
    }
    return inst.timings.slice(first);
  };

  slider.addEventListener("input", () => {
    const t0 = performance.now();
    show();
    inst.timings.push(performance.now() - t0);
  });
  for (const m of [modelMenu, axisMenu, bMenu, aMenu, digitMenu]) m.addEventListener("change", changed);
  apply(meta.settings);
  changed();
  return inst;
}

// --------------------------------------------------------------------------- the live widget
let liveViews = 0;

const asBytes = v => v instanceof DataView ? new Uint8Array(v.buffer, v.byteOffset, v.byteLength)
  : new Uint8Array(v.buffer ? v.buffer : v, v.byteOffset || 0, v.byteLength);

// The kernel's frames: INFO {settings, low, step, count}, DATA count x 10 float32 probabilities, then count x 784 bytes.
function kernelFrames(info, data) {
  const bytes = asBytes(data), n = info.count;
  const probs = new Float32Array(bytes.slice(0, 40 * n).buffer), images = bytes.subarray(40 * n);
  return {settings: info.settings, low: info.low, step: info.step, count: n, frame(i) {
    const ink = images.subarray(784 * i, 784 * (i + 1)), image = new Float32Array(784);
    for (let p = 0; p < 784; p++) image[p] = ink[p] / 255;
    return {alpha: alphaAt(info, i), image, probs: probs.subarray(10 * i, 10 * i + 10)};
  }};
}

function render({model, el}) {
  const view = ++liveViews, root = make("div", {class: "lx-explorer lx-live", "data-lx-id": `lx-live-${view}`,
    "data-lm-suppress-shortcuts": "true", "data-p-suppress-shortcuts": "true"});
  el.append(root);
  let received = kernelFrames(model.get("frames_for"), model.get("frames")), waiting = null, asked = 0;
  const source = {
    thumbs: asBytes(model.get("thumbs")),
    pending: "Computing this setting's frames in the kernel\u2026",
    request(s, done) {
      if (sameSetting(received.settings, s)) return done(received);
      waiting = {done, request: `${view}:${++asked}`};
      model.set("settings", {...s, request: waiting.request});
      model.save_changes();  // one message to the kernel; its answer carries every frame of alpha
    },
  };
  const inst = mount(root, {...model.get("meta"), settings: received.settings}, source);
  root.setAttribute("data-lx-state", "ready");
  const onFrames = () => {
    const info = model.get("frames_for");
    if (info.error) return inst.fail(info.error);
    received = kernelFrames(info, model.get("frames"));
    if (waiting && info.request === waiting.request) {
      const done = waiting.done;
      waiting = null;
      done(received);
    } else if (!String(info.request).startsWith(`${view}:`)) {
      inst.load({...received.settings, alpha: +info.settings.alpha}, received);  // set from Python or another view
    }
  };
  model.on("change:frames_for", onFrames);
  return () => model.off("change:frames_for", onFrames);
}

export default {render};

// --------------------------------------------------------------------------- the page-only block
const ACTIVATIONS = {
  linear: v => v,
  relu: v => (v > 0 ? v : 0),
  silu: v => v / (1 + Math.exp(-v)),
  tanh: Math.tanh,
  sigmoid: v => 1 / (1 + Math.exp(-v)),
  elu: v => (v > 0 ? v : Math.expm1(v)),
  softplus: v => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v))),
};

async function inflate(b64) {
  if (typeof DecompressionStream === "undefined") {
    throw new Error("this browser has no DecompressionStream (Chrome 80+, Firefox 113+, Safari 16.4+ have it)");
  }
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  return new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"))).arrayBuffer();
}

// Dense layers as the page holds them: kernel = zigzag integers (low and high byte planes) x a step per output unit.
function denseLayers(meta, views) {
  return meta.layers.map((spec, k) => {
    const n = spec.inputs, m = spec.outputs, lo = views[`lo${k}`], hi = views[`hi${k}`], step = views[`step${k}`];
    const w = new Float32Array(n * m);
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < n; i++) {
        const zz = lo[j * n + i] | (hi[j * n + i] << 8);
        w[j * n + i] = ((zz >>> 1) ^ -(zz & 1)) * step[j];  // zigzag back to a signed integer, times the step
      }
    }
    return {n, m, w, b: views[`bias${k}`], act: ACTIVATIONS[spec.activation], out: new Float64Array(m)};
  });
}

// Dense layers (row j of w holds output unit j's weights), then LAST on each output: a new array.
function forward(layers, input, last) {
  let h = input;
  for (const {n, m, w, b, act, out} of layers) {
    for (let j = 0; j < m; j++) {
      let s = b[j];
      for (let i = 0; i < n; i++) s += w[j * n + i] * h[i];
      out[j] = act(s);
    }
    h = out;
  }
  return Float64Array.from(h, last);
}

function softmax(logits) {
  const top = Math.max(...logits), e = logits.map(v => Math.exp(v - top)), sum = e.reduce((x, y) => x + y, 0);
  return e.map(v => v / sum);
}

// decode(z + alpha v) and the judge's probabilities, computed here for each step of alpha the first time it shows.
function pageSource(meta, views) {
  const d = meta.latentDim, decoder = denseLayers(meta, views), sigmoid = ACTIVATIONS.sigmoid;
  const judge = meta.judge && [{n: 784, m: 10, w: views.judgeW, b: views.judgeB, act: ACTIVATIONS.linear,
                                out: new Float64Array(10)}];
  return {thumbs: views.thumbs, request(s, done) {
    const axis = meta.axes[s.model].indexOf(s.axis), c = views.centroids, v = new Float64Array(d), cache = [];
    for (let k = 0; k < d; k++) v[k] = axis < 0 ? c[s.a * d + k] - c[s.b * d + k] : views.axes[axis * d + k];
    const range = axis < 0 ? meta.ranges.pair : meta.ranges.axis;
    done({settings: s, low: range.low, step: range.step, count: steps(range), frame(i) {
      if (!cache[i]) {
        const alpha = alphaAt(range, i), code = new Float64Array(d);
        for (let k = 0; k < d; k++) code[k] = views.codes[s.digit * d + k] + alpha * v[k];
        const image = forward(decoder, code, meta.finalSigmoid ? sigmoid : undefined);
        cache[i] = {alpha, code, image, probs: judge ? softmax(forward(judge, image)) : null};
      }
      return cache[i];
    }});
  }};
}

// Mounts the page-only explorer(s) whose container carries data-lx-id=ID, from META and the deflated DATA.
export async function mountPage(id, meta, data) {
  for (const root of document.querySelectorAll(`div.lx-explorer[data-lx-id="${id}"]`)) {
    if (root.hasAttribute("data-lx-state")) continue;
    root.setAttribute("data-lx-state", "loading");
    try {
      const buffer = await inflate(data), views = {};
      for (const [name, [offset, length, kind]] of Object.entries(meta.arrays)) {
        views[name] = kind === "f32" ? new Float32Array(buffer, offset, length) : new Uint8Array(buffer, offset, length);
      }
      mount(root, meta, pageSource(meta, views));
      root.setAttribute("data-lx-state", "ready");
    } catch (err) {
      root.setAttribute("data-lx-state", "error");
      root.textContent = `The explorer could not start: ${err.message}`;
    }
  }
}
