package pgcatalog

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// integrationSetup is set by the integration build to start a PostgreSQL
// cluster around the run; it returns the teardown.
var integrationSetup func() (teardown func(), err error)

func TestMain(m *testing.M) {
	teardown := func() {}
	if integrationSetup != nil {
		var err error
		if teardown, err = integrationSetup(); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	teardown()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
