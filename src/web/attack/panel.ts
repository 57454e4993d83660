/**
 * The attack panel: pick a bundled Fashion-MNIST image (or upload one), choose the attack, its mode (untargeted,
 * targeted, or the reverse step that helps the true class) and eps, and watch the prediction, the confidence and the
 * (amplified) perturbation change as the slider moves. A robust-accuracy sweep over the bundled subset runs in a second
 * worker so the live view stays responsive.
 */
import { errorMessage, fmt, h } from "../ui/dom.js";
import { renderPlot, PALETTE } from "../ui/plot.js";
import { WorkerClient } from "../workers/rpc.js";
import type {
  AttackMode,
  AttackReply,
  AttackRequest,
  InitReply,
  InitRequest,
  RobustProgress,
  RobustReply,
  RobustRequest,
} from "./types.js";

interface Samples {
  n: number;
  height: number;
  width: number;
  channels: number;
  classes: string[];
  pixels: Uint8Array;
  labels: Uint8Array;
}

async function loadSamples(base: URL): Promise<Samples> {
  const meta = (await (await fetch(new URL("data/samples.json", base))).json()) as Omit<
    Samples,
    "pixels" | "labels"
  >;
  const res = await fetch(new URL("data/samples.bin", base));
  if (!res.ok) throw new Error(`data/samples.bin: HTTP ${res.status}`);
  const bin = new Uint8Array(await res.arrayBuffer());
  const size = meta.height * meta.width * meta.channels;
  return {
    ...meta,
    pixels: bin.subarray(0, meta.n * size),
    labels: bin.subarray(meta.n * size, meta.n * size + meta.n),
  };
}

