// Package rfbtest is an in-process fake RFB (VNC) server for tests and
// benchmarks. It listens on 127.0.0.1, speaks RFB 3.3/3.7/3.8 with
// security None, VNC Authentication and VeNCrypt (TLS/X509 with a
// self-signed certificate, Plain/Vnc inner authentication), honours the
// client's SetPixelFormat, and encodes its framebuffer as Raw, CopyRect,
// Hextile, ZRLE or Tight (zlib with copy/palette/gradient filters, fill and
// JPEG). It records the input events it receives, can send resizes,
// cursors, clipboard text and bells, and misbehaves on demand.
//
// In scenario mode (Options.Scenario) it plays a deterministic benchmark
// scenario: each frame is a pure function of (scenario, frame number) and
// frames advance only while the client has an update request outstanding.
//
// rfbtest imports only the standard library; it shares no code with the
// client it tests.
package rfbtest
