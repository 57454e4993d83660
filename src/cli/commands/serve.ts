/** `gradopt serve` (placeholder until its issue lands: it says so and exits non-zero). */
import type { Command } from "commander";
import { GradoptError } from "../../errors.js";
import { withGlobalFlags } from "../common.js";

export function register(program: Command): void {
  withGlobalFlags(program.command("serve").description("(not available yet)").allowUnknownOption(true)).action(() => {
    throw new GradoptError("E_INTERNAL", "'gradopt serve' is not available in this build yet");
  });
}
