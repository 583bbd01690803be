// Loaded first by the host: apache-arrow's CommonJS build is about 150 modules, which each Zeek
// running the Arrow writer parsed at startup (0.2 s of CPU, 2 MiB of heap); its one-file build is
// the same library, and whatever resolves to this package's apache-arrow in the host process gets that.
import Module from 'node:module';

type Resolve = (request: string, ...rest: unknown[]) => string;

const modules = Module as unknown as { _resolveFilename: Resolve & { arrowBundle?: boolean } };
const original = modules._resolveFilename;
if (!original.arrowBundle) {
  const ours = require.resolve('apache-arrow');
  const bundle = require.resolve('apache-arrow/Arrow.es2015.min');
  const resolve: Resolve & { arrowBundle?: boolean } = function (this: unknown, request, ...rest) {
    const found = original.call(this, request, ...rest);
    return found === ours ? bundle : found;
  };
  resolve.arrowBundle = true;
  modules._resolveFilename = resolve;
}
