//go:build tools

package tools

import (
	_ "github.com/danielgatis/go-vte"
	_ "github.com/gliderlabs/ssh"
	_ "github.com/go-jose/go-jose/v4"
	_ "github.com/gorilla/websocket"
	_ "github.com/jackc/pgx/v5"
	_ "github.com/klauspost/compress/zlib"
	_ "github.com/pkg/sftp"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "go.uber.org/goleak"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/crypto/ssh"
	_ "golang.org/x/image/font/gofont/gomono"
)
