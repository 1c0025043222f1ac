package rfb

import (
	"fmt"
	"image"
	"io"
)

// Hextile sub-encoding bits.
const (
	hexRaw             = 1
	hexBackground      = 2
	hexForeground      = 4
	hexAnySubrects     = 8
	hexSubrectsColored = 16
)

// hextile decodes a Hextile rectangle: 16×16 tiles, each raw or a
// background plus sub-rectangles. Background and foreground carry over
// from tile to tile.
func (c *Client) hextile(r image.Rectangle) error {
	size := c.cv.size
	var bg, fg uint32 = alpha, alpha
	for ty := r.Min.Y; ty < r.Max.Y; ty += 16 {
		for tx := r.Min.X; tx < r.Max.X; tx += 16 {
			t := image.Rect(tx, ty, min(tx+16, r.Max.X), min(ty+16, r.Max.Y))
			sub, err := c.br.ReadByte()
			if err != nil {
				return fmt.Errorf("rfb: read Hextile tile: %w", err)
			}
			if sub&hexRaw != 0 {
				if err := c.raw(t); err != nil {
					return err
				}
				continue
			}
			// Read the fixed part of the tile header at once.
			n := 0
			if sub&hexBackground != 0 {
				n += size
			}
			if sub&hexForeground != 0 {
				n += size
			}
			if sub&hexAnySubrects != 0 {
				n++
			}
			hdr := c.buf(n)
			if _, err := io.ReadFull(c.br, hdr); err != nil {
				return fmt.Errorf("rfb: read Hextile tile: %w", err)
			}
			if sub&hexBackground != 0 {
				bg = c.cv.pixel(hdr)
				hdr = hdr[size:]
			}
			if sub&hexForeground != 0 {
				fg = c.cv.pixel(hdr)
				hdr = hdr[size:]
			}
			fillRect(c.fb, t, bg)
			if sub&hexAnySubrects == 0 {
				continue
			}
			count := int(hdr[0])
			each := 2
			if sub&hexSubrectsColored != 0 {
				each += size
			}
			data := c.buf(count * each)
			if _, err := io.ReadFull(c.br, data); err != nil {
				return fmt.Errorf("rfb: read Hextile subrects: %w", err)
			}
			for i := 0; i < count; i++ {
				d := data[i*each:]
				col := fg
				if sub&hexSubrectsColored != 0 {
					col = c.cv.pixel(d)
					d = d[size:]
				}
				sx, sy := int(d[0]>>4), int(d[0]&15)
				sw, sh := int(d[1]>>4)+1, int(d[1]&15)+1
				sr := image.Rect(tx+sx, ty+sy, tx+sx+sw, ty+sy+sh)
				if !sr.In(t) {
					return protoErr("Hextile subrect %v outside tile %v", sr, t)
				}
				fillRect(c.fb, sr, col)
			}
		}
	}
	return nil
}
