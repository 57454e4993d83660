/**
 * The prebuilt modules are what their C sources compile to: each generated file records the sha256 of the source it was
 * built from, so an edit of kernels.c or train.c without re-running its build script (scripts/build-simd*.sh, which need
 * clang) fails here, on any machine.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SIMD_SOURCE_SHA256_PREFIX } from "./module.generated.js";
import { trainSourceSha256Prefix } from "./train.wasm.js";

const here = dirname(fileURLToPath(import.meta.url));
const sha256Prefix = (file: string) =>
  createHash("sha256")
    .update(readFileSync(join(here, file)))
    .digest("hex")
    .slice(0, 16);

describe("prebuilt SIMD modules", () => {
  it("kernels.c matches module.generated.ts (else run scripts/build-simd.sh)", () => {
    expect(sha256Prefix("kernels.c")).toBe(SIMD_SOURCE_SHA256_PREFIX);
  });
  it("train.c matches train.wasm.ts (else run scripts/build-simd-train.sh)", () => {
    expect(sha256Prefix("train.c")).toBe(trainSourceSha256Prefix);
  });
});
