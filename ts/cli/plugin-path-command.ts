import { pluginBuilt, pluginDir } from '../zeek/zeek-process';

export async function pluginPathCommand(): Promise<void> {
  if (!pluginBuilt()) {
    throw new Error(`the Zeek plugin is not built in ${pluginDir()}: run scripts/setup.sh with a Zeek installed ` +
      '(zeek-config on PATH, $ZEEK_HOME or /opt/zeek)');
  }
  process.stdout.write(`${pluginDir()}\n`);
}
