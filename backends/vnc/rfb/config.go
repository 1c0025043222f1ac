package rfb

import (
	"crypto/tls"
	"fmt"
	"strings"
)

// Encoding numbers (RFB "encoding-type", signed 32-bit).
const (
	encRaw                 int32 = 0
	encCopyRect            int32 = 1
	encHextile             int32 = 5
	encTight               int32 = 7
	encZRLE                int32 = 16
	encCursor              int32 = -239
	encDesktopSize         int32 = -223
	encLastRect            int32 = -224
	encExtendedDesktopSize int32 = -308
	encQualityLevel0       int32 = -32  // quality 0..9 → -32..-23
	encCompressLevel0      int32 = -256 // compress 0..9 → -256..-247
)

// encodingNames maps guacd's `encodings` parameter words (libvncclient
// names) to encoding numbers. Names libvncclient knows but we do not decode
// (zlib, ultra, corre, rre, zywrle, tightpng) are absent and ignored.
var encodingNames = map[string]int32{
	"raw":                   encRaw,
	"copyrect":              encCopyRect,
	"hextile":               encHextile,
	"tight":                 encTight,
	"zrle":                  encZRLE,
	"cursor":                encCursor,
	"desktop-size":          encDesktopSize,
	"newfbsize":             encDesktopSize,
	"extended-desktop-size": encExtendedDesktopSize,
	"last-rect":             encLastRect,
	"lastrect":              encLastRect,
}

var defaultEncodings = []int32{encTight, encZRLE, encHextile, encCopyRect, encRaw}

var defaultPseudo = []int32{encCursor, encDesktopSize, encExtendedDesktopSize, encLastRect}

// Config configures a Client. The zero value connects with no credentials,
// 32-bit colour, the default encoding order and a shared session.
type Config struct {
	// Password is used for VNC Authentication and VeNCrypt *Vnc/*Plain.
	Password string
	// Username is used for VeNCrypt *Plain.
	Username string
	// Encodings lists encoding names in preference order, as in guacd's
	// `encodings` parameter ("tight", "zrle", "hextile", "copyrect", "raw",
	// and pseudo-encodings "cursor", "desktop-size",
	// "extended-desktop-size", "last-rect"). Unknown names are ignored, as
	// libvncclient does. nil means Tight, ZRLE, Hextile, CopyRect, Raw. When
	// no pseudo-encoding is named, Cursor, DesktopSize,
	// ExtendedDesktopSize and LastRect are added.
	Encodings []string
	// NoCursor leaves out the Cursor pseudo-encoding so the server draws
	// the pointer into the framebuffer (guacd's cursor=remote).
	NoCursor bool
	// ColorDepth is 8 (bgr233), 16 (rgb565), 24 or 32; 0 means 32.
	ColorDepth int
	// SwapRedBlue swaps the red and blue channels of everything shown.
	SwapRedBlue bool
	// TLSConfig is used for the VeNCrypt X509* sub-types (the TLS* ones
	// are anonymous: package anontls). nil means InsecureSkipVerify, as
	// guacd/libvncclient do not verify either.
	TLSConfig *tls.Config
	// Exclusive clears the ClientInit shared flag (other viewers are
	// disconnected). The default is a shared session.
	Exclusive bool
	// QualityLevel and CompressLevel (0..9, guacd's quality-level and
	// compress-level) add the Tight quality and compression
	// pseudo-encodings. nil, or a negative level, keeps the server default;
	// pointers because 0 is a valid level.
	QualityLevel, CompressLevel *int
	// DisableServerInput asks the server to ignore its local keyboard and
	// mouse (UltraVNC SetServerInput, guacd's disable-server-input). It
	// adds the SupportedMessages pseudo-encoding, and the request is sent
	// only if the server's answer lists SetServerInput.
	DisableServerInput bool
}

// encodingList resolves the configured encodings to wire numbers.
func (c *Config) encodingList() ([]int32, error) {
	var real, pseudo []int32
	if c.Encodings == nil {
		real = append(real, defaultEncodings...)
	}
	for _, name := range c.Encodings {
		for _, w := range strings.Fields(name) {
			e, ok := encodingNames[strings.ToLower(w)]
			if !ok {
				continue
			}
			if e < 0 {
				pseudo = append(pseudo, e)
			} else {
				real = append(real, e)
			}
		}
	}
	if len(real) == 0 {
		real = append(real, encRaw)
	}
	if len(pseudo) == 0 {
		pseudo = append(pseudo, defaultPseudo...)
	}
	out := real
	for _, e := range pseudo {
		if e == encCursor && c.NoCursor {
			continue
		}
		out = append(out, e)
	}
	if c.DisableServerInput {
		out = append(out, encSupportedMessages)
	}
	if q := c.QualityLevel; q != nil && *q >= 0 {
		if *q > 9 {
			return nil, fmt.Errorf("rfb: quality level %d out of range 0..9", *q)
		}
		out = append(out, encQualityLevel0+int32(*q))
	}
	if l := c.CompressLevel; l != nil && *l >= 0 {
		if *l > 9 {
			return nil, fmt.Errorf("rfb: compress level %d out of range 0..9", *l)
		}
		out = append(out, encCompressLevel0+int32(*l))
	}
	return out, nil
}
