// goguacd's built-in web client: plain JavaScript over the stock
// guacamole-common-js (npm 1.5.0, copied in by scripts/web-assets.sh).
import Guacamole from './vendor/guacamole-common.js';

const $ = (id) => document.getElementById(id);
const query = new URLSearchParams(location.search);
// ?tunnel=http or ?tunnel=ws forces one tunnel (tests, broken proxies).
const forcedTunnel = query.get('tunnel');
// Parsers older than 1.5.2 (npm 1.5.0 among them) count element lengths in
// UTF-16 units; the server then counts the same way.
const countsUTF16 = typeof (Guacamole.Parser && Guacamole.Parser.codePointCount) !== 'function';

// Plain words for Guacamole status codes.
const STATUS_TEXT = {
  256: 'The remote desktop does not support this.',
  512: 'The server ran into an internal error.',
  513: 'The server is busy. Try again in a moment.',
  514: 'The desktop is not responding.',
  515: 'The remote desktop reported an error.',
  516: 'This connection does not exist (any more).',
  517: 'This connection is already in use.',
  518: 'The session has ended.',
  519: 'The remote desktop could not be reached.',
  520: 'The desktop is not responding.',
  521: 'The session was taken over elsewhere.',
  522: 'The session timed out.',
  523: 'The session was closed.',
  768: 'The server did not understand the browser.',
  769: 'You need to log in again.',
  771: 'You are not allowed to open this connection.',
  776: 'This browser stopped responding, so the session was closed.',
  781: 'Too much data was sent at once.',
  783: 'The browser sent something the server cannot handle.',
  797: 'You have too many connections open.',
};
// Errors worth retrying on their own: the server or desktop may come back.
const TRANSIENT = new Set([512, 513, 514, 515, 519, 520]);
const MAX_RETRIES = 6;

const state = {
  client: null, tunnels: null, target: null, connId: null, retries: 0, retryTimer: null,
  failed: false, remoteClipboard: '', errors: [], stateName: 'idle', catalog: {},
};
// The last instructions received, for diagnostics.
const recent = [];
// Test and debugging hook.
window.goguacd = {
  get recent() { return recent.slice(); },
  get state() { return state.stateName; },
  get connId() { return state.connId; },
  get errors() { return state.errors.slice(); },
  get client() { return state.client; },
  get countsUTF16() { return countsUTF16; },
  transport() {
    if (!state.tunnels) return null;
    const open = (t) => t.state === Guacamole.Tunnel.State.OPEN || t.state === Guacamole.Tunnel.State.UNSTABLE;
    if (state.tunnels.ws && open(state.tunnels.ws)) return 'ws';
    if (state.tunnels.http && open(state.tunnels.http)) return 'http';
    return null;
  },
};

function setStatus(text, isError) {
  $('status').textContent = text || '';
  $('status').classList.toggle('error', !!isError);
}

function describe(status) {
  const code = status && status.code;
  return STATUS_TEXT[code] || (status && status.message) || 'The connection failed.';
}

// ---- Connection list -------------------------------------------------------

async function showList(message, isError) {
  disconnect();
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  $('list').hidden = false;
  $('display').hidden = true;
  $('tools').hidden = true;
  $('osk').hidden = true;
  $('clipboard-panel').hidden = true;
  $('share-panel').hidden = true;
  setStatus(message, isError);
  let body;
  try {
    const resp = await fetch('api/connections', { credentials: 'same-origin', cache: 'no-store' });
    body = await resp.json();
    if (!resp.ok) throw new Error(body.error || resp.statusText);
  } catch (e) {
    $('list-message').textContent = 'Could not load your connections: ' + e.message;
    return;
  }
  $('user').textContent = body.username ? 'Logged in as ' + body.username + '.' : '';
  const ul = $('connections');
  ul.replaceChildren();
  state.catalog = {};
  for (const c of body.connections) {
    state.catalog[c.id] = c;
    const li = document.createElement('li');
    if (c.group) {
      const g = document.createElement('span');
      g.className = 'group';
      g.textContent = c.group + ' /';
      li.append(g);
    }
    const a = document.createElement('a');
    a.href = '#connect=' + encodeURIComponent(c.id);
    a.textContent = c.name || c.id;
    a.dataset.id = c.id;
    li.append(a);
    const p = document.createElement('span');
    p.className = 'protocol';
    p.textContent = c.protocol;
    li.append(p);
    ul.append(li);
  }
  $('list-message').textContent = body.connections.length ? '' : 'There are no connections you may open.';
}

// ---- Session ---------------------------------------------------------------

