package pgcatalog

import (
	"strconv"
	"strings"
)

// balancingPrefix marks catalog IDs of BALANCING connection groups. Plain
// decimal IDs are connections, matching the stock web app's GUAC_ID.
const balancingPrefix = "g:"

// parseID splits a catalog ID into a database id and whether it names a
// connection group. ok is false for anything that cannot name a row, so
// callers answer ErrNotFound without asking the database.
func parseID(s string) (id int32, group bool, ok bool) {
	if rest, found := strings.CutPrefix(s, balancingPrefix); found {
		s, group = rest, true
	}
	// Only canonical positive decimals: "+5", "05" or " 5" would name the same
	// row under several IDs, which breaks caching and URLs. With the first
	// byte a non-zero digit, ParseInt rejects every other non-digit.
	if s == "" || s[0] < '1' || s[0] > '9' {
		return 0, false, false
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, false, false
	}
	return int32(n), group, true
}

// decimalID formats a database id as a catalog ID (connections and sharing
// profiles).
func decimalID(id int32) string { return strconv.FormatInt(int64(id), 10) }

func groupID(id int32) string { return balancingPrefix + strconv.FormatInt(int64(id), 10) }
