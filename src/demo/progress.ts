/**
 * Progress for long runs, on stderr (stdout stays clean for --json): one line per step with the elapsed time, and
 * in-place counters on a terminal ("PGD eps 0.1: 120/500 images").
 */
export interface ProgressSink {
  /** Starts a step; returns a function that ends it with an optional short result. */
  step(label: string): (result?: string) => void;
  /** An in-place counter line (a no-op when stderr is not a terminal, to keep logs short). */
  tick(label: string, done: number, total: number): void;
  /** A one-off line. */
  info(text: string): void;
}

function clock(t0: number): string {
  return `${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s`;
}

export function stderrProgress(opts: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): ProgressSink {
  const out = opts.stream ?? process.stderr;
  const tty = out.isTTY === true;
  const t0 = Date.now();
  let counterShown = false;
  const write = (line: string) => {
    if (opts.quiet) return;
    if (counterShown) {
      out.write("\r\x1b[2K");
      counterShown = false;
    }
    out.write(line + "\n");
  };
  return {
    step(label) {
      const start = Date.now();
      write(`[${clock(t0)}] ${label} ...`);
      return (result) => {
        const took = ((Date.now() - start) / 1000).toFixed(1);
        write(`[${clock(t0)}]   done in ${took}s${result ? `: ${result}` : ""}`);
      };
    },
    tick(label, done, total) {
      if (opts.quiet || !tty) return;
      out.write(`\r\x1b[2K[${clock(t0)}]   ${label}: ${done}/${total}`);
      counterShown = true;
    },
    info(text) {
      write(`[${clock(t0)}] ${text}`);
    },
  };
}

/** Discards everything (library callers that want silence). */
export const silentProgress: ProgressSink = {
  step: () => () => {},
  tick: () => {},
  info: () => {},
};
