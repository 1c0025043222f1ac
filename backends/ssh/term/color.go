package term

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"
)

// Scheme is a colour scheme: default foreground and background plus the
// 256-colour palette.
type Scheme struct {
	FG, BG  color.RGBA
	Palette [256]color.RGBA
	base    [256]color.RGBA // palette before OSC 4 changes, for OSC 104
}

// guacd's 16 base colours (terminal/palette.c): dimmer than xterm's.
var basePalette = [16]color.RGBA{
	{0x00, 0x00, 0x00, 0xFF}, {0x99, 0x3E, 0x3E, 0xFF}, {0x3E, 0x99, 0x3E, 0xFF}, {0x99, 0x99, 0x3E, 0xFF},
	{0x3E, 0x3E, 0x99, 0xFF}, {0x99, 0x3E, 0x99, 0xFF}, {0x3E, 0x99, 0x99, 0xFF}, {0x99, 0x99, 0x99, 0xFF},
	{0x3E, 0x3E, 0x3E, 0xFF}, {0xFF, 0x67, 0x67, 0xFF}, {0x67, 0xFF, 0x67, 0xFF}, {0xFF, 0xFF, 0x67, 0xFF},
	{0x67, 0x67, 0xFF, 0xFF}, {0xFF, 0x67, 0xFF, 0xFF}, {0x67, 0xFF, 0xFF, 0xFF}, {0xFF, 0xFF, 0xFF, 0xFF},
}

// defaultPalette returns guacd's palette: 16 base colours, the xterm 6×6×6
// cube and the 24-step grey ramp.
func defaultPalette() [256]color.RGBA {
	var p [256]color.RGBA
	copy(p[:], basePalette[:])
	levels := [6]uint8{0, 95, 135, 175, 215, 255}
	for i := range 216 {
		p[16+i] = color.RGBA{levels[i/36], levels[i/6%6], levels[i%6], 0xFF}
	}
	for i := range 24 {
		v := uint8(8 + 10*i)
		p[232+i] = color.RGBA{v, v, v, 0xFF}
	}
	return p
}

// DefaultScheme is guacd's "gray-black".
func DefaultScheme() Scheme {
	s := Scheme{Palette: defaultPalette()}
	s.FG, s.BG = s.Palette[7], s.Palette[0]
	s.base = s.Palette
	return s
}

// Named schemes accepted by ParseScheme, as guacd defines them.
var namedSchemes = map[string]string{
	"gray-black":  "foreground:color7;background:color0",
	"black-white": "foreground:color0;background:color15",
	"green-black": "foreground:color2;background:color0",
	"white-black": "foreground:color15;background:color0",
}

// ParseScheme parses guacd's `color-scheme` parameter: empty or a scheme
// name, or `;`-separated `name:value` pairs where name is foreground,
// background or colorN and value is an X11 colour name, colorN,
// rgb:h/h/h (1–4 hex digits per component) or #rrggbb.
func ParseScheme(spec string) (Scheme, error) {
	s := DefaultScheme()
	spec = strings.TrimSpace(spec)
	if n, ok := namedSchemes[spec]; ok {
		spec = n
	}
	for pair := range strings.SplitSeq(spec, ";") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		name, value, ok := strings.Cut(pair, ":")
		if !ok {
			return DefaultScheme(), fmt.Errorf("term: color scheme: expecting colon in %q", pair)
		}
		c, err := s.parseColor(strings.TrimSpace(value))
		if err != nil {
			return DefaultScheme(), err
		}
		switch name = strings.ToLower(strings.TrimSpace(name)); {
		case name == "foreground":
			s.FG = c
		case name == "background":
			s.BG = c
		case strings.HasPrefix(name, "color"):
			i, err := strconv.Atoi(name[5:])
			if err != nil || i < 0 || i > 255 {
				return DefaultScheme(), fmt.Errorf("term: color scheme: bad palette index in %q", name)
			}
			s.Palette[i] = c
		default:
			return DefaultScheme(), fmt.Errorf("term: color scheme: unknown name %q", name)
		}
	}
	s.base = s.Palette
	return s, nil
}

// parseColor parses one colour value in the context of s's palette.
func (s *Scheme) parseColor(v string) (color.RGBA, error) {
	lv := strings.ToLower(v)
	if i, ok := strings.CutPrefix(lv, "color"); ok {
		n, err := strconv.Atoi(i)
		if err != nil || n < 0 || n > 255 {
			return color.RGBA{}, fmt.Errorf("term: bad palette reference %q", v)
		}
		return s.Palette[n], nil
	}
	if c, ok := parseRGBSpec(lv); ok {
		return c, nil
	}
	if c, ok := x11Colors[strings.ReplaceAll(lv, " ", "")]; ok {
		return c, nil
	}
	return color.RGBA{}, fmt.Errorf("term: unknown colour %q", v)
}

// parseRGBSpec parses the X11 forms rgb:h/h/h … rgb:hhhh/hhhh/hhhh and
// #rgb / #rrggbb.
func parseRGBSpec(v string) (color.RGBA, bool) {
	var parts []string
	switch {
	case strings.HasPrefix(v, "rgb:"):
		parts = strings.Split(v[4:], "/")
	case strings.HasPrefix(v, "#") && (len(v) == 4 || len(v) == 7):
		k := (len(v) - 1) / 3
		parts = []string{v[1 : 1+k], v[1+k : 1+2*k], v[1+2*k:]}
	default:
		return color.RGBA{}, false
	}
	if len(parts) != 3 {
		return color.RGBA{}, false
	}
	var out [3]uint8
	for i, p := range parts {
		if len(p) < 1 || len(p) > 4 {
			return color.RGBA{}, false
		}
		n, err := strconv.ParseUint(p, 16, 16)
		if err != nil {
			return color.RGBA{}, false
		}
		// Scale an n-digit value to 8 bits: h → hh, hhh/hhhh → top byte.
		maxV := uint64(1)<<(4*len(p)) - 1
		out[i] = uint8((n*255 + maxV/2) / maxV)
	}
	return color.RGBA{out[0], out[1], out[2], 0xFF}, true
}

