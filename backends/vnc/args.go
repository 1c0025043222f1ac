package vnc

// Args are the VNC parameter names in the order guacd 1.6.0 sends them in
// `args` (without the version element): the Java web app and guacamole-lite
// fill `connect` by position from this list.
var Args = []string{
	"hostname", "port", "read-only", "disable-display-resize", "encodings", "username", "password",
	"swap-red-blue", "color-depth", "cursor", "autoretry", "clipboard-encoding", "dest-host", "dest-port",
	"enable-audio", "audio-servername", "reverse-connect", "listen-timeout",
	"enable-sftp", "sftp-hostname", "sftp-host-key", "sftp-port", "sftp-timeout", "sftp-username",
	"sftp-password", "sftp-private-key", "sftp-passphrase", "sftp-public-key", "sftp-directory",
	"sftp-root-directory", "sftp-server-alive-interval", "sftp-disable-download", "sftp-disable-upload",
	"recording-path", "recording-name", "recording-exclude-output", "recording-exclude-mouse",
	"recording-include-keys", "create-recording-path", "recording-write-existing",
	"disable-copy", "disable-paste", "disable-server-input",
	"wol-send-packet", "wol-mac-addr", "wol-broadcast-addr", "wol-udp-port", "wol-wait-time",
	"force-lossless", "compress-level", "quality-level",
}
