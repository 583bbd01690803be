import { CaptureProblem } from './types';

/** One line per problem, as ingest prints them: severity, file, byte offset, what is wrong. */
export function formatCaptureProblem(p: CaptureProblem): string {
  return `${p.severity}: ${p.file} (byte ${p.offset}): ${p.message}`;
}
