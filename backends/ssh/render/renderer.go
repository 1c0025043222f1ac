package render

import (
	"image"
	"image/color"

	"github.com/goguacd/goguacd/backends/rgb"
	"github.com/goguacd/goguacd/backends/ssh/term"
)

// Surface is the drawing target, implemented by the display engine.
type Surface interface {
	// Image returns the pixels; the renderer writes into it directly.
	Image() *rgb.Image
	// Damage reports pixels the renderer changed.
	Damage(r image.Rectangle)
	// CopyRect copies pixels src to dst within the surface (sent to
	// clients as a copy, so it needs no Damage).
	CopyRect(src image.Rectangle, dst image.Point)
	// Resize changes the surface size; contents are undefined afterwards.
	Resize(w, h int)
}

// Options choose the font. The zero value is guacd's default: the
// "monospace" font (Go Mono here) at 12 pt and 96 dpi.
type Options struct {
	FontName string  // guacd `font-name`; "" or "monospace" selects Go Mono
	FontSize float64 // guacd `font-size` in points (0 = 12)
	DPI      int     // client DPI from the handshake (0 = 96)
}

// ScrollbarWidth is the room GridSize leaves for guacd's scrollbar layer.
const ScrollbarWidth = 16

// Selection highlight, as guacd draws it: rgba(0,128,255,0x60) over the text.
var selectionColor = color.RGBA{0, 128, 255, 0x60}

// Renderer draws terminals onto a Surface.
type Renderer struct {
	surf   Surface
	faces  *faceSet
	cw, ch int // cell size in pixels
	ascent int
	margin int

	glyphs       map[glyphKey]*image.Alpha
	hits, misses int

	cols, rows int
	shadow     [][]cellLook // what each cell shows on the surface now
	full       bool         // next Render repaints everything
	blinkOff   bool         // cursor hidden by the blink phase
	bg         color.RGBA   // background the margins were painted with
}

// glyphKey identifies a rasterised glyph: its text (rune plus combining
// marks), style and width in cells.
type glyphKey struct {
	r     rune
	comb  string
	style style
	wide  bool
}

// cellLook is everything that determines a cell's pixels.
type cellLook struct {
	r      rune
	comb   string
	width  uint8
	attr   term.Attr
	fg, bg color.RGBA
	cursor bool
	valid  bool
}

// New returns a renderer drawing onto s.
func New(s Surface, opts Options) (*Renderer, error) {
	r := &Renderer{surf: s, glyphs: map[glyphKey]*image.Alpha{}}
	if err := r.SetFont(opts); err != nil {
		return nil, err
	}
	return r, nil
}

// SetFont changes the font (guacd's live font-name/font-size argv). The
// glyph cache is dropped and the next Render repaints everything.
func (r *Renderer) SetFont(opts Options) error {
	size, dpi := opts.FontSize, opts.DPI
	if size <= 0 {
		size = 12
	}
	if dpi <= 0 {
		dpi = 96
	}
	fs, err := newFaceSet(opts.FontName, size, float64(dpi))
	if err != nil {
		return err
	}
	face := fs.main[styleRegular]
	m := face.Metrics()
	adv, _ := face.GlyphAdvance('0')
	r.faces = fs
	r.cw = max(adv.Round(), 1)
	r.ascent = m.Ascent.Ceil()
	r.ch = max(r.ascent+m.Descent.Ceil(), 1)
	r.margin = dpi * 2 * 10 / 254
	clear(r.glyphs)
	r.full = true
	return nil
}

// CellSize returns the size of one cell in pixels.
func (r *Renderer) CellSize() (w, h int) { return r.cw, r.ch }

// Margin returns the border around the grid in pixels.
func (r *Renderer) Margin() int { return r.margin }

// GridSize returns the terminal size that fits a w×h pixel display, by
// guacd's formula (leaving room for the scrollbar).
func (r *Renderer) GridSize(w, h int) (cols, rows int) {
	return max((w-ScrollbarWidth-2*r.margin)/r.cw, 1), max((h-2*r.margin)/r.ch, 1)
}

// CellAt converts a pointer position on the surface to a cell, clamped to
// the grid.
func (r *Renderer) CellAt(px, py int) (col, row int) {
	col = min(max((px-r.margin)/r.cw, 0), max(r.cols-1, 0))
	row = min(max((py-r.margin)/r.ch, 0), max(r.rows-1, 0))
	if px < r.margin {
		col = 0
	}
	if py < r.margin {
		row = 0
	}
	return col, row
}

// CacheStats returns glyph cache hits and misses since the last SetFont.
func (r *Renderer) CacheStats() (hits, misses int) { return r.hits, r.misses }

// SetBlink sets the cursor blink phase; only the cursor cell is redrawn by
// the next Render.
func (r *Renderer) SetBlink(visible bool) { r.blinkOff = !visible }

// Invalidate forces a full repaint on the next Render (e.g. after the
// surface lost its contents).
func (r *Renderer) Invalidate() { r.full = true }

