// User modules live anywhere (/etc/zeek/writers/counting.js) and do `require('zeek-arrow')`, as the README shows:
// that name resolves to the package this host runs from, so they get the very WriterBackend the host checks for.
import Module from 'node:module';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../common/paths';

const NAME = 'zeek-arrow';

type Resolve = (request: string, ...rest: unknown[]) => string;

export function resolvePackageNameToHost(): void {
  const modules = Module as unknown as { _resolveFilename: Resolve & { zeekArrow?: boolean } };
  const original = modules._resolveFilename;
  if (original.zeekArrow) return;
  const resolve: Resolve & { zeekArrow?: boolean } = function (this: unknown, request, ...rest) {
    if (request === NAME || request.startsWith(`${NAME}/`)) request = join(PACKAGE_ROOT, request.slice(NAME.length));
    return original.call(this, request, ...rest);
  };
  resolve.zeekArrow = true;
  modules._resolveFilename = resolve;
}
