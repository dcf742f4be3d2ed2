'use strict';
// A TCP proxy in front of PostgreSQL that records which statements Gatehouse runs, read from the wire protocol:
// the text of every simple Query ('Q') and extended-protocol Parse ('P'), how often each is executed ('Q' or
// 'E'), and the parameters of its first execution (from 'B'ind, text format), so it can be EXPLAINed with real
// values afterwards. Run as a child process; over IPC the parent sends 'reset' (forget what was seen) or
// 'statements' (answered with { statements: [{ text, executions, params }] }). Args: <listen port> <target port>.
const net = require('node:net');

const [listenPort, targetPort] = process.argv.slice(2).map(Number);
const SSL_REQUEST = 80877103;
/** text → { executions, params } */
let seen = new Map();

function cstring(buffer, offset) {
  const end = buffer.indexOf(0, offset);
  return [buffer.toString('utf8', offset, end), end + 1];
}

/** Bind: portal, statement name, parameter format codes, then the parameters (length -1 is NULL). */
function parseBind(body) {
  let offset = 0;
  let statement;
  [, offset] = cstring(body, offset);
  [statement, offset] = cstring(body, offset);
  const formats = body.readInt16BE(offset);
  offset += 2 + 2 * formats;
  const count = body.readInt16BE(offset);
  offset += 2;
  const params = [];
  for (let i = 0; i < count; i += 1) {
    const length = body.readInt32BE(offset);
    offset += 4;
    if (length < 0) params.push(null);
    else {
      params.push(body.toString('utf8', offset, offset + length));
      offset += length;
    }
  }
  return { statement, params };
}

function record(text, params) {
  const entry = seen.get(text);
  if (entry) entry.executions += 1;
  else seen.set(text, { executions: 1, params });
}

/** Parses the frontend side of one connection; named statements are remembered per connection, as PostgreSQL does. */
function frontendParser() {
  let buffer = Buffer.alloc(0);
  let startup = true;
  const named = new Map();
  let bound;
  return (chunk) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    for (;;) {
      if (startup) {
        if (buffer.length < 8) return;
        const length = buffer.readInt32BE(0);
        if (buffer.length < length) return;
        startup = buffer.readInt32BE(4) === SSL_REQUEST;
        buffer = buffer.subarray(length);
        continue;
      }
      if (buffer.length < 5) return;
      const length = buffer.readInt32BE(1);
      if (buffer.length < length + 1) return;
      const type = String.fromCharCode(buffer[0]);
      const body = buffer.subarray(5, length + 1);
      if (type === 'Q') record(cstring(body, 0)[0], []);
      else if (type === 'P') {
        const [name, offset] = cstring(body, 0);
        named.set(name, cstring(body, offset)[0]);
      } else if (type === 'B') {
        const { statement, params } = parseBind(body);
        bound = { text: named.get(statement), params };
      } else if (type === 'E' && bound?.text !== undefined)
        record(bound.text, bound.params);
      buffer = buffer.subarray(length + 1);
    }
  };
}

net
  .createServer((client) => {
    const server = net.connect(targetPort, '127.0.0.1');
    const parse = frontendParser();
    client.on('data', (chunk) => {
      parse(chunk);
      server.write(chunk);
    });
    server.pipe(client);
    const close = () => {
      client.destroy();
      server.destroy();
    };
    client.on('error', close).on('close', close);
    server.on('error', close).on('close', close);
  })
  .listen(listenPort, '127.0.0.1', () => process.send?.({ ready: true }));

process.on('message', (message) => {
  if (message === 'reset') {
    seen = new Map();
    process.send({ reset: true });
  } else if (message === 'statements')
    process.send({
      statements: [...seen].map(([text, entry]) => ({ text, ...entry })),
    });
});
process.on('disconnect', () => process.exit(0));
