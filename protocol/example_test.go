package protocol_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/goguacd/goguacd/protocol"
)

func ExampleParser() {
	var p protocol.Parser
	stream := []byte("4.size,1.0,4.1024,3.768;5.mouse,2.10,2.20,1.1;4.sy")
	for {
		ins, n, err := p.Next(stream)
		if err == protocol.ErrIncomplete {
			fmt.Printf("wait for more after %q\n", stream)
			break
		}
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Printf("%s %q\n", ins.Opcode, ins.Args)
		stream = stream[n:]
	}
	// Output:
	// size ["0" "1024" "768"]
	// mouse ["10" "20" "1"]
	// wait for more after "4.sy"
}

func ExampleReader() {
	r := protocol.NewReader(strings.NewReader("6.select,3.vnc;4.size,4.1280,3.800,2.96;x"))
	for {
		ins, err := r.ReadInstruction()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Printf("%s raw=%s\n", ins.Opcode, r.Raw())
	}
	// Output:
	// select raw=6.select,3.vnc;
	// size raw=4.size,4.1280,3.800,2.96;
	// protocol: malformed instruction at offset 40 near "x"
}

func ExampleAppendImg() {
	buf := protocol.AppendImg(nil, 3, protocol.ModeOver, 0, "image/png", 0, 0)
	buf = protocol.AppendBlob(buf, 3, []byte("HELLO"))
	buf = protocol.AppendEnd(buf, 3)
	buf = protocol.AppendSync(buf, 1234, 1)
	fmt.Println(string(buf))
	// Output:
	// 3.img,1.3,2.14,1.0,9.image/png,1.0,1.0;4.blob,1.3,8.SEVMTE8=;3.end,1.3;4.sync,4.1234,1.1;
}
