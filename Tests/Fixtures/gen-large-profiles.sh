#!/bin/sh
# Generates a pair of large, real Go heap profiles for benchmarks (not committed):
#   OUT/heap-large-a.pb.gz  taken after N/2 allocation sites were exercised
#   OUT/heap-large-b.pb.gz  taken after all N
# Every allocation comes from a distinct call stack (a path through ten recursive functions
# chosen by the decimal digits of i), and MemProfileRate=1 records every allocation, so the
# profiles hold about N/2 and N samples.
# Usage: Tests/Fixtures/gen-large-profiles.sh [OUT_DIR] [N]   (defaults: /tmp/gbsnap-large 400000)
set -eu
OUT=${1:-/tmp/gbsnap-large}
N=${2:-400000}
mkdir -p "$OUT"
SRC=$(mktemp -d)
trap 'rm -rf "$SRC"' EXIT
cat > "$SRC/main.go" <<'GO'
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
)

var retained [][]byte

const depth = 6

//go:noinline
func leaf(i int) { retained = append(retained, make([]byte, 32+(i%8)*16)) }

func step(digits *[depth]int, d int, i int) {
	if d == depth {
		leaf(i)
		return
	}
	switch digits[d] {
	case 0:
		f0(digits, d+1, i)
	case 1:
		f1(digits, d+1, i)
	case 2:
		f2(digits, d+1, i)
	case 3:
		f3(digits, d+1, i)
	case 4:
		f4(digits, d+1, i)
	case 5:
		f5(digits, d+1, i)
	case 6:
		f6(digits, d+1, i)
	case 7:
		f7(digits, d+1, i)
	case 8:
		f8(digits, d+1, i)
	default:
		f9(digits, d+1, i)
	}
}

//go:noinline
func f0(p *[depth]int, d, i int) { step(p, d, i) }

//go:noinline
func f1(p *[depth]int, d, i int) { step(p, d, i) }

//go:noinline
func f2(p *[depth]int, d, i int) { step(p, d, i) }

//go:noinline
func f3(p *[depth]int, d, i int) { step(p, d, i) }

//go:noinline
func f4(p *[depth]int, d, i int) { step(p, d, i) }

//go:noinline
func f5(p *[depth]int, d, i int) { step(p, d, i) }

//go:noinline
func f6(p *[depth]int, d, i int) { step(p, d, i) }

//go:noinline
func f7(p *[depth]int, d, i int) { step(p, d, i) }

//go:noinline
func f8(p *[depth]int, d, i int) { step(p, d, i) }

//go:noinline
func f9(p *[depth]int, d, i int) { step(p, d, i) }

func write(path string) {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		panic(err)
	}
}

func main() {
	runtime.MemProfileRate = 1
	out := os.Args[1]
	n, _ := strconv.Atoi(os.Args[2])
	retained = make([][]byte, 0, n)
	for i := 0; i < n; i++ {
		var digits [depth]int
		for d, v := 0, i; d < depth; d, v = d+1, v/10 {
			digits[d] = v % 10
		}
		step(&digits, 0, i)
		if i == n/2 {
			write(out + "/heap-large-a.pb.gz")
		}
	}
	write(out + "/heap-large-b.pb.gz")
	fmt.Println(len(retained))
}
GO
cd "$SRC"
cat > go.mod <<'MOD'
module genlarge
go 1.19
MOD
go build -o genlarge .
./genlarge "$OUT" "$N" >/dev/null
ls -l "$OUT"/heap-large-a.pb.gz "$OUT"/heap-large-b.pb.gz
