package ssh

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

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/protocol"
)

// Prompter asks the user for a missing credential inside the terminal, as
// guacd does. echo is false for secrets.
type Prompter interface {
	Prompt(ctx context.Context, label string, echo bool) (string, error)
}

// clientConfig is what the SSH connection needs from the parameters.
type clientConfig struct {
	addr         string
	username     string
	password     string
	privateKey   string
	passphrase   string
	hostKey      string // known_hosts line format
	timeout      time.Duration
	aliveSeconds int
}

func clientConfigFrom(p backends.Params) clientConfig {
	return clientConfig{
		addr:         net.JoinHostPort(p.String("hostname", ""), p.String("port", "22")),
		username:     p.String("username", ""),
		password:     p.String("password", ""),
		privateKey:   p.String("private-key", ""),
		passphrase:   p.String("passphrase", ""),
		hostKey:      p.String("host-key", ""),
		timeout:      time.Duration(p.Int("timeout", 10)) * time.Second,
		aliveSeconds: p.Int("server-alive-interval", 0),
	}
}

// statusErr wraps err with the Guacamole status users are shown.
func statusErr(s protocol.Status, msg string, err error) error {
	return &protocol.StatusError{Status: s, Message: msg, Err: err}
}

// dial connects and authenticates. Missing username or password are asked
// for through p. Errors carry the Guacamole status to show.
func dial(ctx context.Context, cfg clientConfig, p Prompter, logger *slog.Logger) (*gossh.Client, error) {
	if cfg.addr == "" || strings.HasPrefix(cfg.addr, ":") {
		return nil, statusErr(protocol.StatusClientBadRequest, "No hostname given.", nil)
	}
	var err error
	if cfg.username == "" {
		if cfg.username, err = p.Prompt(ctx, "Login as: ", true); err != nil {
			return nil, err
		}
	}
	hostKeyCB, err := hostKeyCallback(cfg.hostKey, logger)
	if err != nil {
		return nil, statusErr(protocol.StatusClientBadRequest, "The host-key parameter is not a valid key.", err)
	}
	var auths []gossh.AuthMethod
	if cfg.privateKey != "" {
		// As guacd: with a key, public-key authentication only.
		signer, err := parseKey(ctx, cfg, p)
		if err != nil {
			return nil, err
		}
		auths = append(auths, gossh.PublicKeys(signer))
	} else {
		if cfg.password == "" {
			if cfg.password, err = p.Prompt(ctx, "Password: ", false); err != nil {
				return nil, err
			}
		}
		pw := cfg.password
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
		User:            cfg.username,
		Auth:            auths,
		HostKeyCallback: hostKeyCB,
		Timeout:         cfg.timeout,
	}
	d := net.Dialer{Timeout: cfg.timeout}
	nc, err := d.DialContext(ctx, "tcp", cfg.addr)
	if err != nil {
		return nil, dialError(err)
	}
	_ = nc.SetDeadline(time.Now().Add(cfg.timeout))
	// The handshake ignores ctx; closing the socket is what interrupts it.
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	c, chans, reqs, err := gossh.NewClientConn(nc, cfg.addr, conf)
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
func parseKey(ctx context.Context, cfg clientConfig, p Prompter) (gossh.Signer, error) {
	key := []byte(cfg.privateKey)
	signer, err := gossh.ParsePrivateKey(key)
	var missing *gossh.PassphraseMissingError
	if errors.As(err, &missing) {
		pass := cfg.passphrase
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
	return fmt.Sprintf("ssh: host key mismatch: server offered %s, expected %s", e.got, e.want)
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
		return nil, fmt.Errorf("ssh: parse host-key: %w", err)
	}
	return key, nil
}

// keepAlive sends keepalive@openssh.com every interval until ctx ends, as
// guacd's server-alive-interval (1 is raised to 2).
func keepAlive(ctx context.Context, c *gossh.Client, seconds int, logger *slog.Logger) {
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
