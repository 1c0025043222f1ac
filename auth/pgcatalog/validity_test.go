package pgcatalog

import (
	"strings"
	"testing"
	"time"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func hm(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }

func TestRefusal(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	// 2026-03-10 23:30 UTC is 2026-03-11 08:30 in Tokyo.
	utcNow := time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		a    account
		now  time.Time
		want string // substring of the refusal; "" = allowed
	}{
		{"plain", account{}, utcNow, ""},
		{"disabled", account{disabled: true}, utcNow, "disabled"},
		{"valid from today", account{validFrom: date(2026, 3, 10)}, utcNow, ""},
		{"valid from tomorrow", account{validFrom: date(2026, 3, 11)}, utcNow, "not valid before 2026-03-11"},
		{"valid until today", account{validUntil: date(2026, 3, 10)}, utcNow, ""},
		{"valid until yesterday", account{validUntil: date(2026, 3, 9)}, utcNow, "expired after 2026-03-09"},
		{"valid until in user zone", account{validUntil: date(2026, 3, 10)}, utcNow.In(tokyo), "expired"},
		{"valid from in user zone", account{validFrom: date(2026, 3, 11)}, utcNow.In(tokyo), ""},
		{"inside window", account{windowStart: hm(8, 0), hasStart: true, windowEnd: hm(17, 0), hasEnd: true}, utcNow.In(tokyo), ""},
		{"outside window", account{windowStart: hm(9, 0), hasStart: true, windowEnd: hm(17, 0), hasEnd: true}, utcNow.In(tokyo), "outside access window 09:00:00-17:00:00 Asia/Tokyo"},
		{"same window in UTC", account{windowStart: hm(8, 0), hasStart: true, windowEnd: hm(17, 0), hasEnd: true}, utcNow, "outside access window"},
		{"overnight window", account{windowStart: hm(22, 0), hasStart: true, windowEnd: hm(6, 0), hasEnd: true}, utcNow, ""},
		{"start only, before", account{windowStart: hm(23, 45), hasStart: true}, utcNow, "outside access window 23:45:00-*"},
		{"midnight start is not unset", account{windowStart: 0, hasStart: true, windowEnd: hm(1, 0), hasEnd: true}, utcNow, "outside"},
		{"disabled wins", account{disabled: true, validUntil: date(2000, 1, 1)}, utcNow, "disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.a.refusal(tt.now)
			if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("refusal = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestInWindow(t *testing.T) {
	tests := []struct {
		t, start, end    time.Duration
		hasStart, hasEnd bool
		want             bool
	}{
		{hm(12, 0), hm(9, 0), hm(17, 0), true, true, true},
		{hm(9, 0), hm(9, 0), hm(17, 0), true, true, true},
		{hm(17, 0), hm(9, 0), hm(17, 0), true, true, true},
		{hm(17, 0) + time.Second, hm(9, 0), hm(17, 0), true, true, false},
		{hm(8, 59), hm(9, 0), hm(17, 0), true, true, false},
		{hm(23, 0), hm(22, 0), hm(6, 0), true, true, true},
		{hm(3, 0), hm(22, 0), hm(6, 0), true, true, true},
		{hm(12, 0), hm(22, 0), hm(6, 0), true, true, false},
		{hm(12, 0), 0, hm(6, 0), false, true, false},
		{hm(5, 0), 0, hm(6, 0), false, true, true},
		{hm(5, 0), hm(6, 0), 0, true, false, false},
		{hm(7, 0), hm(6, 0), 0, true, false, true},
		{hm(7, 0), 0, 0, false, false, true},
	}
	for _, tt := range tests {
		if got := inWindow(tt.t, tt.start, tt.hasStart, tt.end, tt.hasEnd); got != tt.want {
			t.Errorf("inWindow(%v, %v/%v, %v/%v) = %v, want %v", tt.t, tt.start, tt.hasStart, tt.end, tt.hasEnd, got, tt.want)
		}
	}
}

func TestLocation(t *testing.T) {
	tests := []struct {
		tz      string
		want    string
		wantErr bool
	}{
		{"", time.Local.String(), false},
		{"Europe/Paris", "Europe/Paris", false},
		{"Mars/Olympus", time.Local.String(), true},
	}
	for _, tt := range tests {
		loc, err := account{timezone: tt.tz}.location()
		if loc.String() != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("location(%q) = %v, %v; want %v, err %v", tt.tz, loc, err, tt.want, tt.wantErr)
		}
	}
}
