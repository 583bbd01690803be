import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The installed package's top directory (this file is dist/ts/common/paths.js). */
export const PACKAGE_ROOT = resolve(__dirname, '..', '..', '..');

/** A file built by CMake (cmake-js puts it in build/Release). */
export function builtFile(name: string): string {
  const path = join(PACKAGE_ROOT, 'build', 'Release', name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run 'npm install' (or 'npm run build') in ${PACKAGE_ROOT}`);
  return path;
}
