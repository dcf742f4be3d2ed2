'use strict';
// An SMTP server in the bench process that accepts every mail and only counts it: production Gatehouse refuses to
// start with EMAIL_FEATURES=on and no SMTP_URL, and the reset flow is finished only when its mail is delivered.
const { SMTPServer } = require('smtp-server');
const { setTimeout: sleep } = require('node:timers/promises');
const { HOST } = require('./servers');

async function startSmtpSink(port) {
  let received = 0;
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      stream.on('end', () => {
        received += 1;
        callback();
      });
      stream.resume();
    },
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, resolve);
  });
  return {
    url: `smtp://${HOST}:${port}`,
    received: () => received,
    /** Resolves true once `count` mails in all have arrived, false after `timeoutMs` without them. */
    async waitFor(count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (received < count) {
        if (Date.now() > deadline) return false;
        await sleep(20);
      }
      return true;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

module.exports = { startSmtpSink };
