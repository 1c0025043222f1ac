package demo

import (
	"image"
	"image/color"
	"image/draw"
	"sync"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Layout of the demo screen.
const (
	headerHeight = 28
	margin       = 12
	lineHeight   = 16
	glyphWidth   = 7 // basicfont.Face7x13
)

var (
	background = color.RGBA{0x1d, 0x2b, 0x3a, 0xff}
	headerBG   = color.RGBA{0x33, 0x4d, 0x66, 0xff}
	textColor  = color.RGBA{0xf0, 0xf0, 0xf0, 0xff}
	inkColor   = color.RGBA{0xff, 0xd4, 0x00, 0xff}
)

// desktop is the shared framebuffer every client sees, with per-client
// damage so each gets only what changed since its last update.
type desktop struct {
	mu      sync.Mutex
	img     *image.RGBA
	lines   []string // typed text, last line being edited
	clients map[*client]struct{}
	now     time.Time
}

func newDesktop(w, h int, now time.Time) *desktop {
	d := &desktop{img: image.NewRGBA(image.Rect(0, 0, w, h)), lines: []string{""}, clients: map[*client]struct{}{}, now: now}
	draw.Draw(d.img, d.img.Bounds(), image.NewUniform(background), image.Point{}, draw.Src)
	d.drawHeaderLocked()
	d.drawTextLocked(0)
	return d
}

func (d *desktop) textArea() image.Rectangle {
	b := d.img.Bounds()
	return image.Rect(0, headerHeight, b.Dx(), b.Dy())
}

func (d *desktop) maxLines() int { return max(1, (d.textArea().Dy()-margin)/lineHeight) }

func (d *desktop) maxColumns() int { return max(1, (d.img.Bounds().Dx()-2*margin)/glyphWidth) }

// damageLocked marks r changed for every client.
func (d *desktop) damageLocked(r image.Rectangle) {
	r = r.Intersect(d.img.Bounds())
	if r.Empty() {
		return
	}
	for c := range d.clients {
		c.damage(r)
	}
}

func (d *desktop) drawString(s string, x, y int, col color.Color) {
	dr := font.Drawer{Dst: d.img, Src: image.NewUniform(col), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	dr.DrawString(s)
}

func (d *desktop) drawHeaderLocked() {
	r := image.Rect(0, 0, d.img.Bounds().Dx(), headerHeight)
	draw.Draw(d.img, r, image.NewUniform(headerBG), image.Point{}, draw.Src)
	d.drawString("goguacd demo desktop   "+d.now.Format("15:04:05")+"   type, or drag with the mouse to draw", margin, 19, textColor)
	d.damageLocked(r)
}

// lineRect is the screen area of text line i.
func (d *desktop) lineRect(i int) image.Rectangle {
	top := headerHeight + margin/2 + i*lineHeight
	return image.Rect(0, top, d.img.Bounds().Dx(), top+lineHeight)
}

// drawTextLocked redraws text line i (background, then glyphs, plus a caret
// on the last line).
func (d *desktop) drawTextLocked(i int) {
	r := d.lineRect(i)
	draw.Draw(d.img, r, image.NewUniform(background), image.Point{}, draw.Src)
	s := d.lines[i]
	if i == len(d.lines)-1 {
		s += "_"
	}
	d.drawString(s, margin, r.Min.Y+12, textColor)
	d.damageLocked(r)
}

// tick updates the clock.
func (d *desktop) tick(now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.now = now
	d.drawHeaderLocked()
}

// typeRune adds r to the text: printable characters, '\b' and '\n'.
func (d *desktop) typeRune(r rune) {
	d.mu.Lock()
	defer d.mu.Unlock()
	last := len(d.lines) - 1
	switch {
	case r == '\b':
		if s := []rune(d.lines[last]); len(s) > 0 {
			d.lines[last] = string(s[:len(s)-1])
		}
	case r == '\n':
		d.newLineLocked()
		return
	default:
		if len([]rune(d.lines[last])) >= d.maxColumns() {
			d.newLineLocked()
			last = len(d.lines) - 1
		}
		d.lines[last] += string(r)
	}
	d.drawTextLocked(len(d.lines) - 1)
}

// newLineLocked starts a line, scrolling the text up by one line when the
// area is full; clients that speak CopyRect get the scroll as a copy.
func (d *desktop) newLineLocked() {
	prev := len(d.lines) - 1
	d.lines = append(d.lines, "")
	if len(d.lines) <= d.maxLines() {
		d.drawTextLocked(prev)
		d.drawTextLocked(len(d.lines) - 1)
		return
	}
	d.lines = d.lines[1:]
	n := len(d.lines)
	if n >= 2 {
		// Lines 1..n-1 move up by one line.
		src := image.Rect(0, d.lineRect(1).Min.Y, d.img.Bounds().Dx(), d.lineRect(n-1).Max.Y)
		dst := src.Min.Sub(image.Pt(0, lineHeight))
		// Copy rows top-down: the destination is above the source.
		for y := src.Min.Y; y < src.Max.Y; y++ {
			so := d.img.PixOffset(src.Min.X, y)
			do := d.img.PixOffset(dst.X, y-lineHeight)
			copy(d.img.Pix[do:do+src.Dx()*4], d.img.Pix[so:so+src.Dx()*4])
		}
		for c := range d.clients {
			c.copyRect(src, dst)
		}
		d.drawTextLocked(n - 2)
	}
	d.drawTextLocked(n - 1)
}

// line draws a 2-pixel-wide line from a to b in ink.
func (d *desktop) line(a, b image.Point) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dx, dy := abs(b.X-a.X), -abs(b.Y-a.Y)
	sx, sy := sign(b.X-a.X), sign(b.Y-a.Y)
	e := dx + dy
	p := a
	bounds := d.img.Bounds()
	for range max(dx, -dy) + 1 {
		for _, q := range []image.Point{p, p.Add(image.Pt(1, 0)), p.Add(image.Pt(0, 1)), p.Add(image.Pt(1, 1))} {
			if q.In(bounds) {
				d.img.SetRGBA(q.X, q.Y, inkColor)
			}
		}
		if p == b {
			break
		}
		e2 := 2 * e
		if e2 >= dy {
			e += dy
			p.X += sx
		}
		if e2 <= dx {
			e += dx
			p.Y += sy
		}
	}
	d.damageLocked(image.Rectangle{Min: image.Pt(min(a.X, b.X), min(a.Y, b.Y)), Max: image.Pt(max(a.X, b.X)+2, max(a.Y, b.Y)+2)})
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v < 0:
		return -1
	case v > 0:
		return 1
	}
	return 0
}
