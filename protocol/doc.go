// Package protocol implements the Guacamole wire format as spoken by Apache
// guacd 1.6: a resumable zero-allocation instruction parser, an
// io.Reader-based instruction reader, append-style encoders for every
// instruction goguacd sends, and the status codes and protocol versions.
//
// The package is pure: it imports only the standard library, does no I/O of
// its own beyond the io.Reader handed to NewReader, and never logs.
//
// An instruction is a list of elements "LEN.VALUE" joined by ',' and ended by
// ';'. LEN counts code points by guacd's UTF-8 lead-byte rule (see
// CodePoints), not bytes and not UTF-16 units. The first element is the
// opcode.
//
// Protocol flow:
//
//	client                          server (guacd / goguacd)
//	select,<protocol or $id>   ->
//	                           <-   args,VERSION_1_5_0,<param>...
//	size,<w>,<h>,<dpi>         ->
//	audio|video|image,<mime>...->   (any order, optional, repeatable)
//	timezone,<tz> / name,<n>   ->
//	connect,<version>,<value>...->
//	                           <-   ready,$<uuid>
//	                           <-   img/blob/end, copy, rect+cfill, ..., sync,<ts>,<frames>
//	sync,<ts>                  ->   (after the frame is rendered)
//	mouse / key / clipboard... ->
//	disconnect                 ->
//	                           <-   [error,<msg>,<status>] disconnect
//
// Parsed instructions are views: Instruction.Opcode and Instruction.Args
// alias the caller's (Parser) or the Reader's buffer and stay valid only until
// the next parse call. Copy what you keep.
package protocol
