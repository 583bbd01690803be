// Runs Zeek with zeek-arrow's plugin and the Arrow writer as the default.
import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isGzipCapture } from '../pcap/capture-reader';
import { PACKAGE_ROOT } from '../common/paths';
import { gunzipFile } from '../common/gunzip-file';
import { nativeBridge } from '../duckdb/bridge';
import { Zeek } from './find-zeek';
import { pipeStream } from './pipe-stream';

/** The directory of the built Zeek plugin (for ZEEK_PLUGIN_PATH). */
export function pluginDir(): string {
  return join(PACKAGE_ROOT, 'build', 'plugin', 'zeek');
}

export function pluginBuilt(): boolean {
  return existsSync(join(pluginDir(), '__zeek_plugin__'));
}

/** A string option's value on Zeek's command line: Zeek quotes it itself, and cannot take a quote or backslash in it. */
export function commandLineString(name: string, text: string): string {
  if (/["\\\n]/.test(text)) throw new Error(`${name} cannot be ${JSON.stringify(text)} on Zeek's command line (no quotes or backslashes)`);
  return `${name}=${text}`;
}

export interface ZeekRunOptions {
  /** A capture file, or '-' to read one pcap stream from `stdin`. */
  capture: string;
  /** The DuckDB file the logs go to. */
  db: string;
  /** Zeek's working directory: files other than logs (extracted files, say) land there. */
  cwd: string;
  /** More scripts to load. */
  scripts?: string[];
  /** Zeek's -C: no checksum checks (captures taken with checksum offload). */
  ignoreChecksums?: boolean;
}

export interface ZeekRun {
  /** Where to write the capture when it is read from stdin. */
  stdin: Writable;
  /** Zeek's exit, with what it printed on stderr. */
  done: Promise<{ status: number | null; signal: string | null; stderr: string }>;
}

/** Zeek's arguments for a run with Community ID logging and every log into DuckDB through the Arrow writer. */
function zeekArguments(options: Omit<ZeekRunOptions, 'cwd'>): string[] {
  return [
    ...(options.ignoreChecksums ? ['-C'] : []),
    '-r', options.capture,
    'policy/protocols/conn/community-id-logging',
    ...(options.scripts ?? []),
    'Log::default_writer=Log::WRITER_ARROW',
    commandLineString('LogArrow::db_path', options.db),
  ];
}

/** Starts Zeek over a capture with Community ID logging and every log into DuckDB through the Arrow writer. */
export function startZeek(zeek: Zeek, options: ZeekRunOptions): ZeekRun {
  return spawnZeek(zeek, zeekArguments(options), { cwd: options.cwd, stdin: options.capture === '-' });
}

/** Zeek over one capture file; Zeek cannot read gzip, so a gzipped capture reaches it decompressed on its stdin. */
export async function startZeekOnCapture(zeek: Zeek, file: string, options: Omit<ZeekRunOptions, 'capture'>): Promise<ZeekRun> {
  const gzip = await isGzipCapture(file);
  const run = startZeek(zeek, { ...options, capture: gzip ? '-' : file });
  // A gzip stream that ends early is the index's problem to report; Zeek reads what came before it.
  if (gzip) pipeline(gunzipFile(file, 1 << 20).stream, run.stdin).catch(() => undefined);
  return run;
}

export interface ZeekProcess extends ZeekRun {
  child: ChildProcess;
}

/** A Zeek's stdin buffer: ~35 ms of one worker's reading, so the feed's pauses do not leave it waiting (Linux allows
 * 1 MiB to any user by default: /proc/sys/fs/pipe-max-size). */
const STDIN_PIPE_BYTES = 1 << 20;

/** Runs Zeek with zeek-arrow's plugin; its stderr is kept for the error message. */
export function spawnZeek(zeek: Zeek, args: string[], options: { cwd: string; stdin: boolean; env?: NodeJS.ProcessEnv; ownSession?: boolean }): ZeekProcess {
  const pipe = options.stdin ? nativeBridge().childPipe(STDIN_PIPE_BYTES) : undefined;
  let child: ChildProcess;
  try {
    child = spawn(zeek.zeek, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env, ZEEK_PLUGIN_PATH: [pluginDir(), process.env.ZEEK_PLUGIN_PATH].filter(Boolean).join(':') },
      stdio: [pipe ? pipe.read : 'ignore', 'inherit', 'pipe'],
      detached: options.ownSession ?? false,
    });
  } finally {
    if (pipe) closeSync(pipe.read);
  }
  const stdin: Writable = pipe
    ? pipeStream(pipe.write)
    : new Writable({ write: (_c, _e, cb) => cb() });
  let stderr = '';
  // The tail is enough for an error message; a chatty Zeek must not grow it without end.
  child.stderr!.setEncoding('utf8').on('data', (text: string) => { stderr = (stderr + text).slice(-65536); });
  const done = new Promise<{ status: number | null; signal: string | null; stderr: string }>((resolve, reject) => {
    child.once('error', error => { stdin.destroy(); reject(error); });
    child.once('close', (status, signal) => resolve({ status, signal, stderr }));
  });
  return { child, stdin, done };
}
