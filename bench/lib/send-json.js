'use strict';
// The JSON answer of the bare reference servers (bench/refs/bare-*.js).

function sendJson(res, status, body) {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
  });
  res.end(json);
}

module.exports = { sendJson };
