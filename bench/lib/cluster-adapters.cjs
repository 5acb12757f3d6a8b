// One interface over the two SWIM libraries the cluster benchmark compares, so every
// scenario runs the same code for both:
//
//   const lib = adapters['swim-native' | 'happn-swim'](settings)
//   const m = await lib.create(peerAddr | null)   // a member, bound on 127.0.0.1
//   m.id                       identity (uuid / 'host:port')
//   m.addr                     what another member bootstraps from
//   m.status(id)               'alive' | 'suspected' | 'dead' | undefined (not in the table)
//   m.aliveCount()             members other than self seen alive
//   m.onStatus((id, status) => {})   every status change this member reports
//   m.sent()                   { packets, bytes } sent so far
//   m.kill()                   stop at once, no notice to anyone
//
// Settings (seconds): heartbeat (one ping per period), ackTimeout, suspectTime (how long a
// suspicion lasts before the member is declared dead), indirect (proxies for indirect pings).
// They map onto each library as closely as its API allows (README "Cluster benchmark").
'use strict';
const path = require('node:path');
const dgram = require('node:dgram');

/** Free UDP ports on 127.0.0.1 (bound all at once so they are distinct, then released). */
async function freePorts(n) {
  const socks = [];
  for (let i = 0; i < n; i++) {
    const s = dgram.createSocket('udp4');
    await new Promise((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, '127.0.0.1', resolve);
    });
    socks.push(s);
  }
  const ports = socks.map((s) => s.address().port);
  await Promise.all(socks.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

function swimNative(settings, root) {
  const { Swim } = require(path.join(root, 'dist', 'index.js'));
  const STATUS = { alive: 'alive', suspected: 'suspected', dead: 'dead', left: 'dead' };
  return {
    name: 'swim-native',
    async create(peer) {
      const swim = new Swim({ uri: '127.0.0.1:0', heartbeatRate: settings.heartbeat, ackTimeout: settings.ackTimeout });
      if (peer) swim.addMember(peer);
      let last = { packets: 0, bytes: 0 };
      return {
        id: swim.uuid,
        addr: { uri: swim.uri, uuid: swim.uuid },
        swim,
        status(id) {
          const m = swim.member(id);
          return m && STATUS[m.status];
        },
        aliveCount() {
          let n = 0;
          for (const m of swim.members()) if (!m.isSelf && m.status === 'alive') n++;
          return n;
        },
        size: () => swim.size - 1,
        onStatus(cb) {
          swim.on('member', (ev) => {
            if (ev.isDrop) cb(ev.member.uuid, 'dead');
            else if (ev.isNewStatus || ev.isNew) cb(ev.member.uuid, STATUS[ev.member.status]);
          });
        },
        sent() {
          if (swim.closed) return last;
          const s = swim.stats();
          last = { packets: s.packetsSent, bytes: s.bytesSent };
          return last;
        },
        async kill() {
          this.sent();
          await swim.close();
        },
      };
    },
  };
}

function happnSwim(settings) {
  const HappnSwim = require('happn-swim');
  const Net = require('happn-swim/lib/net');
  const Membership = require('happn-swim/lib/membership');
  // happn-swim binds its socket to every interface (socket.bind(port)): keep it on loopback.
  if (!Net.prototype.__loopbackOnly) {
    Net.prototype.listen = function listen(callback) {
      this.udpSocket.on('error', this.errorListener);
      this.udpSocket.on('listening', this.listeningListener);
      this.udpSocket.on('message', this.messageListener);
      this.udpSocket.bind(this.udp.port, '127.0.0.1', callback);
    };
    Net.prototype.__loopbackOnly = true;
  }
  // The suspicion timeout is not an option (Swim passes `this.suspectTimeout`, which is never
  // set, so every instance uses Membership.Default.suspectTimeout, 10 ms): set the default.
  Membership.Default.suspectTimeout = Math.round(settings.suspectTime * 1000);
  const STATE = ['alive', 'suspected', 'dead'];
  return {
    name: 'happn-swim',
    async create(peer, port) {
      if (!port) [port] = await freePorts(1);
      const host = `127.0.0.1:${port}`;
      const swim = new HappnSwim({
        local: { host },
        interval: Math.round(settings.heartbeat * 1000),
        pingTimeout: Math.round(settings.ackTimeout * 1000),
        pingReqTimeout: Math.round(settings.ackTimeout * 1000),
        pingReqGroupSize: settings.indirect,
        joinTimeout: 2000,
        udp: { maxDgramSize: 1440 },
      });
      const counter = { packets: 0, bytes: 0 };
      const sock = swim.net.udpSocket;
      const send = sock.send.bind(sock);
      sock.send = (buf, ...rest) => {
        counter.packets++;
        counter.bytes += buf.length;
        return send(buf, ...rest);
      };
      swim.on('error', () => {});
      const joined = new Promise((resolve) => {
        swim.bootstrap(peer ? [peer] : [], (err) => resolve(err));
      });
      // Bound (and its join request sent) before the next member of a chain starts.
      await new Promise((resolve) => swim.net.once('listening', resolve));
      return {
        id: host,
        addr: host,
        swim,
        joined,
        status(id) {
          const m = swim.membership.get(id);
          return m && STATE[m.state];
        },
        aliveCount() {
          let n = 0;
          for (const m of swim.members()) if (m.state === 0) n++;
          return n;
        },
        size: () => swim.membership.size(false),
        onStatus(cb) {
          swim.on('update', (d) => {
            if (d.host !== host) cb(d.host, STATE[d.state]);
          });
        },
        sent: () => ({ ...counter }),
        async kill() {
          swim.leave(); // stops timers and closes the socket; tells no one
        },
      };
    },
  };
}

module.exports = { freePorts, adapters: { 'swim-native': swimNative, 'happn-swim': happnSwim } };
