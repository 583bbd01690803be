// Zeek's own text rules, so values round-trip exactly:
// - a string column holds what Zeek's JSON writer emits for the value
//   (valid UTF-8 as is; a string with control or invalid bytes in \xNN form);
// - the ASCII (TSV) writer escapes further: `\` as `\\`, the separator and,
//   inside sets, the set separator as \xNN, control bytes as \xNN.
// These mirror src/util.cc json_escape_utf8 and src/Desc.cc ODesc::AddBytes
// of Zeek 8.0.

const HEX = '0123456789abcdef';
const hexByte = (b: number) => '\\x' + HEX[b >> 4] + HEX[b & 15];

/** Bytes a UTF-8 character takes, from its first byte (ConvertUTF.c's table). */
function utf8Length(first: number): number {
  if (first < 0xc0) return 1;
  if (first < 0xe0) return 2;
  if (first < 0xf0) return 3;
  if (first < 0xf8) return 4;
  if (first < 0xfc) return 5;
  return 6;
}

/** Zeek's check_ok_utf8: one well-formed character that is not a control, private or special. */
function okUtf8Char(bytes: Uint8Array, start: number, length: number): boolean {
  const first = bytes[start];
  if (length === 1) return first < 0x80 && first >= 0x20 && first !== 0x7f;
  if (length > 4 || first < 0xc2 || first > 0xf4) return false;
  let cp = first & (0xff >> (length + 1));
  for (let i = 1; i < length; i++) {
    const b = bytes[start + i];
    if ((b & 0xc0) !== 0x80) return false;
    cp = (cp << 6) | (b & 0x3f);
  }
  const second = bytes[start + 1];
  if ((first === 0xe0 && second < 0xa0) || (first === 0xed && second > 0x9f) ||
      (first === 0xf0 && second < 0x90) || (first === 0xf4 && second > 0x8f)) return false;
  if (cp >= 0x80 && cp <= 0x9f) return false;
  if (cp >= 0xe000 && cp <= 0xf8ff) return false;
  if (cp >= 0xfff0 && cp <= 0xffff) return false;
  return true;
}

const printableControls = new Set([0x08, 0x0c, 0x0a, 0x0d, 0x09]);

/**
 * Zeek's json_escape_utf8: the bytes as text if every character is fine,
 * otherwise every non-ASCII or control byte as \xNN.
 */
export function jsonEscapeUtf8(bytes: Uint8Array, escapePrintableControls: boolean,
  start = 0, end = bytes.length): string {
  let clean = true;
  for (let i = start; i < end;) {
    const b = bytes[i];
    if ((b >= 32 && b < 127) || (escapePrintableControls && printableControls.has(b))) { i++; continue; }
    const n = utf8Length(b);
    if (i + n > end || !okUtf8Char(bytes, i, n)) { clean = false; break; }
    i += n;
  }
  if (clean) return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
  let out = '';
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    out += (b >= 32 && b < 127) || (escapePrintableControls && printableControls.has(b))
      ? String.fromCharCode(b) : hexByte(b);
  }
  return out;
}

const isHex = (b: number) => (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46);

/** Decodes `\xNN` (and, in TSV text, `\\`) escapes into the bytes they stand for. */
function unescapeBytes(text: string, backslashPairs: boolean): Buffer {
  const raw = Buffer.from(text, 'utf8');
  const out = Buffer.allocUnsafe(raw.length);
  let n = 0;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i];
    if (b === 0x5c && backslashPairs && raw[i + 1] === 0x5c) {
      out[n++] = 0x5c;
      i++;
    } else if (b === 0x5c && raw[i + 1] === 0x78 && i + 3 < raw.length && isHex(raw[i + 2]) && isHex(raw[i + 3])) {
      out[n++] = parseInt(String.fromCharCode(raw[i + 2], raw[i + 3]), 16);
      i += 3;
    } else {
      out[n++] = b;
    }
  }
  return out.subarray(0, n);
}

/** The bytes behind Zeek's TSV text: `\\` is a backslash, `\xNN` a byte. */
export function tsvUnescape(text: string): Uint8Array {
  return unescapeBytes(text, true);
}

/** A string column's value for a TSV field's text. */
export function stringFromTsv(text: string): string {
  return jsonEscapeUtf8(tsvUnescape(text), true);
}

