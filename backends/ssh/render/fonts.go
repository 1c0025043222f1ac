package render

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/gomonobolditalic"
	"golang.org/x/image/font/gofont/gomonoitalic"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
)

// style indexes the four faces of a family.
type style uint8

const (
	styleRegular style = iota
	styleBold
	styleItalic
	styleBoldItalic
)

// fontDirs is where fonts are looked up by family name (no fontconfig).
var fontDirs = []string{"/usr/share/fonts", "/usr/local/share/fonts"}

// fallbackFiles are tried, in order, for runes the main font lacks. They
// come from the Debian packages fonts-dejavu-core and fonts-noto-cjk; any
// that are missing are simply skipped.
var fallbackFiles = []string{
	"/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
	"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
}

// parsed fonts are shared by all renderers: sfnt.Font is read-only and
// each Face brings its own buffer.
var (
	goMono     [4]*sfnt.Font
	goMonoOnce sync.Once
	goMonoErr  error

	fileFonts   = map[string]*sfnt.Font{}
	fileFontsMu sync.Mutex
)

func goMonoFonts() ([4]*sfnt.Font, error) {
	goMonoOnce.Do(func() {
		for i, ttf := range [][]byte{gomono.TTF, gomonobold.TTF, gomonoitalic.TTF, gomonobolditalic.TTF} {
			goMono[i], goMonoErr = opentype.Parse(ttf)
			if goMonoErr != nil {
				goMonoErr = fmt.Errorf("render: parsing Go Mono: %w", goMonoErr)
				return
			}
		}
	})
	return goMono, goMonoErr
}

// bigFont is the size above which a font file is parsed through an open
// file (sfnt reads tables on demand) instead of being held in memory; the
// CJK collections are ~20 MB.
const bigFont = 4 << 20

// loadFile parses the first font of a .ttf/.otf/.ttc file, caching the
// result (including failures, as nil) for the life of the process.
func loadFile(path string) *sfnt.Font {
	fileFontsMu.Lock()
	defer fileFontsMu.Unlock()
	if f, ok := fileFonts[path]; ok {
		return f
	}
	var f *sfnt.Font
	if info, err := os.Stat(path); err == nil && info.Size() > bigFont {
		f = openBig(path)
	} else if data, err := os.ReadFile(path); err == nil {
		f = parseFirst(data)
	}
	fileFonts[path] = f
	return f
}

// openBig parses a large font through its file, which stays open because
// the cached font keeps reading from it.
func openBig(path string) *sfnt.Font {
	file, err := os.Open(path)
	if err != nil {
		return nil
	}
	var magic [4]byte
	var f *sfnt.Font
	if _, err := file.ReadAt(magic[:], 0); err == nil && string(magic[:]) == "ttcf" {
		if c, err := opentype.ParseCollectionReaderAt(file); err == nil && c.NumFonts() > 0 {
			f, _ = c.Font(0)
		}
	} else {
		f, _ = opentype.ParseReaderAt(file)
	}
	if f == nil {
		file.Close()
	}
	return f
}

func parseFirst(data []byte) *sfnt.Font {
	if bytes.HasPrefix(data, []byte("ttcf")) {
		c, err := opentype.ParseCollection(data)
		if err != nil || c.NumFonts() == 0 {
			return nil
		}
		f, err := c.Font(0)
		if err != nil {
			return nil
		}
		return f
	}
	f, err := opentype.Parse(data)
	if err != nil {
		return nil
	}
	return f
}

// fontIndexEntry is one installed font file.
type fontIndexEntry struct {
	path      string
	family    string // lower case
	subfamily string // lower case: regular, bold, italic, oblique, …
}

var (
	fontIndex     []fontIndexEntry
	fontIndexOnce sync.Once
)

// maxIndexedFile skips huge files (CJK collections) when indexing names:
// reading them all would make the first custom font-name lookup slow.
const maxIndexedFile = 16 << 20

func installedFonts() []fontIndexEntry {
	fontIndexOnce.Do(func() {
		var b sfnt.Buffer
		for _, dir := range fontDirs {
			_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return nil
				}
				ext := strings.ToLower(filepath.Ext(path))
				if ext != ".ttf" && ext != ".otf" && ext != ".ttc" {
					return nil
				}
				if info, err := d.Info(); err != nil || info.Size() > maxIndexedFile {
					return nil
				}
				// Parsed just for the names and dropped: only fonts that are
				// used get cached by loadFile.
				data, err := os.ReadFile(path)
				if err != nil {
					return nil
				}
				f := parseFirst(data)
				if f == nil {
					return nil
				}
				fam, _ := f.Name(&b, sfnt.NameIDFamily)
				sub, _ := f.Name(&b, sfnt.NameIDSubfamily)
				fontIndex = append(fontIndex, fontIndexEntry{path, strings.ToLower(fam), strings.ToLower(sub)})
				return nil
			})
		}
	})
	return fontIndex
}

