package passthrough

// Parameter names Apache guacd announces in `args` for the protocols
// goguacd relays, in guacd's order (from guacamole-server's
// src/protocols/*/settings.c, RDP built with SFTP support). They only decide
// which names goguacd's own `args` offers clients: values travel upstream BY
// NAME against the list the upstream guacd actually sends, so a guacd whose
// list differs (another version, RDP built without SFTP) still receives every
// value it knows and "" (its default) for the rest.
var (
	// RDPArgs is guacd's rdp list.
	RDPArgs = []string{
		"hostname", "port", "timeout", "domain", "username", "password",
		"width", "height", "dpi", "initial-program", "color-depth",
		"disable-audio", "enable-printing", "printer-name", "enable-drive",
		"drive-name", "drive-path", "create-drive-path", "disable-download",
		"disable-upload", "console", "console-audio", "server-layout",
		"security", "ignore-cert", "cert-tofu", "cert-fingerprints",
		"disable-auth", "remote-app", "remote-app-dir", "remote-app-args",
		"static-channels", "client-name", "enable-wallpaper", "enable-theming",
		"enable-font-smoothing", "enable-full-window-drag",
		"enable-desktop-composition", "enable-menu-animations",
		"disable-bitmap-caching", "disable-offscreen-caching",
		"disable-glyph-caching", "disable-gfx", "preconnection-id",
		"preconnection-blob", "timezone",
		"enable-sftp", "sftp-hostname", "sftp-host-key", "sftp-port",
		"sftp-timeout", "sftp-username", "sftp-password", "sftp-private-key",
		"sftp-passphrase", "sftp-public-key", "sftp-directory",
		"sftp-root-directory", "sftp-server-alive-interval",
		"sftp-disable-download", "sftp-disable-upload",
		"recording-path", "recording-name", "recording-exclude-output",
		"recording-exclude-mouse", "recording-exclude-touch",
		"recording-include-keys", "create-recording-path",
		"recording-write-existing", "resize-method", "secondary-monitors",
		"enable-audio-input", "enable-touch", "read-only",
		"gateway-hostname", "gateway-port", "gateway-domain",
		"gateway-username", "gateway-password", "load-balance-info",
		"clipboard-buffer-size", "disable-copy", "disable-paste",
		"wol-send-packet", "wol-mac-addr", "wol-broadcast-addr",
		"wol-udp-port", "wol-wait-time", "force-lossless",
		"normalize-clipboard",
	}

	// TelnetArgs is guacd's telnet list.
	TelnetArgs = []string{
		"hostname", "port", "timeout", "username", "username-regex",
		"password", "password-regex", "font-name", "font-size",
		"color-scheme", "typescript-path", "typescript-name",
		"create-typescript-path", "typescript-write-existing",
		"recording-path", "recording-name", "recording-exclude-output",
		"recording-exclude-mouse", "recording-include-keys",
		"create-recording-path", "recording-write-existing", "read-only",
		"backspace", "terminal-type", "scrollback", "login-success-regex",
		"login-failure-regex", "disable-copy", "disable-paste",
		"wol-send-packet", "wol-mac-addr", "wol-broadcast-addr",
		"wol-udp-port", "wol-wait-time",
	}

	// KubernetesArgs is guacd's kubernetes list.
	KubernetesArgs = []string{
		"hostname", "port", "namespace", "pod", "container", "exec-command",
		"use-ssl", "client-cert", "client-key", "ca-cert", "ignore-cert",
		"font-name", "font-size", "color-scheme", "typescript-path",
		"typescript-name", "create-typescript-path",
		"typescript-write-existing", "recording-path", "recording-name",
		"recording-exclude-output", "recording-exclude-mouse",
		"recording-include-keys", "recording-include-clipboard",
		"create-recording-path", "recording-write-existing", "read-only",
		"backspace", "scrollback", "func-keys-and-keypad",
		"clipboard-buffer-size", "disable-copy", "disable-paste",
		"terminal-type",
	}
)

// knownArgs maps a protocol to its list, for Config.Args left nil.
var knownArgs = map[string][]string{
	"rdp":        RDPArgs,
	"telnet":     TelnetArgs,
	"kubernetes": KubernetesArgs,
}

// Parameters never sent upstream.
//
// The recording-* family: goguacd's core already records the relayed stream
// on its own side (tunnel reads recording-path from the owner's params), so
// forwarding them would make guacd write a second copy on its host.
//
// proxy-hostname/proxy-port: they choose the upstream and are set by the web
// layer from the catalog; they are never announced in `args`, so a guacd
// protocol client cannot point goguacd at an arbitrary host.
var withheld = map[string]bool{
	"recording-path":              true,
	"recording-name":              true,
	"recording-exclude-output":    true,
	"recording-exclude-mouse":     true,
	"recording-exclude-touch":     true,
	"recording-include-keys":      true,
	"recording-include-clipboard": true,
	"create-recording-path":       true,
	"recording-write-existing":    true,
	ParamProxyHostname:            true,
	ParamProxyPort:                true,
}