// setPaletteSpec applies an OSC 4 body "n;spec[;n;spec…]" and reports
// whether anything changed. Queries ("?") are ignored.
func (s *Scheme) setPaletteSpec(body string) bool {
	fields := strings.Split(body, ";")
	changed := false
	for i := 0; i+1 < len(fields); i += 2 {
		n, err := strconv.Atoi(fields[i])
		if err != nil || n < 0 || n > 255 {
			continue
		}
		if c, err := s.parseColor(fields[i+1]); err == nil {
			s.Palette[n] = c
			changed = true
		}
	}
	return changed
}

// Resolve returns the colours a cell is drawn with: bold brightens the
// eight base colours (as guacd does), faint halves the foreground toward
// the background, inverse swaps, conceal hides the text.
func (s *Scheme) Resolve(c Cell) (fg, bg color.RGBA) {
	fg = s.lookup(c.FG, s.FG, c.Attr&AttrBold != 0)
	bg = s.lookup(c.BG, s.BG, false)
	if c.Attr&AttrFaint != 0 {
		fg = color.RGBA{avg(fg.R, bg.R), avg(fg.G, bg.G), avg(fg.B, bg.B), 0xFF}
	}
	if c.Attr&AttrInverse != 0 {
		fg, bg = bg, fg
	}
	if c.Attr&AttrConceal != 0 {
		fg = bg
	}
	return fg, bg
}

func avg(a, b uint8) uint8 { return uint8((uint16(a) + uint16(b)) / 2) }

func (s *Scheme) lookup(c Color, def color.RGBA, bright bool) color.RGBA {
	if i, ok := c.Index(); ok {
		if bright && i < 8 {
			i += 8
		}
		return s.Palette[i]
	}
	if r, g, b, ok := c.RGB(); ok {
		return color.RGBA{r, g, b, 0xFF}
	}
	return def
}

// x11Colors is a subset of X11's rgb.txt: the names people actually put in
// colour schemes. Keys are lower case without spaces.
var x11Colors = map[string]color.RGBA{
	"black": {0, 0, 0, 255}, "white": {255, 255, 255, 255}, "red": {255, 0, 0, 255},
	"green": {0, 255, 0, 255}, "blue": {0, 0, 255, 255}, "yellow": {255, 255, 0, 255},
	"cyan": {0, 255, 255, 255}, "magenta": {255, 0, 255, 255}, "gray": {190, 190, 190, 255},
	"grey": {190, 190, 190, 255}, "darkgray": {169, 169, 169, 255}, "darkgrey": {169, 169, 169, 255},
	"lightgray": {211, 211, 211, 255}, "lightgrey": {211, 211, 211, 255}, "dimgray": {105, 105, 105, 255},
	"dimgrey": {105, 105, 105, 255}, "slategray": {112, 128, 144, 255}, "orange": {255, 165, 0, 255},
	"darkorange": {255, 140, 0, 255}, "purple": {160, 32, 240, 255}, "brown": {165, 42, 42, 255},
	"pink": {255, 192, 203, 255}, "navy": {0, 0, 128, 255}, "navyblue": {0, 0, 128, 255},
	"maroon": {176, 48, 96, 255}, "olive": {128, 128, 0, 255}, "teal": {0, 128, 128, 255},
	"silver": {192, 192, 192, 255}, "gold": {255, 215, 0, 255}, "violet": {238, 130, 238, 255},
	"darkred": {139, 0, 0, 255}, "darkgreen": {0, 100, 0, 255}, "darkblue": {0, 0, 139, 255},
	"darkcyan": {0, 139, 139, 255}, "darkmagenta": {139, 0, 139, 255}, "lightblue": {173, 216, 230, 255},
	"lightgreen": {144, 238, 144, 255}, "lightyellow": {255, 255, 224, 255}, "lightcyan": {224, 255, 255, 255},
	"skyblue": {135, 206, 235, 255}, "steelblue": {70, 130, 180, 255}, "royalblue": {65, 105, 225, 255},
	"forestgreen": {34, 139, 34, 255}, "seagreen": {46, 139, 87, 255}, "limegreen": {50, 205, 50, 255},
	"salmon": {250, 128, 114, 255}, "coral": {255, 127, 80, 255}, "tomato": {255, 99, 71, 255},
	"orchid": {218, 112, 214, 255}, "plum": {221, 160, 221, 255}, "tan": {210, 180, 140, 255},
	"khaki": {240, 230, 140, 255}, "beige": {245, 245, 220, 255}, "ivory": {255, 255, 240, 255},
	"wheat": {245, 222, 179, 255}, "turquoise": {64, 224, 208, 255}, "aquamarine": {127, 255, 212, 255},
	"chartreuse": {127, 255, 0, 255}, "crimson": {220, 20, 60, 255}, "indigo": {75, 0, 130, 255},
	"midnightblue": {25, 25, 112, 255}, "darkslategray": {47, 79, 79, 255}, "darkslategrey": {47, 79, 79, 255},
	"whitesmoke": {245, 245, 245, 255}, "gainsboro": {220, 220, 220, 255}, "snow": {255, 250, 250, 255},
}
