// Package term is goguacd's terminal emulator: an xterm-compatible screen
// model with scrollback, damage tracking and scroll reporting, plus the
// keyboard, mouse and paste encoders that turn Guacamole input into the
// bytes a remote program expects.
//
// The package does no I/O. Bytes from the remote side go into
// [Terminal.Write]; replies the terminal must send back (device attributes,
// cursor reports) and title changes come out through the callbacks in
// [Options]. A renderer reads the grid with [Terminal.Row], asks what
// changed with [Terminal.Damage] and [Terminal.ScrollOps], and calls
// [Terminal.ClearDamage] once it has drawn.
//
// A Terminal is not safe for concurrent use; callers serialise access.
package term
