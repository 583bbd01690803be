import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

import type * as Ingest from './ingest-command';
import type * as Sql from './sql-command';
import type * as Export from './export-command';
import type * as PluginPath from './plugin-path-command';
import type * as Index from './index-command';
import type * as Extract from './extract-command';
import type * as Analyze from './analyze-command';

// Each command's module loads when it runs, so `--help` and quick commands start fast.
const ingestCommand: typeof Ingest.ingestCommand = (...a) => (require('./ingest-command') as typeof Ingest).ingestCommand(...a);
const sqlCommand: typeof Sql.sqlCommand = (...a) => (require('./sql-command') as typeof Sql).sqlCommand(...a);
const exportCommand: typeof Export.exportCommand = (...a) => (require('./export-command') as typeof Export).exportCommand(...a);
const pluginPathCommand: typeof PluginPath.pluginPathCommand = () => (require('./plugin-path-command') as typeof PluginPath).pluginPathCommand();
const indexCommand: typeof Index.indexCommand = (...a) => (require('./index-command') as typeof Index).indexCommand(...a);
const extractCommand: typeof Extract.extractCommand = (...a) => (require('./extract-command') as typeof Extract).extractCommand(...a);
const analyzeCommand: typeof Analyze.analyzeCommand = (...a) => (require('./analyze-command') as typeof Analyze).analyzeCommand(...a);

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('not a whole number above 0');
  return n;
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || value.trim() === '') throw new InvalidArgumentError('not a number of 0 or more');
  return n;
}

function program(): Command {
  const cli = new Command('zeek-arrow')
    .description('Zeek logs as typed tables in DuckDB, Parquet and Arrow; conn.log joined to its packets.')
    .showHelpAfterError()
    .exitOverride();
  cli.command('analyze')
    .description('run Zeek over captures (pcap or pcapng, plain or .gz; files or directories) with every log into DuckDB ' +
      'through the Arrow writer, Community ID logged, and index their packets: one database where conn joins its packets ' +
      '(view conn_packets). Pcaps of one link type are read once, as one stream in time order, so sessions that cross ' +
      'files stay whole; captures analyzed before are left alone.')
    .argument('<paths...>', 'capture files or directories of them')
    .option('--db <file>', 'DuckDB database file (created if missing; required but on a worker host)')
    .option('--script <script...>', 'more Zeek scripts to load (paths or script names)')
    .option('-C, --ignore-checksums', "Zeek's -C: for captures taken with checksum offload")
    .option('--workers <n>', 'Zeek cluster workers, each fed the packets of its share of address pairs ' +
      '(default: one per core; 1: a single Zeek)', positiveInteger)
    .option('--listen <address:port>', 'logger host of a cluster across hosts: run manager, logger and proxy here, ' +
      'wait for the worker hosts on this address and port (ZeroMQ uses the next three ports), write --db and the packet index')
    .option('--worker-hosts <n>', 'logger host: how many worker hosts join (each with --shard i/n)', positiveInteger)
    .option('--join <address:port>', "worker host: join the logger host at its --listen address and run --workers workers here")
    .option('--shard <i/N>', 'worker host: read the same captures and send its workers only the address pairs of hash range i of N')
    .option('--join-timeout <seconds>', 'how long worker hosts may take to join (default 120)', positiveInteger)
    .option('--follow', 'follow spool directories until stopped: each new capture, once complete, goes to the same running Zeek')
    .option('--settle <seconds>', 'with --follow: how long a capture\'s size must stay put before it is taken (default 5)', nonNegative)
    .option('--replay <seconds>', 'with --follow: capture time fed to Zeek again after a restart (default 600)', nonNegative)
    .option('--status-every <seconds>', 'with --follow: seconds between status lines (default 10)', nonNegative)
    .option('--quiet', 'print only problems')
    .option('--progress', 'show a progress bar (the default on a terminal)')
    .option('--no-progress', 'no progress bar')
    .action(analyzeCommand);
  cli.command('ingest')
    .description('bring Zeek logs (TSV or JSON, plain or .gz; files or directories) into a table per log path')
    .argument('<paths...>', 'log files or directories of them')
    .requiredOption('--db <file>', 'DuckDB database file (created if missing)')
    .option('--quiet', 'print only problems')
    .option('--keep-order', 'keep rows in log-line order (slower; by default files load in parallel)')
    .action(ingestCommand);
  cli.command('sql')
    .description('run SQL on a database and print the result')
    .argument('<query>', 'SQL to run')
    .requiredOption('--db <file>', 'DuckDB database file')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .action(sqlCommand);
  cli.command('export')
    .description('write each log table to a Parquet or Arrow IPC stream file (<out>/<log>.parquet|.arrows)')
    .requiredOption('--db <file>', 'DuckDB database file')
    .addOption(new Option('--format <format>', 'file format').choices(['parquet', 'arrow']).makeOptionMandatory())
    .requiredOption('--out <dir>', 'directory for the files (created if missing)')
    .option('--log <path...>', 'only these logs (default: all)')
    .action(exportCommand);
  cli.command('index')
    .description('record where every flow\'s packets are in pcap/pcapng captures (plain or .gz; files or directories), ' +
      'so conn joins to its packets (view conn_packets)')
    .argument('<paths...>', 'capture files or directories of them')
    .requiredOption('--db <file>', 'DuckDB database file (created if missing)')
    .option('--quiet', 'print only problems')
    .option('--progress', 'show a progress bar (the default on a terminal)')
    .option('--no-progress', 'no progress bar')
    .option('-j, --jobs <n>', 'captures read at once, each on a thread of its own (default: one per core)', positiveInteger)
    .action(indexCommand);
  cli.command('extract')
    .description('write every packet of the chosen sessions, merged in time order across captures, to one pcap ' +
      '(pcapng when the captures\' link types or time resolutions differ)')
    .requiredOption('--db <file>', 'DuckDB database file with conn and a packet index')
    .option('--uid <uid...>', 'conn uids')
    .option('--community-id <id...>', 'Community IDs (the whole flow, over all time)')
    .option('--where <sql>', 'SQL condition on the conn table, e.g. "id.resp_p = 443 AND duration > INTERVAL 1 MINUTE"')
    .requiredOption('-w, --write <file>', 'capture file to write')
    .action(extractCommand);
  cli.command('plugin-path')
    .description('print the directory of the built Zeek plugin, for ZEEK_PLUGIN_PATH')
    .action(pluginPathCommand);
  return cli;
}

export async function main(argv: string[]): Promise<void> {
  // Output piped into `head` and the like: stop quietly when the reader goes away.
  process.stdout.on('error', e => { if ((e as NodeJS.ErrnoException).code === 'EPIPE') process.exit(0); });
  try {
    await program().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(`zeek-arrow: ${(e as Error).message}\n`);
    process.exitCode = 1;
  }
}
