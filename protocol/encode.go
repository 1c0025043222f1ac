package protocol

import (
	"encoding/base64"
	"slices"
	"strconv"
)

// CompositeMode is a Guacamole channel-mask compositing mode, as sent in
// img, copy and cfill.
type CompositeMode int

// Composite modes (guac_composite_mode).
const (
	ModeRin   CompositeMode = 0x1
	ModeRout  CompositeMode = 0x2
	ModeIn    CompositeMode = 0x4
	ModeAtop  CompositeMode = 0x6
	ModeOut   CompositeMode = 0x8
	ModeRatop CompositeMode = 0x9
	ModeXor   CompositeMode = 0xA
	ModeRover CompositeMode = 0xB
	ModeSrc   CompositeMode = 0xC
	ModeOver  CompositeMode = 0xE
	ModePlus  CompositeMode = 0xF
)

// All Append functions append one or more complete instructions to dst and
// return the extended slice, like strconv.AppendInt. They allocate only when
// dst lacks capacity. Element lengths are code points by guacd's rule
// (CodePoints); strings should be valid UTF-8, since a trailing truncated
// character is counted but cannot be parsed back.

// strElem appends "LEN.s" followed by sep.
func strElem(dst []byte, s string, sep byte) []byte {
	dst = strconv.AppendInt(dst, int64(CodePointsString(s)), 10)
	dst = append(dst, '.')
	dst = append(dst, s...)
	return append(dst, sep)
}

// bytesElem is strElem for a byte slice.
func bytesElem(dst []byte, b []byte, sep byte) []byte {
	dst = strconv.AppendInt(dst, int64(CodePoints(b)), 10)
	dst = append(dst, '.')
	dst = append(dst, b...)
	return append(dst, sep)
}

// intElem appends a decimal integer element followed by sep.
func intElem(dst []byte, v int64, sep byte) []byte {
	// Formatting into a stack array first gives the digit count for the
	// length prefix without a second pass or an allocation.
	var tmp [20]byte
	num := strconv.AppendInt(tmp[:0], v, 10)
	if len(num) >= 10 {
		dst = append(dst, '0'+byte(len(num)/10))
	}
	dst = append(dst, '0'+byte(len(num)%10), '.')
	dst = append(dst, num...)
	return append(dst, sep)
}

func boolElem(dst []byte, v bool, sep byte) []byte {
	if v {
		return append(dst, '1', '.', '1', sep)
	}
	return append(dst, '1', '.', '0', sep)
}

// strList appends elements s[0..], each followed by ',' except the last,
// which is followed by ';'. With no elements it replaces the ',' that ends
// dst by ';', so callers can write the opcode with ',' unconditionally.
func strList(dst []byte, s []string) []byte {
	if len(s) == 0 {
		dst[len(dst)-1] = ';'
		return dst
	}
	for i, v := range s {
		sep := byte(',')
		if i == len(s)-1 {
			sep = ';'
		}
		dst = strElem(dst, v, sep)
	}
	return dst
}

// AppendElement appends one element "LEN.VALUE" with no separator.
func AppendElement(dst []byte, s string) []byte {
	dst = strconv.AppendInt(dst, int64(CodePointsString(s)), 10)
	dst = append(dst, '.')
	return append(dst, s...)
}

// AppendElementBytes is AppendElement for a byte slice.
func AppendElementBytes(dst []byte, b []byte) []byte {
	dst = strconv.AppendInt(dst, int64(CodePoints(b)), 10)
	dst = append(dst, '.')
	return append(dst, b...)
}

// AppendInstruction appends the instruction opcode,args...;.
func AppendInstruction(dst []byte, opcode string, args ...string) []byte {
	dst = strElem(dst, opcode, ',')
	return strList(dst, args)
}

// AppendInstructionBytes re-encodes a parsed instruction. The result is
// byte-identical to the parsed input when that input's length prefixes have
// no leading zeros.
func AppendInstructionBytes(dst []byte, ins Instruction) []byte {
	sep := byte(';')
	if len(ins.Args) > 0 {
		sep = ','
	}
	dst = bytesElem(dst, ins.Opcode, sep)
	for i, a := range ins.Args {
		sep = ','
		if i == len(ins.Args)-1 {
			sep = ';'
		}
		dst = bytesElem(dst, a, sep)
	}
	return dst
}

