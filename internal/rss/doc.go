// Package rss reads a process's peak memory, for the benchmarks and the per-scale reports.
package rss
