package term

// Color is a cell colour: the scheme default, an index into the 256-colour
// palette, or a direct 24-bit RGB value. The zero value is the default.
type Color uint32

const (
	colorKindShift        = 24
	colorPalette   uint32 = 1 << colorKindShift
	colorRGB       uint32 = 2 << colorKindShift
)

// DefaultColor selects the scheme's default foreground or background.
const DefaultColor Color = 0

// PaletteColor returns the colour at palette index i.
func PaletteColor(i uint8) Color { return Color(colorPalette | uint32(i)) }

// RGBColor returns a direct 24-bit colour.
func RGBColor(r, g, b uint8) Color {
	return Color(colorRGB | uint32(r)<<16 | uint32(g)<<8 | uint32(b))
}

// IsDefault reports whether c is the scheme default.
func (c Color) IsDefault() bool { return c == DefaultColor }

// Index returns the palette index of c and whether c is a palette colour.
func (c Color) Index() (uint8, bool) {
	return uint8(c), uint32(c)&^0xFFFFFF == colorPalette
}

// RGB returns the components of c and whether c is a direct colour.
func (c Color) RGB() (r, g, b uint8, ok bool) {
	return uint8(c >> 16), uint8(c >> 8), uint8(c), uint32(c)&^0xFFFFFF == colorRGB
}

// Attr is a set of SGR rendition flags.
type Attr uint8

// Rendition flags set by SGR.
const (
	AttrBold Attr = 1 << iota
	AttrFaint
	AttrItalic
	AttrUnderline
	AttrBlink
	AttrInverse
	AttrConceal
	AttrStrike
)

// Cell is one character position of the grid.
//
// Wide (East Asian Wide/Fullwidth) characters occupy two cells: the first has
// Width 2 and holds the rune, the second has Width 0 and must not be drawn.
type Cell struct {
	Rune   rune // 0 for a blank cell that was never written
	FG, BG Color
	Attr   Attr
	Width  uint8
	comb   uint16 // 1 + index into the terminal's combining-sequence table, 0 if none
	// (16 bytes in all: the hot path copies cells, so keep it that way.)
}

// HasCombining reports whether combining marks follow the cell's rune; fetch
// them with [Terminal.Combining].
func (c Cell) HasCombining() bool { return c.comb != 0 }

// blank is an erased cell in the given background (xterm's
// background-colour-erase: erased cells keep the current SGR background).
func blank(bg Color) Cell { return Cell{BG: bg, Width: 1} }
