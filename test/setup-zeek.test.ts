import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { REPO } from './helpers/corpus';
import { removeDir, tempDir } from './helpers/logs';
import { describeWithZeek } from './helpers/zeek';

/** The libnode the repository's own build found (setup.sh's LIBNODE_ROOT), for a build of the plugin elsewhere. */
function libnodeRoot(): string {
  if (process.env.LIBNODE_ROOT) return process.env.LIBNODE_ROOT;
  const cache = readFileSync(join(REPO, 'build', 'CMakeCache.txt'), 'utf8');
  return /^LIBNODE_ROOT:PATH=(.*)$/m.exec(cache)?.[1] || join(REPO, '.libnode');
}

const pluginState = (build: string) => /^ZEEK_ARROW_PLUGIN:INTERNAL=(.*)$/m.exec(readFileSync(join(build, 'CMakeCache.txt'), 'utf8'))?.[1];

describeWithZeek('setup after Zeek arrives: a build configured without Zeek is configured again', zeek => {
  const work = tempDir();
  after(() => removeDir(work));

  it('cmake-js configures without the plugin, then setup\'s check drops that cache once a Zeek is found, and the plugin is configured', () => {
    const build = join(work, 'build');
    // No Zeek: none on PATH, no ZEEK_HOME, and the /opt/zeek lookup pointed at a directory that does not exist.
    const path = (process.env.PATH ?? '').split(delimiter).filter(d => !existsSync(join(d, 'zeek-config'))).join(delimiter);
    const { ZEEK_HOME: _unused, ...rest } = process.env;
    const noZeek = { ...rest, PATH: path, ZEEK_ARROW_FALLBACK_ZEEK: join(work, 'no-zeek'), LIBNODE_ROOT: libnodeRoot() };
    const withZeek = { ...noZeek, ZEEK_HOME: dirname(dirname(zeek.zeek)) };
    const configure = (env: NodeJS.ProcessEnv) => {
      const r = spawnSync(process.execPath, [join(REPO, 'node_modules', 'cmake-js', 'bin', 'cmake-js'), 'configure', '--out', build],
        { cwd: REPO, env, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      return r.stdout;
    };
    const check = (env: NodeJS.ProcessEnv) => {
      const r = spawnSync('bash', ['-c', 'source scripts/zeek-lookup.sh && reconfigure_if_zeek_arrived "$0"', build], { cwd: REPO, env, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };

    assert.match(configure(noZeek), /Zeek not found .*skipping the Zeek plugin/);
    assert.equal(pluginState(build), 'skipped: no Zeek');
    assert.equal(existsSync(join(build, 'plugin', 'zeek')), false);

    // Still no Zeek: the build is left as it is.
    assert.equal(check(noZeek), '');
    assert.equal(pluginState(build), 'skipped: no Zeek');

    // Zeek arrives: the cache goes, so cmake-js (which configures only a build without one) configures again.
    assert.equal(check(withZeek), `zeek-arrow: Zeek found since ${build} was configured without it: configuring again to build the plugin\n`);
    assert.equal(existsSync(join(build, 'CMakeCache.txt')), false);
    assert.match(configure(withZeek), new RegExp(`building the Zeek plugin against Zeek ${zeek.version.replace(/\./g, '\\.')}`));
    assert.equal(pluginState(build), `built against ${join(dirname(dirname(zeek.zeek)), 'bin', 'zeek-config')}`);
    assert.equal(existsSync(join(build, 'plugin', 'zeek', 'Makefile')) || existsSync(join(build, 'build.ninja')), true);

    // And a build with the plugin is not configured again.
    assert.equal(check(withZeek), '');
  });
});
