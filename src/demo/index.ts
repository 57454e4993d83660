// The walkthrough behind `gradopt demo` / `npm start`, callable from the library too.
export { runDemo } from "./run.js";
export { stderrProgress, silentProgress, type ProgressSink } from "./progress.js";
export type * from "./types.js";
