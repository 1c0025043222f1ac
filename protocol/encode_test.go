package protocol

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
	"unicode/utf8"
)

var encodeCases = []struct {
	name string
	fn   func([]byte) []byte
	want string
}{
	{"element", func(d []byte) []byte { return AppendElement(d, nameValue) }, "11." + nameValue},
	{"element bytes", func(d []byte) []byte { return AppendElementBytes(d, []byte("")) }, "0."},
	{"instruction", func(d []byte) []byte {
		return AppendInstruction(d, "test", "a犬𐬀záb", "12345", "a犬𐬀zá犬𐬀zác")
	}, vecRead},
	{"instruction no args", func(d []byte) []byte { return AppendInstruction(d, "nop") }, "3.nop;"},
	{"internal opcode", func(d []byte) []byte { return AppendInstruction(d, "", "ping", "1700000000000") }, "0.,4.ping,13.1700000000000;"},
	{"nested name", func(d []byte) []byte { return AppendName(d, nameValue) }, vecName},
	{"args", func(d []byte) []byte { return AppendArgs(d, Version1_5_0, []string{"hostname", "port"}) }, "4.args,13.VERSION_1_5_0,8.hostname,4.port;"},
	{"args no names", func(d []byte) []byte { return AppendArgs(d, Version1_5_0, nil) }, "4.args,13.VERSION_1_5_0;"},
	{"select", func(d []byte) []byte { return AppendSelect(d, "vnc") }, "6.select,3.vnc;"},
	{"connect", func(d []byte) []byte { return AppendConnect(d, Version1_5_0, []string{"h", ""}) }, "7.connect,13.VERSION_1_5_0,1.h,0.;"},
	{"connect no values", func(d []byte) []byte { return AppendConnect(d, "", nil) }, "7.connect,0.;"},
	{"ready", func(d []byte) []byte { return AppendReady(d, "$abc") }, "5.ready,4.$abc;"},
	{"sync", func(d []byte) []byte { return AppendSync(d, 1700000000123, 2) }, "4.sync,13.1700000000123,1.2;"},
	{"sync negative", func(d []byte) []byte { return AppendSync(d, -5, 0) }, "4.sync,2.-5,1.0;"},
	{"sync max int64", func(d []byte) []byte { return AppendSync(d, -1<<63, 1) }, "4.sync,20.-9223372036854775808,1.1;"},
	{"nop", AppendNop, "3.nop;"},
	{"disconnect", AppendDisconnect, "10.disconnect;"},
	{"error", func(d []byte) []byte { return AppendError(d, "Aborted. See logs.", StatusClientTimeout) }, "5.error,18.Aborted. See logs.,3.776;"},
	{"error join", func(d []byte) []byte { return AppendError(d, "No such connection.", StatusResourceNotFound) }, "5.error,19.No such connection.,3.516;"},
	{"size", func(d []byte) []byte { return AppendSize(d, 0, 1024, 768) }, "4.size,1.0,4.1024,3.768;"},
	{"img", func(d []byte) []byte { return AppendImg(d, 3, ModeOver, -1, "image/png", 64, 128) }, "3.img,1.3,2.14,2.-1,9.image/png,2.64,3.128;"},
	{"blob base64", func(d []byte) []byte { return AppendBlobBase64(d, 3, []byte("SEVMTE8=")) }, "4.blob,1.3,8.SEVMTE8=;"},
	{"blob", func(d []byte) []byte { return AppendBlob(d, 3, []byte("HELLO")) }, "4.blob,1.3,8.SEVMTE8=;"},
	{"blob empty", func(d []byte) []byte { return AppendBlob(d, 3, nil) }, ""},
	{"end", func(d []byte) []byte { return AppendEnd(d, 3) }, "3.end,1.3;"},
	{"ack", func(d []byte) []byte { return AppendAck(d, 2, "Clipboard unsupported", StatusUnsupported) }, "3.ack,1.2,21.Clipboard unsupported,3.256;"},
	{"copy", func(d []byte) []byte { return AppendCopy(d, 0, 1, 2, 3, 4, ModeOver, -2, 5, 6) }, "4.copy,1.0,1.1,1.2,1.3,1.4,2.14,2.-2,1.5,1.6;"},
	{"rect", func(d []byte) []byte { return AppendRect(d, 0, 0, 16, 1280, 16) }, "4.rect,1.0,1.0,2.16,4.1280,2.16;"},
	{"cfill", func(d []byte) []byte { return AppendCfill(d, ModeSrc, 0, 255, 0, 128, 255) }, "5.cfill,2.12,1.0,3.255,1.0,3.128,3.255;"},
	{"cursor", func(d []byte) []byte { return AppendCursor(d, 1, 2, -1, 0, 0, 11, 16) }, "6.cursor,1.1,1.2,2.-1,1.0,1.0,2.11,2.16;"},
	{"move", func(d []byte) []byte { return AppendMove(d, 1, 0, 10, 20, 0) }, "4.move,1.1,1.0,2.10,2.20,1.0;"},
	{"shade", func(d []byte) []byte { return AppendShade(d, 1, 255) }, "5.shade,1.1,3.255;"},
	{"dispose", func(d []byte) []byte { return AppendDispose(d, 2) }, "7.dispose,1.2;"},
	{"set", func(d []byte) []byte { return AppendSet(d, 0, "multi-touch", "0") }, "3.set,1.0,11.multi-touch,1.0;"},
	{"argv", func(d []byte) []byte { return AppendArgv(d, 1, "text/plain", "password") }, "4.argv,1.1,10.text/plain,8.password;"},
	{"clipboard", func(d []byte) []byte { return AppendClipboard(d, 5, "text/plain") }, "9.clipboard,1.5,10.text/plain;"},
	{"file", func(d []byte) []byte { return AppendFile(d, 4, "text/plain", "犬.txt") }, "4.file,1.4,10.text/plain,5.犬.txt;"},
	{"pipe", func(d []byte) []byte { return AppendPipe(d, 6, "text/plain", "STDIN") }, "4.pipe,1.6,10.text/plain,5.STDIN;"},
	{"msg", func(d []byte) []byte { return AppendMsg(d, 1, "@user", "Alice") }, "3.msg,1.1,5.@user,5.Alice;"},
	{"msg no args", func(d []byte) []byte { return AppendMsg(d, 2) }, "3.msg,1.2;"},
	{"required", func(d []byte) []byte { return AppendRequired(d, "username", "password") }, "8.required,8.username,8.password;"},
	{"required none", func(d []byte) []byte { return AppendRequired(d) }, "8.required;"},
	{"filesystem", func(d []byte) []byte { return AppendFilesystem(d, 0, "SFTP") }, "10.filesystem,1.0,4.SFTP;"},
	{"body", func(d []byte) []byte {
		return AppendBody(d, 0, 8, "application/vnd.glyptodon.guacamole.stream-index+json", "/")
	}, "4.body,1.0,1.8,53.application/vnd.glyptodon.guacamole.stream-index+json,1./;"},
	{"mouse", func(d []byte) []byte { return AppendMouse(d, 100, 200, 1, 42) }, "5.mouse,3.100,3.200,1.1,2.42;"},
	{"key pressed", func(d []byte) []byte { return AppendKey(d, 0xff0d, true, 7) }, "3.key,5.65293,1.1,1.7;"},
	{"key released", func(d []byte) []byte { return AppendKey(d, 97, false, 8) }, "3.key,2.97,1.0,1.8;"},
}