// AppendArgs appends args,version,names...; (guacd's reply to select).
func AppendArgs(dst []byte, version string, names []string) []byte {
	dst = append(dst, "4.args,"...)
	if len(names) == 0 {
		return strElem(dst, version, ';')
	}
	dst = strElem(dst, version, ',')
	return strList(dst, names)
}

// AppendSelect appends select,protocol; (the first client instruction;
// protocol may be a "$"-prefixed connection ID to join).
func AppendSelect(dst []byte, protocol string) []byte {
	dst = append(dst, "6.select,"...)
	return strElem(dst, protocol, ';')
}

// AppendConnect appends connect,version,values...;.
func AppendConnect(dst []byte, version string, values []string) []byte {
	dst = append(dst, "7.connect,"...)
	if len(values) == 0 {
		return strElem(dst, version, ';')
	}
	dst = strElem(dst, version, ',')
	return strList(dst, values)
}

// AppendReady appends ready,id;.
func AppendReady(dst []byte, id string) []byte {
	dst = append(dst, "5.ready,"...)
	return strElem(dst, id, ';')
}

// AppendSync appends sync,ts,frames; where ts is in milliseconds and frames
// is the number of logical frames the flush completes.
func AppendSync(dst []byte, ts int64, frames int) []byte {
	dst = append(dst, "4.sync,"...)
	dst = intElem(dst, ts, ',')
	return intElem(dst, int64(frames), ';')
}

// AppendNop appends nop;.
func AppendNop(dst []byte) []byte { return append(dst, "3.nop;"...) }

// AppendDisconnect appends disconnect;.
func AppendDisconnect(dst []byte) []byte { return append(dst, "10.disconnect;"...) }

// AppendError appends error,msg,status;.
func AppendError(dst []byte, msg string, s Status) []byte {
	dst = append(dst, "5.error,"...)
	dst = strElem(dst, msg, ',')
	return intElem(dst, int64(s), ';')
}

// AppendSize appends size,layer,w,h;.
func AppendSize(dst []byte, layer, w, h int) []byte {
	dst = append(dst, "4.size,"...)
	dst = intElem(dst, int64(layer), ',')
	dst = intElem(dst, int64(w), ',')
	return intElem(dst, int64(h), ';')
}

// AppendImg appends img,stream,mode,layer,mimetype,x,y;, which opens an
// image stream; its data follow as blob instructions and an end.
func AppendImg(dst []byte, stream int, mode CompositeMode, layer int, mimetype string, x, y int) []byte {
	dst = append(dst, "3.img,"...)
	dst = intElem(dst, int64(stream), ',')
	dst = intElem(dst, int64(mode), ',')
	dst = intElem(dst, int64(layer), ',')
	dst = strElem(dst, mimetype, ',')
	dst = intElem(dst, int64(x), ',')
	return intElem(dst, int64(y), ';')
}

// AppendBlob base64-encodes data into blob,stream,base64; instructions of
// at most BlobMaxLength raw bytes each, as guacd does. Empty data append
// nothing.
func AppendBlob(dst []byte, stream int, data []byte) []byte {
	if len(data) == 0 {
		return dst
	}
	chunks := (len(data) + BlobMaxLength - 1) / BlobMaxLength
	// Grow once: per chunk "4.blob," + stream element (≤ 24) + "NNNN." +
	// the base64 text + ";".
	dst = slices.Grow(dst, base64.StdEncoding.EncodedLen(len(data))+chunks*40)
	for len(data) > 0 {
		chunk := data[:min(len(data), BlobMaxLength)]
		data = data[len(chunk):]
		dst = append(dst, "4.blob,"...)
		dst = intElem(dst, int64(stream), ',')
		dst = strconv.AppendInt(dst, int64(base64.StdEncoding.EncodedLen(len(chunk))), 10)
		dst = append(dst, '.')
		dst = base64.StdEncoding.AppendEncode(dst, chunk)
		dst = append(dst, ';')
	}
	return dst
}

