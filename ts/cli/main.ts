import { Command, CommanderError, Option } from 'commander';
import { ingestCommand } from './ingest-command';
import { sqlCommand } from './sql-command';
import { exportCommand } from './export-command';
import { pluginPathCommand } from './plugin-path-command';
import { indexCommand } from './index-command';
import { extractCommand } from './extract-command';

export function program(): Command {
  const cli = new Command('zeek-arrow')
    .description('Zeek logs as typed tables in DuckDB, Parquet and Arrow; conn.log joined to its packets.')
    .showHelpAfterError()
    .exitOverride();
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