/** Draws a [0,1] grayscale/RGB image, or a signed perturbation mapped to gray ± (scaled by `amplify`). */
function drawImage(
  canvas: HTMLCanvasElement,
  data: ArrayLike<number>,
  w: number,
  hgt: number,
  channels: number,
  signed = false,
  amplify = 1,
): void {
  canvas.width = w;
  canvas.height = hgt;
  const ctx = canvas.getContext("2d")!;
  const img = ctx.createImageData(w, hgt);
  for (let i = 0; i < w * hgt; i++) {
    for (let c = 0; c < 3; c++) {
      let v = data[i * channels + (channels === 1 ? 0 : c)]!;
      v = signed ? 0.5 + 0.5 * Math.max(-1, Math.min(1, v * amplify)) : v;
      img.data[i * 4 + c] = Math.round(Math.max(0, Math.min(1, v)) * 255);
    }
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** Reads an uploaded picture into the model's input size: grayscale, optionally inverted (dark object on white paper). */
async function imageFromFile(
  file: File,
  w: number,
  hgt: number,
  channels: number,
  invert: boolean,
): Promise<Float32Array> {
  const bitmap = await createImageBitmap(file);
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = hgt;
  const ctx = canvas.getContext("2d")!;
  ctx.fillStyle = invert ? "#fff" : "#000";
  ctx.fillRect(0, 0, w, hgt);
  const scale = Math.min(w / bitmap.width, hgt / bitmap.height);
  const dw = bitmap.width * scale;
  const dh = bitmap.height * scale;
  ctx.drawImage(bitmap, (w - dw) / 2, (hgt - dh) / 2, dw, dh);
  const px = ctx.getImageData(0, 0, w, hgt).data;
  const out = new Float32Array(w * hgt * channels);
  for (let i = 0; i < w * hgt; i++) {
    const rgb = [px[i * 4]! / 255, px[i * 4 + 1]! / 255, px[i * 4 + 2]! / 255];
    if (channels === 1) {
      const g = 0.299 * rgb[0]! + 0.587 * rgb[1]! + 0.114 * rgb[2]!;
      out[i] = invert ? 1 - g : g;
    } else for (let c = 0; c < channels; c++) out[i * channels + c] = invert ? 1 - rgb[c]! : rgb[c]!;
  }
  return out;
}

const argmax = (p: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
  return best;
};

export function mountAttackPanel(host: HTMLElement, badge: HTMLElement): void {
  const base = new URL(".", document.baseURI);
  const params = new URLSearchParams(location.search);
  const forced = params.get("backend");
  let modelName = "fashion-cnn";
  const init: InitRequest = {
    modelUrl: new URL("models/fashion-cnn/model.json", base).href,
    samplesUrl: new URL("data/", base).href,
    wasmBase: new URL("wasm/", base).href,
    backend: forced === "webgl" || forced === "wasm" || forced === "cpu" ? forced : undefined,
  };
  const newWorker = (name: string) =>
    new WorkerClient(new Worker(new URL("./attack.worker.ts", import.meta.url), { type: "module", name }));

  let samples: Samples | undefined;
  let info: InitReply | undefined;
  let live: WorkerClient | undefined;
  let batch: WorkerClient | undefined;
  let current: { image: Float32Array; label: number; known: boolean; name: string } | undefined;
  let busy = false;
  let queued = false;

  // ---- image card
  const gallery = h("div", { class: "gallery", role: "group", "aria-label": "Sample images" });
  const upload = h("input", { type: "file", id: "atk-upload", accept: "image/*", class: "small" });
  const invert = h("input", { type: "checkbox", id: "atk-invert", checked: true });
  const imageCard = h(
    "div",
    { class: "card" },
    h("h2", {}, "Image", h("span", { class: "hint" }, "bundled Fashion-MNIST test images")),
    gallery,
    h("div", { class: "row small" }, h("label", { for: "atk-upload" }, "Or upload a picture"), upload),
    h(
      "div",
      { class: "row small" },
      h("label", { for: "atk-invert" }, invert, " invert (dark object on a light background)"),
    ),
  );

  // ---- controls card
  const attackSelect = h("select", { id: "atk-attack" });
  const modelSelect = h("select", { id: "atk-model" }, h("option", { value: "fashion-cnn" }, "fashion-cnn"));
  const modeInputs = (["untargeted", "targeted", "reverse"] as AttackMode[]).map((m) =>
    h("input", {
      type: "radio",
      name: "atk-mode",
      id: `atk-mode-${m}`,
      value: m,
      checked: m === "untargeted",
    }),
  );
  const targetSelect = h("select", { id: "atk-target", disabled: true });
  const eps = h("input", { type: "range", id: "atk-eps", min: 0, max: 0.5, step: 0.005, value: 0.1 });
  const epsValue = h("output", { for: "atk-eps", class: "eps-value", id: "atk-eps-value" }, "0.100");
  const steps = h("input", { type: "number", id: "atk-steps", min: 1, max: 200, value: 10 });
  const controlsCard = h(
    "div",
    { class: "card" },
    h("h2", {}, "Attack"),
    h("div", { class: "row" }, h("label", { for: "atk-model" }, "Classifier"), modelSelect),
    h("div", { class: "row" }, h("label", { for: "atk-attack" }, "Method"), attackSelect),
    h("div", { class: "row" }, h("label", { for: "atk-steps" }, "Steps (iterative methods)"), steps),
    h(
      "fieldset",
      { class: "row", style: "margin-top:8px" },
      h("legend", {}, "Goal"),
      h(
        "span",
        { class: "seg" },
        h("label", { for: "atk-mode-untargeted" }, modeInputs[0], "untargeted"),
        h("label", { for: "atk-mode-targeted" }, modeInputs[1], "targeted →"),
        targetSelect,
        h(
          "label",
          { for: "atk-mode-reverse", title: "x − eps·sign(∇loss): makes the true class more likely" },
          modeInputs[2],
          "reverse step",
        ),
      ),
    ),
    h("div", { class: "row" }, h("label", { for: "atk-eps" }, "eps (L∞, pixels in [0, 1])"), epsValue),
    eps,
  );

  // ---- result card
  const canvases = {
    clean: h("canvas", { width: 28, height: 28, id: "atk-clean" }),
    delta: h("canvas", { width: 28, height: 28, id: "atk-delta" }),
    adv: h("canvas", { width: 28, height: 28, id: "atk-adv" }),
  };
  const captions = {
    clean: h("figcaption", { id: "atk-clean-pred" }),
    delta: h("figcaption", { id: "atk-delta-info" }),
    adv: h("figcaption", { id: "atk-adv-pred", "aria-live": "polite" }),
  };
  const bars = h("div", { class: "bars", id: "atk-bars" });
  const liveStatus = h("div", { class: "stats", id: "atk-status", role: "status" });
  canvases.clean.setAttribute("aria-label", "original image");
  canvases.delta.setAttribute("aria-label", "perturbation, amplified");
  canvases.adv.setAttribute("aria-label", "attacked image");
  const resultCard = h(
    "div",
    { class: "card" },
    h("h2", {}, "Prediction"),
    h(
      "div",
      { class: "triptych" },
      h("figure", {}, canvases.clean, captions.clean),
      h("figure", {}, canvases.delta, captions.delta),
      h("figure", {}, canvases.adv, captions.adv),
    ),
    h(
      "div",
      { class: "row", style: "margin:10px 0 4px" },
      h(
        "span",
        { class: "legend-inline" },
        h("span", {}, h("i", { style: "background:#94a3b8" }), "original"),
        h("span", {}, h("i", { style: "background:#c81e1e" }), "attacked"),
      ),
    ),
    bars,
    liveStatus,
  );

  // ---- robust accuracy card
  const robustCount = h(
    "select",
    { id: "rob-count" },
    ...[100, 200, 300, 500].map((n) => h("option", { value: n, selected: n === 200 }, String(n))),
  );
  const robustEps = h("input", {
    type: "text",
    id: "rob-eps",
    value: "0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3",
    size: 28,
  });
  const robustAttacks = h("span", { class: "seg", id: "rob-attacks" });
  const robustRun = h("button", { type: "button", class: "primary", id: "rob-run" }, "Compute curve");
  const robustStop = h("button", { type: "button", id: "rob-stop", disabled: true }, "Stop");
  const robustProgress = h("progress", { id: "rob-progress", max: 1, value: 0, hidden: true });
  const robustPlot = h("div", { id: "rob-plot" });
  const robustStatus = h("div", { class: "stats", id: "rob-status", role: "status", "aria-live": "polite" });
  const robustCard = h(
    "div",
    { class: "card" },
    h(
      "h2",
      {},
      "Robust accuracy",
      h("span", { class: "hint" }, "accuracy on attacked inputs, true labels, computed in a worker"),
    ),
    h(
      "div",
      { class: "row" },
      h("label", { for: "rob-count" }, "Images"),
      robustCount,
      h("label", { for: "rob-eps" }, "eps"),
      robustEps,
    ),
    h(
      "div",
      { class: "row" },
      h("span", { class: "small" }, "Attacks:"),
      robustAttacks,
      h("span", { class: "spacer" }),
      robustRun,
      robustStop,
    ),
    robustProgress,
    robustPlot,
    robustStatus,
  );

  const unavailableNote = h("div", { class: "unavailable", id: "atk-unavailable", hidden: true });
  host.append(
    unavailableNote,
    h(
      "div",
      { class: "grid2" },
      h("div", { class: "stack" }, imageCard, controlsCard),
      h("div", { class: "stack" }, resultCard, robustCard),
    ),
  );
  renderPlot(robustPlot, [], {
    title: "Robust accuracy against eps",
    xLabel: "eps",
    yLabel: "accuracy",
    yDomain: [0, 1],
    emptyText: "not computed yet",
  });

  const classes = () => info?.classes ?? samples?.classes ?? [];
  const mode = (): AttackMode =>
    (modeInputs.find((m) => m.checked)?.value as AttackMode | undefined) ?? "untargeted";
  const isIterative = () => info?.attacks.find((a) => a.name === attackSelect.value)?.iterative ?? false;

  function setUnavailable(text: string): void {
    unavailableNote.hidden = false;
    unavailableNote.textContent = text;
    for (const el of [attackSelect, eps, steps, targetSelect, robustRun, ...modeInputs]) el.disabled = true;
  }

  function selectSample(i: number): void {
    if (!samples) return;
    const size = samples.height * samples.width * samples.channels;
    const image = new Float32Array(size);
    for (let k = 0; k < size; k++) image[k] = samples.pixels[i * size + k]! / 255;
    current = { image, label: samples.labels[i]!, known: true, name: `sample ${i}` };
    for (const b of Array.from(gallery.querySelectorAll("button")))
      b.setAttribute("aria-pressed", String(b.dataset.index === String(i)));
    requestAttack();
  }

  function renderBars(
    clean: Float32Array,
    adv: Float32Array,
    label: number,
    target: number | undefined,
  ): void {
    bars.replaceChildren(
      ...classes().flatMap((name, k) => [
        h(
          "span",
          { class: k === label ? "bar-label true" : "bar-label" },
          name,
          k === label ? " ✓" : "",
          k === target ? " ◎" : "",
        ),
        h(
          "div",
          {
            class: "bar",
            role: "img",
            "aria-label": `${name}: original ${(clean[k]! * 100).toFixed(1)}%, attacked ${(adv[k]! * 100).toFixed(1)}%`,
          },
          h("span", { class: "clean", style: `width:${(clean[k]! * 100).toFixed(1)}%` }),
          h("span", { class: "adv", style: `width:${(adv[k]! * 100).toFixed(1)}%` }),
        ),
      ]),
    );
  }

  function predictionText(probs: Float32Array, label: number, known: boolean): HTMLElement {
    const k = argmax(probs);
    const cls = known ? (k === label ? "pred right" : "pred wrong") : "pred";
    return h("span", { class: cls }, `${classes()[k] ?? k} · ${(probs[k]! * 100).toFixed(1)}%`);
  }

  async function runAttack(): Promise<void> {
    if (!live || !current || !info) return;
    const [hgt, w, c] = info.inputShape as [number, number, number];
    const m = mode();
    const req: AttackRequest = {
      image: current.image,
      label: current.label,
      attack: attackSelect.value,
      eps: Number(eps.value),
      steps: Math.max(1, Math.floor(Number(steps.value) || 1)),
      mode: m,
      target: Number(targetSelect.value),
    };
    const res = await live.call<AttackReply>("attack", req);
    drawImage(canvases.clean, current.image, w, hgt, c);
    drawImage(canvases.adv, res.adversarial, w, hgt, c);
    const delta = new Float32Array(res.adversarial.length);
    for (let i = 0; i < delta.length; i++) delta[i] = res.adversarial[i]! - current.image[i]!;
    const amplify = req.eps > 0 ? 1 / req.eps : 1;
    drawImage(canvases.delta, delta, w, hgt, c, true, amplify);
    const truth = current.known
      ? `true: ${classes()[current.label]}`
      : "uploaded (label = its clean prediction)";
    captions.clean.replaceChildren(
      h("div", {}, "Original"),
      predictionText(res.cleanProbs, current.label, current.known),
      h("div", { class: "muted" }, truth),
    );
    captions.delta.replaceChildren(
      h("div", {}, `Perturbation ×${fmt(amplify, 3)}`),
      h("div", { class: "muted" }, `max |δ| = ${res.linf.toFixed(3)}`),
    );
    captions.adv.replaceChildren(
      h("div", {}, m === "reverse" ? "Reverse step" : "Attacked"),
      predictionText(res.advProbs, current.label, current.known),
    );
    renderBars(res.cleanProbs, res.advProbs, current.label, m === "targeted" ? req.target : undefined);
    const zero =
      res.zeroGradFraction !== undefined
        ? ` · zero-gradient pixels ${(res.zeroGradFraction * 100).toFixed(1)}%`
        : "";
    liveStatus.textContent = `${req.attack}${isIterative() ? ` (${req.steps} steps)` : ""}, ${m}, eps ${req.eps.toFixed(3)} on ${current.name} (${modelName}): ${fmt(res.ms, 3)} ms on ${info.backend}${zero}`;
  }

  /** Runs the latest request; slider moves while an attack is in flight collapse into one follow-up. */
  function requestAttack(): void {
    if (busy) {
      queued = true;
      return;
    }
    busy = true;
    runAttack()
      .catch((err: unknown) => {
        liveStatus.replaceChildren(h("span", { class: "status-bad" }, `✖ ${errorMessage(err)}`));
      })
      .finally(() => {
        busy = false;
        if (queued) {
          queued = false;
          requestAttack();
        }
      });
  }

  async function runRobust(): Promise<void> {
    if (!info) return;
    const epsilons = robustEps.value
      .split(/[,\s]+/)
      .filter(Boolean)
      .map(Number);
    if (epsilons.length === 0 || epsilons.some((e) => !Number.isFinite(e) || e < 0 || e > 1)) {
      robustStatus.replaceChildren(
        h("span", { class: "status-bad" }, "eps: give numbers in [0, 1] separated by commas"),
      );
      robustEps.setAttribute("aria-invalid", "true");
      return;
    }
    robustEps.removeAttribute("aria-invalid");
    const attacks = Array.from(robustAttacks.querySelectorAll("input"))
      .filter((i) => i.checked)
      .map((i) => i.value);
    if (attacks.length === 0) {
      robustStatus.textContent = "check at least one attack";
      return;
    }
    batch ??= newWorker("gradopt-robust");
    robustRun.disabled = true;
    robustStop.disabled = false;
    robustProgress.hidden = false;
    robustProgress.value = 0;
    robustStatus.textContent = "starting …";
    try {
      await batch.call<InitReply>("init", init);
      const req: RobustRequest = {
        count: Number(robustCount.value),
        epsilons: [...new Set(epsilons)].sort((a, b) => a - b),
        attacks,
        steps: Math.max(1, Math.floor(Number(steps.value) || 10)),
      };
      const res = await batch.call<RobustReply>("robust", req, (p: RobustProgress) => {
        robustProgress.value = p.done / p.total;
        robustStatus.textContent = `${p.attack}: ${p.done} / ${p.total} images`;
      });
      renderPlot(
        robustPlot,
        [
          {
            name: "clean",
            x: [req.epsilons[0]!, req.epsilons[req.epsilons.length - 1]!],
            y: [res.cleanAccuracy, res.cleanAccuracy],
            color: "#94a3b8",
            dashed: true,
          },
          ...res.curves.map((c, i) => ({
            name: c.attack,
            x: c.points.map((p) => p.eps),
            y: c.points.map((p) => p.accuracy),
            kind: "line+points" as const,
            color: PALETTE[(i + 1) % PALETTE.length],
          })),
        ],
        {
          title: `Robust accuracy of ${modelName} against eps`,
          xLabel: "eps",
          yLabel: "accuracy",
          yDomain: [0, 1],
        },
      );
      robustStatus.textContent =
        `${modelName}, ${res.count} images, clean accuracy ${(res.cleanAccuracy * 100).toFixed(1)}%, ${fmt(res.ms / 1000, 3)} s · ` +
        res.curves
          .map(
            (c) =>
              `${c.attack}: ${c.points.map((p) => `${p.eps}→${(p.accuracy * 100).toFixed(1)}%`).join(" ")}`,
          )
          .join(" · ");
    } catch (err) {
      robustStatus.replaceChildren(h("span", { class: "status-bad" }, `✖ ${errorMessage(err)}`));
    } finally {
      robustRun.disabled = false;
      robustStop.disabled = true;
      robustProgress.hidden = true;
    }
  }

  /** Switches the classifier: both workers restart with the new model (the live view re-runs at once). */
  async function switchModel(name: string): Promise<void> {
    modelName = name;
    init.modelUrl = new URL(`models/${name}/model.json`, base).href;
    live?.terminate();
    batch?.terminate();
    batch = undefined;
    busy = false;
    queued = false;
    liveStatus.textContent = `loading ${name} …`;
    try {
      live = newWorker("gradopt-attack");
      info = await live.call<InitReply>("init", init);
      requestAttack();
    } catch (err) {
      liveStatus.replaceChildren(h("span", { class: "status-bad" }, `✖ ${name}: ${errorMessage(err)}`));
    }
  }

  // ---- wiring
  modelSelect.addEventListener("change", () => void switchModel(modelSelect.value));
  eps.addEventListener("input", () => {
    epsValue.textContent = Number(eps.value).toFixed(3);
    requestAttack();
  });
  attackSelect.addEventListener("change", () => {
    steps.disabled = !isIterative();
    requestAttack();
  });
  steps.addEventListener("change", requestAttack);
  for (const m of modeInputs) {
    m.addEventListener("change", () => {
      targetSelect.disabled = mode() !== "targeted";
      requestAttack();
    });
  }
  targetSelect.addEventListener("change", requestAttack);
  robustRun.addEventListener("click", () => void runRobust());
  robustStop.addEventListener("click", () => {
    batch?.terminate();
    batch = undefined;
  });
  upload.addEventListener("change", async () => {
    const file = upload.files?.[0];
    if (!file || !info || !live) return;
    try {
      const [hgt, w, c] = info.inputShape as [number, number, number];
      const image = await imageFromFile(file, w, hgt, c, invert.checked);
      const { probs } = await live.call<{ probs: Float32Array }>("predict", { image });
      current = { image, label: argmax(probs), known: false, name: file.name };
      for (const b of Array.from(gallery.querySelectorAll("button"))) b.setAttribute("aria-pressed", "false");
      requestAttack();
    } catch (err) {
      liveStatus.replaceChildren(h("span", { class: "status-bad" }, `✖ ${file.name}: ${errorMessage(err)}`));
    }
  });

  liveStatus.textContent = "starting TensorFlow.js in a worker …";
  (async () => {
    try {
      samples = await loadSamples(base);
    } catch (err) {
      setUnavailable(`The bundled sample images are missing from this build (${errorMessage(err)}).`);
      return;
    }
    const size = samples.height * samples.width * samples.channels;
    const shown = Math.min(60, samples.n);
    for (let i = 0; i < shown; i++) {
      const canvas = h("canvas", { width: samples.width, height: samples.height });
      drawImage(
        canvas,
        Array.from(samples.pixels.subarray(i * size, (i + 1) * size), (v) => v / 255),
        samples.width,
        samples.height,
        samples.channels,
      );
      gallery.append(
        h(
          "button",
          {
            type: "button",
            "data-index": i,
            "aria-pressed": "false",
            "aria-label": `sample ${i}: ${samples.classes[samples.labels[i]!]}`,
            title: samples.classes[samples.labels[i]!],
            onclick: () => selectSample(i),
          },
          canvas,
        ),
      );
    }
    const names = await fetch(new URL("models/index.json", base))
      .then((r) => (r.ok ? (r.json() as Promise<string[]>) : []))
      .catch(() => [] as string[]);
    if (names.length > 0) {
      modelSelect.replaceChildren(
        ...names.map((n) => h("option", { value: n, selected: n === modelName }, n)),
      );
    }
    try {
      live = newWorker("gradopt-attack");
      info = await live.call<InitReply>("init", init);
    } catch (err) {
      setUnavailable(`Attacks are unavailable: ${errorMessage(err)}.`);
      badge.textContent = "tfjs: unavailable";
      liveStatus.textContent = "";
      return;
    }
    badge.textContent = `tfjs: ${info.backend}`;
    badge.title =
      `TensorFlow.js backend of the attack workers: ${info.backend}. WebGL renderer: ${info.renderer ?? "none"}` +
      (info.backend !== "webgl" && info.renderer ? " (a software renderer, slower than wasm)" : "");
    for (const a of info.attacks) attackSelect.append(h("option", { value: a.name }, a.label));
    for (const [k, name] of info.classes.entries())
      targetSelect.append(h("option", { value: k, selected: k === 0 }, name));
    for (const a of info.attacks) {
      robustAttacks.append(
        h(
          "label",
          {},
          h("input", { type: "checkbox", value: a.name, checked: a.name === "fgsm" || a.name === "pgd" }),
          a.label,
        ),
      );
    }
    steps.disabled = !isIterative();
    selectSample(0);
  })();
}
