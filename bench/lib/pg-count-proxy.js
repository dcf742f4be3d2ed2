'use strict';
// A TCP proxy in front of PostgreSQL that counts the statements Gatehouse sends, read from the wire protocol:
// every simple Query ('Q') and every extended-protocol Execute ('E') message is one statement, BEGIN and COMMIT
// included. Run as a child process: the parent asks for the count over IPC ('count' → { statements }).
// Args: <listen port> <target port>.
const net = require('node:net');

const [listenPort, targetPort] = process.argv.slice(2).map(Number);
const SSL_REQUEST = 80877103;
let statements = 0;

/** Parses the frontend side of one connection, counting Query and Execute messages across chunk boundaries. */
function frontendParser() {
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
      const type = String.fromCharCode(buffer[0]);
      if (type === 'Q' || type === 'E') statements += 1;
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
  if (message === 'count') process.send({ statements });
});
process.on('disconnect', () => process.exit(0));
