/**
 * The classifier architecture gradopt bundles and benchmarks against PyTorch (bench/peers/torch_train.py builds the
 * same one). Default: conv 3x3x16 -> relu -> maxpool 2 -> conv 3x3x32 -> relu -> maxpool 2 -> dense 128 -> relu ->
 * dense 10. The last layer outputs LOGITS (no softmax): attacks need the logit-space loss, and softmax probabilities
 * saturate (see notes/attacks.md).
 *
 * Why this size: the bundled models had to be trained on two heavily shared cores. Measured CPU per training step
 * (batch 128, tfjs-wasm): this net 143 ms; filters [32, 64] 424 ms; conv32-conv32-pool-conv64-conv64-pool 2.6x that,
 * and tfjs's batch-norm gradient (Tile-heavy) another 2.5x. `filters`, `convsPerStage`, `batchNorm` build the bigger
 * variants.
 */
import * as tf from "@tensorflow/tfjs";

export interface CnnOptions {
  inputShape?: [number, number, number];
  classes?: number;
  /** Channels of the conv stages (each stage ends with a 2x2 max-pool). */
  filters?: number[];
  /** Convolutions per stage. */
  convsPerStage?: number;
  dense?: number;
  /** Seed of every initialiser, so a training run is reproducible. */
  seed?: number;
  batchNorm?: boolean;
}

/** Builds the conv32-conv32-pool-conv64-conv64-pool-dense128-dense10 logits model, seeded. */
export function buildCnn(options: CnnOptions = {}): tf.LayersModel {
  const {
    inputShape = [28, 28, 1],
    classes = 10,
    filters = [16, 32],
    convsPerStage = 1,
    dense = 128,
    seed = 1,
    batchNorm = false,
  } = options;
  let s = seed * 1000;
  const init = () => tf.initializers.heNormal({ seed: s++ });
  const model = tf.sequential({ name: "fashion_cnn" });
  let first = true;
  for (const f of filters) {
    for (let i = 0; i < convsPerStage; i++) {
      model.add(
        tf.layers.conv2d({
          filters: f,
          kernelSize: 3,
          padding: "same",
          useBias: !batchNorm,
          kernelInitializer: init(),
          ...(first ? { inputShape } : {}),
        }),
      );
      first = false;
      if (batchNorm) model.add(tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-5 }));
      model.add(tf.layers.reLU());
    }
    model.add(tf.layers.maxPooling2d({ poolSize: 2, strides: 2 }));
  }
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: dense, activation: "relu", kernelInitializer: init() }));
  model.add(
    tf.layers.dense({
      units: classes,
      kernelInitializer: tf.initializers.glorotUniform({ seed: s++ }),
      name: "logits",
    }),
  );
  return model;
}
