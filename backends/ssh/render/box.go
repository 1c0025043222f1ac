package render

import (
	"image"
	"image/color"
)

// Box drawing and block elements are drawn procedurally rather than from
// the font, so lines meet exactly at cell edges whatever the cell size
// (font glyphs leave gaps when the cell is taller than the font's design).

// boxArms gives, for U+2500–U+257F, the weight of the arm toward each
// edge as four digits up, right, down, left: 0 none, 1 light, 2 heavy,
// 3 double. Dashed variants are drawn solid. A space marks characters
// left to the font (diagonals).
var boxArms = [128]string{
	"0101", "0202", "1010", "2020", "0101", "0202", "1010", "2020", // 2500
	"0101", "0202", "1010", "2020", "0110", "0210", "0120", "0220", // 2508
	"0011", "0012", "0021", "0022", "1100", "1200", "2100", "2200", // 2510
	"1001", "1002", "2001", "2002", "1110", "1210", "2110", "1120", // 2518
	"2120", "2210", "1220", "2220", "1011", "1012", "2011", "1021", // 2520
	"2021", "2012", "1022", "2022", "0111", "0112", "0211", "0212", // 2528
	"0121", "0122", "0221", "0222", "1101", "1102", "1201", "1202", // 2530
	"2101", "2102", "2201", "2202", "1111", "1112", "1211", "1212", // 2538
	"2111", "1121", "2121", "2112", "2211", "1122", "1221", "2212", // 2540
	"1222", "2122", "2221", "2222", "0101", "0202", "1010", "2020", // 2548
	"0303", "3030", "0310", "0130", "0330", "0013", "0031", "0033", // 2550
	"1300", "3100", "3300", "1003", "3001", "3003", "1310", "3130", // 2558
	"3330", "1013", "3031", "3033", "0313", "0131", "0333", "1303", // 2560
	"3101", "3303", "1313", "3131", "3333", "0110", "0011", "1001", // 2568
	"1100", "    ", "    ", "    ", "0001", "1000", "0100", "0010", // 2570
	"0002", "2000", "0200", "0020", "0201", "1020", "0102", "2010", // 2578
}

// drawBox draws r into m if it is a box-drawing or block character and
// reports whether it did.
func drawBox(m *image.Alpha, r rune) bool {
	switch {
	case r >= 0x2500 && r <= 0x257F && boxArms[r-0x2500][0] != ' ':
		drawArms(m, boxArms[r-0x2500])
		return true
	case r >= 0x2580 && r <= 0x259F:
		drawBlock(m, r)
		return true
	}
	return false
}

func drawArms(m *image.Alpha, arms string) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	light := max(w/9, 1)
	heavy := light*2 + 1
	gap := light + 1 // half the distance between the strokes of a double line
	cx, cy := w/2, h/2
	thick := func(a byte) int {
		if a == '2' {
			return heavy
		}
		return light
	}
	// How far arms reach past the centre so perpendicular strokes join.
	reachH, reachV := 0, 0
	for i, a := range []byte(arms) {
		ext := thick(a) / 2
		if a == '3' {
			ext = gap + light/2
		}
		if a == '0' {
			continue
		}
		if i%2 == 0 {
			reachH = max(reachH, ext) // vertical arm: horizontal arms must reach it
		} else {
			reachV = max(reachV, ext)
		}
	}
	on := color.Alpha{0xFF}
	fill := func(x0, y0, x1, y1 int) {
		for y := max(y0, 0); y < min(y1, h); y++ {
			for x := max(x0, 0); x < min(x1, w); x++ {
				m.SetAlpha(x, y, on)
			}
		}
	}
	vert := func(x, t, y0, y1 int) { fill(x-t/2, y0, x-t/2+t, y1) }
	horz := func(y, t, x0, x1 int) { fill(x0, y-t/2, x1, y-t/2+t) }
	for i, a := range []byte(arms) {
		if a == '0' {
			continue
		}
		var offs []int
		t := thick(a)
		if a == '3' {
			offs = []int{-gap, gap}
		} else {
			offs = []int{0}
		}
		for _, o := range offs {
			switch i {
			case 0: // up
				vert(cx+o, t, 0, cy+reachV+1)
			case 1: // right
				horz(cy+o, t, cx-reachH, w)
			case 2: // down
				vert(cx+o, t, cy-reachV, h)
			case 3: // left
				horz(cy+o, t, 0, cx+reachH+1)
			}
		}
	}
}

// drawBlock draws the block elements U+2580–U+259F.
func drawBlock(m *image.Alpha, r rune) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	fill := func(x0, y0, x1, y1 int, a uint8) {
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				m.SetAlpha(x, y, color.Alpha{a})
			}
		}
	}
	eighthH := func(n int) int { return (h*n + 4) / 8 }
	eighthW := func(n int) int { return (w*n + 4) / 8 }
	switch {
	case r == 0x2580:
		fill(0, 0, w, h/2, 0xFF)
	case r >= 0x2581 && r <= 0x2588: // lower n/8
		fill(0, h-eighthH(int(r-0x2580)), w, h, 0xFF)
	case r >= 0x2589 && r <= 0x258F: // left (8-k)/8
		fill(0, 0, eighthW(8-int(r-0x2588)), h, 0xFF)
	case r == 0x2590:
		fill(w/2, 0, w, h, 0xFF)
	case r >= 0x2591 && r <= 0x2593: // shades, as flat coverage
		fill(0, 0, w, h, uint8(0x40*(r-0x2590)))
	case r == 0x2594:
		fill(0, 0, w, eighthH(1), 0xFF)
	case r == 0x2595:
		fill(w-eighthW(1), 0, w, h, 0xFF)
	default: // quadrants 2596–259F: bits UL, UR, LL, LR
		q := [10]uint8{0b0010, 0b0001, 0b1000, 0b1011, 0b1001, 0b1110, 0b1101, 0b0100, 0b0110, 0b0111}[r-0x2596]
		if q&0b1000 != 0 {
			fill(0, 0, w/2, h/2, 0xFF)
		}
		if q&0b0100 != 0 {
			fill(w/2, 0, w, h/2, 0xFF)
		}
		if q&0b0010 != 0 {
			fill(0, h/2, w/2, h, 0xFF)
		}
		if q&0b0001 != 0 {
			fill(w/2, h/2, w, h, 0xFF)
		}
	}
}
