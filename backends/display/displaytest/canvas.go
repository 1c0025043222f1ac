// Package displaytest is a reference Guacamole client display for tests:
// it applies drawing instructions (img streams with PNG, JPEG or WebP, copy,
// rect+cfill, size, cursor, dispose) to in-memory layers, so tests can
// compare what a browser would show with the server's framebuffer.
package displaytest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"strconv"

	"golang.org/x/image/webp"

	"github.com/goguacd/goguacd/backends/rgb"
	"github.com/goguacd/goguacd/protocol"
)

// Canvas is the state of one client's display. The zero value is an empty
// display with layer 0 of size 0x0, ready to use.
type Canvas struct {
	layers  map[int]*image.RGBA
	streams map[int]*stream
	paths   map[int][]image.Rectangle

	cursorHot image.Point
	cursor    *image.RGBA

	// Counts of instructions applied, by opcode, for tests that check
	// what was sent.
	Ops map[string]int
}

// stream is an img stream being received.
type stream struct {
	mode  int
	layer int
	mime  string
	x, y  int
	data  []byte
}

// MaxSize is the largest layer width or height accepted, as in guacd
// (GUAC_DISPLAY_MAX_WIDTH/HEIGHT).
const MaxSize = 8192

// argCounts are the argument counts of the instructions that draw.
var argCounts = map[string]int{"size": 3, "img": 6, "blob": 2, "end": 1, "copy": 9, "rect": 5, "cfill": 6, "cursor": 7, "dispose": 1}

// Composite modes the canvas implements.
const (
	modeSrc  = int(protocol.ModeSrc)
	modeOver = int(protocol.ModeOver)
)

// Apply parses and applies every instruction in b, which must hold whole
// instructions. Instructions that do not draw (sync, nop, mouse, ...) are
// counted and otherwise ignored.
func (c *Canvas) Apply(b []byte) error {
	var p protocol.Parser
	for len(b) > 0 {
		ins, n, err := p.Next(b)
		if err != nil {
			return fmt.Errorf("displaytest: parse at %q: %w", head(b), err)
		}
		if err := c.apply(ins); err != nil {
			return fmt.Errorf("displaytest: %s: %w", ins.Opcode, err)
		}
		b = b[n:]
	}
	return nil
}

