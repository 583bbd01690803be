// Values from a log go into messages; a 20 MB field must not make a 20 MB line.

const SHOWN_CHARS = 80;

/** A value for a message: whole when short, else its first 80 characters and its size in bytes. */
export function shownValue(value: string, bytes = Buffer.byteLength(value)): string {
  if (value.length <= SHOWN_CHARS && bytes === Buffer.byteLength(value)) return value;
  return `${value.slice(0, SHOWN_CHARS)}… (${bytes} bytes)`;
}
