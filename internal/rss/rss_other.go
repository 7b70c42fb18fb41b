//go:build !unix

package rss

// Peak is not measured on this system.
func Peak() int64 { return 0 }