func head(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

// Image returns layer 0, the visible screen.
func (c *Canvas) Image() *image.RGBA { return c.Layer(0) }

// Layer returns layer i, creating it empty if it does not exist.
func (c *Canvas) Layer(i int) *image.RGBA {
	if c.layers == nil {
		c.layers = make(map[int]*image.RGBA)
	}
	l, ok := c.layers[i]
	if !ok {
		l = image.NewRGBA(image.Rectangle{})
		c.layers[i] = l
	}
	return l
}

// Cursor returns the last cursor set: its hotspot and image, nil if none.
func (c *Canvas) Cursor() (image.Point, *image.RGBA) { return c.cursorHot, c.cursor }

func (c *Canvas) apply(ins protocol.Instruction) error {
	if c.Ops == nil {
		c.Ops = make(map[string]int)
	}
	c.Ops[string(ins.Opcode)]++
	op := string(ins.Opcode)
	n, draws := argCounts[op]
	if !draws {
		return nil
	}
	if len(ins.Args) != n {
		return fmt.Errorf("%d arguments, want %d", len(ins.Args), n)
	}
	a := make([]int, n)
	for i, s := range ins.Args {
		if op == "img" && i == 3 || op == "blob" && i == 1 {
			continue
		}
		v, err := strconv.Atoi(string(s))
		if err != nil {
			return fmt.Errorf("argument %d: %w", i, err)
		}
		a[i] = v
	}
	switch op {
	case "size":
		if a[1] < 0 || a[2] < 0 || a[1] > MaxSize || a[2] > MaxSize {
			return fmt.Errorf("size %dx%d out of range", a[1], a[2])
		}
		c.resize(a[0], a[1], a[2])
	case "img":
		if c.streams == nil {
			c.streams = make(map[int]*stream)
		}
		if _, busy := c.streams[a[0]]; busy {
			return fmt.Errorf("stream %d already open", a[0])
		}
		c.streams[a[0]] = &stream{mode: a[1], layer: a[2], mime: string(ins.Args[3]), x: a[4], y: a[5]}
	case "blob":
		s := c.streams[a[0]]
		if s == nil {
			return fmt.Errorf("stream %d not open", a[0])
		}
		d, err := base64.StdEncoding.AppendDecode(s.data, ins.Args[1])
		if err != nil {
			return err
		}
		s.data = d
	case "end":
		s := c.streams[a[0]]
		if s == nil {
			return fmt.Errorf("stream %d not open", a[0])
		}
		delete(c.streams, a[0])
		return c.drawImage(s)
	case "copy":
		return c.copyRect(a)
	case "rect":
		if c.paths == nil {
			c.paths = make(map[int][]image.Rectangle)
		}
		c.paths[a[0]] = append(c.paths[a[0]], image.Rect(a[1], a[2], a[1]+a[3], a[2]+a[4]).Intersect(c.Layer(a[0]).Rect))
	case "cfill":
		return c.fill(a)
	case "cursor":
		src := c.Layer(a[2])
		r := image.Rect(a[3], a[4], a[3]+a[5], a[4]+a[6]).Intersect(src.Rect)
		cur := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
		draw.Draw(cur, cur.Rect, src, r.Min, draw.Src)
		c.cursorHot, c.cursor = image.Pt(a[0], a[1]), cur
	case "dispose":
		delete(c.layers, a[0])
	}
	return nil
}

// resize changes a layer's size, keeping the overlapping pixels as a
// browser canvas layer does; new area is transparent.
func (c *Canvas) resize(layer, w, h int) {
	old := c.Layer(layer)
	l := image.NewRGBA(image.Rect(0, 0, max(w, 0), max(h, 0)))
	draw.Draw(l, l.Rect, old, image.Point{}, draw.Src)
	c.layers[layer] = l
}

// target returns the layer to draw r on: buffers (negative layers) grow
// to fit, visible layers clip.
func (c *Canvas) target(layer int, r image.Rectangle) *image.RGBA {
	l := c.Layer(layer)
	if layer < 0 && !r.In(l.Rect) {
		c.resize(layer, max(l.Rect.Max.X, r.Max.X), max(l.Rect.Max.Y, r.Max.Y))
		l = c.layers[layer]
	}
	return l
}

func drawOp(mode int) (draw.Op, error) {
	switch mode {
	case modeSrc:
		return draw.Src, nil
	case modeOver:
		return draw.Over, nil
	}
	return 0, fmt.Errorf("composite mode %d not implemented", mode)
}

func (c *Canvas) drawImage(s *stream) error {
	decode, decodeConfig := png.Decode, png.DecodeConfig
	switch s.mime {
	case "image/png":
	case "image/jpeg":
		decode, decodeConfig = jpeg.Decode, jpeg.DecodeConfig
	case "image/webp":
		decode, decodeConfig = decodeWebP, webp.DecodeConfig
	default:
		return fmt.Errorf("mimetype %q not supported", s.mime)
	}
	cfg, err := decodeConfig(bytes.NewReader(s.data))
	if err != nil {
		return err
	}
	if cfg.Width > MaxSize || cfg.Height > MaxSize || s.x < -MaxSize || s.y < -MaxSize ||
		s.x+cfg.Width > MaxSize || s.y+cfg.Height > MaxSize {
		return fmt.Errorf("%dx%d image at %d,%d out of range", cfg.Width, cfg.Height, s.x, s.y)
	}
	img, err := decode(bytes.NewReader(s.data))
	if err != nil {
		return err
	}
	dop, err := drawOp(s.mode)
	if err != nil {
		return err
	}
	b := img.Bounds()
	r := image.Rect(s.x, s.y, s.x+b.Dx(), s.y+b.Dy())
	l := c.target(s.layer, r)
	draw.Draw(l, r, img, b.Min, dop)
	return nil
}

func (c *Canvas) copyRect(a []int) error {
	src := c.Layer(a[0])
	r := image.Rect(a[1], a[2], a[1]+a[3], a[2]+a[4]).Intersect(src.Rect)
	if r.Empty() {
		return nil
	}
	dop, err := drawOp(a[5])
	if err != nil {
		return err
	}
	// Snapshot the source: a canvas copies as if from a separate image,
	// even when source and destination overlap.
	snap := image.NewRGBA(r)
	draw.Draw(snap, r, src, r.Min, draw.Src)
	at := image.Pt(a[7]+r.Min.X-a[1], a[8]+r.Min.Y-a[2])
	dr := image.Rectangle{Min: at, Max: at.Add(r.Size())}
	if dr.Max.X > MaxSize || dr.Max.Y > MaxSize {
		return fmt.Errorf("copy to %v out of range", dr)
	}
	dst := c.target(a[6], dr)
	draw.Draw(dst, dr, snap, r.Min, dop)
	return nil
}

func (c *Canvas) fill(a []int) error {
	dop, err := drawOp(a[0])
	if err != nil {
		return err
	}
	path := c.paths[a[1]]
	if len(path) == 0 {
		return errors.New("cfill without a path")
	}
	delete(c.paths, a[1])
	l := c.Layer(a[1])
	col := image.NewUniform(color.NRGBA{uint8(a[2]), uint8(a[3]), uint8(a[4]), uint8(a[5])})
	for _, r := range path {
		draw.Draw(l, r, col, image.Point{}, dop)
	}
	return nil
}

// pixels gives the layout of the packed pixels of an *image.RGBA or an
// *rgb.Image (other images are converted): bpp bytes per pixel, RGB first.
func pixels(m image.Image) (pix []byte, stride, bpp int, r image.Rectangle) {
	switch m := m.(type) {
	case *image.RGBA:
		return m.Pix, m.Stride, 4, m.Rect
	case *rgb.Image:
		return m.Pix, m.Stride, 3, m.Rect
	}
	c := rgb.From(m)
	return c.Pix, c.Stride, 3, c.Rect
}

// eachRow calls f with the RGB channels of every row of a and b in turn,
// each as bpp-byte pixels; false if the sizes differ.
func eachRow(a, b image.Image, f func(ra, rb []byte, na, nb int)) bool {
	pa, sa, na, rectA := pixels(a)
	pb, sb, nb, rectB := pixels(b)
	if rectA.Size() != rectB.Size() {
		return false
	}
	w := rectA.Dx()
	for y := range rectA.Dy() {
		f(pa[y*sa:][:w*na], pb[y*sb:][:w*nb], na, nb)
	}
	return true
}

// PSNR is the peak signal-to-noise ratio of the RGB channels of b against
// a, in dB, capped at 100 for identical images; 0 if the sizes differ.
// Alpha is ignored. a and b are best an *image.RGBA or an *rgb.Image.
func PSNR(a, b image.Image) float64 {
	var sum float64
	if !eachRow(a, b, func(ra, rb []byte, na, nb int) {
		for i, j := 0, 0; i < len(ra); i, j = i+na, j+nb {
			for c := range 3 {
				d := float64(ra[i+c]) - float64(rb[j+c])
				sum += d * d
			}
		}
	}) {
		return 0
	}
	if sum == 0 {
		return 100
	}
	r := a.Bounds()
	mse := sum / float64(3*r.Dx()*r.Dy())
	return min(10*math.Log10(255*255/mse), 100)
}

// DiffPixels counts the pixels whose RGB differ between a and b, or
// returns -1 if their sizes differ. Alpha is ignored, as the display
// engine ignores it.
func DiffPixels(a, b image.Image) int {
	n := 0
	if !eachRow(a, b, func(ra, rb []byte, na, nb int) {
		for i, j := 0, 0; i < len(ra); i, j = i+na, j+nb {
			if ra[i] != rb[j] || ra[i+1] != rb[j+1] || ra[i+2] != rb[j+2] {
				n++
			}
		}
	}) {
		return -1
	}
	return n
}

// decodeWebP decodes a WebP image with the colours a browser shows.
func decodeWebP(r io.Reader) (image.Image, error) {
	m, err := webp.Decode(r)
	if err != nil {
		return nil, err
	}
	return WebPToRGBA(m)
}

// WebPToRGBA converts a picture decoded by golang.org/x/image/webp to
// RGB as browsers do: lossy WebP is Y'CbCr in BT.601 studio swing
// (libwebp's conversion), where image/color assumes JPEG's full swing.
func WebPToRGBA(m image.Image) (*image.RGBA, error) {
	yc, ok := m.(*image.YCbCr)
	if !ok {
		return nil, fmt.Errorf("displaytest: webp decoded to %T, want lossy *image.YCbCr", m)
	}
	b := yc.Rect
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			yy := 1.164 * (float64(yc.Y[yc.YOffset(x, y)]) - 16)
			ci := yc.COffset(x, y)
			cb, cr := float64(yc.Cb[ci])-128, float64(yc.Cr[ci])-128
			o := out.PixOffset(x-b.Min.X, y-b.Min.Y)
			out.Pix[o] = clampByte(yy + 1.596*cr)
			out.Pix[o+1] = clampByte(yy - 0.813*cr - 0.391*cb)
			out.Pix[o+2] = clampByte(yy + 2.018*cb)
			out.Pix[o+3] = 0xff
		}
	}
	return out, nil
}

func clampByte(v float64) uint8 {
	return uint8(math.Round(min(max(v, 0), 255)))
}
