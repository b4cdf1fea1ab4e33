// Loopback guard for `npm run bench`: imported by the bench itself and preloaded
// (NODE_OPTIONS=--require) into every node process it starts. CommonJS, so that a CommonJS
// program (bin/lkp.js) does not pay for starting the ES module loader because of it. Any TCP connection to an
// address other than loopback throws, so a misconfigured endpoint cannot leave the
// machine (e.g. the SDK falling back to 169.254.169.254 or a public AWS endpoint).
'use strict';
const net = require('node:net');

const isLoopback = (host) => {
  const h = String(host).replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || h === '::ffff:127.0.0.1' || /^127\.\d+\.\d+\.\d+$/.test(h);
};

const original = net.Socket.prototype.connect;
// TCP when a host or port is named (http passes its request path in the same object, so
// `path` alone does not mean a unix socket); a bare path is a unix socket and allowed.
const tcpHost = (o) => (o.host !== undefined && o.host !== null ? o.host : o.port !== undefined ? 'localhost' : undefined);

net.Socket.prototype.connect = function benchGuardedConnect(...args) {
  const first = args[0];
  let host;
  if (Array.isArray(first)) {
    if (first[0] && typeof first[0] === 'object') host = tcpHost(first[0]);
  } else if (first && typeof first === 'object') {
    host = tcpHost(first);
  } else if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    host = typeof args[1] === 'string' ? args[1] : 'localhost';
  }
  if (host !== undefined && !isLoopback(host)) {
    throw new Error(`bench loopback guard: refused a connection to ${host}; only 127.0.0.1 is allowed`);
  }
  return original.apply(this, args);
};
