package sftp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/goguacd/goguacd/protocol"
)

// Prompter asks the user for a missing credential (the SSH backend asks
// inside the terminal, as guacd does). echo is false for secrets.
type Prompter interface {
	Prompt(ctx context.Context, label string, echo bool) (string, error)
}

// NoPrompt answers every prompt with an empty string: for connections
// (VNC's SFTP) where guacd has nowhere to ask.
type NoPrompt struct{}

// Prompt implements Prompter.
func (NoPrompt) Prompt(context.Context, string, bool) (string, error) { return "", nil }

// DialConfig is what an SSH connection needs from the parameters.
type DialConfig struct {
	Addr         string // host:port
	Username     string
	Password     string
	PrivateKey   string // PEM or OpenSSH format
	Passphrase   string
	HostKey      string // known_hosts line format; "" accepts any key (logged)
	Timeout      time.Duration
	AliveSeconds int // server-alive-interval
}

// statusErr wraps err with the Guacamole status users are shown.
func statusErr(s protocol.Status, msg string, err error) error {
	return &protocol.StatusError{Status: s, Message: msg, Err: err}
}

// Dial connects and authenticates, as guacd's common SSH code: with a
// private key, public-key authentication only; otherwise password, then
// keyboard-interactive answered with the password. Missing username or
// password are asked for through p. Errors are *protocol.StatusError with
// the Guacamole status to show, or ctx's error.
func Dial(ctx context.Context, cfg DialConfig, p Prompter, logger *slog.Logger) (*gossh.Client, error) {
	if cfg.Addr == "" || strings.HasPrefix(cfg.Addr, ":") {
		return nil, statusErr(protocol.StatusClientBadRequest, "No hostname given.", nil)
	}
	var err error
	if cfg.Username == "" {
		if cfg.Username, err = p.Prompt(ctx, "Login as: ", true); err != nil {
			return nil, err
		}
	}
	hostKeyCB, err := hostKeyCallback(cfg.HostKey, logger)
	if err != nil {
		return nil, statusErr(protocol.StatusClientBadRequest, "The host-key parameter is not a valid key.", err)
	}
	var auths []gossh.AuthMethod
	if cfg.PrivateKey != "" {
		// As guacd: with a key, public-key authentication only.
		signer, err := parseKey(ctx, cfg, p)
		if err != nil {
			return nil, err
		}
		auths = append(auths, gossh.PublicKeys(signer))
	} else {
		if cfg.Password == "" {
			if cfg.Password, err = p.Prompt(ctx, "Password: ", false); err != nil {
				return nil, err
			}
		}
		pw := cfg.Password
		auths = append(auths, gossh.Password(pw), gossh.KeyboardInteractive(
			func(name, instruction string, questions []string, echos []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	conf := &gossh.ClientConfig{
		User:            cfg.Username,
		Auth:            auths,
		HostKeyCallback: hostKeyCB,
		Timeout:         cfg.Timeout,
	}
	d := net.Dialer{Timeout: cfg.Timeout}
	nc, err := d.DialContext(ctx, "tcp", cfg.Addr)
	if err != nil {
		return nil, dialError(err)
	}
	_ = nc.SetDeadline(time.Now().Add(cfg.Timeout))
	// The handshake ignores ctx; closing the socket is what interrupts it.
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	c, chans, reqs, err := gossh.NewClientConn(nc, cfg.Addr, conf)
	if !stop() {
		if err == nil {
			c.Close()
		}
		return nil, ctx.Err()
	}
	if err != nil {
		nc.Close()
		var mismatch *hostKeyMismatch
		var timeout net.Error
		switch {
		case errors.As(err, &mismatch):
			return nil, statusErr(protocol.StatusServerError, "The server's host key does not match the expected key.", err)
		case strings.Contains(err.Error(), "unable to authenticate"):
			return nil, statusErr(protocol.StatusClientUnauthorized, "Authentication failed.", err)
		case errors.As(err, &timeout) && timeout.Timeout():
			return nil, statusErr(protocol.StatusUpstreamTimeout, "The SSH server did not answer in time.", err)
		}
		return nil, statusErr(protocol.StatusUpstreamError, "SSH handshake failed.", err)
	}
	_ = nc.SetDeadline(time.Time{})
	return gossh.NewClient(c, chans, reqs), nil
}

func dialError(err error) error {
	var ne net.Error
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		return statusErr(protocol.StatusUpstreamNotFound, "The SSH server's name could not be resolved.", err)
	case errors.As(err, &ne) && ne.Timeout():
		return statusErr(protocol.StatusUpstreamTimeout, "The SSH server did not answer in time.", err)
	}
	return statusErr(protocol.StatusUpstreamNotFound, "Could not connect to the SSH server.", err)
}

// parseKey loads the private key, asking for its passphrase in the terminal
// when it is encrypted and none was given.
func parseKey(ctx context.Context, cfg DialConfig, p Prompter) (gossh.Signer, error) {
	key := []byte(cfg.PrivateKey)
	signer, err := gossh.ParsePrivateKey(key)
	var missing *gossh.PassphraseMissingError
	if errors.As(err, &missing) {
		pass := cfg.Passphrase
		if pass == "" {
			if pass, err = p.Prompt(ctx, "Key passphrase: ", false); err != nil {
				return nil, err
			}
		}
		signer, err = gossh.ParsePrivateKeyWithPassphrase(key, []byte(pass))
	}
	if err != nil {
		return nil, statusErr(protocol.StatusClientUnauthorized, "The private key could not be read.", err)
	}
	return signer, nil
}

// hostKeyMismatch is returned when the server's key is not the configured one.
type hostKeyMismatch struct{ got, want string }

func (e *hostKeyMismatch) Error() string {
	return fmt.Sprintf("sftp: host key mismatch: server offered %s, expected %s", e.got, e.want)
}

// hostKeyCallback verifies against a known_hosts-format line (the host
// pattern part is optional). No key means accept with a logged warning, as
// guacd does.
func hostKeyCallback(line string, logger *slog.Logger) (gossh.HostKeyCallback, error) {
	line = strings.TrimSpace(line)
	if line == "" {
		return func(host string, remote net.Addr, key gossh.PublicKey) error {
			logger.Warn("no host-key given: accepting the server's key unverified",
				"host", host, "fingerprint", gossh.FingerprintSHA256(key))
			return nil
		}, nil
	}
	want, err := parseHostKeyLine(line)
	if err != nil {
		return nil, err
	}
	return func(host string, remote net.Addr, key gossh.PublicKey) error {
		if key.Type() == want.Type() && bytes.Equal(key.Marshal(), want.Marshal()) {
			return nil
		}
		return &hostKeyMismatch{got: gossh.FingerprintSHA256(key), want: gossh.FingerprintSHA256(want)}
	}, nil
}

// parseHostKeyLine accepts "host keytype base64", "keytype base64" and
// "@marker host keytype base64".
func parseHostKeyLine(line string) (gossh.PublicKey, error) {
	if key, _, _, _, err := gossh.ParseAuthorizedKey([]byte(line)); err == nil {
		return key, nil
	}
	_, _, key, _, _, err := gossh.ParseKnownHosts([]byte(line))
	if err != nil {
		return nil, fmt.Errorf("sftp: parse host-key: %w", err)
	}
	return key, nil
}

// KeepAlive sends keepalive@openssh.com every interval until ctx ends, as
// guacd's server-alive-interval (1 is raised to 2). It returns at once for
// seconds <= 0.
func KeepAlive(ctx context.Context, c *gossh.Client, seconds int, logger *slog.Logger) {
	if seconds <= 0 {
		return
	}
	seconds = max(seconds, 2)
	t := time.NewTicker(time.Duration(seconds) * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, _, err := c.SendRequest("keepalive@openssh.com", true, nil); err != nil {
				logger.Debug("keepalive failed", "err", err)
				return
			}
		}
	}
}
