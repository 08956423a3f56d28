const tf = require('@tensorflow/tfjs-core'); require('@tensorflow/tfjs-backend-cpu'); const tfl = require('@tensorflow/tfjs-layers');
const fs = require('fs');
(async () => {
  await tf.setBackend('cpu');
  const dir = '/tmp/issue20/nsfwjs_mnv2/';
  const j = JSON.parse(fs.readFileSync(dir + 'model.json'));
  const bin = fs.readFileSync(dir + 'group1-shard1of1');
  const io = { load: async () => ({ modelTopology: j.modelTopology, weightSpecs: j.weightsManifest[0].weights,
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length) }) };
  const model = await tfl.loadLayersModel(io);
  const raw = fs.readFileSync('/tmp/issue20/nsfw_probe.f32');
  const x = tf.tensor4d(new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4), [3, 224, 224, 3]);
  const y = model.predict(x); console.log(JSON.stringify(Array.from(await y.data())));
})();
