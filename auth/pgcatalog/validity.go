package pgcatalog

import (
	"fmt"
	"time"
)

// account holds the guacamole_user columns that decide whether a user may
// use goguacd at all, independent of any connection.
type account struct {
	disabled bool
	// validFrom and validUntil are calendar dates (midnight UTC stands for
	// the day); zero means unset. Both days are included.
	validFrom, validUntil time.Time
	// windowStart and windowEnd are times of day since midnight; the has*
	// flags tell NULL from midnight.
	windowStart, windowEnd time.Duration
	hasStart, hasEnd       bool
	timezone               string // IANA zone name; "" = server local time
}

// location returns the zone the account's dates and window are written in.
// An unknown zone falls back to local time, as JDBC falls back to the JVM's
// default, and is reported so the operator can fix the column.
func (a account) location() (*time.Location, error) {
	if a.timezone == "" {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(a.timezone)
	if err != nil {
		return time.Local, fmt.Errorf("pgcatalog: user timezone %q: %w", a.timezone, err)
	}
	return loc, nil
}

// refusal says why the account may not be used at now (already converted to
// the account's zone), or returns "" if it may.
func (a account) refusal(now time.Time) string {
	if a.disabled {
		return "account disabled"
	}
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if !a.validFrom.IsZero() && today.Before(a.validFrom) {
		return "account not valid before " + a.validFrom.Format(time.DateOnly)
	}
	if !a.validUntil.IsZero() && today.After(a.validUntil) {
		return "account expired after " + a.validUntil.Format(time.DateOnly)
	}
	if !inWindow(sinceMidnight(now), a.windowStart, a.hasStart, a.windowEnd, a.hasEnd) {
		return fmt.Sprintf("outside access window %s-%s %s",
			clock(a.windowStart, a.hasStart), clock(a.windowEnd, a.hasEnd), now.Location())
	}
	return ""
}

// inWindow reports whether time of day t lies in [start, end], both ends
// included. A window whose end is before its start runs past midnight
// (22:00-06:00). A missing bound leaves that side open.
func inWindow(t, start time.Duration, hasStart bool, end time.Duration, hasEnd bool) bool {
	switch {
	case hasStart && hasEnd && end < start:
		return t >= start || t <= end
	case hasStart && t < start:
		return false
	case hasEnd && t > end:
		return false
	}
	return true
}

func sinceMidnight(t time.Time) time.Duration {
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
		time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())
}

// clock formats a time of day for log lines; "*" marks an open bound.
func clock(d time.Duration, ok bool) string {
	if !ok {
		return "*"
	}
	return fmt.Sprintf("%02d:%02d:%02d", int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60)
}
