export { sgd } from "./sgd.js";
export { momentum } from "./momentum.js";
export { adam } from "./adam.js";
export { adamw } from "./adamw.js";
export { rmsprop } from "./rmsprop.js";
export { signSgd } from "./signSgd.js";
