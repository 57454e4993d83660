/** Writes docs/cli.md from the commander definitions (`npm run docs:cli`). */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildProgram } from "../src/cli/main.js";
import { cliReference } from "../src/cli/reference.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
writeFileSync(join(root, "docs", "cli.md"), cliReference(await buildProgram(), root));
