//go:build !(darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd)

package spool

import (
	"errors"
	"os"
)

// lockDir refuses: without a directory lock two processes could append to
// the same segment and overwrite each other's acknowledged records.
func lockDir(string) (*os.File, error) {
	return nil, errors.ErrUnsupported
}
