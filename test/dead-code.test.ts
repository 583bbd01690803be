import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { REPO } from './helpers/corpus';

// Dead code: what the compiler finds unused (locals, parameters, private members), and values a file exports that
// no other file imports. Types stay exported where an exported signature names them.

/** Modules loaded by path, not imported: the command's entry, the plugin's host, the writer module --follow names. */
const ENTRY_POINTS = ['ts/index.ts', 'ts/cli/main.ts', 'ts/plugin/host.ts', 'ts/spool/follow-writer.ts'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : /\.ts$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

describe('dead code', () => {
  it('tsc --noUnusedLocals --noUnusedParameters finds nothing unused in ts/ and scripts/', () => {
    const tsc = join(REPO, 'node_modules', '.bin', 'tsc');
    const r = spawnSync(tsc, ['--noEmit', '-p', REPO, '--noUnusedLocals', '--noUnusedParameters'], { encoding: 'utf8', cwd: REPO });
    // tsc ran: it exits 0, or with its findings (test/'s own are not this test's).
    assert.ok(r.status === 0 || /error TS\d+/.test(r.stdout), `tsc did not run: ${r.error ?? ''}${r.stdout}${r.stderr}`);
    assert.deepEqual(r.stdout.split('\n').filter(l => /^(ts|scripts)\//.test(l)), []);
  });

  it("every function, class and constant ts/ exports is imported by another file (or is an entry point)", () => {
    const files = ['ts', 'scripts', 'test'].flatMap(d => filesUnder(join(REPO, d)));
    const text = new Map(files.map(f => [f, readFileSync(f, 'utf8')]));
    const importers = new Map<string, string[]>();
    for (const file of files) {
      for (const [, specifier] of text.get(file)!.matchAll(/(?:from|import\(|require\()\s*'(\.[^']*)'/g)) {
        const base = resolve(dirname(file), specifier);
        const target = [`${base}.ts`, join(base, 'index.ts'), base].find(p => existsSync(p) && statSync(p).isFile());
        if (target) importers.set(target, [...importers.get(target) ?? [], file]);
      }
    }
    const unused: string[] = [];
    for (const file of files.filter(f => relative(REPO, f).startsWith('ts/') && !ENTRY_POINTS.includes(relative(REPO, f)))) {
      const exported = text.get(file)!.matchAll(/^export (?:async )?(?:abstract )?(?:function\*? |class |const |let |enum )(\w+)/gm);
      for (const [, name] of exported) {
        const word = new RegExp(`\\b${name}\\b`);
        // An importer that names it, or re-exports it (ts/index.ts, or a module its own importers name it through).
        const named = (module: string, seen: Set<string>): boolean => (importers.get(module) ?? []).some(importer => {
          if (!word.test(text.get(importer)!) || seen.has(importer)) return false;
          seen.add(importer);
          const reexports = new RegExp(`export\\s*(type\\s*)?\\{[^}]*\\b${name}\\b[^}]*\\}\\s*from`).test(text.get(importer)!);
          return !reexports || relative(REPO, importer) === 'ts/index.ts' || named(importer, seen)
            || new RegExp(`\\b${name}\\b`, 'g').exec(text.get(importer)!.replace(/export\s*(type\s*)?\{[^}]*\}\s*from[^\n]*/g, '')) !== null;
        });
        if (!named(file, new Set())) unused.push(`${relative(REPO, file)}: ${name}`);
      }
    }
    assert.deepEqual(unused, []);
  });
});
