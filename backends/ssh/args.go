package ssh

// Args are the SSH parameter names in the order guacd 1.6.0 sends them in
// `args` (without the version element): the Java web app and guacamole-lite
// fill `connect` by position from this list.
var Args = []string{
	"hostname", "host-key", "port", "timeout", "username", "password", "font-name", "font-size",
	"enable-sftp", "sftp-root-directory", "sftp-disable-download", "sftp-disable-upload",
	"private-key", "passphrase", "public-key", "color-scheme", "command",
	"typescript-path", "typescript-name", "create-typescript-path", "typescript-write-existing",
	"recording-path", "recording-name", "recording-exclude-output", "recording-exclude-mouse",
	"recording-include-keys", "create-recording-path", "recording-write-existing",
	"read-only", "server-alive-interval", "backspace", "terminal-type", "scrollback",
	"locale", "timezone", "disable-copy", "disable-paste",
	"wol-send-packet", "wol-mac-addr", "wol-broadcast-addr", "wol-udp-port", "wol-wait-time",
}