// AppendBlobBase64 appends one blob,stream,b64; with already-encoded data.
func AppendBlobBase64(dst []byte, stream int, b64 []byte) []byte {
	dst = append(dst, "4.blob,"...)
	dst = intElem(dst, int64(stream), ',')
	return bytesElem(dst, b64, ';')
}

// AppendEnd appends end,stream;.
func AppendEnd(dst []byte, stream int) []byte {
	dst = append(dst, "3.end,"...)
	return intElem(dst, int64(stream), ';')
}

// AppendAck appends ack,stream,msg,status;.
func AppendAck(dst []byte, stream int, msg string, s Status) []byte {
	dst = append(dst, "3.ack,"...)
	dst = intElem(dst, int64(stream), ',')
	dst = strElem(dst, msg, ',')
	return intElem(dst, int64(s), ';')
}

// AppendCopy appends copy,srcLayer,sx,sy,w,h,mode,dstLayer,dx,dy;.
func AppendCopy(dst []byte, srcLayer, sx, sy, w, h int, mode CompositeMode, dstLayer, dx, dy int) []byte {
	dst = append(dst, "4.copy,"...)
	dst = intElem(dst, int64(srcLayer), ',')
	dst = intElem(dst, int64(sx), ',')
	dst = intElem(dst, int64(sy), ',')
	dst = intElem(dst, int64(w), ',')
	dst = intElem(dst, int64(h), ',')
	dst = intElem(dst, int64(mode), ',')
	dst = intElem(dst, int64(dstLayer), ',')
	dst = intElem(dst, int64(dx), ',')
	return intElem(dst, int64(dy), ';')
}

// AppendRect appends rect,layer,x,y,w,h; (a rectangular path, usually
// followed by cfill).
func AppendRect(dst []byte, layer, x, y, w, h int) []byte {
	dst = append(dst, "4.rect,"...)
	dst = intElem(dst, int64(layer), ',')
	dst = intElem(dst, int64(x), ',')
	dst = intElem(dst, int64(y), ',')
	dst = intElem(dst, int64(w), ',')
	return intElem(dst, int64(h), ';')
}

// AppendCfill appends cfill,mode,layer,r,g,b,a;.
func AppendCfill(dst []byte, mode CompositeMode, layer int, r, g, b, a uint8) []byte {
	dst = append(dst, "5.cfill,"...)
	dst = intElem(dst, int64(mode), ',')
	dst = intElem(dst, int64(layer), ',')
	dst = intElem(dst, int64(r), ',')
	dst = intElem(dst, int64(g), ',')
	dst = intElem(dst, int64(b), ',')
	return intElem(dst, int64(a), ';')
}

// AppendCursor appends cursor,hotX,hotY,srcLayer,sx,sy,w,h;.
func AppendCursor(dst []byte, hotX, hotY, srcLayer, sx, sy, w, h int) []byte {
	dst = append(dst, "6.cursor,"...)
	dst = intElem(dst, int64(hotX), ',')
	dst = intElem(dst, int64(hotY), ',')
	dst = intElem(dst, int64(srcLayer), ',')
	dst = intElem(dst, int64(sx), ',')
	dst = intElem(dst, int64(sy), ',')
	dst = intElem(dst, int64(w), ',')
	return intElem(dst, int64(h), ';')
}

// AppendMove appends move,layer,parent,x,y,z;.
func AppendMove(dst []byte, layer, parent, x, y, z int) []byte {
	dst = append(dst, "4.move,"...)
	dst = intElem(dst, int64(layer), ',')
	dst = intElem(dst, int64(parent), ',')
	dst = intElem(dst, int64(x), ',')
	dst = intElem(dst, int64(y), ',')
	return intElem(dst, int64(z), ';')
}

// AppendShade appends shade,layer,alpha;.
func AppendShade(dst []byte, layer int, alpha uint8) []byte {
	dst = append(dst, "5.shade,"...)
	dst = intElem(dst, int64(layer), ',')
	return intElem(dst, int64(alpha), ';')
}

