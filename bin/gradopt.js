#!/usr/bin/env node
// Thin launcher: the CLI lives in the compiled library (dist/cli/main.js).
import("../dist/cli/main.js")
  .then((m) => m.main(process.argv))
  .catch((err) => {
    console.error(`gradopt: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  });
