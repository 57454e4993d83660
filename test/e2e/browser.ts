/**
 * Opens a local HTML file in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core), collects console
 * errors, failed requests and page errors, and takes a full-page screenshot. A missing browser is a failure with a clear
 * message (CI installs it), unless GRADOPT_SKIP_BROWSER=1.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

export const CHROMIUM = process.env.GRADOPT_CHROMIUM ?? "/usr/bin/chromium";

export function browserSkipped(): boolean {
  return process.env.GRADOPT_SKIP_BROWSER === "1";
}

/** Throws (failing the test) when Chromium is not installed, with what to do about it. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `headless Chromium not found at ${CHROMIUM}: install it (apt-get install chromium) or set GRADOPT_CHROMIUM; ` +
        "set GRADOPT_SKIP_BROWSER=1 to skip the browser checks deliberately",
    );
  }
}

export interface PageCheck {
  consoleErrors: string[];
  pageErrors: string[];
  failedRequests: string[];
  /** Images whose naturalWidth is 0 (broken or not loaded). */
  brokenImages: string[];
  imageCount: number;
  title: string;
  screenshot: string;
}

export async function checkPageInChromium(htmlFile: string, screenshotFile: string): Promise<PageCheck> {
  requireChromium();
  const { chromium } = await import("playwright-core");
  const userDataDir = mkdtempSync(join(tmpdir(), "gradopt-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
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
    viewport: { width: 1200, height: 900 },
  });
  try {
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    const pageErrors: string[] = [];
    const failedRequests: string[] = [];
    page.on("console", (msg) => {
      if (msg.type() === "error") consoleErrors.push(msg.text());
    });
    page.on("pageerror", (err) => pageErrors.push(err.message));
    page.on("requestfailed", (req) =>
      failedRequests.push(`${req.url().slice(0, 120)}: ${req.failure()?.errorText ?? "?"}`),
    );
    await page.goto(pathToFileURL(resolve(htmlFile)).href, { waitUntil: "load" });
    const images = await page.$$eval("img", (imgs) =>
      imgs.map((i) => ({
        src: i.getAttribute("src")?.slice(0, 80) ?? "",
        ok: i.complete && i.naturalWidth > 0,
      })),
    );
    mkdirSync(dirname(screenshotFile), { recursive: true });
    await page.screenshot({ path: screenshotFile, fullPage: true });
    return {
      consoleErrors,
      pageErrors,
      failedRequests,
      brokenImages: images.filter((i) => !i.ok).map((i) => i.src),
      imageCount: images.length,
      title: await page.title(),
      screenshot: screenshotFile,
    };
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}
