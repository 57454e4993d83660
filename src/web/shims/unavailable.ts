/**
 * Browser stand-ins for Node built-ins that library modules import for file and process helpers. The playground never
 * calls those helpers; if a code path ever does, it fails with a clear error instead of a missing export at build time.
 */
import { GradoptError } from "../../errors.js";

export function unavailable(what: string): (...args: unknown[]) => never {
  return () => {
    throw new GradoptError("E_IO", `${what} is not available in the browser playground`);
  };
}
