// The static server behind `gradopt serve`: MIME types (wasm must be application/wasm), 404s, no escaping the root.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveStaticPath, startStaticServer, type RunningServer } from "../../src/cli/commands/serve.js";
import { GradoptError } from "../../src/errors.js";

let root: string;
let server: RunningServer;

/** A raw GET (fetch would normalise '..' out of the path before sending it). */
function get(
  path: string,
  method = "GET",
): Promise<{ status: number; type: string | undefined; body: string }> {
  const url = new URL(server.url);
  return new Promise((ok, fail) => {
    const req = request({ host: url.hostname, port: url.port, path, method }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => ok({ status: res.statusCode ?? 0, type: res.headers["content-type"], body }));
    });
    req.on("error", fail);
    req.end();
  });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "gradopt-serve-"));
  mkdirSync(join(root, "wasm"));
  mkdirSync(join(root, "sub"));
  writeFileSync(join(root, "index.html"), "<!doctype html><title>x</title>");
  writeFileSync(join(root, "wasm", "a.wasm"), new Uint8Array([0, 97, 115, 109]));
  writeFileSync(join(root, "sub", "index.html"), "sub");
  writeFileSync(join(root, "..", "gradopt-serve-secret.txt"), "secret");
  server = await startStaticServer({ root, port: 0 });
});

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(join(root, "..", "gradopt-serve-secret.txt"), { force: true });
});

describe("gradopt serve's static server", () => {
  it("listens on 127.0.0.1 by default and serves index.html for /", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await get("/");
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/html/);
    expect(r.body).toContain("<title>x</title>");
  });

  it("serves wasm as application/wasm and folders by their index.html", async () => {
    expect((await get("/wasm/a.wasm")).type).toBe("application/wasm");
    expect((await get("/sub/")).body).toBe("sub");
    const head = await get("/index.html", "HEAD");
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
  });

  it("answers 404 for missing files and paths that climb out of the root", async () => {
    expect((await get("/nope.js")).status).toBe(404);
    for (const p of [
      "/../gradopt-serve-secret.txt",
      "/%2e%2e/gradopt-serve-secret.txt",
      "/sub/..%2f..%2fgradopt-serve-secret.txt",
    ]) {
      const r = await get(p);
      expect(r.status, p).toBe(404);
      expect(r.body).not.toContain("secret");
    }
    expect(resolveStaticPath(root, "/%00")).toBeUndefined();
    expect(resolveStaticPath(root, "/%E0%A4%A")).toBeUndefined();
  });

  it("refuses other methods", async () => {
    expect((await get("/", "POST")).status).toBe(405);
  });

  it("says how to build the app when the folder has none", async () => {
    const empty = mkdtempSync(join(tmpdir(), "gradopt-serve-empty-"));
    try {
      expect(() => startStaticServer({ root: empty })).toThrow(GradoptError);
      expect(() => startStaticServer({ root: empty })).toThrow(/build:web/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("names the port when it is taken", async () => {
    const port = Number(new URL(server.url).port);
    await expect(startStaticServer({ root, port })).rejects.toThrow(
      new RegExp(`port ${port} is already in use`),
    );
  });
});
