package ssh

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// newKey returns a private key in OpenSSH PEM form (encrypted when
// passphrase is set) and its public key.
func newKey(t *testing.T, kind, passphrase string) (string, gossh.PublicKey) {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch kind {
	case "ed25519":
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case "rsa":
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ecdsa":
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	var block *pem.Block
	if passphrase != "" {
		block, err = gossh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(passphrase))
	} else {
		block, err = gossh.MarshalPrivateKey(priv, "")
	}
	if err != nil {
		t.Fatal(err)
	}
	pub, err := gossh.NewPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(block)), pub
}

func TestAuthMethods(t *testing.T) {
	addr := startGoguacd(t)
	for _, tc := range []struct {
		name, kind, passphrase string
		kbd                    bool
	}{
		{name: "ed25519", kind: "ed25519"},
		{name: "rsa", kind: "rsa"},
		{name: "ecdsa", kind: "ecdsa"},
		{name: "encrypted ed25519", kind: "ed25519", passphrase: "pass phrase"},
		{name: "keyboard-interactive", kbd: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			params := map[string]string{"hostname": "127.0.0.1", "username": "bob"}
			var ts *testServer
			if tc.kbd {
				ts = startServer(t, serverAuth{kbd: "secret"})
				params["password"] = "secret"
			} else {
				key, pub := newKey(t, tc.kind, tc.passphrase)
				ts = startServer(t, serverAuth{keys: []gossh.PublicKey{pub}, password: "unused"})
				params["private-key"] = key
				params["passphrase"] = tc.passphrase
			}
			params["port"] = ts.port()
			params["host-key"] = ts.hostLine()
			v := connect(t, addr, params)
			if !ts.waitFor(10*time.Second, func() bool { return strings.Contains(ts.out.String(), "$ ") }) {
				v.pump(time.Second, func() bool { return len(v.errs) > 0 })
				t.Fatalf("no shell (errors %v)", v.errs)
			}
		})
	}
}

// An encrypted key without a passphrase asks for it in the terminal.
func TestKeyPassphrasePrompt(t *testing.T) {
	key, pub := newKey(t, "ed25519", "open sesame")
	ts := startServer(t, serverAuth{keys: []gossh.PublicKey{pub}})
	addr := startGoguacd(t)
	v := connect(t, addr, map[string]string{"hostname": "127.0.0.1", "port": ts.port(), "username": "bob", "private-key": key})
	if !matches(t, v, ts, "Key passphrase: ") {
		t.Fatal("no passphrase prompt")
	}
	v.typeText("open sesame\r")
	if !ts.waitFor(10*time.Second, func() bool { return strings.Contains(ts.out.String(), "$ ") }) {
		t.Fatalf("no shell (errors %v)", v.errs)
	}
}

// A key the server does not accept fails with 769, without falling back
// to the password (guacd: public key only).
func TestWrongKey(t *testing.T) {
	key, _ := newKey(t, "ed25519", "")
	_, other := newKey(t, "ed25519", "")
	ts := startServer(t, serverAuth{keys: []gossh.PublicKey{other}, password: "secret"})
	addr := startGoguacd(t)
	v := connect(t, addr, map[string]string{"hostname": "127.0.0.1", "port": ts.port(), "username": "bob", "private-key": key, "password": "secret"})
	v.pump(30*time.Second, func() bool { return len(v.errs) > 0 })
	if len(v.errs) == 0 || !strings.HasSuffix(v.errs[0], " 769") {
		t.Fatalf("errors %v, want 769", v.errs)
	}
}
