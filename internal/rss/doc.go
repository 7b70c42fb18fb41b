// Package rss measures memory: a process's peak (for the benchmarks and the per-scale reports) and
// what a function allocates (for the tests that bound a reader's or a writer's memory).
package rss
