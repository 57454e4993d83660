import { join } from "node:path";
import { fileURLToPath } from "node:url";

const packageRoot = fileURLToPath(new URL("../../", import.meta.url));

/** Directory of a model shipped in the package: models/<name> ("fashion-cnn" is the default classifier, "fashion-cnn-robust" the adversarially trained one). */
export function bundledModelDir(name = "fashion-cnn"): string {
  return join(packageRoot, "models", name);
}
