/**
 * The delay-equation panel: a YAML model editor (errors marked at their line and column), the solved trajectories,
 * one slider per parameter (re-solving as it moves) and a fit that runs in a worker while the cost plot falls and the
 * fitted curve meets the data.
 */
import { createEditor, type Editor, type EditorMarker } from "../ui/editor.js";
import { VIRTUAL_DIR } from "../shims/vfs.js";
import { debounce, errorMessage, fmt, h, rafThrottle } from "../ui/dom.js";
import { renderPlot, PALETTE, type Series } from "../ui/plot.js";
import { WorkerClient } from "../workers/rpc.js";
import { bundledExamples, loadDdeEngine, MODEL_FILE } from "./engine.js";
import type { CompiledModel, DdeEngine, FitProgress, FitRequest, FitResultView, SolveView } from "./types.js";

interface ParamControl {
  name: string;
  grad: HTMLElement;
  range: HTMLInputElement;
  number: HTMLInputElement;
  label: HTMLLabelElement;
  fit: HTMLInputElement;
}

function sliderRange(v: number): { min: number; max: number; step: number } {
  const a = Math.abs(v);
  const min = v > 0 ? 0 : v < 0 ? -3 * a : -1;
  const max = v > 0 ? 3 * a : v < 0 ? 0 : 1;
  const step = Number(((max - min) / 600).toPrecision(2));
  return { min, max, step };
}

/** Where an error points in the editor; an error in another file (a data CSV) is shown as file:line:column text. */
function markerFor(err: unknown): EditorMarker {
  const loc = (err as { location?: { file?: string; line?: number; column?: number } } | undefined)?.location;
  const message = errorMessage(err);
  if (loc?.file && loc.file !== MODEL_FILE) {
    const file = loc.file.replace(`${VIRTUAL_DIR}/`, "");
    return {
      message: `${file}${loc.line ? `:${loc.line}` : ""}${loc.column ? `:${loc.column}` : ""}: ${message}`,
    };
  }
  return { line: loc?.line ?? 1, column: loc?.column, message };
}

