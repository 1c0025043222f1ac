package ssh

import (
	"net"
	"time"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/backends/sftp"
	"github.com/goguacd/goguacd/protocol"
)

// clientConfigFrom reads the SSH connection parameters.
func clientConfigFrom(p backends.Params) sftp.DialConfig {
	return sftp.DialConfig{
		Addr:         net.JoinHostPort(p.String("hostname", ""), p.String("port", "22")),
		Username:     p.String("username", ""),
		Password:     p.String("password", ""),
		PrivateKey:   p.String("private-key", ""),
		Passphrase:   p.String("passphrase", ""),
		HostKey:      p.String("host-key", ""),
		Timeout:      time.Duration(p.Int("timeout", 10)) * time.Second,
		AliveSeconds: p.Int("server-alive-interval", 0),
	}
}

// statusErr wraps err with the Guacamole status users are shown.
func statusErr(s protocol.Status, msg string, err error) error {
	return &protocol.StatusError{Status: s, Message: msg, Err: err}
}
