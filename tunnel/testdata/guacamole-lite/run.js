// Runs guacamole-lite 1.2.0 in front of goguacd (argv[2] = goguacd's guacd
// port), connects a WebSocket client with an encrypted token, and reports
// what arrives on stdout, one line per event, for the Go test to check.
'use strict';
const http = require('http');
const crypto = require('crypto');
const GuacamoleLite = require('guacamole-lite');
const Crypt = require('guacamole-lite/lib/Crypt.js');
const { WebSocket } = require('ws');

const guacdPort = parseInt(process.argv[2], 10);
const key = crypto.randomBytes(16).toString('hex'); // 32 ASCII bytes
const httpServer = http.createServer();
const quiet = () => {};

httpServer.listen(0, '127.0.0.1', () => {
  new GuacamoleLite({ server: httpServer }, { host: '127.0.0.1', port: guacdPort },
    { crypt: { cypher: 'AES-256-CBC', key }, log: { level: 0, stdLog: quiet, errorLog: quiet } });
  const token = new Crypt('AES-256-CBC', key).encrypt({
    connection: { type: 'vnc', settings: { hostname: '127.0.0.1', color: '00ff00' } },
  });
  const url = `ws://127.0.0.1:${httpServer.address().port}/?token=${encodeURIComponent(token)}`;
  const ws = new WebSocket(url, 'guacamole');
  let sentKey = false;
  const timer = setTimeout(() => { console.log('TIMEOUT'); process.exit(2); }, 15000);
  ws.on('message', (data) => {
    const text = data.toString();
    if (text.startsWith('0.,')) console.log('TUNNEL ' + text);
    if (text.includes('5.cfill,')) console.log('CFILL ' + text);
    if (text.includes('5.error,')) { console.log('ERROR ' + text); }
    const m = /4\.sync,(\d+)\.(\d+)/.exec(text);
    if (m) {
      ws.send(`4.sync,${m[1]}.${m[2]};`);
      if (!sentKey) {
        sentKey = true;
        ws.send('3.key,2.97,1.1;');
        ws.send('3.key,2.97,1.0;');
      } else {
        console.log('SYNC-AFTER-KEY');
        clearTimeout(timer);
        ws.close();
        setTimeout(() => process.exit(0), 200);
      }
    }
  });
  ws.on('error', (e) => { console.log('WSERROR ' + e.message); process.exit(3); });
});