func TestAppend(t *testing.T) {
	for _, tc := range encodeCases {
		t.Run(tc.name, func(t *testing.T) {
			prefix := []byte("9.keep-this;")
			got := tc.fn(bytes.Clone(prefix))
			if !bytes.HasPrefix(got, prefix) {
				t.Fatalf("dst prefix lost: %q", got)
			}
			if string(got[len(prefix):]) != tc.want {
				t.Fatalf("got  %q\nwant %q", got[len(prefix):], tc.want)
			}
			// Everything encoded must parse back (element encoders are
			// fragments, not instructions).
			if strings.HasSuffix(tc.want, ";") {
				if _, err := parseAll([]byte(tc.want), 0); err != nil {
					t.Fatalf("output does not parse: %v", err)
				}
			}
		})
	}
}

func TestAppendZeroAllocs(t *testing.T) {
	dst := make([]byte, 0, 64<<10)
	for _, tc := range encodeCases {
		if a := testing.AllocsPerRun(100, func() { dst = tc.fn(dst[:0]) }); a != 0 {
			t.Errorf("%s: %v allocs, want 0", tc.name, a)
		}
	}
	data := bytes.Repeat([]byte{0xAB}, 3*BlobMaxLength)
	if a := testing.AllocsPerRun(100, func() { dst = AppendBlob(dst[:0], 1, data) }); a != 0 {
		t.Errorf("AppendBlob 3 chunks: %v allocs, want 0", a)
	}
}

