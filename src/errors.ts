/**
 * One error type for everything gradopt rejects. `code` says what kind of misuse or failure it was, so the CLI can
 * map it to an exit status and a one-line message; `where` locates it (a file with line and column, a flag, an argument).
 */
export type GradoptErrorCode =
  | "E_ARG" // a bad argument to a library function
  | "E_FLAG" // a bad or unknown command-line flag
  | "E_PARSE" // an expression that does not parse
  | "E_MODEL" // a model file that is well-formed YAML but wrong
  | "E_YAML" // YAML syntax
  | "E_DATA" // a data file (CSV, IDX, image) that cannot be read
  | "E_IO" // a file or URL that cannot be reached
  | "E_BACKEND" // a TensorFlow.js backend that could not be set up
  | "E_SOLVER" // a solver failure surfaced as an error (most failures are statuses, not throws)
  | "E_INTERNAL";

export interface SourceLocation {
  file?: string;
  line?: number; // 1-based
  column?: number; // 1-based
}

export class GradoptError extends Error {
  readonly code: GradoptErrorCode;
  readonly location: SourceLocation | undefined;

  constructor(
    code: GradoptErrorCode,
    message: string,
    location?: SourceLocation,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "GradoptError";
    this.code = code;
    this.location = location;
  }

  /** `file:line:column: message`, the one line the CLI prints. */
  format(): string {
    const loc = this.location;
    if (!loc?.file) return this.message;
    const pos =
      loc.line !== undefined ? `:${loc.line}${loc.column !== undefined ? `:${loc.column}` : ""}` : "";
    return `${loc.file}${pos}: ${this.message}`;
  }
}

/** Throws a GradoptError with code E_ARG unless `cond` holds; the message is built lazily. */
export function assertArg(cond: unknown, message: () => string): asserts cond {
  if (!cond) throw new GradoptError("E_ARG", message());
}
