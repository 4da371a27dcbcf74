// Command goservice is gbsnap's test fixture: a small Go service that serves net/http/pprof and
// expvar, leaks goroutines and retains memory on request, and misbehaves on purpose under
// /fault/<mode>/ so capture code can be tested against every failure a real target can produce.
//
// It uses only the standard library and builds with Go 1.19 and newer. See README.md.
package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"expvar"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/* on http.DefaultServeMux
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

var (
	addrFlag      = flag.String("addr", "127.0.0.1:0", "listen address")
	tokenFlag     = flag.String("auth-token", "fixture-bearer-token", "bearer token accepted under /auth/")
	userFlag      = flag.String("auth-user", "fixture-user", "basic-auth user accepted under /auth/")
	passwordFlag  = flag.String("auth-password", "fixture-password", "basic-auth password accepted under /auth/")
	faultMax      = flag.Duration("fault-max", 10*time.Minute, "upper bound on how long any misbehaving handler runs")
	tlsDir        = flag.String("tls-dir", "", "serve HTTPS with a fresh self-signed certificate for 127.0.0.1 written to DIR/cert.pem")
	tlsClientAuth = flag.Bool("tls-client-auth", false, "with -tls-dir: require client certificates signed by a fresh CA (DIR/client-ca.pem); writes a good pair DIR/client-cert.pem + client-key.pem and a pair from another CA, DIR/rogue-cert.pem + rogue-key.pem")
)

// ---------------------------------------------------------------------------------------------
// Goroutine leaks. Every leak parks in a named function so its stack is recognisable.

var (
	leakMu       sync.Mutex
	leakReleases []func() // each releases one batch of leaked goroutines
	leakedCount  int64    // goroutines currently leaked by /leak (atomic)

	// heldMutex is locked while any "mutex" leak batch exists; leakMutexWait blocks on it.
	heldMutexes []*sync.Mutex

	baseURL     string      // http(s)://host:port of this server, for the "httpbody" leak
	httpbodyTLS *tls.Config // client TLS settings for the httpbody leak when serving HTTPS
)

// leakChanSend blocks forever sending on a channel nobody receives from (until released).
func leakChanSend(ch chan int, done *sync.WaitGroup) {
	defer done.Done()
	ch <- 1
}

// leakChanRecv blocks receiving from a channel nobody sends on (until it is closed).
func leakChanRecv(ch chan int, done *sync.WaitGroup) {
	defer done.Done()
	<-ch
}

// leakSelect blocks in a select over two channels nobody uses (until one is closed).
func leakSelect(a chan int, b chan string, done *sync.WaitGroup) {
	defer done.Done()
	select {
	case <-a:
	case <-b:
	}
}

// leakMutexWait blocks on a mutex that another party holds (until it is unlocked).
func leakMutexWait(mu *sync.Mutex, done *sync.WaitGroup) {
	defer done.Done()
	mu.Lock()
	mu.Unlock()
}

// leakSleep sleeps for a long time (released goroutines still sleep; sleep is not interruptible).
func leakSleep(d time.Duration, done *sync.WaitGroup) {
	defer done.Done()
	time.Sleep(d)
}

// leakHTTPBody issues a GET to this very server and never closes the response body, so the
// client transport keeps net/http.(*persistConn).readLoop and writeLoop goroutines alive.
func leakHTTPBody(client *http.Client) (io.Closer, error) {
	resp, err := client.Get(baseURL + "/body?bytes=1024")
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// startLeak starts n goroutines of one kind; odd-numbered ones run under pprof label worker=leaky.
func startLeak(kind string, n int, sleep time.Duration) error {
	var wg sync.WaitGroup
	var release func()
	run := func(i int, f func()) {
		wg.Add(1)
		if i%2 == 1 {
			go pprof.Do(context.Background(), pprof.Labels("worker", "leaky"), func(context.Context) { f() })
		} else {
			go f()
		}
	}
	switch kind {
	case "chansend":
		ch := make(chan int)
		for i := 0; i < n; i++ {
			run(i, func() { leakChanSend(ch, &wg) })
		}
		release = func() {
			for i := 0; i < n; i++ {
				<-ch
			}
		}
	case "chanrecv":
		ch := make(chan int)
		for i := 0; i < n; i++ {
			run(i, func() { leakChanRecv(ch, &wg) })
		}
		release = func() { close(ch) }
	case "select":
		a, b := make(chan int), make(chan string)
		for i := 0; i < n; i++ {
			run(i, func() { leakSelect(a, b, &wg) })
		}
		release = func() { close(a) }
	case "mutex":
		mu := &sync.Mutex{}
		mu.Lock()
		for i := 0; i < n; i++ {
			run(i, func() { leakMutexWait(mu, &wg) })
		}
		release = func() { mu.Unlock() }
	case "sleep":
		for i := 0; i < n; i++ {
			run(i, func() { leakSleep(sleep, &wg) })
		}
		release = func() {}
	case "httpbody":
		// A private transport so leaked connections do not disturb anything else.
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, TLSClientConfig: httpbodyTLS}}
		var bodies []io.Closer
		for i := 0; i < n; i++ {
			body, err := leakHTTPBody(client)
			if err != nil {
				for _, b := range bodies {
					b.Close()
				}
				return err
			}
			bodies = append(bodies, body)
		}
		release = func() {
			for _, b := range bodies {
				b.Close()
			}
			client.CloseIdleConnections()
		}
		leakMu.Lock()
		leakReleases = append(leakReleases, release)
		leakMu.Unlock()
		atomic.AddInt64(&leakedCount, int64(2*n))
		return nil
	default:
		return fmt.Errorf("unknown leak kind %q (want chansend, chanrecv, select, mutex, sleep or httpbody)", kind)
	}
	atomic.AddInt64(&leakedCount, int64(n))
	leakMu.Lock()
	leakReleases = append(leakReleases, func() {
		release()
		if kind != "sleep" {
			wg.Wait()
		}
	})
	leakMu.Unlock()
	return nil
}

func handleLeak(w http.ResponseWriter, r *http.Request) {
	kind := r.URL.Query().Get("kind")
	if kind == "" {
		kind = "chanrecv"
	}
	n, err := intParam(r, "n", 10, 0, 1_000_000)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	sleepSeconds, err := intParam(r, "sleep", 3600, 1, 1_000_000)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := startLeak(kind, n, time.Duration(sleepSeconds)*time.Second); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprintf(w, "leaked %d %s goroutines; goroutines now %d\n", n, kind, runtime.NumGoroutine())
}

// ---------------------------------------------------------------------------------------------
// Many parked goroutines, cheaply (for the 100k-goroutine benchmark).

var (
	spawnMu      sync.Mutex
	spawnRelease []chan struct{}
)

// parkedWorker waits on a shared channel; it has the smallest possible stack.
func parkedWorker(release chan struct{}, started *sync.WaitGroup) {
	started.Done()
	<-release
}

func handleSpawn(w http.ResponseWriter, r *http.Request) {
	n, err := intParam(r, "n", 1000, 0, 2_000_000)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	release := make(chan struct{})
	var started sync.WaitGroup
	started.Add(n)
	for i := 0; i < n; i++ {
		go parkedWorker(release, &started)
	}
	started.Wait()
	spawnMu.Lock()
	spawnRelease = append(spawnRelease, release)
	spawnMu.Unlock()
	fmt.Fprintf(w, "spawned %d goroutines; goroutines now %d\n", n, runtime.NumGoroutine())
}

// ---------------------------------------------------------------------------------------------
// Retained memory, in a few distinct named allocation sites.

type record struct {
	id      int64
	name    string
	payload [96]byte
	next    *record
}

var (
	retainMu      sync.Mutex
	retained      [][]byte
	records       []*record
	strs          map[int]string
	retainedBytes int64
)

// retainBuffers allocates 64 KiB buffers and touches every page.
func retainBuffers(bytes int) {
	for bytes > 0 {
		b := make([]byte, 64*1024)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		retained = append(retained, b)
		bytes -= len(b)
	}
}

// makeRecords allocates many small linked records.
func makeRecords(bytes int) {
	var prev *record
	for bytes > 0 {
		r := &record{id: int64(len(records)), name: "record", next: prev}
		records = append(records, r)
		prev = r
		bytes -= 128
	}
}

// internStrings fills a map with distinct strings.
func internStrings(bytes int) {
	if strs == nil {
		strs = make(map[int]string)
	}
	base := len(strs)
	for i := 0; bytes > 0; i++ {
		s := strings.Repeat("x", 200) + strconv.Itoa(base+i)
		strs[base+i] = s
		bytes -= len(s) + 48
	}
}

func handleGrow(w http.ResponseWriter, r *http.Request) {
	mb, err := intParam(r, "mb", 8, 0, 8192)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	sites := strings.Split(r.URL.Query().Get("site"), ",")
	if r.URL.Query().Get("site") == "" {
		sites = []string{"buffers", "records", "strings"}
	}
	total := mb * 1024 * 1024
	share := total / len(sites)
	retainMu.Lock()
	defer retainMu.Unlock()
	for _, site := range sites {
		switch site {
		case "buffers":
			retainBuffers(share)
		case "records":
			makeRecords(share)
		case "strings":
			internStrings(share)
		default:
			http.Error(w, fmt.Sprintf("unknown site %q (want buffers, records or strings)", site), http.StatusBadRequest)
			return
		}
	}
	retainedBytes += int64(total)
	fmt.Fprintf(w, "retained %d MiB more in %s; %d MiB total\n", mb, strings.Join(sites, ","), retainedBytes/(1024*1024))
}

// handleRelease frees retained memory and releases every leaked and spawned goroutine that can be.
func handleRelease(w http.ResponseWriter, r *http.Request) {
	// ?only=buffers|records|strings|spawned frees just that, so a test can free one site while others keep growing.
	if only := r.URL.Query().Get("only"); only != "" {
		retainMu.Lock()
		switch only {
		case "buffers":
			retained = nil
		case "records":
			records = nil
		case "strings":
			strs = nil
		case "spawned":
			spawnMu.Lock()
			for _, ch := range spawnRelease {
				close(ch)
			}
			spawnRelease = nil
			spawnMu.Unlock()
		default:
			retainMu.Unlock()
			http.Error(w, fmt.Sprintf("unknown only=%q (want buffers, records, strings or spawned)", only), http.StatusBadRequest)
			return
		}
		retainMu.Unlock()
		runtime.GC()
		fmt.Fprintf(w, "released %s; goroutines now %d\n", only, runtime.NumGoroutine())
		return
	}
	retainMu.Lock()
	retained, records, strs, retainedBytes = nil, nil, nil, 0
	retainMu.Unlock()
	leakMu.Lock()
	releases := leakReleases
	leakReleases = nil
	leakMu.Unlock()
	for _, f := range releases {
		f()
	}
	atomic.StoreInt64(&leakedCount, 0)
	spawnMu.Lock()
	for _, ch := range spawnRelease {
		close(ch)
	}
	spawnRelease = nil
	spawnMu.Unlock()
	runtime.GC()
	fmt.Fprintf(w, "released; goroutines now %d\n", runtime.NumGoroutine())
}

// ---------------------------------------------------------------------------------------------
// CPU burn.

var burnSink uint64

// burnCPU spins until d has passed or ctx is done.
func burnCPU(ctx context.Context, d time.Duration) uint64 {
	deadline := time.Now().Add(d)
	var x uint64 = 1
	for time.Now().Before(deadline) && ctx.Err() == nil {
		for i := 0; i < 100000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	atomic.AddUint64(&burnSink, x)
	return x
}

func handleCPU(w http.ResponseWriter, r *http.Request) {
	ms, err := intParam(r, "ms", 500, 0, 600_000)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	d := time.Duration(ms) * time.Millisecond
	if r.URL.Query().Get("background") == "1" {
		go burnCPU(context.Background(), d)
		fmt.Fprintf(w, "burning %d ms in the background\n", ms)
		return
	}
	x := burnCPU(r.Context(), d)
	fmt.Fprintf(w, "burned %d ms (%d)\n", ms, x%10)
}

// handleBody serves n bytes, used by the httpbody leak.
func handleBody(w http.ResponseWriter, r *http.Request) {
	n, err := intParam(r, "bytes", 1024, 0, 1<<30)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(n))
	chunk := make([]byte, 32*1024)
	for n > 0 && r.Context().Err() == nil {
		c := chunk
		if n < len(c) {
			c = c[:n]
		}
		if _, err := w.Write(c); err != nil {
			return
		}
		n -= len(c)
	}
}

// handleEcho returns the request's headers as JSON (Authorization shown only as "<present>").
func handleEcho(w http.ResponseWriter, r *http.Request) {
	out := map[string]string{}
	for k, v := range r.Header {
		if k == "Authorization" {
			out[k] = "<present>"
			continue
		}
		out[k] = strings.Join(v, ", ")
	}
	out[":path"] = r.URL.Path
	out[":query"] = r.URL.RawQuery
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// ---------------------------------------------------------------------------------------------
// Authentication: /auth/<anything> requires a valid bearer token or basic auth, then serves
// <anything> from the default mux (so /auth/debug/pprof/heap is the heap profile).

func authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if h == "Bearer "+*tokenFlag {
		return true
	}
	if strings.HasPrefix(h, "Basic ") {
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Basic "))
		return err == nil && string(raw) == *userFlag+":"+*passwordFlag
	}
	return false
}

func authHandler(next http.Handler) http.Handler {
	inner := http.StripPrefix("/auth", next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !authorized(r) {
			w.Header().Set("WWW-Authenticate", `Basic realm="goservice"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		inner.ServeHTTP(w, r)
	})
}

// ---------------------------------------------------------------------------------------------
// Faults: /fault/<mode>/<anything> misbehaves in the way <mode> says, whatever <anything> is.

// faultModes lists every mode, for the index and the README.
var faultModes = []string{"hang-before", "hang-during", "reset", "404", "500", "busy", "truncated", "garbage", "endless", "slowdrip", "html", "jsonerror", "empty"}

// waitGone blocks until the client goes away or the fault bound passes.
func waitGone(ctx context.Context) {
	t := time.NewTimer(*faultMax)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

func handleFault(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/fault/")
	mode := rest
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		mode = rest[:i]
	}
	ctx, cancel := context.WithTimeout(r.Context(), *faultMax)
	defer cancel()
	switch mode {
	case "hang-before":
		// Never sends headers.
		waitGone(ctx)
	case "hang-during":
		w.Header().Set("Content-Type", "application/octet-stream")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte{0x1f, 0x8b, 0x08, 0x00})
		w.Write(make([]byte, 1020))
		flush(w)
		waitGone(ctx)
	case "reset":
		conn := hijack(w)
		if conn == nil {
			return
		}
		if tcp, ok := conn.(*net.TCPConn); ok {
			tcp.SetLinger(0) // close sends RST instead of FIN
		}
		conn.Close()
	case "404":
		w.Header().Set("X-Go-Pprof", "1")
		http.Error(w, "Unknown profile", http.StatusNotFound)
	case "500":
		w.Header().Set("X-Go-Pprof", "1")
		http.Error(w, "failed to collect profile", http.StatusInternalServerError)
	case "busy":
		w.Header().Set("X-Go-Pprof", "1")
		http.Error(w, "Could not enable CPU profiling: cpu profiling already in use", http.StatusInternalServerError)
	case "truncated":
		conn := hijack(w)
		if conn == nil {
			return
		}
		fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 65536\r\n\r\n")
		conn.Write([]byte{0x1f, 0x8b, 0x08, 0x00})
		conn.Write(make([]byte, 1020))
		conn.Close()
	case "garbage":
		n, err := intParam(r, "bytes", 4096, 0, 1<<30)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		buf := make([]byte, n)
		crand.Read(buf)
		if n >= 2 && buf[0] == 0x1f && buf[1] == 0x8b {
			buf[0] = 0 // never look like gzip
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(n))
		w.Write(buf)
	case "endless":
		w.Header().Set("Content-Type", "application/octet-stream")
		chunk := make([]byte, 64*1024)
		for i := range chunk {
			chunk[i] = byte(i)
		}
		if _, err := w.Write([]byte{0x1f, 0x8b, 0x08, 0x00}); err != nil { // gzip magic first, like a profile
			return
		}
		for ctx.Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	case "html":
		// What a login proxy in front of the target answers on every path.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<!DOCTYPE html>\n<html><head><title>Sign in</title></head>\n<body><form method=\"post\" action=\"/login\">"+
			"<input name=\"user\"><input name=\"password\" type=\"password\"><button>Sign in</button></form></body></html>\n")
	case "jsonerror":
		// An API gateway's error, answered with 200.
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"error":"unauthorized","message":"a session cookie is required"}`+"\n")
	case "empty":
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	case "slowdrip":
		n, err := intParam(r, "bytes", -1, -1, 1<<30)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusOK)
		flush(w)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for sent := 0; n < 0 || sent < n; sent++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if _, err := w.Write([]byte{'.'}); err != nil {
				return
			}
			flush(w)
		}
	default:
		http.Error(w, fmt.Sprintf("unknown fault mode %q (want one of %s)", mode, strings.Join(faultModes, ", ")), http.StatusBadRequest)
	}
}

func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

func hijack(w http.ResponseWriter) net.Conn {
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "cannot hijack", http.StatusInternalServerError)
		return nil
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return nil
	}
	return conn
}

// ---------------------------------------------------------------------------------------------

func intParam(r *http.Request, name string, def, min, max int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < min || v > max {
		return 0, fmt.Errorf("invalid %s=%q: want an integer in [%d, %d]", name, s, min, max)
	}
	return v, nil
}

// ---------------------------------------------------------------------------------------------
// Known work for execution traces (/tracework): rounds of forced GCs, goroutines created and
// blocked on a channel, goroutines blocked in select, and sleeps, repeated in the background so a
// /debug/pprof/trace capture started right after the request sees several rounds.

// traceChanWaiter blocks receiving from ch until it is closed, then ends.
func traceChanWaiter(ch chan struct{}, done *sync.WaitGroup) {
	defer done.Done()
	<-ch
}

// traceSelectWaiter blocks in a select over two channels until one is closed, then ends.
func traceSelectWaiter(a, b chan struct{}, done *sync.WaitGroup) {
	defer done.Done()
	select {
	case <-a:
	case <-b:
	}
}

// traceSleeper sleeps for d, then ends.
func traceSleeper(d time.Duration, done *sync.WaitGroup) {
	defer done.Done()
	time.Sleep(d)
}

// traceWorkRound runs one round of known work and returns when every goroutine it created ended.
func traceWorkRound(gcs, chans, sleeps int) {
	for i := 0; i < gcs; i++ {
		runtime.GC()
	}
	var done sync.WaitGroup
	ch := make(chan struct{})
	a, b := make(chan struct{}), make(chan struct{})
	done.Add(2*chans + sleeps)
	for i := 0; i < chans; i++ {
		go traceChanWaiter(ch, &done)
		go traceSelectWaiter(a, b, &done)
	}
	for i := 0; i < sleeps; i++ {
		go traceSleeper(time.Millisecond, &done)
	}
	time.Sleep(5 * time.Millisecond) // let the waiters block before releasing them
	close(ch)
	close(a)
	done.Wait()
}

// handleTraceWork starts rounds of known work in the background every 50ms for `for` (default 3s):
// gcs forced GCs, chans goroutines blocked on a channel receive plus chans blocked in a select,
// sleeps goroutines sleeping 1ms.
func handleTraceWork(w http.ResponseWriter, r *http.Request) {
	gcs, err1 := intParam(r, "gcs", 2, 0, 100)
	chans, err2 := intParam(r, "chans", 10, 0, 10000)
	sleeps, err3 := intParam(r, "sleeps", 10, 0, 10000)
	for _, err := range []error{err1, err2, err3} {
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	duration := 3 * time.Second
	if s := r.URL.Query().Get("for"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 || d > *faultMax {
			http.Error(w, fmt.Sprintf("invalid for=%q: want a positive duration up to %s", s, *faultMax), http.StatusBadRequest)
			return
		}
		duration = d
	}
	go func() {
		deadline := time.Now().Add(duration)
		for time.Now().Before(deadline) {
			traceWorkRound(gcs, chans, sleeps)
			time.Sleep(50 * time.Millisecond)
		}
	}()
	fmt.Fprintf(w, "trace work: %d GCs, %d channel and %d select waiters, %d sleepers per round for %s\n", gcs, chans, chans, sleeps, duration)
}

func handleIndex(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	modes := append([]string(nil), faultModes...)
	sort.Strings(modes)
	fmt.Fprintf(w, "goservice: /debug/pprof/ /debug/vars /leak /spawn /grow /release /cpu /body /echo /tracework /auth/ /fault/{%s}/\n", strings.Join(modes, ","))
}

func main() {
	flag.Parse()
	if *tlsClientAuth && *tlsDir == "" {
		fmt.Fprintln(os.Stderr, "goservice: -tls-client-auth needs -tls-dir")
		os.Exit(2)
	}
	log.SetOutput(os.Stderr)
	// Make block and mutex profiles non-empty without costing much.
	runtime.SetBlockProfileRate(10000)
	runtime.SetMutexProfileFraction(5)

	expvar.Publish("goroutines", expvar.Func(func() interface{} { return runtime.NumGoroutine() }))
	expvar.Publish("leaked_goroutines", expvar.Func(func() interface{} { return atomic.LoadInt64(&leakedCount) }))
	expvar.Publish("retained_bytes", expvar.Func(func() interface{} {
		retainMu.Lock()
		defer retainMu.Unlock()
		return retainedBytes
	}))

	mux := http.DefaultServeMux // net/http/pprof and expvar registered themselves here
	mux.HandleFunc("/", handleIndex)
	mux.HandleFunc("/leak", handleLeak)
	mux.HandleFunc("/spawn", handleSpawn)
	mux.HandleFunc("/grow", handleGrow)
	mux.HandleFunc("/release", handleRelease)
	mux.HandleFunc("/cpu", handleCPU)
	mux.HandleFunc("/body", handleBody)
	mux.HandleFunc("/echo", handleEcho)
	mux.HandleFunc("/tracework", handleTraceWork)
	mux.Handle("/auth/", authHandler(mux))
	mux.HandleFunc("/fault/", handleFault)

	ln, err := net.Listen("tcp", *addrFlag)
	if err != nil {
		fmt.Fprintf(os.Stderr, "goservice: listen on %s: %v\n", *addrFlag, err)
		os.Exit(1)
	}
	baseURL = "http://" + ln.Addr().String()
	// requests_served counts every request, so a benchmark can tell how often a poller asked.
	var served int64
	expvar.Publish("requests_served", expvar.Func(func() interface{} { return atomic.LoadInt64(&served) }))
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		atomic.AddInt64(&served, 1)
		mux.ServeHTTP(w, r)
	})
	srv := &http.Server{Handler: counted, ReadHeaderTimeout: 10 * time.Second}
	if *tlsDir != "" {
		cert, err := selfSignedCertificate(*tlsDir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "goservice: tls: %v\n", err)
			os.Exit(1)
		}
		config := &tls.Config{Certificates: []tls.Certificate{cert}}
		httpbodyTLS = &tls.Config{InsecureSkipVerify: true} // only for the fixture's own httpbody leak
		if *tlsClientAuth {
			clientCAs, client, err := clientCertificates(*tlsDir)
			if err != nil {
				fmt.Fprintf(os.Stderr, "goservice: tls client auth: %v\n", err)
				os.Exit(1)
			}
			config.ClientAuth = tls.RequireAndVerifyClientCert
			config.ClientCAs = clientCAs
			httpbodyTLS.Certificates = []tls.Certificate{client}
		}
		ln = tls.NewListener(ln, config)
		baseURL = "https://" + ln.Addr().String()
	}

	done := make(chan struct{})
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
		close(done)
	}()

	fmt.Fprintf(os.Stdout, "listening on %s\n", ln.Addr().String())
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		fmt.Fprintf(os.Stderr, "goservice: serve: %v\n", err)
		os.Exit(1)
	}
	<-done
}

// selfSignedCertificate makes a certificate for 127.0.0.1 and localhost, valid for one day, and
// writes it as DIR/cert.pem so clients can trust it as their CA.
func selfSignedCertificate(dir string) (tls.Certificate, error) {
	template := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "goservice test fixture"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:        true,
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:    []string{"localhost"},
	}
	return issue(dir, template, nil, nil, "cert.pem", "")
}

// clientCertificates makes the client side of mutual TLS in dir: a client CA (client-ca.pem, the
// pool the server verifies against), a client certificate and key it signed (client-cert.pem,
// client-key.pem, returned for the fixture's own httpbody client), and a certificate and key
// signed by a different, unwritten CA (rogue-cert.pem, rogue-key.pem) that the server refuses.
func clientCertificates(dir string) (*x509.CertPool, tls.Certificate, error) {
	caTemplate := &x509.Certificate{Subject: pkix.Name{CommonName: "goservice client CA"}, IsCA: true}
	ca, err := issue(dir, caTemplate, nil, nil, "client-ca.pem", "")
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	clientTemplate := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "goservice client"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	client, err := issue(dir, clientTemplate, ca.Leaf, ca.PrivateKey, "client-cert.pem", "client-key.pem")
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	rogueCA, err := issue("", &x509.Certificate{Subject: pkix.Name{CommonName: "goservice rogue CA"}, IsCA: true}, nil, nil, "", "")
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	rogueTemplate := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "goservice rogue client"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if _, err := issue(dir, rogueTemplate, rogueCA.Leaf, rogueCA.PrivateKey, "rogue-cert.pem", "rogue-key.pem"); err != nil {
		return nil, tls.Certificate{}, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Leaf)
	return pool, client, nil
}

// issue completes template (serial, one-day validity, key usage) with a fresh ECDSA P-256 key,
// signs it with parent/parentKey (self-signed when parent is nil), writes the certificate as PEM to
// dir/certName and the key as PKCS#8 PEM to dir/keyName (each only when named), and returns the
// pair with Leaf set, ready to serve or to sign further certificates.
func issue(dir string, template, parent *x509.Certificate, parentKey crypto.PrivateKey, certName, keyName string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := crand.Int(crand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, err
	}
	template.SerialNumber = serial
	template.NotBefore = time.Now().Add(-time.Hour)
	template.NotAfter = time.Now().Add(24 * time.Hour)
	template.BasicConstraintsValid = true
	template.KeyUsage = x509.KeyUsageDigitalSignature
	if template.IsCA {
		template.KeyUsage |= x509.KeyUsageCertSign
	}
	if parent == nil {
		parent, parentKey = template, key
	}
	der, err := x509.CreateCertificate(crand.Reader, template, parent, &key.PublicKey, parentKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, err
	}
	files := []struct {
		name  string
		block *pem.Block
		mode  os.FileMode
	}{
		{certName, &pem.Block{Type: "CERTIFICATE", Bytes: der}, 0o644},
		{keyName, &pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}, 0o600},
	}
	for _, f := range files {
		if f.name == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), pem.EncodeToMemory(f.block), f.mode); err != nil {
			return tls.Certificate{}, err
		}
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}
