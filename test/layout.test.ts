import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO } from './helpers/corpus';

// The README's Layout section lists every folder, one line each, top to bottom: a folder
// imports only folders below it, so the arrows point one way and no two import each other.

/** The folders the README's Layout section lists, in its order. */
function readmeLayout(): string[] {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Layout\n'));
  const block = /```\n([\s\S]*?)```/.exec(section);
  assert.ok(block, "README.md has no code block under '## Layout'");
  return block[1].split('\n').map(l => /^(\S+)\s/.exec(l)?.[1]).filter((f): f is string => !!f);
}

function filesUnder(dir: string, ending: RegExp): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, ending) : ending.test(name) ? [path] : [];
  });
}

/** The repository files a TypeScript file imports (relative specifiers only). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import|require\()\s*'(\.[^']*)'/g)].map(m => m[1]);
  return specifiers.map(s => {
    const base = resolve(dirname(file), s);
    const found = [`${base}.ts`, join(base, 'index.ts'), base].find(p => existsSync(p) && statSync(p).isFile());
    assert.ok(found, `${relative(REPO, file)} imports '${s}', which is no file`);
    return found;
  });
}

/** The listed folder a repository file is in (the longest listed prefix). */
const folderOf = (layout: string[], file: string) =>
  layout.filter(f => relative(REPO, file).startsWith(`${f}/`)).sort((a, b) => b.length - a.length)[0];

describe("the layout: the README's list of folders, and imports pointing one way", () => {
  const layout = readmeLayout();

  it('lists every folder of ts/ and plugin/, and only folders that are there', () => {
    const folders = ['ts', 'plugin'].flatMap(top => readdirSync(join(REPO, top))
      .filter(name => statSync(join(REPO, top, name)).isDirectory()).map(name => `${top}/${name}`));
    assert.deepEqual(layout.filter(f => f.startsWith('ts/') || f.startsWith('plugin/')).sort(), folders.sort());
    assert.deepEqual(readdirSync(join(REPO, 'ts')).filter(n => n.endsWith('.ts')), ['index.ts'],
      'files directly in ts/ are above every folder: only the package API (index.ts) is there');
  });

  it('no TypeScript folder imports a folder above it (so none imports one that imports it)', () => {
    const wrong: string[] = [];
    for (const file of filesUnder(join(REPO, 'ts'), /\.ts$/)) {
      const from = folderOf(layout, file);
      if (!from) continue; // ts/index.ts: the package's API, above all
      for (const target of importsOf(file)) {
        const to = folderOf(layout, target);
        if (!to) wrong.push(`${relative(REPO, file)} imports ${relative(REPO, target)}, which is above every folder`);
        else if (layout.indexOf(to) < layout.indexOf(from)) {
          wrong.push(`${relative(REPO, file)} imports ${relative(REPO, target)}: ${to} is above ${from}`);
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('no C++ folder includes a folder above it', () => {
    const wrong: string[] = [];
    for (const file of filesUnder(join(REPO, 'plugin'), /\.(cc|h)$/)) {
      const from = folderOf(layout, file);
      for (const [, included] of readFileSync(file, 'utf8').matchAll(/#include "([^"]+)"/g)) {
        const target = resolve(dirname(file), included);
        if (!existsSync(target)) continue; // generated (config.h) or found on the include path
        const to = folderOf(layout, target);
        if (to !== from && layout.indexOf(to) < layout.indexOf(from)) wrong.push(`${relative(REPO, file)} includes ${included}`);
      }
    }
    assert.deepEqual(wrong, []);
  });
});