function connectData(target) {
  const el = $('display');
  const dpr = window.devicePixelRatio || 1;
  const data = new URLSearchParams({
    GUAC_DATA_SOURCE: 'goguacd',
    GUAC_TYPE: target.type,
    GUAC_ID: target.id,
    GUAC_WIDTH: String(Math.max(1, Math.round(el.clientWidth * dpr))),
    GUAC_HEIGHT: String(Math.max(1, Math.round(el.clientHeight * dpr))),
    GUAC_DPI: String(Math.round(96 * dpr)),
  });
  try {
    data.set('GUAC_TIMEZONE', Intl.DateTimeFormat().resolvedOptions().timeZone);
  } catch (e) { /* no timezone: the remote default applies */ }
  for (const m of ['image/png', 'image/jpeg', 'image/webp']) data.append('GUAC_IMAGE', m);
  for (const m of Guacamole.AudioPlayer.getSupportedTypes()) data.append('GUAC_AUDIO', m);
  for (const m of Guacamole.VideoPlayer.getSupportedTypes()) data.append('GUAC_VIDEO', m);
  if (target.share) data.set('GUAC_SHARE', target.share);
  if (countsUTF16) data.set('GOGUACD_LENGTHS', 'utf16');
  return data.toString();
}

function connect(target) {
  disconnect();
  state.target = target;
  state.failed = false;
  state.connId = null;
  $('list').hidden = true;
  $('display').hidden = false;
  $('tools').hidden = false;
  $('btn-share').hidden = true;
  setStatus('Connecting…');

  const ws = forcedTunnel === 'http' ? null : new Guacamole.WebSocketTunnel('websocket-tunnel');
  const http = forcedTunnel === 'ws' ? null : new Guacamole.HTTPTunnel('tunnel');
  const tunnel = ws && http ? new Guacamole.ChainedTunnel(ws, http) : (ws || http);
  state.tunnels = { ws, http };
  const client = new Guacamole.Client(tunnel);
  state.client = client;

  // goguacd announces the connection id with `ready`, which the stock
  // client ignores; it is what share links point to.
  const handle = tunnel.oninstruction;
  tunnel.oninstruction = (opcode, args) => {
    recent.push(opcode + ',' + args.join(',').slice(0, 60));
    if (recent.length > 40) recent.shift();
    if (opcode === 'ready' && args.length) {
      state.connId = args[0];
      $('btn-share').hidden = target.type !== 'c';
    }
    if (handle) handle(opcode, args);
  };
  tunnel.onerror = (status) => fail(client, status);
  client.onerror = (status) => fail(client, status);
  client.onstatechange = (s) => onState(client, s);
  client.onclipboard = receiveClipboard;

  const display = client.getDisplay();
  const el = $('display');
  el.replaceChildren(display.getElement());
  display.onresize = fit;
  attachInput(client, display);
  client.connect(connectData(target));
  el.focus();
}

function onState(client, s) {
  if (client !== state.client) return;
  const S = Guacamole.Client.State;
  state.stateName = ['idle', 'connecting', 'waiting', 'connected', 'disconnecting', 'disconnected'][s] || String(s);
  if (s === S.CONNECTING || s === S.WAITING) setStatus('Connecting…');
  if (s === S.CONNECTED) {
    state.retries = 0;
    setStatus('');
    fit();
    sendSize();
  }
  if (s === S.DISCONNECTED && !state.failed) {
    state.client = null;
    showList('Disconnected.');
  }
}

function fail(client, status) {
  if (client !== state.client || state.failed) return;
  state.failed = true;
  state.errors.push(status.code);
  const text = describe(status);
  const target = state.target;
  state.client = null;
  try { client.disconnect(); } catch (e) { /* already closed */ }
  if (TRANSIENT.has(status.code) && state.retries < MAX_RETRIES && target) {
    const delay = Math.min(30, 2 ** state.retries);
    state.retries++;
    setStatus(text + ' Reconnecting in ' + delay + ' s…', true);
    state.retryTimer = setTimeout(() => connect(target), delay * 1000);
    return;
  }
  state.retries = 0;
  showList(text, true);
}

function disconnect() {
  clearTimeout(state.retryTimer);
  const client = state.client;
  state.client = null;
  state.tunnels = null;
  state.stateName = 'idle';
  if (client) client.disconnect();
}

// ---- Display size ----------------------------------------------------------

function fit() {
  const client = state.client;
  if (!client) return;
  const display = client.getDisplay();
  const el = $('display');
  const w = display.getWidth(), h = display.getHeight();
  if (!w || !h) return;
  display.scale(Math.min(el.clientWidth / w, el.clientHeight / h, 1));
}

function sendSize() {
  const client = state.client;
  if (!client) return;
  const dpr = window.devicePixelRatio || 1;
  const el = $('display');
  client.sendSize(Math.round(el.clientWidth * dpr), Math.round(el.clientHeight * dpr));
}

let resizeTimer = null;
window.addEventListener('resize', () => {
  fit();
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(sendSize, 200);
});

// ---- Input -----------------------------------------------------------------

let keyboard = null;

function attachInput(client, display) {
  const target = display.getElement();
  const send = (e) => { if (client === state.client) client.sendMouseState(e.state, true); };
  const mouse = new Guacamole.Mouse(target);
  mouse.onEach(['mousedown', 'mouseup', 'mousemove'], send);
  const touch = new Guacamole.Mouse.Touchscreen(target);
  touch.onEach(['mousedown', 'mouseup', 'mousemove'], send);
  display.showCursor(false);
  if (!keyboard) {
    keyboard = new Guacamole.Keyboard(document);
    keyboard.onkeydown = (keysym) => { if (state.client) state.client.sendKeyEvent(1, keysym); return true; };
    keyboard.onkeyup = (keysym) => { if (state.client) state.client.sendKeyEvent(0, keysym); };
  }
}

