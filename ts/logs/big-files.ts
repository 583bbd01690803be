// Big logs sharing a header are read where they are, several in one read_csv: one INSERT and one commit for
// 1 M conn rows in 8 files took 5.0 s of CPU, one per file 7.9-9.5 s (DEVELOPERS.md, "Ingest at read_csv's pace").

/**
 * A log at least this big is read by DuckDB where it is, not copied into a combined file: the mixed set of
 * bench-ingest without conn and x509 took 10.6 CPU s at 16 MiB, 9.0 at 1 MiB (DuckDB's cost a file is ~10 ms).
 */
export const DIRECT_BYTES = 1 << 20;

/** Bytes of big logs read in one statement at most: DuckDB streams them, so this bounds a transaction, not memory. */
const DIRECT_BATCH_BYTES = 1 << 30;

/** Big files read in one statement at most. */
const DIRECT_BATCH_FILES = 64;

/**
 * The end (exclusive) of the run of big files starting at `from` that one statement reads: at least one file,
 * then while the files are big and the batch stays within DIRECT_BATCH_BYTES and DIRECT_BATCH_FILES.
 */
export function bigFilesEnd(files: { bytes: number }[], from: number): number {
  let end = from + 1;
  let bytes = files[from].bytes;
  while (end < files.length && end - from < DIRECT_BATCH_FILES && files[end].bytes >= DIRECT_BYTES
    && bytes + files[end].bytes <= DIRECT_BATCH_BYTES) {
    bytes += files[end].bytes;
    end++;
  }
  return end;
}
