/** Browser shim for node:os. */
export const cpus = (): unknown[] => Array.from({ length: globalThis.navigator?.hardwareConcurrency ?? 1 });
export const tmpdir = (): string => "/tmp";
export const homedir = (): string => "/";
export const platform = (): string => "browser";
export const EOL = "\n";
export default { cpus, tmpdir, homedir, platform, EOL };