// keysymFor maps a character to its X11 keysym (Latin-1 directly, the rest
// as Unicode keysyms).
function keysymFor(ch) {
  const cp = ch.codePointAt(0);
  if (cp >= 0x20 && cp <= 0xFF) return cp;
  return 0x01000000 | cp;
}

function typeKeysym(keysym) {
  if (!state.client) return;
  state.client.sendKeyEvent(1, keysym);
  state.client.sendKeyEvent(0, keysym);
}

// The on-screen keyboard is a text field: the device's own keyboard types
// into it, and each character is sent as a key press.
const osk = $('osk');
osk.addEventListener('input', (e) => {
  e.stopPropagation();
  for (const ch of osk.value) typeKeysym(keysymFor(ch));
  osk.value = '';
});
osk.addEventListener('keydown', (e) => {
  // Keys the field does not turn into text; stopPropagation keeps
  // Guacamole.Keyboard from sending them twice.
  const special = { Backspace: 0xFF08, Enter: 0xFF0D, Tab: 0xFF09, Escape: 0xFF1B };
  e.stopPropagation();
  if (special[e.key]) {
    typeKeysym(special[e.key]);
    e.preventDefault();
  }
});
// Typing into the page's own fields must not reach the remote desktop:
// Guacamole.Keyboard listens on the whole document, input events included.
for (const el of [osk, $('clipboard-panel'), $('share-panel')]) {
  for (const type of ['keydown', 'keyup', 'keypress', 'input', 'compositionstart', 'compositionupdate', 'compositionend']) {
    if (el !== osk || type !== 'input') el.addEventListener(type, (e) => e.stopPropagation());
  }
}

// ---- Clipboard -------------------------------------------------------------

function receiveClipboard(stream, mimetype) {
  if (!/^text\//.test(mimetype)) {
    stream.sendAck('Unsupported clipboard type', 0x0100);
    return;
  }
  const reader = new Guacamole.StringReader(stream);
  let text = '';
  reader.ontext = (t) => { text += t; };
  reader.onend = () => {
    state.remoteClipboard = text;
    $('clipboard-text').value = text;
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).catch(() => { /* not allowed without focus or permission */ });
    }
  };
}

function sendClipboard(text) {
  const client = state.client;
  if (!client || text === state.remoteClipboard) return;
  state.remoteClipboard = text;
  const writer = new Guacamole.StringWriter(client.createClipboardStream('text/plain'));
  writer.sendText(text);
  writer.sendEnd();
}

$('clipboard-send').addEventListener('click', () => sendClipboard($('clipboard-text').value));
// Where the browser allows it, the local clipboard follows on focus.
window.addEventListener('focus', () => {
  if (!state.client || !navigator.clipboard || !navigator.clipboard.readText) return;
  navigator.clipboard.readText().then(sendClipboard).catch(() => { /* permission not granted */ });
});

// ---- Toolbar ---------------------------------------------------------------

function toggle(id) { $(id).hidden = !$(id).hidden; }

$('btn-keyboard').addEventListener('click', () => {
  toggle('osk');
  if (!osk.hidden) osk.focus();
});
$('btn-clipboard').addEventListener('click', () => toggle('clipboard-panel'));
$('btn-fullscreen').addEventListener('click', () => {
  if (document.fullscreenElement) document.exitFullscreen();
  else document.documentElement.requestFullscreen().catch((e) => setStatus('Full screen is not available: ' + e.message, true));
});
$('btn-disconnect').addEventListener('click', () => {
  location.hash = '';
  showList('Disconnected.');
});
$('btn-share').addEventListener('click', () => {
  const ul = $('share-links');
  ul.replaceChildren();
  const base = location.origin + location.pathname + location.search;
  const links = [['Watch only', 'ro'], ['Full control', '']];
  for (const sp of (state.catalog[state.target.id] || {}).sharingProfiles || []) links.push([sp.name, sp.id]);
  for (const [label, share] of links) {
    const li = document.createElement('li');
    const input = document.createElement('input');
    input.readOnly = true;
    input.value = base + '#join=' + encodeURIComponent(state.connId) + (share ? '&share=' + encodeURIComponent(share) : '');
    input.addEventListener('focus', () => input.select());
    li.append(label + ': ', input);
    ul.append(li);
  }
  toggle('share-panel');
});

// ---- Routing: #connect=<id>, #join=<$id>[&share=ro|<profile>] ----------------

function route() {
  const h = new URLSearchParams(location.hash.slice(1));
  if (h.get('connect')) connect({ type: 'c', id: h.get('connect') });
  else if (h.get('join')) connect({ type: 'a', id: h.get('join'), share: h.get('share') || '' });
  else showList('');
}
window.addEventListener('hashchange', route);
route();