func TestAppendBlobChunks(t *testing.T) {
	for _, n := range []int{1, 2, 3, BlobMaxLength - 1, BlobMaxLength, BlobMaxLength + 1, 3*BlobMaxLength + 7} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i * 7)
		}
		out := AppendBlob(nil, 7, data)
		var p Parser
		var got []byte
		chunks := 0
		for len(out) > 0 {
			ins, m, err := p.Next(out)
			if err != nil {
				t.Fatalf("%d bytes: %v", n, err)
			}
			if !ins.Is("blob") || string(ins.Arg(0)) != "7" || len(ins.Args) != 2 {
				t.Fatalf("%d bytes: unexpected %q", n, elements(ins))
			}
			raw, err := base64.StdEncoding.DecodeString(string(ins.Arg(1)))
			if err != nil || len(raw) > BlobMaxLength || len(ins.Arg(1)) > MaxElementLength {
				t.Fatalf("%d bytes: chunk of %d raw bytes, err %v", n, len(raw), err)
			}
			got = append(got, raw...)
			out = out[m:]
			chunks++
		}
		if want := (n + BlobMaxLength - 1) / BlobMaxLength; chunks != want {
			t.Errorf("%d bytes: %d chunks, want %d", n, chunks, want)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%d bytes: data differ after round trip", n)
		}
	}
}

func FuzzAppendInstruction(f *testing.F) {
	f.Add("test", "a犬𐬀záb", "", nameValue)
	f.Add("", "ping", "1", "2")
	f.Fuzz(func(t *testing.T, op, a, b, c string) {
		for _, s := range []string{op, a, b, c} {
			if !utf8.ValidString(s) {
				// Documented: only valid UTF-8 is guaranteed to round-trip.
				return
			}
		}
		enc := AppendInstruction(nil, op, a, b, c)
		p := Parser{MaxInstructionSize: len(enc)}
		ins, n, err := p.Next(enc)
		longest := max(CodePointsString(op), CodePointsString(a), CodePointsString(b), CodePointsString(c))
		if longest > MaxElementLength {
			if sentinel(err) != ErrElementTooLong {
				t.Fatalf("element of %d code points: err %v, want ErrElementTooLong", longest, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("%q: %v", enc, err)
		}
		if n != len(enc) || !equalElems(elements(ins), [][]byte{[]byte(op), []byte(a), []byte(b), []byte(c)}) {
			t.Fatalf("%q parsed as %q", enc, elements(ins))
		}
	})
}

func BenchmarkAppend(b *testing.B) {
	image := bytes.Repeat([]byte("\x89PNG\r\n\x1a\n-pixels-"), 1024) // 17 KiB: three blobs
	dst := make([]byte, 0, 64<<10)
	b.Run("img+blob", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(image)))
		m := startCPU(b, int64(len(image)))
		for b.Loop() {
			dst = AppendImg(dst[:0], 3, ModeOver, 0, "image/png", 64, 128)
			dst = AppendBlob(dst, 3, image)
			dst = AppendEnd(dst, 3)
		}
		m.stop()
	})
	b.Run("sync", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(AppendSync(nil, 1700000000123, 1))))
		for b.Loop() {
			dst = AppendSync(dst[:0], 1700000000123, 1)
		}
	})
	b.Run("instruction", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(vecRead)))
		for b.Loop() {
			dst = AppendInstruction(dst[:0], "test", "a犬𐬀záb", "12345", "a犬𐬀zá犬𐬀zác")
		}
	})
}
