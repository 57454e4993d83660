/**
 * Browser shim for sharp (libvips, a Node native module): no default export, so the photo decoder's loadSharp() finds
 * no sharp and uses the pure-JS decoders, as on a machine where the optional dependency did not install.
 */
const sharp: undefined = undefined;
export default sharp;
