/**
 * A model's forward pass for WEIGHT gradients that does not compute the input gradient of the layers reading the model
 * input. tfjs-layers runs every Conv2D through fused.conv2d, whose custom gradient computes dx, dW and db together;
 * for a layer that reads the model's input, dx is thrown away (the input is not a variable) — on the bundled CNN a
 * 28x28x16 -> 1 transposed convolution every training step. As conv2d + bias + activation, each op's gradient is lazy
 * per input and tfjs prunes the unneeded dx. Same values (the same kernels run); the model is left untouched.
 */
import * as tf from "@tensorflow/tfjs";

interface Conv2DInternals {
  kernel?: { read(): tf.Tensor };
  bias?: { read(): tf.Tensor } | null;
  activation?: { apply(x: tf.Tensor): tf.Tensor } | null;
  strides?: [number, number];
  padding?: string;
  dataFormat?: string;
  dilationRate?: [number, number];
  rank?: number;
  call: (inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];
}

/** The layers fed directly by the model's inputs. */
function inputLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const inputs = new Set<unknown>(model.inputs);
  return model.layers.filter((layer) => {
    try {
      const x = layer.input;
      return (Array.isArray(x) ? x : [x]).some((t) => inputs.has(t));
    } catch {
      return false; // a layer used at several nodes
    }
  });
}

function unfusedConvCall(layer: tf.layers.Layer): Conv2DInternals["call"] | undefined {
  const l = layer as unknown as Conv2DInternals;
  if (
    layer.getClassName() !== "Conv2D" ||
    l.rank !== 2 ||
    l.dataFormat !== "channelsLast" ||
    !l.kernel ||
    (l.padding !== "same" && l.padding !== "valid") ||
    Object.prototype.hasOwnProperty.call(layer, "call")
  )
    return undefined;
  return (inputs) =>
    tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0]! : inputs) as tf.Tensor4D;
      let y: tf.Tensor = tf.conv2d(
        x,
        l.kernel!.read() as tf.Tensor4D,
        l.strides!,
        l.padding as "same" | "valid",
        "NHWC",
        l.dilationRate!,
      );
      if (l.bias) y = tf.add(y, l.bias.read());
      return l.activation ? l.activation.apply(y) : y;
    });
}

/** model.apply(x, { training }) with the input layers' convolutions unfused (see the file comment). */
export function applyForWeightGradients(model: tf.LayersModel, x: tf.Tensor, training = true): tf.Tensor {
  const swaps: Array<[tf.layers.Layer, Conv2DInternals["call"]]> = [];
  for (const layer of inputLayers(model)) {
    const call = unfusedConvCall(layer);
    if (call) swaps.push([layer, call]);
  }
  for (const [layer, call] of swaps) (layer as unknown as Conv2DInternals).call = call;
  try {
    return model.apply(x, { training }) as tf.Tensor;
  } finally {
    for (const [layer] of swaps) delete (layer as unknown as Partial<Conv2DInternals>).call;
  }
}
