package rfb

import "image"

// Sink receives decoded updates. All methods are called from Run's
// goroutine, after the framebuffer has been updated; a slow Sink slows the
// connection (the next update is requested only after EndOfUpdate).
type Sink interface {
	// Resize reports a new framebuffer size (initially, and on DesktopSize
	// or ExtendedDesktopSize). Framebuffer now returns a new image.
	Resize(w, h int)
	// Damage reports that the pixels in r changed.
	Damage(r image.Rectangle)
	// CopyRect reports that src was copied to dst (already applied to the
	// framebuffer), so a display can send a copy instead of pixels.
	CopyRect(src image.Rectangle, dst image.Point)
	// Cursor reports a new pointer shape; img is new for every call and
	// its alpha comes from the RFB mask (0 or 255).
	Cursor(hotspot image.Point, img *image.RGBA)
	// EndOfUpdate ends one FramebufferUpdate.
	EndOfUpdate()
	// Bell reports a bell.
	Bell()
	// ServerCutText reports clipboard text, decoded from Latin-1.
	ServerCutText(text string)
}

// FramebufferLocker is implemented by sinks that read the framebuffer from
// other goroutines (a display engine sharing it). The client holds the lock
// while it decodes each rectangle into the framebuffer; Resize, Damage,
// CopyRect and Cursor are then called with the lock held, the other Sink
// methods without it.
type FramebufferLocker interface {
	LockFramebuffer()
	UnlockFramebuffer()
}