// isDefaultFont reports whether name selects the built-in Go Mono.
func isDefaultFont(name string) bool {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "monospace", "go mono", "gomono", "mono":
		return true
	}
	return false
}

// findFamily returns the four styles of an installed family, using the
// regular face where a style is missing; ok is false if the family is not
// installed.
func findFamily(name string) (fonts [4]*sfnt.Font, ok bool) {
	want := strings.ToLower(strings.TrimSpace(name))
	for _, e := range installedFonts() {
		if e.family != want {
			continue
		}
		s := styleRegular
		bold := strings.Contains(e.subfamily, "bold")
		italic := strings.Contains(e.subfamily, "italic") || strings.Contains(e.subfamily, "oblique")
		switch {
		case bold && italic:
			s = styleBoldItalic
		case bold:
			s = styleBold
		case italic:
			s = styleItalic
		case e.subfamily != "regular" && e.subfamily != "book" && fonts[styleRegular] != nil:
			continue // light, condensed, … only if nothing better
		}
		if fonts[s] == nil || e.subfamily == "regular" || e.subfamily == "book" {
			fonts[s] = loadFile(e.path)
		}
	}
	if fonts[styleRegular] == nil {
		for _, f := range fonts {
			if f != nil {
				fonts[styleRegular] = f
				break
			}
		}
	}
	if fonts[styleRegular] == nil {
		return fonts, false
	}
	for i := range fonts {
		if fonts[i] == nil {
			fonts[i] = fonts[styleRegular]
		}
	}
	return fonts, true
}

// faceSet is a renderer's sized faces: the main family plus the fallbacks
// loaded so far (each only once an earlier one lacked a glyph).
type faceSet struct {
	main      [4]font.Face
	mainFonts [4]*sfnt.Font
	fallback  []font.Face
	fbFonts   []*sfnt.Font
	fbNext    int // next entry of fallbackFiles to try loading
	size, dpi float64
	buf       sfnt.Buffer
}

func newFaceSet(name string, size, dpi float64) (*faceSet, error) {
	fonts, err := goMonoFonts()
	if err != nil {
		return nil, err
	}
	if !isDefaultFont(name) {
		if f, ok := findFamily(name); ok {
			fonts = f
		}
		// Unknown families fall back to Go Mono, as fontconfig would pick
		// some monospace font for guacd.
	}
	fs := &faceSet{mainFonts: fonts, size: size, dpi: dpi}
	for i, f := range fonts {
		face, err := fs.newFace(f)
		if err != nil {
			return nil, err
		}
		fs.main[i] = face
	}
	return fs, nil
}

func (fs *faceSet) newFace(f *sfnt.Font) (font.Face, error) {
	face, err := opentype.NewFace(f, &opentype.FaceOptions{Size: fs.size, DPI: fs.dpi, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("render: font face: %w", err)
	}
	return face, nil
}

func (fs *faceSet) has(f *sfnt.Font, r rune) bool {
	i, err := f.GlyphIndex(&fs.buf, r)
	return err == nil && i != 0
}

// faceFor returns the face to draw r in style s: the main face when it has
// the glyph, else the first fallback that does, else the main face (which
// draws its .notdef box).
func (fs *faceSet) faceFor(r rune, s style) font.Face {
	if fs.has(fs.mainFonts[s], r) {
		return fs.main[s]
	}
	for i, f := range fs.fbFonts {
		if fs.has(f, r) {
			return fs.fallback[i]
		}
	}
	for fs.fbNext < len(fallbackFiles) {
		f := loadFile(fallbackFiles[fs.fbNext])
		fs.fbNext++
		if f == nil {
			continue
		}
		face, err := fs.newFace(f)
		if err != nil {
			continue
		}
		fs.fbFonts = append(fs.fbFonts, f)
		fs.fallback = append(fs.fallback, face)
		if fs.has(f, r) {
			return face
		}
	}
	return fs.main[s]
}
