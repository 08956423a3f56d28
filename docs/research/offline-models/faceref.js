const tf = require('@tensorflow/tfjs-core'); require('@tensorflow/tfjs-backend-cpu'); const fs = require('fs');
(async () => {
  await tf.setBackend('cpu');
  const dir = '/tmp/issue20/npm/vladmandic-face-api-1.7.15/package/model/';
  const man = JSON.parse(fs.readFileSync(dir + 'face_recognition_model-weights_manifest.json'));
  const bin = fs.readFileSync(dir + 'face_recognition_model.bin');
  const P = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length), man[0].weights);
  const cl = (x, p, s, relu, pad) => { let o = tf.add(tf.conv2d(x, P[p + '/conv/filters'], s, pad), P[p + '/conv/bias']);
    o = tf.add(tf.mul(o, P[p + '/scale/weights']), P[p + '/scale/biases']); return relu ? tf.relu(o) : o; };
  const res = (x, p) => tf.relu(tf.add(cl(cl(x, p + '/conv1', 1, true, 'same'), p + '/conv2', 1, false, 'same'), x));
  const resDown = (x, p) => { let out = cl(cl(x, p + '/conv1', 2, true, 'valid'), p + '/conv2', 1, false, 'same');
    let pooled = tf.avgPool(x, 2, 2, 'valid'); const zeros = tf.zeros(pooled.shape);
    if (pooled.shape[1] !== out.shape[1]) { const a = [...out.shape]; a[1] = 1; out = tf.concat([out, tf.zeros(a)], 1); const b = [...out.shape]; b[2] = 1; out = tf.concat([out, tf.zeros(b)], 2); }
    if (pooled.shape[3] !== out.shape[3]) pooled = tf.concat([pooled, zeros], 3);
    return tf.relu(tf.add(pooled, out)); };
  const raw = fs.readFileSync('/tmp/issue20/face_probe.f32');
  let x = tf.tensor4d(new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4), [2, 150, 150, 3]);
  let o = cl(x, 'conv32_down', 2, true, 'valid'); o = tf.maxPool(o, 3, 2, 'valid');
  for (const p of ['conv32_1','conv32_2','conv32_3']) o = res(o, p);
  o = resDown(o, 'conv64_down'); for (const p of ['conv64_1','conv64_2','conv64_3']) o = res(o, p);
  o = resDown(o, 'conv128_down'); for (const p of ['conv128_1','conv128_2']) o = res(o, p);
  o = resDown(o, 'conv256_down'); for (const p of ['conv256_1','conv256_2']) o = res(o, p);
  o = resDown(o, 'conv256_down_out');
  const y = tf.matMul(tf.mean(o, [1, 2]), P['fc']); console.log(JSON.stringify(Array.from(await y.data())));
})();
