/**
 * End-to-end: build the playground with Vite, serve it with the server `gradopt serve` uses, drive Debian's chromium
 * (headless, GPU off, so TensorFlow.js must fall back from WebGL to wasm) through the DDE and attack panels, and save
 * screenshots (desktop and 390 px phone width) under test-artifacts/web/.
 * Without chromium this FAILS with a message, unless GRADOPT_SKIP_BROWSER=1.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  packageRoot,
  startStaticServer,
  webViteConfig,
  type RunningServer,
} from "../../src/cli/commands/serve.js";

const CHROMIUM = process.env.GRADOPT_CHROMIUM ?? "/usr/bin/chromium";
const skip = process.env.GRADOPT_SKIP_BROWSER === "1";
// The classifier the build bundles (vite.config.ts reads the same variable).
const modelsDir = process.env.GRADOPT_WEB_MODELS_DIR ?? join(packageRoot, "models");
const hasModel = existsSync(join(modelsDir, "fashion-cnn", "model.json"));
const shots = resolve(packageRoot, "test-artifacts", "web");

let outDir: string;
let userDir: string;
let server: RunningServer | undefined;
let persistent: BrowserContext | undefined;
const pageErrors: string[] = [];

/** A 56x56 PNG: two dark legs on a light background. */
function trousersPng(): Buffer {
  const png = new PNG({ width: 56, height: 56 });
  for (let y = 0; y < 56; y++) {
    for (let x = 0; x < 56; x++) {
      const leg =
        y >= 6 && y < 52 && ((x >= 16 && x < 26) || (x >= 30 && x < 40) || (y < 16 && x >= 16 && x < 40));
      const v = leg ? 40 : 240;
      png.data.set([v, v, v, 255], (y * 56 + x) * 4);
    }
  }
  return PNG.sync.write(png);
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

describe.skipIf(skip)("web playground in chromium", () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `chromium not found at ${CHROMIUM}: install Debian's chromium package (or set GRADOPT_SKIP_BROWSER=1 to skip the browser tests)`,
      );
    }
    mkdirSync(shots, { recursive: true });
    outDir = mkdtempSync(join(tmpdir(), "gradopt-web-"));
    userDir = mkdtempSync(join(tmpdir(), "gradopt-chromium-"));
    // Async, so the test worker keeps answering vitest while Vite works (a sync build of ~25 s CPU starves its RPC).
    await promisify(execFile)(
      process.execPath,
      [
        join(packageRoot, "node_modules", "vite", "bin", "vite.js"),
        "build",
        "--config",
        webViteConfig,
        "--outDir",
        outDir,
        "--emptyOutDir",
      ],
      { cwd: packageRoot, maxBuffer: 16 * 1024 * 1024 },
    );
    server = await startStaticServer({ root: outDir, port: 0 });
    persistent = await chromium.launchPersistentContext(userDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
  }, 300_000); // the build is ~25 s of CPU: minutes on a loaded machine

  afterAll(async () => {
    await persistent?.close();
    await server?.close();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
    if (userDir) rmSync(userDir, { recursive: true, force: true });
  });

  /** Opens the app in a new tab, runs `body`, and closes the tab even when body fails (its workers stop with it). */
  async function withPage(
    width: number,
    height: number,
    hash: string,
    body: (page: Page) => Promise<void>,
  ): Promise<void> {
    const page = await open(width, height, hash);
    try {
      await body(page);
    } finally {
      await page.close();
    }
  }

  async function open(width: number, height: number, hash = ""): Promise<Page> {
    const page = await persistent!.newPage();
    await page.setViewportSize({ width, height });
    page.on("pageerror", (err) => pageErrors.push(`pageerror: ${err.message}`));
    page.on("console", (msg) => {
      if (msg.type() === "error") pageErrors.push(`console: ${msg.text()}`);
    });
    await page.goto(server!.url + hash);
    return page;
  }

  it("solves a model, marks a YAML error at its line and column, re-solves from a slider", async () => {
    await withPage(1280, 900, "", async (page) => {
      await page.waitForSelector("#dde-stats .status-ok", { timeout: 30_000 });
      expect(await page.textContent("#dde-stats")).toMatch(/solved in .* ms · \d+ steps/);
      expect(await page.locator("#dde-plot svg path").count()).toBeGreaterThan(0);
      await shot(page, "dde-desktop");

      // A slider move re-solves: the drawn path changes.
      const before = await page.locator("#dde-plot svg path").first().getAttribute("d");
      const slider = page.locator("#param-0");
      await slider.focus();
      for (let i = 0; i < 40; i++) await page.keyboard.press("ArrowRight");
      await page.waitForFunction(
        (d) => document.querySelector("#dde-plot svg path")?.getAttribute("d") !== d,
        before,
        { timeout: 10_000 },
      );

      // Break an expression: the marker shows the line and column.
      const editor = page.locator("#dde-editor");
      const text = await editor.inputValue();
      const lines = text.split("\n");
      const eqLine = lines.findIndex((l) => /^equations:/.test(l)) + 1; // first equation line (0-based index of the next line)
      const broken = [...lines];
      broken[eqLine] = broken[eqLine]!.replace(/:\s*(.*)$/, ": $1 * undefined_name");
      await editor.fill(broken.join("\n"));
      await page.click("#dde-solve");
      await page.waitForSelector(".gutter .ln.err", { timeout: 10_000 });
      const marked = await page.textContent(".gutter .ln.err");
      expect(Number(marked)).toBe(eqLine + 1);
      const msg = (await page.textContent("#dde-editor-message")) ?? "";
      expect(msg).toMatch(new RegExp(`line ${eqLine + 1}, column \\d+`));
      expect(msg).toMatch(/undefined_name/);
      expect(await page.locator(".err-mark").count()).toBe(1);
      await shot(page, "dde-error-desktop");

      // Fixing it clears the marker.
      await editor.fill(text);
      await page.click("#dde-solve");
      await page.waitForSelector("#dde-stats .status-ok", { timeout: 10_000 });
      expect(await page.locator(".gutter .ln.err").count()).toBe(0);

      // A model with its own gradient formulas: each is checked against the exact gradient.
      await page.selectOption("#dde-example", "seed-3state");
      await page.waitForSelector("#grad-check:not([hidden]) tbody tr", { timeout: 10_000 });
      const verdicts = await page.locator("#grad-check-body td:last-child").allTextContents();
      expect(verdicts.length).toBeGreaterThanOrEqual(3);
      expect(verdicts.every((v) => v.includes("agrees"))).toBe(true);
      await page.selectOption("#dde-example", "hutchinson-fit");
      await page.waitForSelector("#grad-check[hidden]", { state: "attached", timeout: 10_000 });
    });
  });

  it("fits a model with data in a worker: the cost falls", async () => {
    await withPage(1280, 900, "", async (page) => {
      await page.waitForSelector("#dde-stats .status-ok", { timeout: 30_000 });
      if (await page.locator("#fit-run[disabled]").count()) {
        expect.fail(`the fit is unavailable: ${await page.textContent("#panel-dde")}`);
      }
      // The model has a cost: J and the exact dJ/dparam are shown and move with the sliders.
      expect(await page.textContent("#dde-cost")).toMatch(/cost J = [\d.e+-]+/);
      expect(await page.textContent("#param-0-grad")).toMatch(/∂J\/∂\w+ = -?[\d.e+-]+/);
      const costBefore = Number(
        /cost J = ([\d.e+-]+)/.exec((await page.textContent("#dde-cost")) ?? "")?.[1],
      );
      await page.click("#fit-run");
      await page.waitForFunction(
        () =>
          /converged|iterations/.test(document.querySelector("#fit-status")?.textContent ?? "") &&
          !document.querySelector("#fit-stop:not([disabled])"),
        undefined,
        { timeout: 60_000 },
      );
      const status = (await page.textContent("#fit-status")) ?? "";
      expect(status).toMatch(/cost/);
      const costAfter = Number(/cost J = ([\d.e+-]+)/.exec((await page.textContent("#dde-cost")) ?? "")?.[1]);
      expect(costAfter).toBeLessThan(costBefore / 10);
      expect(await page.locator("#fit-cost-plot svg circle").count()).toBeGreaterThan(1);
      await shot(page, "dde-fit-desktop");
    });
  });

  it.skipIf(hasModel)(
    "says plainly that attacks are unavailable when the build has no classifier",
    async () => {
      await withPage(1280, 900, "#attack", async (page) => {
        await page.waitForSelector("#atk-unavailable:not([hidden])", { timeout: 60_000 });
        expect(await page.textContent("#atk-unavailable")).toMatch(/Attacks are unavailable: .*fashion-cnn/);
        await shot(page, "attack-unavailable-desktop");
      });
    },
  );

  it.skipIf(!hasModel)(
    "runs FGSM on a bundled image on the wasm backend: the prediction changes as eps grows",
    async () => {
      await withPage(1280, 900, "#attack", async (page) => {
        await page.waitForSelector("#atk-adv-pred .pred", { timeout: 60_000 });
        const badge = (await page.textContent("#backend-badge")) ?? "";
        expect(badge).toMatch(/tfjs: (wasm|webgl|cpu)/);
        // eps = 0: the attacked image is the original, same prediction.
        await page.locator("#atk-eps").fill("0");
        await page.waitForFunction(
          () => /eps 0\.000/.test(document.querySelector("#atk-status")?.textContent ?? ""),
          undefined,
          { timeout: 20_000 },
        );
        const clean = await page.textContent("#atk-clean-pred .pred");
        expect(await page.textContent("#atk-adv-pred .pred")).toBe(clean);
        // Large eps: FGSM flips a correctly classified image.
        await page.locator("#atk-eps").fill("0.3");
        await page.waitForFunction(
          () => /eps 0\.300/.test(document.querySelector("#atk-status")?.textContent ?? ""),
          undefined,
          { timeout: 20_000 },
        );
        const adv = await page.textContent("#atk-adv-pred .pred");
        expect(adv?.split(" · ")[0]).not.toBe(clean?.split(" · ")[0]);
        await shot(page, "attack-desktop");

        // Probability of a class in the bars: "Name: original x%, attacked y%".
        const probs = async (name: string) => {
          const label =
            (await page.locator(`#atk-bars [aria-label^="${name}:"]`).getAttribute("aria-label")) ?? "";
          const m = /original ([\d.]+)%, attacked ([\d.]+)%/.exec(label);
          return { clean: Number(m?.[1]), attacked: Number(m?.[2]) };
        };
        const trueClass = clean!.split(" · ")[0]!;
        const waitFor = (pattern: string) =>
          page.waitForFunction(
            (p) => (document.querySelector("#atk-status")?.textContent ?? "").includes(p),
            pattern,
            { timeout: 20_000 },
          );

        // The reverse step raises the true class's confidence.
        await page.check("#atk-mode-reverse");
        await page.locator("#atk-eps").fill("0.05");
        await waitFor("reverse, eps 0.050");
        const rev = await probs(trueClass);
        expect(rev.attacked).toBeGreaterThan(rev.clean);
        expect((await page.textContent("#atk-adv-pred .pred"))?.split(" · ")[0]).toBe(trueClass);

        // A targeted BIM pushes the chosen class up.
        await page.selectOption("#atk-attack", "bim");
        await page.check("#atk-mode-targeted");
        await page.selectOption("#atk-target", { label: "Sandal" });
        const target = "Sandal";
        await page.locator("#atk-eps").fill("0.1");
        await waitFor("targeted, eps 0.100");
        const tgt = await probs(target);
        expect(tgt.attacked).toBeGreaterThan(tgt.clean);
        await shot(page, "attack-targeted-desktop");
        await page.selectOption("#atk-attack", "fgsm");
        await page.check("#atk-mode-untargeted");

        // An uploaded photo (dark trousers on white paper, inverted to the data's white-on-black) is classified and attacked.
        await page.setInputFiles("#atk-upload", {
          name: "trousers.png",
          mimeType: "image/png",
          buffer: trousersPng(),
        });
        await page.waitForFunction(
          () => (document.querySelector("#atk-status")?.textContent ?? "").includes("trousers.png"),
          undefined,
          { timeout: 20_000 },
        );
        expect(await page.textContent("#atk-clean-pred")).toMatch(/uploaded/);

        // The adversarially trained classifier, when the build has it: the same image through the other model.
        const models = await page.locator("#atk-model option").allTextContents();
        if (models.includes("fashion-cnn-robust")) {
          await page.selectOption("#atk-model", "fashion-cnn-robust");
          await waitFor("(fashion-cnn-robust)");
          await page.selectOption("#atk-model", "fashion-cnn");
          await waitFor("(fashion-cnn)");
        }

        // The robust-accuracy curve over 100 bundled images.
        await page.selectOption("#rob-count", "100");
        await page.fill("#rob-eps", "0, 0.1, 0.3");
        await page.uncheck('#rob-attacks input[value="pgd"]');
        await page.click("#rob-run");
        await page.waitForFunction(
          () => /clean accuracy/.test(document.querySelector("#rob-status")?.textContent ?? ""),
          undefined,
          { timeout: 90_000 },
        );
        const rob = (await page.textContent("#rob-status")) ?? "";
        const clean01 = Number(/clean accuracy ([\d.]+)%/.exec(rob)?.[1]);
        expect(clean01).toBeGreaterThan(60);
        await shot(page, "attack-robust-desktop");
      });
    },
  );

  it("is readable at phone width (390 px)", async () => {
    await withPage(390, 844, "", async (page) => {
      await page.waitForSelector("#dde-stats .status-ok", { timeout: 30_000 });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      await shot(page, "dde-phone");
      await page.click("#tab-attack");
      await page.waitForSelector(hasModel ? "#atk-adv-pred .pred" : "#atk-unavailable:not([hidden])", {
        timeout: 60_000,
      });
      expect(
        await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
      ).toBeLessThanOrEqual(0);
      await shot(page, "attack-phone");
    });
  });

  it("logged no page errors", () => {
    expect(pageErrors).toEqual([]);
  });
});
