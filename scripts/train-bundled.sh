#!/bin/sh
# Re-creates the two bundled classifiers (models/fashion-cnn, models/fashion-cnn-robust) from Debian's
# dataset-fashion-mnist (/usr/share/datasets/fashion-mnist) and measures them (clean accuracy on the 10,000 test
# images, PGD-40 accuracy at eps 0.1 on the first 2000). Deterministic for a given seed on the wasm backend.
# Budget: the bundled models were trained on two heavily shared cores, hence the short schedules.
set -eu
cd "$(dirname "$0")/.."
DATA=${GRADOPT_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
npx gradopt train --data "$DATA" --epochs 3 --batch-size 128 --lr 0.003 --seed 1 --out models/fashion-cnn
npx gradopt train --data "$DATA" --epochs 1 --batch-size 128 --lr 0.003 --seed 1 --adversarial fgsm-rs --eps 0.1 --no-test --out models/fashion-cnn-robust
npx tsx scripts/eval-bundled.ts models/fashion-cnn 2000
npx tsx scripts/eval-bundled.ts models/fashion-cnn-robust 2000
