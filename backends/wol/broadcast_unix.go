//go:build unix

package wol

import (
	"net"
	"syscall"
)

// setBroadcast allows sending to a broadcast address (SO_BROADCAST).
func setBroadcast(uc *net.UDPConn) error {
	rc, err := uc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_BROADCAST, 1)
	}); err != nil {
		return err
	}
	return serr
}
