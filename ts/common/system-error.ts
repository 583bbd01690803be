/** A system error without the path it repeats: `ENOENT: no such file or directory`. */
export function systemReason(e: unknown): string {
  return (e as Error).message.replace(/, \w+ '[^']*'$/, '');
}
