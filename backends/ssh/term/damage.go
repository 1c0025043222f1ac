package term

// ScrollOp reports that rows Top..Bottom (inclusive, screen rows) moved up
// by Lines rows (down when negative). A renderer that applies the ops in
// order to its previous frame, by copying pixels, and then redraws the rows
// marked in Damage, ends up with the current screen. |Lines| ≥ the region
// height means the whole region was replaced; the copy can be skipped.
type ScrollOp struct {
	Top, Bottom int
	Lines       int
}

// Damage returns, per view row, whether the row changed since the last
// ClearDamage (after the ScrollOps are applied). The slice is owned by the
// terminal.
func (t *Terminal) Damage() []bool { return t.damage }

// ScrollOps returns the region scrolls since the last ClearDamage, oldest
// first. Consecutive scrolls of the same region in the same direction are
// merged. The slice is owned by the terminal.
func (t *Terminal) ScrollOps() []ScrollOp { return t.ops }

// ClearDamage forgets damage and scroll ops; call it after rendering.
func (t *Terminal) ClearDamage() {
	clear(t.damage)
	t.ops = t.ops[:0]
}

// DamageAll marks every row for redraw (e.g. after a font change).
func (t *Terminal) DamageAll() { t.damageAll() }

func (t *Terminal) damageAll() {
	for i := range t.damage {
		t.damage[i] = true
	}
}

// damageRow marks screen row y, which a scrolled-back view shows view
// rows lower (or not at all).
func (t *Terminal) damageRow(y int) {
	if v := y + t.view; v < t.rows {
		t.damage[v] = true
	}
}

// noteScroll records a scroll of the visible rows top..bot by n.
func (t *Terminal) noteScroll(top, bot, n int) {
	h := bot - top + 1
	if k := len(t.ops); k > 0 {
		o := &t.ops[k-1]
		if o.Top == top && o.Bottom == bot && (o.Lines > 0) == (n > 0) {
			o.Lines = max(min(o.Lines+n, h), -h)
			return
		}
	}
	// Bound the list: a pathological stream alternating regions should not
	// grow memory without limit; past that, just repaint.
	if len(t.ops) >= 64 {
		t.ops = t.ops[:0]
		t.damageAll()
		return
	}
	t.ops = append(t.ops, ScrollOp{Top: top, Bottom: bot, Lines: max(min(n, h), -h)})
}

// shiftDamage moves damage flags with their rows for a scroll of rows
// top..bot by n (up when positive) and damages the exposed rows.
func (t *Terminal) shiftDamage(top, bot, n int) {
	d := t.damage
	h := bot - top + 1
	switch {
	case n >= h || -n >= h:
		for y := top; y <= bot; y++ {
			d[y] = true
		}
	case n > 0:
		copy(d[top:bot+1-n], d[top+n:bot+1])
		for y := bot + 1 - n; y <= bot; y++ {
			d[y] = true
		}
	case n < 0:
		copy(d[top-n:bot+1], d[top:bot+1+n])
		for y := top; y < top-n; y++ {
			d[y] = true
		}
	}
}
