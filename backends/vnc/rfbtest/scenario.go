package rfbtest

import (
	"encoding/binary"
	"fmt"
	"image"
	"time"
)

// Scenario names a deterministic benchmark workload, as used to measure
// guacd (see the project's anchors): every frame is a pure function of
// (scenario, frame number), rendered by RenderFrame.
type Scenario string

// Scenarios.
const (
	// Idle is a static desktop: only the initial full update.
	Idle Scenario = "idle"
	// Typing changes one 8×16 character cell per frame.
	Typing Scenario = "typing"
	// Scroll scrolls a page of coloured text lines up 16 px per frame,
	// sent as a CopyRect plus a 16 px strip.
	Scroll Scenario = "scroll"
	// Video changes a 640×360 photo-like region (gradients and noise)
	// completely every frame.
	Video Scenario = "video"
	// Full changes the whole screen every frame.
	Full Scenario = "full"
	// Echo draws one character cell per key press received.
	Echo Scenario = "echo"
)

const (
	cellW, cellH = 8, 16
	textMargin   = 32
)

// VideoRect is the region the Video scenario changes on a 1280×800 desktop
// (it is centred on other sizes).
func VideoRect(w, h int) image.Rectangle {
	r := image.Rect(0, 0, 640, 360)
	return r.Add(image.Pt((w-640)/2, (h-360)/2)).Intersect(image.Rect(0, 0, w, h))
}

// RenderFrame draws frame k of scenario s into fb (frame 0 is the
// initial desktop). For Echo, k is the number of key presses.
func RenderFrame(s Scenario, k int, fb *image.RGBA) error {
	switch s {
	case Idle, Typing, Echo, Video, Full:
		drawDesktop(fb)
		switch s {
		case Typing, Echo:
			for i := 1; i <= k; i++ {
				drawCell(fb, i)
			}
		case Video:
			if k > 0 {
				drawVideo(fb, k)
			}
		case Full:
			if k > 0 {
				drawFull(fb, k)
			}
		}
	case Scroll:
		for y := 0; y < fb.Rect.Dy(); y += cellH {
			drawLine(fb, y, y/cellH+k)
		}
	default:
		return fmt.Errorf("rfbtest: unknown scenario %q", s)
	}
	return nil
}

// mix is a small integer hash (splitmix32-style) for deterministic noise.
func mix(v uint32) uint32 {
	v ^= v >> 16
	v *= 0x7feb352d
	v ^= v >> 15
	v *= 0x846ca68b
	v ^= v >> 16
	return v
}

func put(fb *image.RGBA, x, y int, r, g, b uint8) {
	o := fb.PixOffset(x, y)
	binary.LittleEndian.PutUint32(fb.Pix[o:], uint32(r)|uint32(g)<<8|uint32(b)<<16|0xff000000)
}

// drawDesktop paints a gradient background with a light text window.
func drawDesktop(fb *image.RGBA) {
	w, h := fb.Rect.Dx(), fb.Rect.Dy()
	win := textArea(fb)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if image.Pt(x, y).In(win) {
				put(fb, x, y, 250, 250, 245)
				continue
			}
			put(fb, x, y, uint8(40+x*60/max(w, 1)), uint8(70+y*80/max(h, 1)), 130)
		}
	}
}

func textArea(fb *image.RGBA) image.Rectangle {
	r := fb.Rect.Inset(textMargin)
	// Whole cells only.
	r.Max.X = r.Min.X + r.Dx()/cellW*cellW
	r.Max.Y = r.Min.Y + r.Dy()/cellH*cellH
	return r
}

// cellRect is where character cell i (1-based) of Typing/Echo goes.
func cellRect(fb *image.RGBA, i int) image.Rectangle {
	a := textArea(fb)
	cols, rows := max(a.Dx()/cellW, 1), max(a.Dy()/cellH, 1)
	n := (i - 1) % (cols * rows)
	p := a.Min.Add(image.Pt(n%cols*cellW, n/cols*cellH))
	return image.Rectangle{p, p.Add(image.Pt(cellW, cellH))}.Intersect(fb.Rect)
}

// drawGlyph paints a pseudo-character from seed into the cell at r.
func drawGlyph(fb *image.RGBA, r image.Rectangle, seed uint32, fg, bg [3]uint8) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := y - r.Min.Y
		bits := uint8(mix(seed*31+uint32(row))) & 0x7e
		if row < 3 || row > 12 {
			bits = 0
		}
		for x := r.Min.X; x < r.Max.X; x++ {
			c := bg
			if bits&(0x80>>(x-r.Min.X)) != 0 {
				c = fg
			}
			put(fb, x, y, c[0], c[1], c[2])
		}
	}
}

func drawCell(fb *image.RGBA, i int) image.Rectangle {
	r := cellRect(fb, i)
	drawGlyph(fb, r, uint32(i), [3]uint8{20, 20, 40}, [3]uint8{250, 250, 245})
	return r
}

