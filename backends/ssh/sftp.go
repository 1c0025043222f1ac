package ssh

import (
	gossh "golang.org/x/crypto/ssh"

	"github.com/goguacd/goguacd/backends/sftp"
)

// startSFTP opens the SFTP subsystem on its own SSH session and exposes
// the filesystem to the owner. Failure only disables file transfer.
func (s *session) startSFTP(client *gossh.Client) {
	fs, err := sftp.Open(client, hostLabel(s.set.client.Addr), sftp.Settings{
		Root:            s.set.sftp.root,
		DisableDownload: s.set.sftp.disableDownload,
		DisableUpload:   s.set.sftp.disableUpload,
	})
	if err != nil {
		s.log.Warn("SFTP unavailable", "err", err)
		return
	}
	s.engMu.Lock()
	s.termMu.Lock()
	s.fs = fs
	s.termMu.Unlock()
	s.xfer.SetFS(fs)
	if s.users[s.owner] {
		s.owner.Write(fs.AppendExpose(nil))
	}
	s.engMu.Unlock()
	s.log.Info("SFTP filesystem available", "root", fs.Root())
}
