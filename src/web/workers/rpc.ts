/**
 * Request/response over postMessage. The page calls `client.call(type, payload, onProgress)`; the worker registers
 * handlers with `serve({ type: async (payload, progress) => result })`. Errors cross as {message, code, location} so a
 * GradoptError thrown in a worker still shows its line and column on the page.
 */

export interface WireError {
  message: string;
  code?: string;
  location?: { file?: string; line?: number; column?: number };
}

type Reply =
  | { id: number; kind: "progress"; data: unknown }
  | { id: number; kind: "result"; data: unknown }
  | { id: number; kind: "error"; error: WireError };

export type Handler = (payload: never, progress: (data: unknown) => void) => unknown;

/** Minimal typing of a dedicated worker's global scope (the root tsconfig has the DOM lib, not WebWorker). */
interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: "message", listener: (ev: MessageEvent) => void): void;
}

export class RemoteError extends Error implements WireError {
  readonly code: string | undefined;
  readonly location: WireError["location"];
  constructor(e: WireError) {
    super(e.message);
    this.code = e.code;
    this.location = e.location;
  }
}

function toWire(err: unknown): WireError {
  if (err && typeof err === "object") {
    const e = err as { message?: unknown; code?: unknown; location?: unknown };
    return {
      message: typeof e.message === "string" ? e.message : String(err),
      code: typeof e.code === "string" ? e.code : undefined,
      location: (e.location ?? undefined) as WireError["location"],
    };
  }
  return { message: String(err) };
}

/** Transferable buffers inside a result (typed arrays at the top level or one level down) are moved, not copied. */
function transferables(data: unknown): Transferable[] {
  const out = new Set<ArrayBuffer>();
  const visit = (v: unknown, depth: number) => {
    if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer && v.byteLength === v.buffer.byteLength)
      out.add(v.buffer);
    else if (v && typeof v === "object" && depth < 2) for (const x of Object.values(v)) visit(x, depth + 1);
  };
  visit(data, 0);
  return [...out];
}

/** Worker side. */
export function serve(handlers: Record<string, Handler>): void {
  const scope = self as unknown as WorkerScope;
  scope.addEventListener("message", (ev: MessageEvent) => {
    const { id, type, payload } = ev.data as { id: number; type: string; payload: unknown };
    const reply = (r: Reply, transfer: Transferable[] = []) => scope.postMessage(r, transfer);
    const handler = handlers[type];
    if (!handler) {
      reply({ id, kind: "error", error: { message: `worker: unknown request '${type}'` } });
      return;
    }
    Promise.resolve()
      .then(() => handler(payload as never, (data) => reply({ id, kind: "progress", data })))
      .then(
        (data) => reply({ id, kind: "result", data }, transferables(data)),
        (err: unknown) => reply({ id, kind: "error", error: toWire(err) }),
      );
  });
}

/** Page side. */
export class WorkerClient {
  private nextId = 1;
  private pending = new Map<
    number,
    { ok: (v: unknown) => void; fail: (e: unknown) => void; progress?: (d: unknown) => void }
  >();

  constructor(private readonly worker: Worker) {
    worker.addEventListener("message", (ev: MessageEvent<Reply>) => {
      const r = ev.data;
      const p = this.pending.get(r.id);
      if (!p) return;
      if (r.kind === "progress") p.progress?.(r.data);
      else {
        this.pending.delete(r.id);
        if (r.kind === "result") p.ok(r.data);
        else p.fail(new RemoteError(r.error));
      }
    });
    worker.addEventListener("error", (ev: ErrorEvent) => {
      const err = new RemoteError({
        message: `worker failed: ${ev.message || "could not load the worker script"}`,
      });
      for (const p of this.pending.values()) p.fail(err);
      this.pending.clear();
    });
  }

  call<T>(
    type: string,
    payload: unknown,
    progress?: (data: never) => void,
    transfer: Transferable[] = [],
  ): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((ok, fail) => {
      this.pending.set(id, {
        ok: ok as (v: unknown) => void,
        fail,
        progress: progress as ((d: unknown) => void) | undefined,
      });
      this.worker.postMessage({ id, type, payload }, transfer);
    });
  }

  terminate(): void {
    this.worker.terminate();
    const err = new RemoteError({ message: "cancelled", code: "E_CANCELLED" });
    for (const p of this.pending.values()) p.fail(err);
    this.pending.clear();
  }
}
