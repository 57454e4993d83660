// gradopt's public face: every capability re-exported by name from its folder's index.
export { GradoptError, type GradoptErrorCode, type SourceLocation } from "./errors.js";
export * as report from "./report/index.js";
export * from "./dde/index.js";
export * from "./model/index.js";
export * from "./data/index.js";
export * from "./train/index.js";
export * from "./dde/gradient/index.js";
export * from "./dde/fit/index.js";
export * from "./optim/index.js";
export * as attack from "./attack/index.js";
