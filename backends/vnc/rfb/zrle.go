package rfb

import (
	"encoding/binary"
	"fmt"
	"image"
	"io"
)

var errZRLEShort = protoErr("ZRLE data ends inside a tile")

// zrleRect reads a ZRLE rectangle: a u32 length and a chunk of the
// connection's zlib stream holding 64×64 tiles.
func (c *Client) zrleRect(r image.Rectangle) error {
	l, err := c.next(4)
	if err != nil {
		return fmt.Errorf("rfb: read ZRLE length: %w", err)
	}
	n := binary.BigEndian.Uint32(l)
	cs := c.cv.csize
	tiles := ((r.Dx() + 63) / 64) * ((r.Dy() + 63) / 64)
	// Worst case per tile: the header, a 127-colour palette, then one
	// CPIXEL and one run byte per pixel (plain RLE of all-different pixels).
	limit := tiles*(1+127*cs) + r.Dx()*r.Dy()*(cs+1)
	// zlib expands incompressible data by well under 1%; anything far
	// larger than the limit is not a real rectangle.
	if int64(n) > int64(limit)+int64(limit)/8+1024 {
		return protoErr("ZRLE data of %d bytes for %v", n, r)
	}
	in := c.buf(int(n))
	if _, err := io.ReadFull(c.br, in); err != nil {
		return fmt.Errorf("rfb: read ZRLE data: %w", err)
	}
	data, err := c.zrle.inflate(in, limit)
	if err != nil {
		return fmt.Errorf("rfb: ZRLE: %w", err)
	}
	return c.zrleTiles(r, data)
}

// zrleTiles decodes the inflated ZRLE tile stream into r.
func (c *Client) zrleTiles(r image.Rectangle, data []byte) error {
	cs := c.cv.csize
	var palette [128]uint32
	p := 0
	for ty := r.Min.Y; ty < r.Max.Y; ty += 64 {
		for tx := r.Min.X; tx < r.Max.X; tx += 64 {
			t := image.Rect(tx, ty, min(tx+64, r.Max.X), min(ty+64, r.Max.Y))
			tw, th := t.Dx(), t.Dy()
			if p >= len(data) {
				return errZRLEShort
			}
			sub := int(data[p])
			p++
			switch {
			case sub == 0: // raw CPIXELs
				n := tw * cs
				if len(data)-p < n*th {
					return errZRLEShort
				}
				for y := 0; y < th; y++ {
					off := c.fb.PixOffset(tx, ty+y)
					c.cv.putRow(c.fb.Pix[off:], data[p:], tw, cs)
					p += n
				}
			case sub == 1: // solid
				if len(data)-p < cs {
					return errZRLEShort
				}
				fillRect(c.fb, t, c.cv.cpixel(data[p:]))
				p += cs
			case sub <= 16: // packed palette
				if len(data)-p < sub*cs {
					return errZRLEShort
				}
				for i := 0; i < sub; i++ {
					palette[i] = c.cv.cpixel(data[p:])
					p += cs
				}
				bits := 4
				switch {
				case sub == 2:
					bits = 1
				case sub <= 4:
					bits = 2
				}
				stride := (tw*bits + 7) / 8
				if len(data)-p < stride*th {
					return errZRLEShort
				}
				mask := byte(1<<bits - 1)
				for y := 0; y < th; y++ {
					row := data[p : p+stride]
					off := c.fb.PixOffset(tx, ty+y)
					dst := c.fb.Pix[off : off+tw*3]
					for x := 0; x < tw; x++ {
						bit := x * bits
						idx := (row[bit/8] >> (8 - bits - bit%8)) & mask
						if int(idx) >= sub {
							return protoErr("ZRLE palette index %d of %d", idx, sub)
						}
						putRGB(dst[x*3:], palette[idx])
					}
					p += stride
				}
			case sub == 128 || sub >= 130: // plain RLE or palette RLE
				psize := 0
				if sub >= 130 {
					psize = sub - 128
					if len(data)-p < psize*cs {
						return errZRLEShort
					}
					for i := 0; i < psize; i++ {
						palette[i] = c.cv.cpixel(data[p:])
						p += cs
					}
				}
				var err error
				if p, err = c.zrleRuns(t, data, p, palette[:psize]); err != nil {
					return err
				}
			default:
				return protoErr("ZRLE sub-encoding %d", sub)
			}
		}
	}
	return nil
}

// zrleRuns decodes the runs of an RLE tile starting at data[p]. With an
// empty palette each run is a CPIXEL; otherwise an index byte whose top
// bit says whether a run length follows.
func (c *Client) zrleRuns(t image.Rectangle, data []byte, p int, palette []uint32) (int, error) {
	cs := c.cv.csize
	tw := t.Dx()
	total := tw * t.Dy()
	for i := 0; i < total; {
		var col uint32
		run := 1
		if len(palette) == 0 {
			if len(data)-p < cs {
				return 0, errZRLEShort
			}
			col = c.cv.cpixel(data[p:])
			p += cs
			run = 0
		} else {
			if p >= len(data) {
				return 0, errZRLEShort
			}
			idx := int(data[p])
			p++
			if idx&0x80 != 0 {
				run = 0
			}
			idx &= 0x7f
			if idx >= len(palette) {
				return 0, protoErr("ZRLE palette index %d of %d", idx, len(palette))
			}
			col = palette[idx]
		}
		if run == 0 { // a run length follows: sum of bytes, 255 continues
			for {
				if p >= len(data) {
					return 0, errZRLEShort
				}
				b := data[p]
				p++
				run += int(b)
				if b != 255 {
					break
				}
				if run > total {
					return 0, protoErr("ZRLE run exceeds tile")
				}
			}
			run++
		}
		if run > total-i {
			return 0, protoErr("ZRLE run exceeds tile")
		}
		for ; run > 0; run-- {
			x, y := i%tw, i/tw
			off := c.fb.PixOffset(t.Min.X+x, t.Min.Y+y)
			// Fill the rest of this row in one go when the run covers it.
			n := min(run, tw-x)
			for j := 0; j < n; j++ {
				putRGB(c.fb.Pix[off+j*3:], col)
			}
			i += n
			run -= n - 1
		}
	}
	return p, nil
}
