// A tiny upstream resolver for kernel tests, run inside a test namespace:
//   node dns-upstream.mjs LISTEN_ADDRESS ANSWER_ADDRESS
// Over UDP and TCP port 53 of LISTEN_ADDRESS it answers, for names under upstream.test:
// A → ANSWER_ADDRESS, TXT → the transport the query came over and the address it came from;
// NXDOMAIN for everything else. Prints "ready" once both listen; exits by itself after 10 minutes.
import dgram from 'node:dgram';
import net from 'node:net';
import { decode, encode } from 'dns-packet';

const [listen, answer] = process.argv.slice(2);
const ZONE = /(^|\.)upstream\.test$/i;

function reply(raw, transport, from) {
  const q = decode(raw);
  const question = q.questions[0];
  const known = question && ZONE.test(question.name);
  const answers = !known
    ? []
    : question.type === 'A'
      ? [{ type: 'A', name: question.name, ttl: 60, class: 'IN', data: answer }]
      : question.type === 'TXT'
        ? [{ type: 'TXT', name: question.name, ttl: 60, class: 'IN', data: [transport, from] }]
        : [];
  return encode({ type: 'response', id: q.id, flags: (q.flags & 0x0100) | 0x0080 | (known ? 0 : 3), questions: q.questions, answers });
}

const udp = dgram.createSocket('udp4');
udp.on('message', (msg, rinfo) => udp.send(reply(msg, 'udp', rinfo.address), rinfo.port, rinfo.address));
const tcp = net.createServer((conn) => {
  let buf = Buffer.alloc(0);
  conn.on('error', () => conn.destroy());
  conn.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
      buf = buf.subarray(2 + msg.length);
      const r = reply(msg, 'tcp', conn.remoteAddress);
      const head = Buffer.alloc(2);
      head.writeUInt16BE(r.length);
      conn.write(Buffer.concat([head, r]));
    }
  });
});
let up = 0;
const ready = () => ++up === 2 && process.stdout.write('ready\n');
udp.bind(53, listen, ready);
tcp.listen(53, listen, ready);
setTimeout(() => process.exit(0), 600_000).unref();
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
