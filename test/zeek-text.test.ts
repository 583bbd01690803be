import assert from 'node:assert/strict';
import { formatDouble, formatMicros, jsonEscapeUtf8, stringBytes, stringFromTsv, tsvEscape, tsvUnescape, zeekMicros } from '../ts/schema/zeek-text';
import { formatField, formatLine } from '../ts/schema/zeek-format';
import { parseZeekType } from '../ts/schema/zeek-type';

const bytes = (s: string) => Buffer.from(s, 'latin1');
const TAB = 0x09;
const COMMA = 0x2c;

describe("Zeek's text rules", () => {
  // Vectors from Zeek 8.0's own tests of json_escape_utf8 (src/util.cc).
  const jsonVectors: [string, string][] = [
    ['string', 'string'],
    ['string\n', 'string\n'],
    ['string\x82', 'string\\x82'],
    ['\x07\xd4\xb7o', '\\x07\\xd4\\xb7o'],
    ['\xc3\xb1', 'ñ'],
    ['\xc3\x28', '\\xc3('],
    ['\xc0\x81', '\\xc0\\x81'],
    ['\xc2\xcf', '\\xc2\\xcf'],
    ['\xa0\xa1', '\\xa0\\xa1'],
    ['\xe2\x82\xa1', '₡'],
    ['\xe0\x80\xa1', '\\xe0\\x80\\xa1'],
    ['\xed\xa0\xa1', '\\xed\\xa0\\xa1'],
    ['\xe2\x82\x28', '\\xe2\\x82('],
    ['\xf0\x90\x8c\xbc', '𐌼'],
    ['\xf4\x90\x8c\xbc', '\\xf4\\x90\\x8c\\xbc'],
    ['\xf0\x28\x8c\x28', '\\xf0(\\x8c('],
    ['\xf4\x80\x8c', '\\xf4\\x80\\x8c'],
    ['\xee\x8b\xa0', '\\xee\\x8b\\xa0'],
    ['\xc3\xb1\xc0\x81', '\\xc3\\xb1\\xc0\\x81'],
  ];
  for (const [input, expected] of jsonVectors) {
    it(`json_escape_utf8 ${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(jsonEscapeUtf8(bytes(input), true), expected);
    });
  }

  it('escapes TSV strings as the ASCII writer does', () => {
    assert.equal(tsvEscape(bytes('C:\\path'), [TAB]), 'C:\\\\path');
    assert.equal(tsvEscape(bytes('a\tb'), [TAB]), 'a\\x09b');
    assert.equal(tsvEscape(bytes('a,b'), [TAB]), 'a,b');
    assert.equal(tsvEscape(bytes('a,b'), [TAB, COMMA]), 'a\\x2cb');
    assert.equal(tsvEscape(bytes('line\n'), [TAB]), 'line\\x0a');
    // A control byte makes its whole chunk escaped, multi-byte characters too; a separator ends a chunk.
    assert.equal(tsvEscape(bytes('\xc3\xa9\x01'), [TAB]), '\\xc3\\xa9\\x01');
    assert.equal(tsvEscape(bytes('\xc3\xa9\t\x01'), [TAB]), 'é\\x09\\x01');
  });

  it('turns TSV text into the value Zeek writes to JSON, and back', () => {
    assert.equal(stringFromTsv('C:\\\\path'), 'C:\\path');
    assert.equal(stringFromTsv('%PIX-6-305012: x\\x0a'), '%PIX-6-305012: x\n');
    assert.equal(stringFromTsv('\\x2d'), '-');
    assert.equal(stringFromTsv('bad\\xffbyte'), 'bad\\xffbyte');
    assert.deepEqual([...tsvUnescape('a\\\\x41\\x41')], [...bytes('a\\x41A')]);
    assert.deepEqual([...stringBytes('bad\\xffbyte')], [...bytes('bad\xffbyte')]);
    assert.deepEqual([...stringBytes('C:\\path')], [...bytes('C:\\path')]);
  });

  it('writes fields and lines with the markers and escapes of the ASCII writer', () => {
    const string = parseZeekType('string');
    const set = parseZeekType('set[string]');
    assert.equal(formatField(null, string), '-');
    assert.equal(formatField('', string), '(empty)');
    assert.equal(formatField('-', string), '\\x2d');
    assert.equal(formatField('(empty)', string), '\\x28empty)');
    assert.equal(formatField([], set), '(empty)');
    assert.equal(formatField(['a,b', '', null], set), 'a\\x2cb,(empty),-');
    assert.equal(formatLine(['#x', 1n], [string, parseZeekType('count')]), '\\x23x\t1');
  });

  it('prints doubles, times and intervals as modp_dtoa does', () => {
    assert.equal(formatDouble(1.5), '1.5');
    assert.equal(formatDouble(2), '2.0');
    assert.equal(formatDouble(-0.5), '-0.5');
    assert.equal(formatDouble(0.1), '0.1');
    assert.equal(formatDouble(123456789.123456789), '123456789.123457');
    assert.equal(formatDouble(1e-7), '0');
    assert.equal(formatDouble(3e9), '3000000000.0');
    assert.equal(formatDouble(NaN), 'nan');
    assert.equal(formatDouble(-Infinity), '-inf');
    assert.equal(formatMicros(1389719042006633n), '1389719042.006633');
    assert.equal(formatMicros(-1500000n), '-1.500000');
    assert.equal(zeekMicros(1389719042.006633), 1389719042006633n);
    assert.equal(zeekMicros(5.39165997505188), 5391660n);
    assert.equal(zeekMicros(-0.25), -250000n);
  });
});
