package ssh

import (
	"log/slog"
	"strconv"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/backends/sftp"
	"github.com/goguacd/goguacd/backends/ssh/term"
	"github.com/goguacd/goguacd/backends/wol"
)

// Every guacd SSH parameter is acted on: recording-* and read-only by the
// tunnel core, public-key is not needed because the public half is derived
// from private-key.

// settings are the parsed connection parameters.
type settings struct {
	client sftp.DialConfig

	fontName    string
	fontSize    float64
	schemeSpec  string
	scheme      term.Scheme
	command     string
	termType    string
	backspace   byte
	scrollback  int
	locale      string
	timezone    string
	disableCopy bool
	noPaste     bool

	sftp       sftpSettings
	typescript typescriptSettings
	wol        *wol.Settings // nil: no Wake-on-LAN packet
}

// sftpSettings are guacd's enable-sftp and sftp-* parameters.
type sftpSettings struct {
	enable          bool
	root            string
	disableDownload bool
	disableUpload   bool
}

// typescriptSettings are guacd's typescript-* parameters.
type typescriptSettings struct {
	path          string
	name          string
	create        bool
	writeExisting bool
}

// settingsFrom reads p with guacd's defaults; the handshake timezone is
// the default for `timezone`. Bad values are logged and replaced by the
// default, as guacd does.
func settingsFrom(p backends.Params, info backends.ClientInfo, log *slog.Logger) settings {
	s := settings{
		client:      clientConfigFrom(p),
		fontName:    p.String("font-name", "monospace"),
		fontSize:    12,
		schemeSpec:  p.String("color-scheme", ""),
		command:     p.String("command", ""),
		termType:    p.String("terminal-type", "linux"),
		backspace:   127,
		scrollback:  p.Int("scrollback", term.DefaultScrollback),
		locale:      p.String("locale", ""),
		timezone:    p.String("timezone", info.Timezone),
		disableCopy: p.Bool("disable-copy", false),
		noPaste:     p.Bool("disable-paste", false),
		sftp: sftpSettings{
			enable:          p.Bool("enable-sftp", false),
			root:            p.String("sftp-root-directory", "/"),
			disableDownload: p.Bool("sftp-disable-download", false),
			disableUpload:   p.Bool("sftp-disable-upload", false),
		},
		typescript: typescriptSettings{
			path:          p.String("typescript-path", ""),
			name:          p.String("typescript-name", "typescript"),
			create:        p.Bool("create-typescript-path", false),
			writeExisting: p.Bool("typescript-write-existing", false),
		},
	}
	if v, err := strconv.ParseFloat(p.String("font-size", "12"), 64); err == nil && v > 0 && v <= 256 {
		s.fontSize = v
	} else {
		log.Warn("invalid font-size; using 12", "font-size", p["font-size"])
	}
	if v := p.Int("backspace", 127); v > 0 && v < 256 {
		s.backspace = byte(v)
	}
	var err error
	if s.scheme, err = term.ParseScheme(s.schemeSpec); err != nil {
		log.Warn("invalid color-scheme; using gray-black", "color-scheme", s.schemeSpec, "err", err)
		s.scheme = term.DefaultScheme()
	}
	if s.scrollback <= 0 {
		s.scrollback = term.DefaultScrollback
	}
	w, err := wol.FromParams(p)
	if err != nil {
		log.Warn("invalid Wake-on-LAN parameters; no packet sent", "err", err)
	}
	s.wol = w
	return s
}