// AppendDispose appends dispose,layer;.
func AppendDispose(dst []byte, layer int) []byte {
	dst = append(dst, "7.dispose,"...)
	return intElem(dst, int64(layer), ';')
}

// AppendSet appends set,layer,name,value; (guacd only sends the
// "multi-touch" layer property).
func AppendSet(dst []byte, layer int, name, value string) []byte {
	dst = append(dst, "3.set,"...)
	dst = intElem(dst, int64(layer), ',')
	dst = strElem(dst, name, ',')
	return strElem(dst, value, ';')
}

// AppendArgv appends argv,stream,mimetype,name;.
func AppendArgv(dst []byte, stream int, mimetype, name string) []byte {
	dst = append(dst, "4.argv,"...)
	dst = intElem(dst, int64(stream), ',')
	dst = strElem(dst, mimetype, ',')
	return strElem(dst, name, ';')
}

// AppendClipboard appends clipboard,stream,mimetype;.
func AppendClipboard(dst []byte, stream int, mimetype string) []byte {
	dst = append(dst, "9.clipboard,"...)
	dst = intElem(dst, int64(stream), ',')
	return strElem(dst, mimetype, ';')
}

// AppendFile appends file,stream,mimetype,filename;.
func AppendFile(dst []byte, stream int, mimetype, filename string) []byte {
	dst = append(dst, "4.file,"...)
	dst = intElem(dst, int64(stream), ',')
	dst = strElem(dst, mimetype, ',')
	return strElem(dst, filename, ';')
}

// AppendPipe appends pipe,stream,mimetype,name;.
func AppendPipe(dst []byte, stream int, mimetype, name string) []byte {
	dst = append(dst, "4.pipe,"...)
	dst = intElem(dst, int64(stream), ',')
	dst = strElem(dst, mimetype, ',')
	return strElem(dst, name, ';')
}

// AppendName appends name,name;.
func AppendName(dst []byte, name string) []byte {
	dst = append(dst, "4.name,"...)
	return strElem(dst, name, ';')
}

// AppendMsg appends msg,code,args...; (protocol ≥ 1.5.0; guacd sends
// code 1 USER_JOINED / 2 USER_LEFT with user ID and name).
func AppendMsg(dst []byte, code int, args ...string) []byte {
	dst = append(dst, "3.msg,"...)
	dst = intElem(dst, int64(code), ',')
	return strList(dst, args)
}

// AppendRequired appends required,names...; (protocol ≥ 1.3.0).
func AppendRequired(dst []byte, names ...string) []byte {
	dst = append(dst, "8.required,"...)
	return strList(dst, names)
}

// AppendFilesystem appends filesystem,object,name;.
func AppendFilesystem(dst []byte, object int, name string) []byte {
	dst = append(dst, "10.filesystem,"...)
	dst = intElem(dst, int64(object), ',')
	return strElem(dst, name, ';')
}

// AppendBody appends body,object,stream,mimetype,name;.
func AppendBody(dst []byte, object, stream int, mimetype, name string) []byte {
	dst = append(dst, "4.body,"...)
	dst = intElem(dst, int64(object), ',')
	dst = intElem(dst, int64(stream), ',')
	dst = strElem(dst, mimetype, ',')
	return strElem(dst, name, ';')
}

// AppendMouse appends mouse,x,y,mask,ts;.
func AppendMouse(dst []byte, x, y, mask int, ts int64) []byte {
	dst = append(dst, "5.mouse,"...)
	dst = intElem(dst, int64(x), ',')
	dst = intElem(dst, int64(y), ',')
	dst = intElem(dst, int64(mask), ',')
	return intElem(dst, ts, ';')
}

// AppendKey appends key,keysym,pressed,ts; with pressed as 1 or 0.
func AppendKey(dst []byte, keysym int, pressed bool, ts int64) []byte {
	dst = append(dst, "3.key,"...)
	dst = intElem(dst, int64(keysym), ',')
	dst = boolElem(dst, pressed, ',')
	return intElem(dst, ts, ';')
}
