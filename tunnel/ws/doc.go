// Package ws serves the browser side of goguacd: the WebSocket tunnel
// (/websocket-tunnel) and the HTTP long-poll tunnel (/tunnel) that the stock
// guacamole-common-js Guacamole.WebSocketTunnel, Guacamole.HTTPTunnel and
// Guacamole.ChainedTunnel speak, unmodified.
//
// Protocol flow (WebSocket):
//
//	browser → GET /websocket-tunnel?GUAC_ID=…&GUAC_TYPE=c&GUAC_WIDTH=…  (subprotocol "guacamole")
//	          origin check, authentication, catalog authorisation, limits: 401/403/404/429 as plain text
//	server  → 0.,36.<tunnel uuid>;        (commits a ChainedTunnel to WebSocket)
//	server  → 5.ready,37.$<connection id>; and the remote display, whole instructions per text message
//	browser → 0.,4.ping,13.<ms>;          answered with the same instruction, never forwarded
//	server  → close <ws code> "<decimal Guacamole status>"
//
// The browser never speaks guacd's handshake: the connection to open comes
// from the catalog (GUAC_TYPE=c, GUAC_ID=<catalog id>), from an active
// connection being shared (GUAC_TYPE=a, GUAC_ID=$<connection id>, optional
// GUAC_SHARE=ro or a sharing profile id), or from a guacamole-lite token.
//
// Element lengths: goguacd counts code points (guacd, guacamole-common-js ≥
// 1.5.2). Clients that count UTF-16 code units (npm guacamole-common-js
// 1.5.0, Apache 1.5.0/1.5.1) ask for GOGUACD_LENGTHS=utf16 in the connect
// data; their streams are re-counted in both directions. The two units differ
// only for characters outside the Basic Multilingual Plane, so the common
// case costs one scan for a 4-byte UTF-8 lead byte.
package ws
