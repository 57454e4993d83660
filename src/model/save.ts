/**
 * Writes parameter values back into a model file's text (e.g. after a fit), keeping its comments and layout:
 * `params.<name>`, `history.<state>` and `initial.<state>` are set in place.
 */
import { isAbsolute, relative, resolve } from "node:path";
import { isMap, isScalar, isSeq, parseDocument, type Document } from "yaml";
import { GradoptError } from "../errors.js";

/**
 * `rebase` moves relative data paths (`data: obs.csv`) from the original model's directory to the new file's, so a
 * model saved elsewhere still finds its data.
 */
export function setModelParams(
  text: string,
  values: Record<string, number>,
  file = "<model>",
  rebase?: { from: string; to: string },
): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isMap(doc.contents))
    throw new GradoptError("E_YAML", "cannot update the model: it is not valid YAML", { file });
  for (const [name, value] of Object.entries(values)) {
    const dot = name.indexOf(".");
    if (dot < 0) {
      doc.setIn(["params", name], value);
      continue;
    }
    const section = name.slice(0, dot);
    const state = name.slice(dot + 1);
    if (section !== "history" && section !== "initial")
      throw new GradoptError("E_ARG", `cannot save '${name}': not a parameter of a model file`);
    expandScalarSection(doc, section);
    doc.setIn([section, state], value);
  }
  if (rebase && resolve(rebase.from) !== resolve(rebase.to)) {
    const cost = doc.get("cost", true);
    for (const term of isSeq(cost) ? cost.items : cost ? [cost] : []) {
      if (!isMap(term)) continue;
      const data = term.get("data", true);
      if (isScalar(data) && typeof data.value === "string" && !isAbsolute(data.value)) {
        data.value = relative(rebase.to, resolve(rebase.from, data.value)) || data.value;
      }
    }
  }
  return doc.toString({ lineWidth: 0 });
}

/** `history: 0.1` (one value for every state) becomes a mapping so one state's value can change. */
function expandScalarSection(doc: Document, section: string): void {
  const node = doc.get(section, true);
  if (!isScalar(node)) return;
  const states = doc.get("states", true);
  const names = isScalar(states)
    ? String(states.value)
        .split(",")
        .map((s) => s.trim())
    : ((doc.toJS() as { states?: string[] }).states ?? []);
  doc.set(section, doc.createNode(Object.fromEntries(names.map((s) => [s, node.value])), { flow: true }));
}
