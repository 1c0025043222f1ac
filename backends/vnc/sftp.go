package vnc

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/backends/sftp"
	"github.com/goguacd/goguacd/protocol"
)

// files is the SFTP side of a VNC connection (guacd's enable-sftp): a
// second connection, over SSH, whose filesystem the owner gets. Without
// enable-sftp, transfers has no filesystem and uploads are refused.
type files struct {
	transfers *sftp.Transfers
	fs        *sftp.FS      // nil without enable-sftp
	client    *gossh.Client // nil without enable-sftp
	stop      context.CancelFunc
	wg        sync.WaitGroup
}

// sftpDialConfig reads the sftp-* connection parameters with guacd's
// defaults: the VNC hostname, port 22, a 10 s timeout.
func sftpDialConfig(p backends.Params) sftp.DialConfig {
	host := p.String("sftp-hostname", p.String("hostname", ""))
	return sftp.DialConfig{
		Addr:         net.JoinHostPort(host, p.String("sftp-port", "22")),
		Username:     p.String("sftp-username", ""),
		Password:     p.String("sftp-password", ""),
		PrivateKey:   p.String("sftp-private-key", ""),
		Passphrase:   p.String("sftp-passphrase", ""),
		HostKey:      p.String("sftp-host-key", ""),
		Timeout:      time.Duration(p.Int("sftp-timeout", 10)) * time.Second,
		AliveSeconds: p.Int("sftp-server-alive-interval", 0),
	}
}

// openFiles connects SFTP when enable-sftp is set. As guacd, a failure
// ends the whole connection (guacd aborts the VNC client too), with the
// status of what failed: missing username, unreachable host, refused
// credentials, host-key mismatch, no SFTP subsystem.
func openFiles(ctx context.Context, p backends.Params, log *slog.Logger) (*files, error) {
	f := &files{transfers: sftp.NewTransfers(log), stop: func() {}}
	if !p.Bool("enable-sftp", false) {
		return f, nil
	}
	cfg := sftpDialConfig(p)
	if cfg.Username == "" {
		return nil, &protocol.StatusError{Status: protocol.StatusServerError, Message: "SFTP username is required if SFTP is enabled."}
	}
	client, err := sftp.Dial(ctx, cfg, sftp.NoPrompt{}, log)
	if err != nil {
		log.Info("SFTP connection failed", "addr", cfg.Addr, "err", err)
		return nil, err
	}
	host, _, _ := net.SplitHostPort(cfg.Addr)
	fs, err := sftp.Open(client, host, sftp.Settings{
		Root:            p.String("sftp-root-directory", "/"),
		UploadDir:       p.String("sftp-directory", ""),
		DisableDownload: p.Bool("sftp-disable-download", false),
		DisableUpload:   p.Bool("sftp-disable-upload", false),
	})
	if err != nil {
		client.Close()
		log.Info("SFTP connection failed", "addr", cfg.Addr, "err", err)
		return nil, &protocol.StatusError{Status: protocol.StatusUpstreamError, Message: "SFTP connection failed.", Err: err}
	}
	f.fs, f.client = fs, client
	f.transfers.SetFS(fs)
	kctx, cancel := context.WithCancel(context.Background())
	f.stop = cancel
	f.wg.Go(func() { sftp.KeepAlive(kctx, client, cfg.AliveSeconds, log) })
	log.Info("SFTP filesystem available", "addr", cfg.Addr, "root", fs.Root())
	return f, nil
}

// appendExpose appends the filesystem instruction when u is the owner.
func (f *files) appendExpose(dst []byte, u backends.User) []byte {
	if f.fs == nil || !u.Owner() {
		return dst
	}
	return f.fs.AppendExpose(dst)
}

// input handles the transfer instructions; handled is false for the
// others (blob, end and ack of streams that are not transfers).
func (f *files) input(u backends.User, ins protocol.Instruction) (handled bool, err error) {
	switch {
	case ins.Is("get"):
		return true, f.transfers.Get(u, ins)
	case ins.Is("file"), ins.Is("put"):
		return true, f.transfers.Upload(u, ins)
	case ins.Is("ack"):
		return f.transfers.Ack(u, ins)
	case ins.Is("blob"), ins.Is("end"):
		return f.transfers.Data(u, ins)
	}
	return false, nil
}

// close ends the transfers and the SSH connection.
func (f *files) close() error {
	f.stop()
	err := f.transfers.Close()
	if f.client != nil {
		f.client.Close()
	}
	f.wg.Wait()
	return err
}