export function mountDdePanel(host: HTMLElement): void {
  const examples = bundledExamples();
  const uploads: Record<string, string> = {};
  let engine: DdeEngine | undefined;
  let model: CompiledModel | undefined;
  let controls: ParamControl[] = [];
  let fitClient: WorkerClient | undefined;
  let fitting = false;
  let costHistory: { it: number; cost: number }[] = [];

  // ---- model card
  const exampleSelect = h("select", { id: "dde-example", "aria-label": "Example model", style: "flex: 1" });
  for (const ex of examples.models) exampleSelect.append(h("option", { value: ex.name }, ex.title));
  const solveButton = h("button", { type: "button", class: "primary", id: "dde-solve" }, "Solve");
  const autoSolve = h("input", { type: "checkbox", id: "dde-auto", checked: true });
  const rtolSelect = h(
    "select",
    { id: "dde-rtol" },
    ...["1e-3", "1e-6", "1e-9"].map((v) => h("option", { value: v, selected: v === "1e-6" }, v)),
  );
  const csvInput = h("input", { type: "file", id: "dde-csv", accept: ".csv,text/csv", class: "small" });
  const editor: Editor = createEditor({
    id: "dde-editor",
    label: "Model (YAML)",
    onInput: () => scheduleCompile(),
    onSubmit: () => compileAndSolve(),
  });
  const modelCard = h(
    "div",
    { class: "card" },
    h("h2", {}, "Model", h("span", { class: "hint" }, "YAML, the same format as model files")),
    h(
      "div",
      { class: "row nowrap", style: "margin-bottom:8px" },
      h("label", { for: "dde-example" }, "Example"),
      exampleSelect,
    ),
    editor.root,
    h(
      "div",
      { class: "row" },
      solveButton,
      h("label", { class: "small", for: "dde-auto" }, autoSolve, " solve as I type"),
      h("span", { class: "spacer" }),
      h(
        "label",
        {
          class: "small",
          for: "dde-rtol",
          title: "solver tolerance of the plotted solution (J and its gradient use at most 1e-8)",
        },
        "rtol",
      ),
      rtolSelect,
    ),
    h(
      "div",
      { class: "row small" },
      h("label", { for: "dde-csv" }, "Data CSV for a ", h("code", {}, "data:"), " term"),
      csvInput,
    ),
  );

  // ---- results
  const plotHost = h("div", { id: "dde-plot", class: "plot-host" });
  const stats = h("div", { class: "stats", id: "dde-stats", role: "status", "aria-live": "polite" });
  const plotCard = h("div", { class: "card" }, h("h2", {}, "Trajectories"), plotHost, stats);
  const paramsGrid = h("div", { class: "params", id: "dde-params" });
  const resetParams = h("button", { type: "button", id: "dde-reset" }, "Reset to the file's values");
  const paramsCard = h(
    "div",
    { class: "card" },
    h("h2", {}, "Parameters", h("span", { class: "hint" }, "drag to re-solve; checked ones are fitted")),
    paramsGrid,
    h("div", { class: "row" }, resetParams),
  );

  // ---- the model's own gradient formulas, checked (models with a gradient: section)
  const checkBody = h("tbody", { id: "grad-check-body" });
  const checkCard = h(
    "div",
    { class: "card", id: "grad-check", hidden: true },
    h(
      "h2",
      {},
      "Your gradient formulas",
      h("span", { class: "hint" }, "the gradient: section against the exact gradient"),
    ),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "check" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            h("th", { scope: "col" }, "target"),
            h("th", { scope: "col" }, "your formula"),
            h("th", { scope: "col" }, "exact"),
            h("th", { scope: "col" }, "rel. error"),
            h("th", { scope: "col" }, ""),
          ),
        ),
        checkBody,
      ),
    ),
  );

  // ---- fit card
  const optimizerSelect = h(
    "select",
    { id: "fit-optimizer" },
    ...["lbfgsb", "lbfgs", "lm", "adam", "gd"].map((v) => h("option", { value: v }, v)),
  );
  const maxIter = h("input", { type: "number", id: "fit-maxiter", value: 100, min: 1, max: 5000, step: 1 });
  const fitButton = h("button", { type: "button", class: "primary", id: "fit-run" }, "Fit");
  const stopButton = h("button", { type: "button", id: "fit-stop", disabled: true }, "Stop");
  const fitStatus = h("div", { class: "stats", id: "fit-status", role: "status", "aria-live": "polite" });
  const costHost = h("div", { id: "fit-cost-plot", hidden: true });
  const fitCard = h(
    "div",
    { class: "card" },
    h(
      "h2",
      {},
      "Fit",
      h("span", { class: "hint" }, "minimise the model's cost over the checked parameters (in a worker)"),
    ),
    h(
      "div",
      { class: "row" },
      h("label", { for: "fit-optimizer" }, "Optimizer"),
      optimizerSelect,
      h("label", { for: "fit-maxiter" }, "Max iterations"),
      maxIter,
      fitButton,
      stopButton,
    ),
    costHost,
    fitStatus,
  );

  const unavailableNote = h("div", { class: "unavailable", id: "dde-unavailable", hidden: true });
  host.append(
    unavailableNote,
    h(
      "div",
      { class: "grid2" },
      h("div", { class: "stack" }, modelCard),
      h("div", { class: "stack" }, plotCard, paramsCard, checkCard, fitCard),
    ),
  );
  renderPlot(plotHost, [], { title: "State trajectories", xLabel: "t", emptyText: "loading the solver…" });
  renderCost();

  // ---- behaviour
  const currentParams = (): Record<string, number> =>
    Object.fromEntries(controls.map((c) => [c.name, Number(c.number.value)]));
  const rtol = () => Number(rtolSelect.value);

  function files(): Record<string, string> {
    return { ...examples.files, ...uploads };
  }

  function setUnavailable(text: string | undefined): void {
    unavailableNote.hidden = !text;
    unavailableNote.textContent = text ?? "";
  }

  function buildControls(m: CompiledModel, keep: Record<string, number>): void {
    const { paramNames, paramValues } = m.view;
    const prevFit = new Map(controls.map((c) => [c.name, c.fit.checked]));
    controls = paramNames.map((name, i) => {
      const value = keep[name] ?? paramValues[i]!;
      const { min, max, step } = sliderRange(paramValues[i]!);
      const id = `param-${i}`;
      const range = h("input", {
        type: "range",
        id,
        min,
        max: Math.max(max, value),
        step,
        value,
        "aria-label": `${name} slider`,
      });
      const number = h("input", {
        type: "number",
        id: `${id}-value`,
        value,
        step: "any",
        "aria-label": `${name} value`,
      });
      const fit = h("input", {
        type: "checkbox",
        id: `${id}-fit`,
        checked: prevFit.get(name) ?? true,
        "aria-label": `fit ${name}`,
      });
      const grad = h("span", {
        class: "grad",
        id: `${id}-grad`,
        title: `dJ/d${name}: the cost's exact derivative here`,
      });
      const label = h("label", { for: id, title: name }, fit, " ", name, grad);
      range.value = String(value);
      range.addEventListener("input", () => {
        number.value = range.value;
        label.classList.remove("fitted");
        resolveSoon();
      });
      number.addEventListener("input", () => {
        const v = Number(number.value);
        if (!Number.isFinite(v)) return;
        if (v > Number(range.max)) range.max = String(v);
        if (v < Number(range.min)) range.min = String(v);
        range.value = String(v);
        resolveSoon();
      });
      return { name, range, number, label, fit, grad };
    });
    paramsGrid.replaceChildren(...controls.flatMap((c) => [c.label, c.range, c.number]));
    if (controls.length === 0)
      paramsGrid.append(h("span", { class: "muted" }, "this model has no parameters"));
  }

  function setParams(values: Record<string, number>, fitted = false): void {
    for (const c of controls) {
      const v = values[c.name];
      if (v === undefined) continue;
      if (v > Number(c.range.max)) c.range.max = String(v);
      if (v < Number(c.range.min)) c.range.min = String(v);
      c.range.value = String(v);
      c.number.value = String(Number(v.toPrecision(6)));
      c.label.classList.toggle("fitted", fitted);
    }
  }

  function drawSolution(sol: SolveView | undefined): void {
    if (!model) return;
    const { stateNames, data } = model.view;
    const series: Series[] = [];
    if (sol)
      stateNames.forEach((s, i) =>
        series.push({ name: s, x: sol.t, y: sol.y[i]!, color: PALETTE[i % PALETTE.length] }),
      );
    for (const d of data) {
      const i = stateNames.indexOf(d.state);
      series.push({
        name: d.label,
        x: d.t,
        y: d.y,
        kind: "points",
        color: PALETTE[(i < 0 ? stateNames.length : i) % PALETTE.length],
      });
    }
    renderPlot(plotHost, series, {
      title: `Solution of ${model.view.name ?? "the model"}`,
      xLabel: "t",
      yLabel: "state",
      xDomain: model.view.tspan,
    });
  }

  function solveNow(): void {
    if (!model) return;
    try {
      const sol = model.solve(currentParams(), { rtol: rtol(), atol: rtol() * 1e-2 });
      drawSolution(sol);
      const cls = sol.ok ? "status-ok" : "status-bad";
      stats.replaceChildren(
        h("span", { class: cls }, sol.ok ? "✔ solved" : `✖ ${sol.status}`),
        ` in ${fmt(sol.ms, 3)} ms · ${sol.stats.steps} steps, ${sol.stats.rejected} rejected, ${sol.stats.rhsEvals} rhs evaluations`,
        sol.ok ? "" : ` · ${sol.message}`,
        sol.cost !== undefined
          ? h("span", { class: "cost", id: "dde-cost" }, ` · cost J = ${fmt(sol.cost, 6)}`)
          : "",
        sol.costError ? ` · cost: ${sol.costError}` : "",
      );
      renderCheck(sol.check);
      for (const c of controls) {
        const g = sol.gradient?.[c.name];
        c.grad.textContent = g === undefined ? "" : `∂J/∂${c.name} = ${Number.isNaN(g) ? "kink" : fmt(g, 3)}`;
      }
    } catch (err) {
      stats.replaceChildren(h("span", { class: "status-bad" }, `✖ ${errorMessage(err)}`));
    }
  }
  const resolveSoon = rafThrottle(solveNow);

  function renderCheck(check: SolveView["check"]): void {
    checkCard.hidden = !check;
    if (!check) return;
    checkBody.replaceChildren(
      ...Object.entries(check).map(([target, c]) =>
        h(
          "tr",
          { class: c.ok ? "ok" : "bad" },
          h("th", { scope: "row" }, target),
          h("td", {}, fmt(c.user, 6)),
          h("td", {}, fmt(c.exact, 6)),
          h("td", {}, fmt(c.relError, 2)),
          h("td", {}, c.ok ? "✔ agrees" : "✖ differs"),
        ),
      ),
    );
  }

  function compileAndSolve(): void {
    if (!engine) return;
    const keep = model ? currentParams() : {};
    const sameModel = model !== undefined;
    try {
      const m = engine.compile(editor.getText(), files());
      editor.setMarker(undefined);
      const namesChanged = !model || model.view.paramNames.join() !== m.view.paramNames.join();
      model = m;
      // Keep slider positions across edits unless the parameter list changed; a changed default in the text wins.
      buildControls(m, sameModel && !namesChanged ? keep : {});
      fitButton.disabled = fitting || !m.view.hasCost;
      fitButton.title = m.view.hasCost
        ? ""
        : "this model has no cost: add a cost: section (e.g. a data: term) to fit";
      solveNow();
    } catch (err) {
      editor.setMarker(markerFor(err));
      stats.replaceChildren(h("span", { class: "status-bad" }, "✖ the model has an error (see the editor)"));
    }
  }
  const scheduleCompile = debounce(() => {
    if (autoSolve.checked) compileAndSolve();
  }, 250);

  function loadExample(name: string): void {
    const ex = examples.models.find((e) => e.name === name);
    if (!ex) return;
    model = undefined;
    costHistory = [];
    renderCost();
    fitStatus.textContent = "";
    editor.setText(ex.text);
    compileAndSolve();
  }

  function renderCost(): void {
    costHost.hidden = costHistory.length === 0 && !fitting;
    renderPlot(
      costHost,
      costHistory.length
        ? [
            {
              name: "cost",
              x: costHistory.map((c) => c.it),
              y: costHistory.map((c) => c.cost),
              kind: "line+points",
              color: PALETTE[1],
            },
          ]
        : [],
      {
        title: "Cost against iteration",
        xLabel: "iteration",
        yLabel: "cost",
        logY: costHistory.length > 0 && costHistory.every((c) => c.cost > 0),
        emptyText: "no fit yet",
      },
    );
  }

  async function runFit(): Promise<void> {
    if (!model || fitting) return;
    const wrt = controls.filter((c) => c.fit.checked).map((c) => c.name);
    if (wrt.length === 0) {
      fitStatus.textContent = "check at least one parameter to fit";
      return;
    }
    fitting = true;
    fitButton.disabled = true;
    stopButton.disabled = false;
    costHistory = [];
    renderCost();
    fitStatus.textContent = `fitting ${wrt.join(", ")} with ${optimizerSelect.value} …`;
    fitClient ??= new WorkerClient(
      new Worker(new URL("./fit.worker.ts", import.meta.url), { type: "module", name: "gradopt-fit" }),
    );
    const req: FitRequest = {
      text: editor.getText(),
      files: files(),
      params: currentParams(),
      wrt,
      optimizer: optimizerSelect.value,
      maxIter: Math.max(1, Math.floor(Number(maxIter.value) || 100)),
      bounds: {},
    };
    const onProgress = rafThrottle((p: FitProgress) => {
      setParams(p.params);
      solveNow();
      renderCost();
      fitStatus.textContent = `iteration ${p.iteration} · cost ${fmt(p.cost, 6)}`;
    });
    try {
      const res = await fitClient.call<FitResultView>("fit", req, (p: FitProgress) => {
        if (Number.isFinite(p.cost)) costHistory.push({ it: p.iteration, cost: p.cost });
        onProgress(p);
      });
      setParams(res.params, true);
      solveNow();
      if (costHistory.length === 0 || costHistory[costHistory.length - 1]!.cost !== res.cost)
        costHistory.push({ it: res.iterations, cost: res.cost });
      renderCost();
      const ok = res.converged;
      fitStatus.replaceChildren(
        h("span", { class: ok ? "status-ok" : "status-bad" }, ok ? "✔ converged" : `⚠ ${res.status}`),
        ` · cost ${fmt(res.cost, 6)} · ${res.iterations} iterations, ${res.evaluations} evaluations, ${fmt(res.ms / 1000, 3)} s`,
        res.message ? ` · ${res.message}` : "",
        h("br"),
        Object.entries(res.params)
          .map(([k, v]) => `${k} = ${fmt(v, 6)}`)
          .join(", "),
      );
    } catch (err) {
      if ((err as { location?: unknown }).location) editor.setMarker(markerFor(err));
      fitStatus.replaceChildren(h("span", { class: "status-bad" }, `✖ ${errorMessage(err)}`));
    } finally {
      fitting = false;
      fitButton.disabled = !model?.view.hasCost;
      stopButton.disabled = true;
    }
  }

  function stopFit(): void {
    // A fit is one synchronous call in the worker: stopping it means ending the worker (the next fit starts a new one).
    fitClient?.terminate();
    fitClient = undefined;
  }

  exampleSelect.addEventListener("change", () => loadExample(exampleSelect.value));
  solveButton.addEventListener("click", () => compileAndSolve());
  rtolSelect.addEventListener("change", () => solveNow());
  resetParams.addEventListener("click", () => {
    if (!model) return;
    setParams(Object.fromEntries(model.view.paramNames.map((n, i) => [n, model!.view.paramValues[i]!])));
    solveNow();
  });
  fitButton.addEventListener("click", () => void runFit());
  stopButton.addEventListener("click", stopFit);
  csvInput.addEventListener("change", async () => {
    const file = csvInput.files?.[0];
    if (!file) return;
    uploads[file.name] = await file.text();
    stats.textContent = `loaded ${file.name}: refer to it as  data: ${file.name}`;
    compileAndSolve();
  });

  if (examples.models.length > 0) editor.setText(examples.models[0]!.text);
  loadDdeEngine().then(
    (res) => {
      if ("unavailable" in res) {
        setUnavailable(res.unavailable);
        solveButton.disabled = true;
        fitButton.disabled = true;
        renderPlot(plotHost, [], {
          title: "State trajectories",
          xLabel: "t",
          emptyText: "the DDE solver is unavailable in this build",
        });
        return;
      }
      engine = res.engine;
      if (res.fitUnavailable) {
        fitButton.disabled = true;
        fitCard.append(h("div", { class: "unavailable" }, res.fitUnavailable));
      }
      compileAndSolve();
    },
    (err: unknown) => setUnavailable(`The DDE solver could not be loaded: ${errorMessage(err)}`),
  );
}