// Render brings the surface up to date with t and clears t's damage.
func (r *Renderer) Render(t *term.Terminal) {
	cols, rows := t.Cols(), t.Rows()
	w, h := cols*r.cw+2*r.margin, rows*r.ch+2*r.margin
	img := r.surf.Image()
	if img == nil || img.Rect.Dx() != w || img.Rect.Dy() != h {
		r.surf.Resize(w, h)
		img = r.surf.Image()
		r.full = true
	}
	sch := t.Scheme()
	if r.cols != cols || r.rows != rows {
		r.cols, r.rows = cols, rows
		r.shadow = make([][]cellLook, rows)
		for y := range r.shadow {
			r.shadow[y] = make([]cellLook, cols)
		}
		r.full = true
	}
	if sch.BG != r.bg {
		r.full = true
	}
	damage := t.Damage()
	if r.full {
		r.full = false
		r.bg = sch.BG
		img.Fill(img.Rect, sch.BG)
		for _, row := range r.shadow {
			clear(row)
		}
		r.surf.Damage(img.Rect)
	} else {
		r.applyScrolls(t.ScrollOps())
	}
	cx, cy, cvis := t.Cursor()
	cvis = cvis && !r.blinkOff
	for y := range rows {
		// Every row is diffed when damaged; the shadow makes the diff
		// catch cursor moves and selection changes without extra state.
		if !damage[y] && !r.rowHasStaleCursor(y, cx, cy, cvis) {
			continue
		}
		r.renderRow(t, img, y, cx, cy, cvis)
	}
	t.ClearDamage()
}

// rowHasStaleCursor reports whether row y needs a diff for the cursor:
// it shows the cursor now or did in the previous frame.
func (r *Renderer) rowHasStaleCursor(y, cx, cy int, cvis bool) bool {
	if cvis && y == cy {
		return true
	}
	for _, c := range r.shadow[y] {
		if c.cursor {
			return true
		}
	}
	return false
}

// applyScrolls copies pixels for each terminal scroll and moves the shadow
// rows along, so the row diff afterwards only touches exposed rows.
func (r *Renderer) applyScrolls(ops []term.ScrollOp) {
	for _, op := range ops {
		h := op.Bottom - op.Top + 1
		n := op.Lines
		if n >= h || -n >= h {
			for y := op.Top; y <= op.Bottom; y++ {
				clear(r.shadow[y])
			}
			continue
		}
		x0 := r.margin
		x1 := x0 + r.cols*r.cw
		if n > 0 {
			src := image.Rect(x0, r.margin+(op.Top+n)*r.ch, x1, r.margin+(op.Bottom+1)*r.ch)
			r.surf.CopyRect(src, image.Pt(x0, r.margin+op.Top*r.ch))
			rotateRows(r.shadow[op.Top:op.Bottom+1], n)
			for y := op.Bottom + 1 - n; y <= op.Bottom; y++ {
				clear(r.shadow[y])
			}
		} else {
			src := image.Rect(x0, r.margin+op.Top*r.ch, x1, r.margin+(op.Bottom+1+n)*r.ch)
			r.surf.CopyRect(src, image.Pt(x0, r.margin+(op.Top-n)*r.ch))
			rotateRows(r.shadow[op.Top:op.Bottom+1], h+n)
			for y := op.Top; y < op.Top-n; y++ {
				clear(r.shadow[y])
			}
		}
	}
}

// rotateRows rotates s left by k in place (three reversals, no allocation).
func rotateRows(s [][]cellLook, k int) {
	rev := func(s [][]cellLook) {
		for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
			s[i], s[j] = s[j], s[i]
		}
	}
	rev(s[:k])
	rev(s[k:])
	rev(s)
}

// renderRow redraws the cells of view row y whose look changed and
// reports the changed span as damage.
func (r *Renderer) renderRow(t *term.Terminal, img *rgb.Image, y, cx, cy int, cvis bool) {
	row := t.Row(y)
	sch := t.Scheme()
	sx0, sx1, sel := t.SelectionSpan(y)
	shadow := r.shadow[y]
	dx0, dx1 := -1, -1
	for x := 0; x < r.cols; x++ {
		var c term.Cell
		if x < len(row) {
			c = row[x]
		} else {
			c = term.Cell{Width: 1}
		}
		if c.Width == 0 {
			// Right half of a wide character: drawn with its left half.
			shadow[x] = cellLook{valid: true, width: 0}
			continue
		}
		fg, bg := sch.Resolve(c)
		look := cellLook{r: c.Rune, width: c.Width, attr: c.Attr, fg: fg, bg: bg, valid: true}
		if c.HasCombining() {
			look.comb = t.Combining(c)
		}
		wide := int(c.Width)
		if x+wide > r.cols {
			wide = 1
		}
		if cvis && y == cy && (cx == x || cx == x+wide-1) {
			look.fg, look.bg = look.bg, look.fg
			look.cursor = true
		}
		if sel && x >= sx0 && x < sx1 {
			look.bg = blend(look.bg, selectionColor)
			look.fg = blend(look.fg, selectionColor)
		}
		if look == shadow[x] {
			continue
		}
		shadow[x] = look
		r.drawCell(img, x, y, wide, look)
		if dx0 < 0 {
			dx0 = x
		}
		dx1 = x + wide
	}
	if dx0 >= 0 {
		py := r.margin + y*r.ch
		r.surf.Damage(image.Rect(r.margin+dx0*r.cw, py, r.margin+dx1*r.cw, py+r.ch))
	}
}
