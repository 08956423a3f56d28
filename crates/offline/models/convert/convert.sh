#!/usr/bin/env bash
# Rebuilds the two converted models from their npm packages, byte for byte:
#   ../faces/face_recognition.onnx  <- @vladmandic/face-api 1.7.15 (MIT), dlib's ResNet face descriptor (CC0 weights)
#   ../nsfw/nsfwjs_mobilenet_v2.onnx <- nsfwjs 4.4.0 (MIT), MobileNetV2 5-class classifier
# Both packages ship TF.js weights only (uint8-quantised); the converters here rebuild each network
# in ONNX with onnx + numpy (no TensorFlow), keeping the weights uint8 (dequantised by tract at load).
# Tools pinned: node 20, onnx 1.23.2, numpy 2.4.6. Checks the packages' and the outputs' SHA-256.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent nsfwjs@4.4.0 @vladmandic/face-api@1.7.15 >/dev/null
sha256sum -c "$here/packages.sha256"
tar xzf nsfwjs-4.4.0.tgz && mv package nsfwjs
tar xzf vladmandic-face-api-1.7.15.tgz && mv package faceapi
mkdir nsfw
# nsfwjs embeds its model as browserify modules: the Keras JSON and the base64 weights.
node -e '
const fs = require("fs"); const d = "nsfwjs/dist/models/mobilenet_v2/";
const model = require("./" + d + "model.min.js");
fs.writeFileSync("nsfw/model.json", typeof model === "string" ? model : JSON.stringify(model));
fs.writeFileSync("nsfw/group1-shard1of1", Buffer.from(require("./" + d + "group1-shard1of1.min.js"), "base64"));'
python3 -m venv venv
venv/bin/pip install --quiet onnx==1.23.2 numpy==2.4.6
mkdir -p "$here/../faces" "$here/../nsfw"
venv/bin/python "$here/faceapi_recog_to_onnx.py" faceapi/model/face_recognition_model-weights_manifest.json \
  faceapi/model/face_recognition_model.bin "$here/../faces/face_recognition.onnx"
venv/bin/python "$here/keras_tfjs_to_onnx.py" nsfw/model.json "$here/../nsfw/nsfwjs_mobilenet_v2.onnx"
cd "$here/.." && sha256sum -c "$here/models.sha256"
