import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { REPO } from './corpus';

export { Zeek, findZeek } from '../../ts/zeek/find-zeek';
import { Zeek, findZeek } from '../../ts/zeek/find-zeek';

/** Where `npm install` builds the plugin. */
export const PLUGIN_DIR = join(REPO, 'build', 'plugin', 'zeek');

/** Whether the tests run under CI (`CI=true`, as CI services set it): there the plugin must be proven, not skipped. */
export const UNDER_CI = /^(true|1)$/i.test(process.env.CI ?? '');

/**
 * describe() for tests that need Zeek: without one they print a SKIP line and are left pending (a user's
 * `npm test` on a machine without Zeek), except under CI, where a missing Zeek fails them. With a Zeek,
 * a plugin that is not built fails them everywhere.
 */
export function describeWithZeek(title: string, body: (zeek: Zeek) => void): void {
  const zeek = findZeek();
  if (!zeek) {
    const where = 'no Zeek found (zeek-config on PATH, $ZEEK_HOME, /opt/zeek)';
    describe(title, () => {
      if (UNDER_CI) {
        it('needs Zeek', () => { throw new Error(`CI=true and ${where}: scripts/setup.sh installs one; ${title} proves nothing without it`); });
        return;
      }
      before(() => console.log(`      SKIP: ${where}: ${title}`));
      it.skip('needs Zeek');
    });
    return;
  }
  describe(`${title} (Zeek ${zeek.version})`, () => {
    before(() => {
      if (!existsSync(join(PLUGIN_DIR, '__zeek_plugin__'))) {
        throw new Error(`Zeek ${zeek.version} is here but the plugin is not built in ${PLUGIN_DIR}: run scripts/setup.sh`);
      }
    });
    body(zeek);
  });
}

export interface ZeekRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Wall-clock seconds the run took. */
  seconds: number;
}

/** Runs Zeek in `cwd` with the plugin on ZEEK_PLUGIN_PATH; killed (status null) after `timeoutMs`. */
export function runZeek(zeek: Zeek, cwd: string, args: string[], env: Record<string, string> = {},
  timeoutMs = 600_000): ZeekRun {
  const start = process.hrtime.bigint();
  const r = spawnSync(zeek.zeek, args, {
    cwd, encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL',
    env: { ...process.env, ZEEK_PLUGIN_PATH: PLUGIN_DIR, ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

/** A capture Zeek can read: gzipped ones are decompressed into `dir` first. */
export function readableCapture(path: string, dir: string): string {
  if (!path.endsWith('.gz')) return path;
  const out = join(dir, path.split('/').pop()!.replace(/\.gz$/, ''));
  writeFileSync(out, gunzipSync(readFileSync(path)));
  return out;
}