/**
 * The bytes a string column's value stands for. Zeek's JSON form is
 * ambiguous where a valid string holds a literal `\xNN`; we read \xNN as a
 * byte exactly when the value is what Zeek would have escaped.
 */
export function stringBytes(value: string): Uint8Array {
  if (!value.includes('\\x')) return Buffer.from(value, 'utf8');
  const bytes = unescapeBytes(value, false);
  return jsonEscapeUtf8(bytes, true) === value ? bytes : Buffer.from(value, 'utf8');
}

/**
 * The ASCII writer's text for string bytes: ODesc::AddBytes with escaping and
 * UTF-8 on, the separator (and inside sets the set separator) as escape sequences.
 */
export function tsvEscape(bytes: Uint8Array, sequences: number[]): string {
  let out = '';
  let chunk = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    const isSequence = sequences.includes(b);
    if (b !== 0x5c && !isSequence) continue;
    out += jsonEscapeUtf8(bytes, false, chunk, i);
    out += b === 0x5c ? '\\\\' : hexByte(b);
    chunk = i + 1;
  }
  return out + jsonEscapeUtf8(bytes, false, chunk, bytes.length);
}

const pad6 = (n: bigint) => n.toString().padStart(6, '0');

const INT_MAX = 2147483647;
const INT_MAX_MICROS = BigInt(INT_MAX) * 1000000n;

/**
 * Zeek's text for time and interval: seconds with 6 decimals (modp_dtoa); from
 * INT_MAX seconds on, 17 significant digits in exponent form, trailing zeros dropped
 * (2.1474836475e+09), of the double nearest the µs.
 */
export function formatMicros(micros: bigint): string {
  const neg = micros < 0n;
  const abs = neg ? -micros : micros;
  if (abs >= INT_MAX_MICROS) {
    const [mantissa, exponent] = (Number(abs) / 1e6).toExponential(16).split('e');
    const digits = exponent.slice(1).padStart(2, '0');
    return `${neg ? '-' : ''}${mantissa.replace(/\.?0+$/, '')}e${exponent[0]}${digits}`;
  }
  return `${neg ? '-' : ''}${abs / 1000000n}.${pad6(abs % 1000000n)}`;
}

/** modp_dtoa's split of a non-negative value below INT_MAX into whole part and 6-digit fraction. */
function modpSplit(value: number): { whole: number; frac: number } {
  let whole = Math.trunc(value);
  const tmp = (value - whole) * 1e6;
  let frac = Math.trunc(tmp);
  const diff = tmp - frac;
  if (diff > 0.5) {
    frac++;
    if (frac >= 1e6) { frac = 0; whole++; }
  } else if (diff === 0.5 && (frac === 0 || (frac & 1))) {
    frac++;  // modp rounds an exact half up when odd, or when the digit is 0
  }
  return { whole, frac };
}

/**
 * Seconds to µs, rounded exactly as Zeek's ASCII writer rounds time and
 * interval (modp_dtoa with 6 decimals), so both writers agree.
 */
export function zeekMicros(seconds: number): bigint {
  const value = Math.abs(seconds);
  if (value >= INT_MAX) return BigInt(Math.round(seconds * 1e6));
  const { whole, frac } = modpSplit(value);
  const micros = BigInt(whole) * 1000000n + BigInt(frac);
  return seconds < 0 ? -micros : micros;
}

/** Zeek's text for a double: modp_dtoa3 with 6 decimals, `.0` on whole numbers. */
export function formatDouble(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  const neg = d < 0;
  const value = Math.abs(d);
  let text: string;
  if (value >= INT_MAX) {
    // printf("%.6f") never switches to exponents; toFixed does from 1e21, where doubles are whole.
    if (!Number.isFinite(value)) text = 'inf';
    else if (value >= 1e21) text = BigInt(value).toString();
    else text = value.toFixed(6).replace(/0+$/, '').replace(/\.$/, '');
    if (neg) text = '-' + text;
  } else {
    const split = modpSplit(value);
    const whole = split.whole;
    let frac = split.frac;
    let fraction = '';
    if (frac) {
      let digits = 6;
      while (frac % 10 === 0) { digits--; frac /= 10; }
      fraction = '.' + String(frac).padStart(digits, '0');
    }
    text = `${neg ? '-' : ''}${whole}${fraction}`;
  }
  if (Math.abs(d - Math.round(d)) < 1e-9 && Number.isFinite(d) && !text.includes('e')) text += '.0';
  return text;
}