// drawLine paints page line n of the Scroll scenario at screen row y.
func drawLine(fb *image.RGBA, y, n int) image.Rectangle {
	w := fb.Rect.Dx()
	h := mix(uint32(n))
	bg := [3]uint8{200 + uint8(h%56), 200 + uint8(h>>8%56), 200 + uint8(h>>16%56)}
	fg := [3]uint8{uint8(h>>3) % 128, uint8(h>>11) % 128, uint8(h>>19) % 128}
	length := int(h>>4%uint32(max(w/cellW, 1))) + 1
	r := image.Rect(0, y, w, y+cellH).Intersect(fb.Rect)
	for x := 0; x < w; x += cellW {
		cell := image.Rect(x, y, x+cellW, y+cellH).Intersect(r)
		seed := uint32(n)*977 + uint32(x/cellW)
		if x/cellW >= length {
			drawGlyph(fb, cell, 0, bg, bg)
			continue
		}
		drawGlyph(fb, cell, seed, fg, bg)
	}
	return r
}

// drawVideo draws frame k of the photo-like area: smooth colour gradients
// moving with k plus luminance noise of ±8. At JPEG quality 90 (4:2:0) this
// region decodes at 37.7 dB, the figure implied by guacd's measured
// 44.24 dB over the whole screen with 77.8 % of it exact (anchors.md), so
// the picture is as hard to compress as the one guacd was measured with.
func drawVideo(fb *image.RGBA, k int) image.Rectangle {
	r := VideoRect(fb.Rect.Dx(), fb.Rect.Dy())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			d := int(mix(uint32(x)*7919^uint32(y)*104729^uint32(k)*15485863)%17) - 8
			put(fb, x, y, clamp8(tri((x+3*k)/3)+d), clamp8(tri((y+2*k)/2)+d), clamp8(tri((x+y+k)/5)+d))
		}
	}
	return r
}

// tri is a triangle wave between 0 and 255: a gradient without edges.
func tri(v int) int {
	v %= 510
	if v > 255 {
		return 510 - v
	}
	return v
}

func clamp8(v int) uint8 { return uint8(min(max(v, 0), 255)) }

func drawFull(fb *image.RGBA, k int) image.Rectangle {
	for y := 0; y < fb.Rect.Dy(); y++ {
		for x := 0; x < fb.Rect.Dx(); x++ {
			n := mix(uint32(x)*31 ^ uint32(y)*4099 ^ uint32(k)*65537)
			put(fb, x, y, uint8(x+k*4)^uint8(n&7), uint8(y+k*2), uint8(x*y>>6)+uint8(k))
		}
	}
	return fb.Rect
}

// scenarioReadyLocked reports whether a scenario frame is due to be sent.
func (s *Server) scenarioReadyLocked() bool {
	switch s.opts.Scenario {
	case Typing, Scroll, Video, Full:
		return s.frame < s.opts.Frames
	}
	return false
}

// frameWaitLocked is how long to wait before the next frame (MaxFPS).
func (s *Server) frameWaitLocked() time.Duration {
	if s.opts.MaxFPS < 0 || s.lastSent.IsZero() {
		return 0
	}
	return time.Until(s.lastSent.Add(time.Second / time.Duration(s.opts.MaxFPS)))
}

// nextFrameLocked advances the scenario by one frame and returns its
// rectangles.
func (s *Server) nextFrameLocked() []item {
	s.frame++
	k := s.frame
	s.lastSent = time.Now()
	if s.frame == s.opts.Frames {
		close(s.done)
	}
	enc := s.opts.Encoding
	switch s.opts.Scenario {
	case Typing:
		return []item{{rect: Rect{Rect: drawCell(s.fb, k), Encoding: enc}}}
	case Scroll:
		w, h := s.fb.Rect.Dx(), s.fb.Rect.Dy()/cellH*cellH
		src := image.Rect(0, cellH, w, h)
		copyRGBA(s.fb, src, image.Point{})
		strip := drawLine(s.fb, h-cellH, h/cellH-1+k)
		return []item{
			{rect: Rect{Rect: image.Rect(0, 0, w, h-cellH), Encoding: CopyRect, Src: src.Min}},
			{rect: Rect{Rect: strip, Encoding: enc}},
		}
	case Video:
		return []item{{rect: Rect{Rect: drawVideo(s.fb, k), Encoding: enc}}}
	}
	return []item{{rect: Rect{Rect: drawFull(s.fb, k), Encoding: enc}}}
}

// echo draws the next Echo cell and queues it.
func (s *Server) echo() {
	s.mu.Lock()
	s.frame++
	r := drawCell(s.fb, s.frame)
	s.mu.Unlock()
	s.Update(Rect{Rect: r, Encoding: s.opts.Encoding})
}
