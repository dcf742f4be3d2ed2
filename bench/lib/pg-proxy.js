'use strict';
// A TCP proxy in front of PostgreSQL that watches the statements Gatehouse sends, read from the frontend side of
// the wire protocol. Run as a child process. Args: <listen port> <target port> [count|statements].
// - count (the default, cheap enough to sit in front of a timed run): every simple Query ('Q') and every
//   extended-protocol Execute ('E') is one statement, BEGIN and COMMIT included; over IPC 'count' is answered with
//   { statements: n }.
// - statements: the text of every Query and Parse ('P'), how often each is executed ('Q' or 'E'), and the
//   parameters of its first execution (from 'B'ind, text format), so it can be EXPLAINed with real values
//   afterwards; over IPC 'reset' forgets what was seen and 'statements' is answered with
//   { statements: [{ text, executions, params }] }.
const net = require('node:net');

const [listenPort, targetPort] = process.argv.slice(2, 4).map(Number);
const mode = process.argv[4] ?? 'count';
if (mode !== 'count' && mode !== 'statements')
  throw new Error(`pg-proxy: unknown mode ${mode}`);
const SSL_REQUEST = 80877103;

let count = 0;
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
  const parameters = body.readInt16BE(offset);
  offset += 2;
  const params = [];
  for (let i = 0; i < parameters; i += 1) {
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

/** Counts Query and Execute messages. */
function counter() {
  return (type) => {
    if (type === 'Q' || type === 'E') count += 1;
  };
}

/** Records statements; named statements are remembered per connection, as PostgreSQL does. */
function recorder() {
  const named = new Map();
  let bound;
  return (type, body) => {
    if (type === 'Q') record(cstring(body, 0)[0], []);
    else if (type === 'P') {
      const [name, offset] = cstring(body, 0);
      named.set(name, cstring(body, offset)[0]);
    } else if (type === 'B') {
      const { statement, params } = parseBind(body);
      bound = { text: named.get(statement), params };
    } else if (type === 'E' && bound?.text !== undefined)
      record(bound.text, bound.params);
  };
}

/** Splits the frontend side of one connection into messages across chunk boundaries, skipping the start-up. */
function frontendParser(onMessage) {
  let buffer = Buffer.alloc(0);
  let startup = true;
  return (chunk) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    for (;;) {
      if (startup) {
        if (buffer.length < 8) return;
        const length = buffer.readInt32BE(0);
        if (buffer.length < length) return;
        // An SSLRequest is followed by the real startup message.
        startup = buffer.readInt32BE(4) === SSL_REQUEST;
        buffer = buffer.subarray(length);
        continue;
      }
      if (buffer.length < 5) return;
      const length = buffer.readInt32BE(1);
      if (buffer.length < length + 1) return;
      onMessage(String.fromCharCode(buffer[0]), buffer.subarray(5, length + 1));
      buffer = buffer.subarray(length + 1);
    }
  };
}

net
  .createServer((client) => {
    const server = net.connect(targetPort, '127.0.0.1');
    const parse = frontendParser(mode === 'count' ? counter() : recorder());
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
  if (message === 'count') process.send({ statements: count });
  else if (message === 'reset') {
    seen = new Map();
    process.send({ reset: true });
  } else if (message === 'statements')
    process.send({
      statements: [...seen].map(([text, entry]) => ({ text, ...entry })),
    });
});
process.on('disconnect', () => process.exit(0));
