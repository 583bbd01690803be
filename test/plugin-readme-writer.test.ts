import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, corpusPath } from './helpers/corpus';
import { removeDir, tempDir } from './helpers/logs';
import { describeWithZeek, runZeek } from './helpers/zeek';

/** The README's writer module, as the README shows it (the ```js block that defines CountingWriter). */
function readmeCountingWriter(): string {
  const blocks = [...readFileSync(join(REPO, 'README.md'), 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map(m => m[1]);
  const block = blocks.find(b => b.includes('class CountingWriter'));
  assert.ok(block, 'README.md shows CountingWriter');
  return block;
}

describeWithZeek("the README's CountingWriter, kept outside the package, requiring 'zeek-arrow'", zeek => {
  const work = tempDir();
  after(() => removeDir(work));

  it('loads and counts the rows of every log the ASCII writer writes', () => {
    // Outside the repository and any node_modules: only the embedded runtime can resolve 'zeek-arrow' for it.
    const writers = join(work, 'etc', 'zeek', 'writers');
    mkdirSync(writers, { recursive: true });
    const module = join(writers, 'counting.js');
    writeFileSync(module, readmeCountingWriter());
    const trace = corpusPath('pcaps', 'http__bro.org.pcap');
    const run = (name: string, args: string[]) => {
      const dir = join(work, name);
      mkdirSync(dir);
      const r = runZeek(zeek, dir, ['-C', '-r', trace, ...args]);
      assert.equal(r.status, 0, r.stderr);
      return { dir, ...r };
    };
    const ascii = run('ascii', []);
    const counted = run('module', ['Log::default_writer=Arrow', 'LogArrow::sink=module', `LogArrow::writer_module=${module}`]);
    assert.doesNotMatch(counted.stderr, /Cannot find module/);
    const expected = readdirSync(ascii.dir).filter(f => f.endsWith('.log')).sort().map(f => {
      const rows = readFileSync(join(ascii.dir, f), 'utf8').split('\n').filter(l => l && !l.startsWith('#')).length;
      return `${f.replace(/\.log$/, '')}: ${rows} rows`;
    });
    assert.ok(expected.length >= 4, `logs: ${expected}`);
    assert.deepEqual(counted.stdout.split('\n').filter(l => / rows$/.test(l)).sort(), expected);
  });
});
