/**
 * Side-by-side throughput measurement for the attack and training suites: gradopt configurations and PyTorch peers
 * (kept running in serve mode, bench/peers/torch_common.py) measured in interleaved rounds, so that every side sees
 * the same machine load. Each round gives every (side, task) a short time slice in a rotating order; the figures are
 * the median per-call time over all rounds (as images/s) with the interquartile range and the spread of the per-round
 * medians, plus the load average around each round — on a shared machine, a single best-of-N figure per side taken
 * minutes apart is not a comparison.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { loadavg } from "node:os";
import { createInterface, type Interface } from "node:readline";

/** Something that can time a task: a gradopt configuration in this process or a peer process. */
export interface Side {
  name: string;
  /**
   * Runs `task` for about `seconds`, at least twice (after `warmup` untimed calls): wall milliseconds of each call and
   * the CPU milliseconds the side's process spent in it (all its threads: workers, OpenMP threads).
   */
  time(task: string, seconds: number, warmup: number): Promise<{ ms: number[]; cpuMs: number[] }>;
  close?(): Promise<void>;
}

/** A side running functions in this process (each call awaited). */
export function localSide(name: string, tasks: Record<string, () => unknown>): Side {
  return {
    name,
    async time(task, seconds, warmup) {
      const fn = tasks[task];
      if (!fn) throw new Error(`${name}: no task ${task}`);
      for (let i = 0; i < warmup; i++) await fn();
      const ms: number[] = [];
      const cpuMs: number[] = [];
      const start = performance.now();
      while (ms.length < 2 || performance.now() - start < seconds * 1000) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await fn();
        ms.push(performance.now() - t0);
        const c = process.cpuUsage(c0);
        cpuMs.push((c.user + c.system) / 1000);
      }
      return { ms, cpuMs };
    },
  };
}

/** A PyTorch peer in serve mode; null (and the reason) when python or torch is missing. */
export async function peerSide(
  name: string,
  python: string,
  script: string,
  config: object,
): Promise<{ side: Side; info: Record<string, unknown> } | { side: null; why: string }> {
  let child: ChildProcessWithoutNullStreams;
  try {
    child = spawn(python, [script, JSON.stringify(config), "--serve"], { stdio: "pipe" });
  } catch (err) {
    return { side: null, why: String(err) };
  }
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const lines: Interface = createInterface({ input: child.stdout });
  const queue: Array<(line: string | null) => void> = [];
  const buffered: string[] = [];
  lines.on("line", (line) => {
    const waiter = queue.shift();
    if (waiter) waiter(line);
    else buffered.push(line);
  });
  const closed = new Promise<void>((resolve) => child.on("close", () => resolve()));
  void closed.then(() => {
    for (const w of queue.splice(0)) w(null);
  });
  child.on("error", () => {});
  const nextLine = () =>
    new Promise<string | null>((resolve) => {
      if (buffered.length > 0) resolve(buffered.shift()!);
      else if (child.exitCode !== null) resolve(null);
      else queue.push(resolve);
    });
  const ready = await nextLine();
  if (ready === null)
    return { side: null, why: `${python} ${script}: ${stderr.trim().split("\n").slice(-2).join(" | ")}` };
  const info = JSON.parse(ready) as Record<string, unknown>;
  const side: Side = {
    name,
    async time(task, seconds, warmup) {
      child.stdin.write(JSON.stringify({ task, seconds, warmup, minCalls: 2 }) + "\n");
      const line = await nextLine();
      if (line === null)
        throw new Error(`${name} exited: ${stderr.trim().split("\n").slice(-2).join(" | ")}`);
      const r = JSON.parse(line) as { ms: number[]; cpuMs: number[] };
      return { ms: r.ms, cpuMs: r.cpuMs };
    },
    async close() {
      child.stdin.end();
      await closed;
    },
  };
  return { side, info };
}

export interface TaskFigures {
  /** Images/s at the median call time over all rounds (the headline figure). */
  median: number;
  /** Images/s at the 75th and 25th percentile call times (the interquartile range). */
  p25: number;
  p75: number;
  /** Images/s of the fastest call. */
  best: number;
  /** Lowest and highest per-round median. */
  roundLow: number;
  roundHigh: number;
  calls: number;
  /** Median CPU milliseconds per image (all the side's threads): the work, less sensitive to load than wall time. */
  cpuMsPerImage: number;
}

export interface InterleavedResult {
  /** figures[side][task] */
  figures: Record<string, Record<string, TaskFigures>>;
  /** 1-minute load average before each round, and after the last. */
  load: number[];
  seconds: number;
  /** Rounds completed (fewer than asked when the time budget ran out). */
  rounds: number;
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Times every task on every side in `rounds` rounds of `seconds` each; the side order rotates every round. The first
 * round of each (side, task) starts with `warmup` untimed calls.
 */
export async function interleave(
  sides: Side[],
  tasks: string[],
  options: {
    rounds: number;
    seconds: number;
    warmup: number;
    imagesPerCall: number;
    /** No new round starts after this many seconds (at least one round runs). */
    budgetSeconds?: number;
    onRound?: (r: number) => void;
  },
): Promise<InterleavedResult> {
  const started = performance.now();
  let done = 0;
  const calls = new Map<string, number[][]>();
  const cpu = new Map<string, number[]>();
  const load: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    load.push(loadavg()[0]!);
    for (const task of tasks) {
      for (let k = 0; k < sides.length; k++) {
        const side = sides[(k + round) % sides.length]!;
        const key = `${side.name}\u0000${task}`;
        const { ms, cpuMs } = await side.time(task, options.seconds, round === 0 ? options.warmup : 0);
        (calls.get(key) ?? calls.set(key, []).get(key)!).push(ms);
        (cpu.get(key) ?? cpu.set(key, []).get(key)!).push(...cpuMs);
      }
    }
    options.onRound?.(round);
    done = round + 1;
    if (performance.now() - started > (options.budgetSeconds ?? Infinity) * 1000) break;
  }
  load.push(loadavg()[0]!);
  const rate = (ms: number) => options.imagesPerCall / (ms / 1000);
  const figures: InterleavedResult["figures"] = {};
  for (const side of sides) {
    figures[side.name] = {};
    for (const task of tasks) {
      const rounds = calls.get(`${side.name}\u0000${task}`)!;
      const all = rounds.flat().sort((a, b) => a - b);
      const roundMedians = rounds.map((r) =>
        quantile(
          [...r].sort((a, b) => a - b),
          0.5,
        ),
      );
      figures[side.name]![task] = {
        median: rate(quantile(all, 0.5)),
        p25: rate(quantile(all, 0.75)),
        p75: rate(quantile(all, 0.25)),
        best: rate(all[0]!),
        roundLow: rate(Math.max(...roundMedians)),
        roundHigh: rate(Math.min(...roundMedians)),
        calls: all.length,
        cpuMsPerImage:
          quantile(
            [...cpu.get(`${side.name}\u0000${task}`)!].sort((a, b) => a - b),
            0.5,
          ) / options.imagesPerCall,
      };
    }
  }
  return { figures, load, seconds: options.seconds, rounds: done };
}

/** "median (p25-p75)" images/s, rounded. */
export function formatFigure(f: TaskFigures | undefined): string {
  if (!f) return "n/a";
  return `${Math.round(f.median)} (${Math.round(f.p25)}-${Math.round(f.p75)})`;
}

/** The load averages of a run, e.g. "1.9-2.4". */
export function loadRange(load: number[]): string {
  return `${Math.min(...load).toFixed(1)}-${Math.max(...load).toFixed(1)}`;
}
