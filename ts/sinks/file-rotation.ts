import { rename } from 'node:fs/promises';
import * as arrow from 'apache-arrow';
import { LogWriter } from './sink';

/** One log's current file, in the way of the sinks that write files. */
export interface LogFile {
  write(batch: arrow.RecordBatch): Promise<void>;
  flush(): Promise<void>;
  /** Writes what is left and closes the file. */
  end(): Promise<void>;
}

/**
 * A log writer over files the way Zeek's ASCII writer keeps them: a file is
 * opened on the first write, rotation renames the open one (and there is
 * nothing to rotate, and no post-processing, while none is open).
 */
export function rotatingWriter(path: string, extension: string, open: () => Promise<LogFile>): LogWriter {
  let file: LogFile | undefined;
  return {
    write: async batch => {
      file ??= await open();
      await file.write(batch);
    },
    flush: async () => { await file?.flush(); },
    rotate: async rotatedBase => {
      if (!file) return undefined;
      await file.end();
      file = undefined;
      const rotated = `${rotatedBase}.${extension}`;
      await rename(path, rotated);
      return { previous: path, rotated };
    },
    close: async () => {
      await file?.end();
      file = undefined;
    },
  };
}
