import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { readCapture } from '../ts/pcap/capture-reader';
import { COMMUNITY_ID_LENGTH, ICMP6_COUNTERPARTS, ICMP_COUNTERPARTS, communityId, communityKey, zeekCommunityId, zeekCommunityIdBytes } from '../ts/pcap/community-id';
import { decodePacket } from '../ts/pcap/decode';
import { DecodedPacket } from '../ts/pcap/types';
import { corpusPath } from './helpers/corpus';

/** An address's bytes (IPv4 dotted, IPv6 with :: and leading zeros as the baselines write them). */
function addressBytes(text: string): Uint8Array {
  if (isIPv4(text)) return Uint8Array.from(text.split('.').map(Number));
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const groups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const all = [...groups, ...Array(8 - groups.length - tailGroups.length).fill('0'), ...tailGroups];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[2 * i] = parseInt(g, 16) >> 8;
    bytes[2 * i + 1] = parseInt(g, 16) & 0xff;
  });
  return bytes;
}

function addressText(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16));
  // The longest run of zero groups (two or more) becomes '::', as the baselines write IPv6.
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLength).join(':')}`;
}

interface Vector {
  proto: number;
  saddr: string;
  daddr: string;
  sport: number | null;
  dport: number | null;
  communityid: string;
}

const baseline = (name: string): Vector[] => JSON.parse(readFileSync(corpusPath('community-id', name), 'utf8'));

const BASELINES: [string, number, boolean][] = [
  ['baseline_deflt.json', 0, true],
  ['baseline_seed1.json', 1, true],
  ['baseline_nob64.json', 0, false],
];

describe('Community ID v1', () => {
  for (const [file, seed, base64] of BASELINES) {
    it(`gives every vector of ${file} (seed ${seed}, ${base64 ? 'base64' : 'hex'})`, () => {
      const vectors = baseline(file);
      assert.equal(vectors.length, 23);
      for (const v of vectors) {
        const args = [v.proto, addressBytes(v.saddr), addressBytes(v.daddr), v.sport ?? 0, v.dport ?? 0, seed, base64] as const;
        assert.equal(communityId(...args), v.communityid, JSON.stringify(v));
        // No two addresses are equal and no SCTP ports are zero here: Zeek's variant agrees.
        if (v.proto !== 132) assert.equal(zeekCommunityId(...args), v.communityid, JSON.stringify(v));
      }
    });
  }

  it('writes the bytes of Zeek\'s Community ID, and its key, where asked (the packet index\'s column): the spec\'s vectors and Zeek\'s', () => {
    const bytesOf = (proto: number, src: Uint8Array, dst: Uint8Array, sport: number, dport: number) => {
      const out = new Uint8Array(COMMUNITY_ID_LENGTH + 4).fill(0xee);
      const key = zeekCommunityIdBytes(proto, src, dst, sport, dport, out, 2);
      assert.deepEqual([...out.subarray(0, 2), ...out.subarray(2 + COMMUNITY_ID_LENGTH)], [0xee, 0xee, 0xee, 0xee], 'only its own bytes');
      return { text: Buffer.from(out.subarray(2, 2 + COMMUNITY_ID_LENGTH)).toString('latin1'), key };
    };
    const vectors = baseline('baseline_deflt.json');
    assert.equal(vectors.length, 23);
    for (const v of vectors.filter(x => x.proto !== 132)) {
      const { text, key } = bytesOf(v.proto, addressBytes(v.saddr), addressBytes(v.daddr), v.sport ?? 0, v.dport ?? 0);
      assert.equal(text, v.communityid, JSON.stringify(v));
      // The key is the hash's first 4 bytes, big-endian: the base64 after "1:" decoded.
      assert.equal(key, Buffer.from(v.communityid.slice(2), 'base64').readUInt32BE(0), JSON.stringify(v));
      assert.equal(key, communityKey(v.communityid));
    }
    // conn.log of modbus__modbusSmall.pcap and of communityid__sctp.pcap (the cases where Zeek differs from the spec).
    const modbus = addressBytes('118.189.96.132');
    assert.equal(bytesOf(6, modbus, modbus, 502, 55480).text, '1:RHYdUrnW1ajVrfZcqHGqSvudY1M=');
    assert.equal(bytesOf(132, addressBytes('192.168.170.8'), addressBytes('192.168.170.56'), 7, 7).text, '1:U5cVwrVgLshgANPmc8hKzEcqp1M=');
  });

  it("computes the same from the packets of combined.pcap.gz, the capture the baselines were made from", async () => {
    // Each baseline record is a flow direction in the order the capture first shows it, ICMP's code already
    // replaced by the counterpart type for two-way types.
    const seen = new Map<string, Vector>();
    const out: DecodedPacket = { layers: [], count: 0 };
    let packets = 0;
    await readCapture(corpusPath('community-id', 'combined.pcap.gz'), record => {
      packets++;
      decodePacket(record.data, record.linkType, out);
      assert.equal(out.problem, undefined);
      for (let i = 0; i < out.count; i++) {
        const l = out.layers[i];
        const icmp = l.proto === 1 || l.proto === 58;
        const counterpart = icmp ? (l.proto === 1 ? ICMP_COUNTERPARTS : ICMP6_COUNTERPARTS)[l.srcPort] : undefined;
        const ported = [1, 6, 17, 58, 132].includes(l.proto);
        let [srcPort, dstPort] = [l.srcPort, l.dstPort];
        if (l.proto === 132) {
          // SCTP's ports, read where the decoder says the transport header is (a decoder may leave them 0, as Zeek 8).
          const at = l.transportOffset;
          assert.ok(at >= 0);
          [srcPort, dstPort] = [(record.data[at] << 8) | record.data[at + 1], (record.data[at + 2] << 8) | record.data[at + 3]];
          if (l.srcPort || l.dstPort) assert.deepEqual([l.srcPort, l.dstPort], [srcPort, dstPort]);
        }
        const v: Vector = {
          proto: l.proto, saddr: addressText(l.src), daddr: addressText(l.dst),
          sport: ported ? srcPort : null, dport: ported ? counterpart ?? dstPort : null,
          communityid: communityId(l.proto, l.src, l.dst, srcPort, dstPort),
        };
        const key = JSON.stringify([v.proto, v.saddr, v.daddr, v.sport, v.dport]);
        if (!seen.has(key)) seen.set(key, v);
        else assert.equal(seen.get(key)!.communityid, v.communityid);
      }
    });
    assert.equal(packets, 68);
    assert.deepEqual([...seen.values()], baseline('baseline_deflt.json'));
  });

  it('gives the values of the spec\'s baseline tables (one-way ICMPv6, port-less IPv6)', () => {
    // corelight/community-id-spec baseline/README.md, default settings.
    const v6a = addressBytes('fe80:0001:0203:0405:0607:0809:0A0B:0C0D');
    const v6b = addressBytes('fe80:1011:1213:1415:1617:1819:1A1B:1C1D');
    const v4a = addressBytes('1.2.3.4');
    const v4b = addressBytes('5.6.7.8');
    assert.equal(communityId(6, v4a, v4b, 1122, 3344), '1:wCb3OG7yAFWelaUydu0D+125CLM=');
    assert.equal(communityId(6, v4b, v4a, 3344, 1122), '1:wCb3OG7yAFWelaUydu0D+125CLM=');
    assert.equal(communityId(132, v4a, v4b, 1122, 3344), '1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=');
    assert.equal(communityId(1, v4a, v4b, 8, 0), '1:crodRHL2FEsHjbv3UkRrfbs4bZ0=');
    assert.equal(communityId(1, v4b, v4a, 0, 0), '1:crodRHL2FEsHjbv3UkRrfbs4bZ0=');
    assert.equal(communityId(1, v4a, v4b, 11, 0), '1:f/YiSyWqczrTgfUCZlBUnvHRcPk=');
    assert.equal(communityId(58, v6a, v6b, 128, 0), '1:0bf7hyMJUwt3fMED7z8LIfRpBeo=');
    assert.equal(communityId(58, v6b, v6a, 129, 0), '1:0bf7hyMJUwt3fMED7z8LIfRpBeo=');
    assert.equal(communityId(58, v6a, v6b, 146, 0), '1:fYC8+pz24E+EhANP1EZhpX0Dw10=');
    assert.equal(communityId(46, v6a, v6b, 0, 0), '1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=');
    assert.equal(communityId(46, v6b, v6a, 0, 0), '1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=');
    assert.equal(communityId(46, v6a, v6b, 0, 0, 1), '1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=');
    assert.equal(communityId(46, v6a, v6b, 0, 0, 0, false), '1:c10ff69b0ae75cfe259897077462f978f8d1f9ed');
  });

  it('orders the ports of a flow between equal addresses as the spec says, and as Zeek and Wireshark do', () => {
    const same = addressBytes('1.2.3.4');
    // corelight/community-id-spec issue #32: the reference script, and Wireshark.
    assert.equal(communityId(6, same, same, 3344, 1122), '1:CY1T7/6B7r9W3LMnzSws9RXqqbQ=');
    assert.equal(communityId(6, same, same, 1122, 3344), '1:CY1T7/6B7r9W3LMnzSws9RXqqbQ=');
    assert.equal(zeekCommunityId(6, same, same, 3344, 1122), '1:3seqIXu+5y8sFuE3lLtWR/KnSWo=');
    assert.equal(zeekCommunityId(6, same, same, 1122, 3344), '1:3seqIXu+5y8sFuE3lLtWR/KnSWo=');
    // conn.log of modbus__modbusSmall.pcap (uid CJKFoj4bpHEhTeaRoj): 118.189.96.132:55480 -> 118.189.96.132:502.
    const modbus = addressBytes('118.189.96.132');
    assert.equal(zeekCommunityId(6, modbus, modbus, 55480, 502), '1:RHYdUrnW1ajVrfZcqHGqSvudY1M=');
    assert.equal(zeekCommunityId(6, modbus, modbus, 502, 55480), '1:RHYdUrnW1ajVrfZcqHGqSvudY1M=');
    assert.notEqual(communityId(6, modbus, modbus, 55480, 502), '1:RHYdUrnW1ajVrfZcqHGqSvudY1M=');
  });

  it("hashes SCTP as Zeek 8 logs it: with ports 0 (it has no SCTP analyzer)", () => {
    // conn.log of communityid__sctp.pcap: 192.168.170.8 -> 192.168.170.56, unknown_transport, ip_proto 132.
    const a = addressBytes('192.168.170.8');
    const b = addressBytes('192.168.170.56');
    assert.equal(zeekCommunityId(132, a, b, 7, 7), '1:U5cVwrVgLshgANPmc8hKzEcqp1M=');
    assert.equal(communityId(132, a, b, 7, 7), '1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=');
  });

  it('pairs exactly the ICMP and ICMPv6 types Zeek pairs', () => {
    // Zeek's ICMP4_counterpart / ICMP6_counterpart (src/packet_analysis/protocol/icmp/ICMP.cc).
    assert.deepEqual(ICMP_COUNTERPARTS, { 0: 8, 8: 0, 9: 10, 10: 9, 13: 14, 14: 13, 15: 16, 16: 15, 17: 18, 18: 17 });
    assert.deepEqual(ICMP6_COUNTERPARTS, {
      128: 129, 129: 128, 130: 131, 131: 130, 133: 134, 134: 133, 135: 136, 136: 135, 139: 140, 140: 139, 144: 145, 145: 144,
    });
  });
});
