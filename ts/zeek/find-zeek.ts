import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface Zeek {
  zeek: string;
  version: string;
  /** Zeek's own script search path (zeek-config --zeekpath). */
  scriptPath: string;
}

/** Zeek: zeek-config on PATH, then $ZEEK_HOME, then /opt/zeek (Zeek's usual prefix, or $ZEEK_ARROW_FALLBACK_ZEEK). */
export function findZeek(): Zeek | undefined {
  const fallback = process.env.ZEEK_ARROW_FALLBACK_ZEEK ?? '/opt/zeek';
  const candidates = ['zeek-config', process.env.ZEEK_HOME && join(process.env.ZEEK_HOME, 'bin', 'zeek-config'), join(fallback, 'bin', 'zeek-config')];
  for (const config of candidates) {
    if (!config) continue;
    try {
      // One run answers all three, a line each in the order asked.
      const [prefix, version, scriptPath] = execFileSync(config, ['--prefix', '--version', '--zeekpath'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n');
      const zeek = join(prefix, 'bin', 'zeek');
      if (scriptPath !== undefined && existsSync(zeek)) return { zeek, version, scriptPath };
    } catch {
      // not here
    }
  }
  return undefined;
}
