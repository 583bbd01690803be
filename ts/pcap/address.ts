// IP addresses as Zeek writes them, so flows join to conn's id.orig_h / id.resp_h.

/** Dotted quad, or RFC 5952 text for IPv6; IPv4-mapped IPv6 is written as IPv4, as Zeek does. */
export function renderAddress(bytes: Uint8Array): string {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  let mapped = true;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) { mapped = false; break; }
  if (mapped && bytes[10] === 0xff && bytes[11] === 0xff) return renderAddress(bytes.subarray(12, 16));
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  // The longest run of two or more zero groups becomes "::" (the first, on a tie).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  const hex = (g: number[]) => g.map(x => x.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}

/** The bytes of an address as Zeek writes it (dotted quad, or IPv6 text, '::' and a dotted tail allowed). */
export function parseAddress(text: string): Uint8Array {
  const fail = () => new Error(`not an IP address: '${text}'`);
  if (!text.includes(':')) {
    const parts = text.split('.');
    if (parts.length !== 4 || parts.some(p => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw fail();
    return Uint8Array.from(parts.map(Number));
  }
  let body = text;
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.', lastColon)) {
    // A dotted IPv4 tail is the last two 16-bit groups.
    const v4 = parseAddress(body.slice(lastColon + 1));
    body = `${body.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = body.split('::');
  if (halves.length > 2) throw fail();
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const left = groups(halves[0]);
  const right = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - left.length - right.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) throw fail();
  const all = [...left, ...new Array<string>(missing).fill('0'), ...right];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw fail();
    const v = parseInt(g, 16);
    bytes[2 * i] = v >> 8;
    bytes[2 * i + 1] = v & 255;
  });
  return bytes;
}
