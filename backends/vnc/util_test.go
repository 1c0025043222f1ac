package vnc_test

import (
	"encoding/base64"
	"strconv"
)

func base64Decode(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

func itoa(n int) string { return strconv.Itoa(n) }
