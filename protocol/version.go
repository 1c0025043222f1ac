package protocol

// Version strings as they appear on the wire (the first element of args and
// connect).
const (
	Version1_0_0 = "VERSION_1_0_0"
	Version1_1_0 = "VERSION_1_1_0"
	Version1_3_0 = "VERSION_1_3_0"
	Version1_5_0 = "VERSION_1_5_0"
)

// Version is a Guacamole protocol version with guacd's numeric values
// (0xMMmmpp), so versions compare with < and >=.
type Version int

// Protocol versions guacd knows. There are no 1.2 or 1.4 versions.
const (
	VersionUnknown Version = 0
	Version100     Version = 0x010000 // the original protocol
	Version110     Version = 0x010100 // args version negotiation, timezone
	Version130     Version = 0x010300 // required
	Version150     Version = 0x010500 // msg, name
	// VersionLatest is the version guacd 1.6 advertises in args.
	VersionLatest = Version150
)

// ParseVersion maps a version string to its Version. As in guacd's connect
// handling, the empty string means VERSION_1_0_0 (clients older than 1.1
// sent no version) and any unrecognised string is VersionUnknown.
func ParseVersion(s []byte) Version {
	switch string(s) {
	case "", Version1_0_0:
		return Version100
	case Version1_1_0:
		return Version110
	case Version1_3_0:
		return Version130
	case Version1_5_0:
		return Version150
	}
	return VersionUnknown
}

// String returns the wire form, e.g. "VERSION_1_5_0", or "VERSION_UNKNOWN".
func (v Version) String() string {
	switch v {
	case Version100:
		return Version1_0_0
	case Version110:
		return Version1_1_0
	case Version130:
		return Version1_3_0
	case Version150:
		return Version1_5_0
	}
	return "VERSION_UNKNOWN"
}
