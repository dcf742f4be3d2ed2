'use strict';
// The accounts the scenarios use, registered and logged in over Gatehouse's HTTP API.
const { LOGIN_USERS, USER } = require('./options');
const { request } = require('./servers');

async function register(port, user) {
  const res = await request(port, 'POST', '/auth/register', { body: user });
  if (res.status !== 201)
    throw new Error(`register on ${port}: ${res.status} ${res.text}`);
}

/** Registers LOGIN_USERS, four at a time. */
async function registerLoginUsers(port) {
  for (let i = 0; i < LOGIN_USERS.length; i += 4)
    await Promise.all(
      LOGIN_USERS.slice(i, i + 4).map((user) => register(port, user)),
    );
}

/** Registers USER and answers its token pair. */
async function registerAndLogin(port) {
  await register(port, USER);
  return login(port);
}

async function login(port, user = USER) {
  const res = await request(port, 'POST', '/auth/login', {
    body: { username: user.username, password: user.password },
  });
  if (res.status !== 200)
    throw new Error(`login on ${port}: ${res.status} ${res.text}`);
  return res.json;
}

module.exports = { login, registerAndLogin, registerLoginUsers };
