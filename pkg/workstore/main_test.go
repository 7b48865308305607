package workstore_test

import (
	"testing"

	"github.com/remitq/remitq/pkg/devenv/devtest"
)

func TestMain(m *testing.M) { devtest.Main(m) }
