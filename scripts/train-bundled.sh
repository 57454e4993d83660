#!/bin/sh
# Re-creates the two bundled classifiers (models/fashion-cnn, models/fashion-cnn-robust) from Debian's
# dataset-fashion-mnist (/usr/share/datasets/fashion-mnist) and measures them (clean accuracy on the 10,000 test
# images, PGD-40 accuracy at eps 0.1 on the first 2000). Deterministic for given seeds on the wasm backend.
# The standard model was trained in stages (each continues the previous one with a fresh Adam and a new cosine
# schedule) because the CPUs were shared by many jobs; the stages are exactly what was run (on the code of commits
# 254b753..acdd79f). Later wasm kernel work (bias gradients as one matrix product, unfused first convolution) changes
# float rounding, so on current code these commands give a model of the same quality, not bitwise the same weights.
# Needs git (the robust
# model's run is pinned to the commit it ran on, see below).
set -eu
cd "$(dirname "$0")/.."
DATA=${GRADOPT_FASHION_MNIST_DIR:-/usr/share/datasets/fashion-mnist}
T=${TMPDIR:-/tmp}/gradopt-bundled
npx gradopt train --data "$DATA" --epochs 3 --batch-size 128 --lr 0.003 --seed 1 --out "$T/stage1"
npx gradopt train --data "$DATA" --init "$T/stage1" --epochs 2 --batch-size 128 --lr 0.001 --seed 2 --out "$T/stage2"
npx gradopt train --data "$DATA" --init "$T/stage2" --epochs 2 --batch-size 128 --lr 0.0005 --seed 3 --augment flip --out "$T/stage3"
npx gradopt train --data "$DATA" --init "$T/stage3" --epochs 1 --batch-size 128 --lr 0.0003 --seed 4 --augment flip --out models/fashion-cnn
# The robust model: one 15-epoch FGSM-RS run (eps 0.1, seed 11, cosine schedule from lr 0.003), exactly as run. It ran
# on commit d4ba180, whose adversarial training built its examples with a private copy of the PGD step (batch-mean
# loss gradient); later commits build them with src/attack's steps (per-sample loss gradient: fewer entries fall
# under the wasm Sign kernel's 1e-7 zero threshold), so the same command on later code gives other weights. To
# re-create the shipped weights, the run uses that commit's code (the dist/ it builds is the one that ran).
R="$T/d4ba180"
rm -rf "$R" && mkdir -p "$R"
git archive d4ba180 | tar -x -C "$R"
ln -s "$PWD/node_modules" "$R/node_modules"
(cd "$R" && npx tsc -p tsconfig.build.json)
node "$R/bin/gradopt.js" train --data "$DATA" --epochs 15 --batch-size 128 --lr 0.003 --seed 11 --adversarial fgsm-rs --eps 0.1 --no-test --no-progress --out models/fashion-cnn-robust
npx tsx scripts/eval-bundled.ts models/fashion-cnn 2000
npx tsx scripts/eval-bundled.ts models/fashion-cnn-robust 2000
