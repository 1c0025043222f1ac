// Package rfb is an RFB (VNC) client: it performs the RFB 3.3/3.7/3.8
// handshake (security None, VNC Authentication and VeNCrypt over TLS:
// anonymous for the TLS* sub-types, with a certificate for X509*),
// decodes framebuffer updates (Raw, CopyRect, Hextile, ZRLE, Tight and the
// Cursor, DesktopSize, ExtendedDesktopSize and LastRect pseudo-encodings)
// into a packed RGB image (rgb.Image) it owns, and reports every change
// to a Sink.
//
// The package knows nothing of Guacamole.
//
// Protocol flow:
//
//	server → ProtocolVersion, client → ProtocolVersion
//	security negotiation (3.3: server picks; 3.7+: client picks), SecurityResult
//	client → ClientInit(shared), server → ServerInit(w, h, pixel format, name)
//	client → SetPixelFormat, SetEncodings, FramebufferUpdateRequest(full)
//	loop: server → FramebufferUpdate | Bell | ServerCutText | SetColourMapEntries
//	      client → FramebufferUpdateRequest(incremental) after each update
//
// Concurrency: Run is the only reader and must be called once. KeyEvent,
// PointerEvent, CutText and SetDesktopSize may be called from any goroutine
// while Run is running; each message goes out in a single Write.
package rfb
