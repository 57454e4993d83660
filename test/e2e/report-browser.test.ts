// The report layer's page opens in headless Chromium without errors, with every image decoded.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Report, lineChart, rasterImage, signedImage } from "../../src/report/index.js";
import { browserSkipped, checkPageInChromium } from "./browser.js";

const dir = mkdtempSync(join(tmpdir(), "gradopt-report-browser-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(browserSkipped())("report in headless Chromium", () => {
  it("renders charts and image grids with no console errors, inline and with assets beside the page", async () => {
    const r = new Report({ title: "Browser check", subtitle: "charts and images" });
    r.heading("Chart");
    const x = Array.from({ length: 50 }, (_, i) => i);
    r.chart(
      lineChart({
        logY: true,
        series: [
          { name: "a", x, y: x.map((i) => Math.exp(-i / 5)) },
          { name: "b", x, y: x.map((i) => 1 / (1 + i)) },
        ],
      }),
      "two series",
    );
    r.heading("Images");
    const img = rasterImage(
      Array.from({ length: 28 * 28 }, (_, i) => ((i % 28) + Math.floor(i / 28)) / 54),
      28,
      28,
    );
    const pert = signedImage(
      Array.from({ length: 28 * 28 }, (_, i) => Math.sin(i)),
      28,
      28,
    );
    r.imageGrid({
      columns: ["original", "perturbation", "adversarial"],
      rows: [
        {
          label: "sample",
          cells: [{ image: img, caption: "a" }, { image: pert }, { image: img, caption: "b" }],
        },
      ],
      scale: 4,
    });
    for (const inlineAssets of [true, false]) {
      const file = join(dir, `page-${inlineAssets ? "inline" : "beside"}.html`);
      await r.writeHtml(file, { inlineAssets });
      const check = await checkPageInChromium(
        file,
        `test-artifacts/report-layer-${inlineAssets ? "inline" : "beside"}.png`,
      );
      expect(check.title).toBe("Browser check");
      expect(check.consoleErrors).toEqual([]);
      expect(check.pageErrors).toEqual([]);
      expect(check.failedRequests).toEqual([]);
      expect(check.imageCount).toBe(4);
      expect(check.brokenImages).toEqual([]);
    }
  });
});
