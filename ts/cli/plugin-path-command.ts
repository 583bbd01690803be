import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../paths';

/** The directory holding the built Zeek plugin (put it in ZEEK_PLUGIN_PATH). */
export function pluginDir(): string {
  return join(PACKAGE_ROOT, 'build', 'plugin', 'zeek');
}

export async function pluginPathCommand(): Promise<void> {
  const dir = pluginDir();
  if (!existsSync(join(dir, '__zeek_plugin__'))) {
    throw new Error(`the Zeek plugin is not built in ${dir}: run scripts/setup.sh with a Zeek installed ` +
      '(zeek-config on PATH, $ZEEK_HOME or /opt/zeek)');
  }
  process.stdout.write(`${dir}\n`);
}
