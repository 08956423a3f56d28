// Jest transformer: TypeScript → CommonJS with esbuild (already here for tsx). Type checking is
// tsc's job (`tsc --noEmit` in test.sh); this only strips types, fast.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: 'ts',
      format: 'cjs',
      target: 'node20',
      sourcefile: filename,
      sourcemap: 'both',
    });
    return { code, map };
  },
};
