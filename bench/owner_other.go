//go:build !unix

package bench

import "os"

// owner: files have no user ids (and no Unix permissions) on this system, so CheckScript can
// only check that the script is a regular file.
func owner(os.FileInfo) (uid int, ok bool) { return 0, false }
